package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-pleg/kubectl-pleg/internal/collect"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// fakeScanner is a cluster of hand-made snapshots that can also be scanned.
type fakeScanner struct {
	fakeCollector
	got collect.ScanOptions
}

func (f *fakeScanner) Scan(_ context.Context, opts collect.ScanOptions, each func(*snapshot.Snapshot)) (int, error) {
	f.got = opts
	n := 0
	for _, s := range f.fakeCollector {
		if opts.Selector != "" && opts.Selector != "name="+s.NodeName {
			continue
		}
		each(s)
		n++
	}
	return n, nil
}

func scanFleet() *fakeScanner {
	unreachable := nodeSnapshot("gone", corev1.ConditionUnknown, "Kubelet stopped posting node status.")
	unreachable.Sources = append(unreachable.Sources, snapshot.Source{Name: snapshot.SourceMetrics, Status: snapshot.StatusUnavailable, Reason: "connection refused"})
	return &fakeScanner{fakeCollector: fakeCollector{
		"ok":     nodeSnapshot("ok", corev1.ConditionTrue, "kubelet is posting ready status"),
		"stale":  nodeSnapshot("stale", corev1.ConditionFalse, "PLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s"),
		"gone":   unreachable,
		"alsook": nodeSnapshot("alsook", corev1.ConditionTrue, "kubelet is posting ready status"),
	}}
}

func runWith(t *testing.T, reader clusterReader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	code = execute(streams, args, func(*genericclioptions.ConfigFlags, collect.Options) (clusterReader, error) {
		return reader, nil
	})
	return code, out.String(), errOut.String()
}

func TestScanRanksWorstFirst(t *testing.T) {
	fleet := scanFleet()
	code, out, errOut := runWith(t, fleet, "scan", "--concurrency", "4")
	if code != 3 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if fleet.got.Concurrency != 4 || fleet.got.Deep || fleet.got.Progress != nil {
		t.Errorf("scan options %+v: want concurrency 4, not deep, no progress off a terminal", fleet.got)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var order []string
	for _, l := range lines[1 : len(lines)-1] {
		order = append(order, strings.Fields(l)[0])
	}
	// Critical nodes first (two critical causes before one), then by name.
	if got := strings.Join(order, " "); got != "gone stale alsook ok" {
		t.Errorf("order %q\n%s", got, out)
	}
	if !strings.HasPrefix(lines[0], "NODE") || !strings.Contains(lines[0], "PLEG LAST SEEN") {
		t.Errorf("header %q", lines[0])
	}
	if got := lines[len(lines)-1]; got != "4 nodes: 2 critical, 0 warning, 2 ok; 1 unreachable" {
		t.Errorf("summary %q", got)
	}
	if !strings.Contains(lines[1], "kubelet-down") || !strings.Contains(lines[1], "unavailable") {
		t.Errorf("unreachable kubelet row %q", lines[1])
	}
}

func TestScanOutputsAndErrors(t *testing.T) {
	code, out, _ := runWith(t, scanFleet(), "scan", "-o", "json")
	var list struct {
		Kind  string
		Items []struct{ Node, Verdict string }
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 3 {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if list.Kind != "DiagnosisList" || len(list.Items) != 4 || list.Items[0].Node != "gone" || list.Items[3].Node != "ok" {
		t.Errorf("json list %+v", list)
	}
	// One node is still a DiagnosisList: a script reads .items whatever the count.
	if code, out, _ := runWith(t, scanFleet(), "scan", "-l", "name=ok", "-o", "yaml"); code != 0 || !strings.Contains(out, "kind: DiagnosisList") {
		t.Errorf("one healthy node: exit %d\n%s", code, out)
	}
	if code, out, _ := runWith(t, scanFleet(), "scan", "-o", "markdown"); code != 3 || !strings.Contains(out, "| gone | kubelet-unreachable | kubelet-down |") {
		t.Errorf("markdown: exit %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"scan", "-l", "name=nope"}, `no node matches -l "name=nope"`},
		{[]string{"scan", "-o", "xml"}, `unknown output format "xml"`},
		{[]string{"scan", "--concurrency", "0"}, "--concurrency must be at least 1"},
		{[]string{"scan", "extra"}, "unknown command"},
	} {
		code, out, errOut := runWith(t, scanFleet(), tc.args...)
		if code != 1 || out != "" || !strings.Contains(errOut, tc.wantErr) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 1 and %q", tc.args, code, out, errOut, tc.wantErr)
		}
	}
}

func TestAlertsCommand(t *testing.T) {
	code, out, _ := runWith(t, nil, "alerts")
	if code != 0 || !strings.HasPrefix(out, "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n") || !strings.Contains(out, "alert: KubeletPLEGStale") {
		t.Errorf("default format: exit %d\n%s", code, out)
	}
	code, out, _ = runWith(t, nil, "alerts", "--format", "rules-file", "--runbook-url", "https://wiki.example/pleg")
	if code != 0 || !strings.HasPrefix(out, "groups:\n") || !strings.Contains(out, "https://wiki.example/pleg#1-run-it") {
		t.Errorf("rules-file: exit %d\n%s", code, out)
	}
	if code, _, errOut := runWith(t, nil, "alerts", "--format", "json"); code != 1 || !strings.Contains(errOut, `unknown format "json"`) {
		t.Errorf("bad format: exit %d, %q", code, errOut)
	}
}

// kubectl's habits: -o wide adds columns, --no-headers gives rows alone,
// --sort-by orders by a column.
func TestScanWideNoHeadersSortBy(t *testing.T) {
	_, out, _ := runWith(t, scanFleet(), "scan", "-o", "wide")
	header := strings.SplitN(out, "\n", 2)[0]
	if !strings.Contains(header, "KUBELET VERSION") || !strings.Contains(header, "HEADLINE") {
		t.Errorf("-o wide header: %q", header)
	}
	_, out, _ = runWith(t, scanFleet(), "scan", "--no-headers")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || strings.HasPrefix(lines[0], "NODE") || strings.Contains(out, "nodes:") {
		t.Errorf("--no-headers: want the 4 rows alone:\n%s", out)
	}
	_, out, _ = runWith(t, scanFleet(), "scan", "--no-headers", "--sort-by", "node")
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		names = append(names, strings.Fields(l)[0])
	}
	if !slices.IsSorted(names) {
		t.Errorf("--sort-by node: %v", names)
	}
	if code, _, errOut := runWith(t, scanFleet(), "scan", "--sort-by", "age"); code != 1 || !strings.Contains(errOut, `--sort-by "age": use one of risk, node`) {
		t.Errorf("--sort-by age: exit %d, %s", code, errOut)
	}
}
