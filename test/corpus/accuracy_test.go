// Package corpus measures kubectl pleg against real artifacts that other
// people posted (see INDEX.md): the built binary diagnoses each file offline,
// as a user would with `kubectl pleg diagnose -f FILE`, and its verdict and
// first warning/critical cause are compared with the labels an SRE gave the
// file without running the tool.
package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kubectl-pleg/kubectl-pleg/internal/redact"
)

// accuracyFloor is the share of files the tool must get right. It only ever
// goes up: raise it when the tool gets better, never lower it to pass.
const accuracyFloor = 0.955

// kindFloor is the share every kind of file must get right, for kinds of
// at least kindFloorMin files (fewer make a share meaningless).
const (
	kindFloor    = 0.90
	kindFloorMin = 8
)

// label is one row of labels.tsv.
type label struct {
	file     string
	verdicts []string
	causes   []string // "-" stands for "no warning or critical cause"
}

func readLabels(t *testing.T) []label {
	t.Helper()
	f, err := os.Open("labels.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []label
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 3 {
			t.Fatalf("labels.tsv:%d: want 3 tab-separated columns, got %d", n, len(cols))
		}
		out = append(out, label{file: cols[0], verdicts: strings.Split(cols[1], ","), causes: strings.Split(cols[2], ",")})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// diagnosis is the part of the -o json output the score reads.
type diagnosis struct {
	Kind    string      `json:"kind"`
	Node    string      `json:"node"`
	Verdict string      `json:"verdict"`
	Causes  []cause     `json:"causes"`
	Items   []diagnosis `json:"items"`
}

type cause struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
}

// firstCause is the ID of the top warning or critical cause, or "-".
func (d diagnosis) firstCause() string {
	for _, c := range d.Causes {
		if c.Severity == "warning" || c.Severity == "critical" {
			return c.ID
		}
	}
	return "-"
}

// outcome is what the tool said of one file.
type outcome struct {
	label
	nodes []diagnosis
	err   string // stderr when the tool failed
	right bool
}

// judge scores a run: every node the file holds must get an acceptable
// verdict, and the first warning/critical cause of the whole answer — the
// worst node's, as a reader of a DiagnosisList sees it first — must be an
// acceptable one.
func (o *outcome) judge() {
	o.right = len(o.nodes) > 0
	first, worst := "-", 0
	for _, d := range o.nodes {
		o.right = o.right && contains(o.verdicts, d.Verdict)
		for _, c := range d.Causes {
			if sev := severityRank[c.Severity]; sev > worst {
				first, worst = c.ID, sev
			}
		}
	}
	o.right = o.right && contains(o.causes, first)
}

var severityRank = map[string]int{"warning": 1, "critical": 2}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (o *outcome) String() string {
	var got []string
	for _, d := range o.nodes {
		got = append(got, fmt.Sprintf("%s %s/%s", orUnnamed(d.Node), d.Verdict, d.firstCause()))
	}
	if o.err != "" {
		got = append(got, "error: "+o.err)
	}
	return fmt.Sprintf("%s: want %s / %s, got %s", o.file, strings.Join(o.verdicts, "|"), strings.Join(o.causes, "|"), strings.Join(got, "; "))
}

func orUnnamed(s string) string {
	if s == "" {
		return "(no name)"
	}
	return s
}

// kindOf is the artifact kind, the prefix of its file name.
func kindOf(file string) string {
	kind, _, _ := strings.Cut(file, "-")
	return kind
}

func TestAccuracy(t *testing.T) {
	labels := readLabels(t)
	bin := buildPlugin(t)
	outcomes := make([]*outcome, len(labels))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, l := range labels {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			outcomes[i] = diagnoseFile(t, bin, l, filepath.Join("artifacts", l.file))
		})
	}
	wg.Wait()

	right := 0
	type tally struct{ right, all int }
	kinds := map[string]*tally{}
	var misses []string
	for _, o := range outcomes {
		k := kinds[kindOf(o.file)]
		if k == nil {
			k = &tally{}
			kinds[kindOf(o.file)] = k
		}
		k.all++
		if o.right {
			right++
			k.right++
		} else {
			misses = append(misses, o.String())
		}
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	var per []string
	for _, k := range names {
		per = append(per, fmt.Sprintf("%s %d/%d", k, kinds[k].right, kinds[k].all))
	}
	score := float64(right) / float64(len(outcomes))
	t.Logf("accuracy: %d/%d right (%.1f%%); by kind: %s", right, len(outcomes), 100*score, strings.Join(per, ", "))
	for _, m := range misses {
		t.Logf("miss: %s", m)
	}
	if score < accuracyFloor {
		t.Errorf("accuracy %.1f%% is below the floor %.1f%%", 100*score, 100*accuracyFloor)
	}
	for _, k := range names {
		if tl := kinds[k]; tl.all >= kindFloorMin && float64(tl.right) < kindFloor*float64(tl.all) {
			t.Errorf("kind %s: %d/%d right, below the floor %.0f%% for every kind", k, tl.right, tl.all, 100*kindFloor)
		}
	}
	// A healthy node gets no warning: on the files labelled healthy with
	// nothing wrong, any warning or critical cause is a false alarm.
	benign := 0
	for _, o := range outcomes {
		if contains(o.causes, "-") {
			benign++
		}
		if len(o.verdicts) != 1 || o.verdicts[0] != "healthy" || len(o.causes) != 1 || o.causes[0] != "-" {
			continue
		}
		for _, d := range o.nodes {
			if c := d.firstCause(); c != "-" {
				t.Errorf("false alarm: %s is labelled healthy with nothing wrong, and %s gets %s", o.file, orUnnamed(d.Node), c)
			}
		}
	}
	if benign*4 < len(outcomes) {
		t.Errorf("%d/%d files may rank no warning first: the corpus needs a quarter healthy or benign", benign, len(outcomes))
	}
	t.Logf("healthy or benign (no warning may rank first): %d/%d", benign, len(outcomes))
	// The README says the score: it must be this run's.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if said := fmt.Sprintf("**%d/%d right (%.1f%%)**", right, len(outcomes), 100*score); !bytes.Contains(readme, []byte(said)) {
		t.Errorf("README.md does not say this run's score %s", said)
	}
	for _, o := range outcomes {
		for _, d := range o.nodes {
			if !d.carried() {
				t.Errorf("%s: %s has verdict %s and no cause that carries it: %v", o.file, orUnnamed(d.Node), d.Verdict, d.Causes)
			}
		}
	}
}

