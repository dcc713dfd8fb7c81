package diagnose_test

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-pleg/kubectl-pleg/internal/alerts"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
)

// ruleIDs are the IDs of the rules table.
func ruleIDs() []string {
	var ids []string
	for _, r := range diagnose.Rules {
		ids = append(ids, string(r.ID))
	}
	return ids
}

var backticked = regexp.MustCompile("`([a-z0-9-]+)`")

// between returns the text of file from the first line holding start up to
// the first line (after it) holding end.
func between(t *testing.T, file, start, end string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, start)
	if i < 0 {
		t.Fatalf("%s has no %q", file, start)
	}
	j := strings.Index(s[i:], end)
	if j < 0 {
		t.Fatalf("%s: no %q after %q", file, end, start)
	}
	return s[i : i+j]
}

// Every cause the project names outside the rules — in the README's list of
// stable IDs, the runbook, the generated alerts, the corpus labels — is a
// rule; and the README lists every rule.
func TestEveryNamedCauseIsARule(t *testing.T) {
	ids := ruleIDs()
	var readme []string
	for _, m := range backticked.FindAllStringSubmatch(between(t, "../../README.md", "Cause IDs (stable):", "ties break by ID"), -1) {
		readme = append(readme, m[1])
	}
	for _, id := range readme {
		if !slices.Contains(ids, id) {
			t.Errorf("README lists cause %q, which no rule has", id)
		}
	}
	for _, id := range ids {
		if !slices.Contains(readme, id) {
			t.Errorf("README's list of cause IDs lacks %q", id)
		}
	}
	for _, m := range backticked.FindAllStringSubmatch(between(t, "../../docs/runbook.md", "**CAUSE** is a stable ID", "Search past incidents"), -1) {
		if !slices.Contains(ids, m[1]) {
			t.Errorf("the runbook names cause %q, which no rule has", m[1])
		}
	}
	for _, r := range alerts.Rules(alerts.Options{}) {
		if c := r.Labels["pleg_cause"]; !slices.Contains(ids, c) {
			t.Errorf("alert %s has pleg_cause %q, which no rule has", r.Alert, c)
		}
	}
	f, err := os.Open("../../test/corpus/labels.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 3 || strings.HasPrefix(cols[0], "#") {
			continue
		}
		for _, c := range strings.Split(cols[2], ",") {
			if c != "-" && !slices.Contains(ids, c) {
				t.Errorf("labels.tsv: %s names cause %q, which no rule has", cols[0], c)
			}
		}
	}
}