// carried says the verdict is one a listed cause explains: every verdict but
// healthy and unknown names trouble, and trouble must be a cause the
// report ranks (a node still starting has its note, of any severity).
func (d diagnosis) carried() bool {
	switch d.Verdict {
	case "healthy", "unknown":
		return true
	case "starting":
		return len(d.Causes) > 0
	}
	return d.firstCause() != "-"
}

// diagnoseFile runs `kubectl-pleg diagnose -f FILE -o json` on path, l's
// file (--from-dir for a directory: a support archive's tree).
func diagnoseFile(t *testing.T, bin string, l label, path string) *outcome {
	o := &outcome{label: l}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("labels.tsv names %s: %v", l.file, err)
		return o
	}
	var stdout, stderr bytes.Buffer
	args := []string{"diagnose", "-f", path, "-o", "json"}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		args = []string{"diagnose", "--from-dir", path, "-o", "json"} // a support-archive tree
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if stdout.Len() == 0 {
		o.err = firstLine(stderr.String())
		if o.err == "" && runErr != nil {
			o.err = runErr.Error()
		}
		return o
	}
	var d diagnosis
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		o.err = "output is not JSON: " + err.Error()
		return o
	}
	o.nodes = []diagnosis{d}
	if d.Kind == "DiagnosisList" {
		o.nodes = d.Items
	}
	o.judge()
	return o
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// buildPlugin builds the binary from this checkout, as a user would run it.
func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kubectl-pleg")
	build := exec.Command("go", "build", "-o", bin, "./cmd/kubectl-pleg")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/kubectl-pleg: %v\n%s", err, out)
	}
	return bin
}

func TestLabelsCoverEveryArtifact(t *testing.T) {
	labelled := map[string]bool{}
	for _, l := range readLabels(t) {
		if labelled[l.file] {
			t.Errorf("labels.tsv lists %s twice", l.file)
		}
		labelled[l.file] = true
		for _, v := range l.verdicts {
			if !contains(verdicts, v) {
				t.Errorf("%s: unknown verdict %q", l.file, v)
			}
		}
	}
	entries, err := os.ReadDir("artifacts")
	if err != nil {
		t.Fatal(err)
	}
	index, err := os.ReadFile("INDEX.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !labelled[e.Name()] {
			t.Errorf("%s has no row in labels.tsv", e.Name())
		}
		name := e.Name()
		if e.IsDir() {
			name += "/" // a support archive's tree
		}
		if !bytes.Contains(index, []byte("| "+name+" |")) && !bytes.Contains(index, []byte("| `"+name+"` |")) {
			t.Errorf("%s has no row in INDEX.md", e.Name())
		}
	}
}

// verdicts are the verdicts the tool can give (README).
var verdicts = []string{"healthy", "pleg-unhealthy", "runtime-down", "network-not-ready", "kubelet-unreachable", "starting", "not-ready", "unknown"}

// TestRedactedDiagnosesTheSame: every artifact, redacted as collect
// --redact --redact-ips redacts a bundle (secrets, and every address mapped
// to a stand-in), gets the same diagnosis as the original: the same number
// of nodes, and for each its verdict and its causes with their severities.
// Names may differ (ip-10-0-3-17 becomes ip-240-0-0-1).
func TestRedactedDiagnosesTheSame(t *testing.T) {
	bin := buildPlugin(t)
	labels := readLabels(t)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, l := range labels {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			src := filepath.Join("artifacts", l.file)
			dst := filepath.Join(t.TempDir(), l.file)
			if !redactCopy(t, src, dst) {
				return
			}
			a, b := diagnoseOnce(t, bin, src), diagnoseOnce(t, bin, dst)
			if a != b {
				t.Errorf("%s: diagnoses differ once redacted:\n  original %s\n  redacted %s", l.file, a, b)
			}
		})
	}
	wg.Wait()
}

// redactCopy writes src, redacted, to dst — a tree file by file; false
// for what is not text.
func redactCopy(t *testing.T, src, dst string) bool {
	if st, err := os.Stat(src); err == nil && st.IsDir() {
		copied := false
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			to := filepath.Join(dst, rel)
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return err
			}
			copied = redactCopy(t, p, to) || copied
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		return copied
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Error(err)
		return false
	}
	if bytes.IndexByte(b[:min(len(b), 4096)], 0) >= 0 || bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		return false
	}
	out := redact.New(redact.Options{Addresses: true}).String(string(b))
	if err := os.WriteFile(dst, []byte(out), 0o600); err != nil {
		t.Error(err)
		return false
	}
	return true
}

// diagnoseOnce is a file's diagnosis as a comparable string: per node its
// verdict and causes with severities, or the error.
func diagnoseOnce(t *testing.T, bin, path string) string {
	o := diagnoseFile(t, bin, label{file: path}, path)
	if o.err != "" {
		return "error"
	}
	var parts []string
	for _, d := range o.nodes {
		p := d.Verdict
		for _, c := range d.Causes {
			p += " " + c.ID + "/" + c.Severity
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}
