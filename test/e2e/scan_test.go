package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-pleg/kubectl-pleg/test/e2e/internal/fleet"
)

// scanFive are the scenario nodes of the scan test: healthy, PLEG-stale,
// dense, runtime-hung and kubelet-unreachable.
const scanFive = "kubernetes.io/hostname in (dense,healthy,kubelet-down,pleg-stalled,runtime-hung)"

// TestScan is `kubectl pleg scan` over a mix of scenario nodes: the ranking,
// the summary line, the exit code, the DiagnosisList, --deep agreeing with
// diagnose, and (from the audit log) a constant number of requests for the
// cluster objects whatever the number of nodes.
func TestScan(t *testing.T) {
	needPlugin(t)
	kc := kubeconfig("admin")
	cs := adminClient(t)
	ctx := context.Background()
	// A run interrupted before its cleanup leaves generated nodes behind.
	if err := fleet.Delete(ctx, cs, 16); err != nil {
		t.Fatal(err)
	}

	// 1. The table: worst first, then the summary line.
	mark := auditMark(t)
	r := pleg(t, kc, "scan", "-l", scanFive, "--source-timeout", "5s")
	if r.code != 3 {
		r.dump(t)
		t.Fatalf("exit %d, want 3 (critical nodes)", r.code)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 7 {
		r.dump(t)
		t.Fatalf("%d lines, want header + 5 nodes + summary", len(lines))
	}
	rows := map[string]string{}
	var order []string
	for _, l := range lines[1:6] {
		name := strings.Fields(l)[0]
		order = append(order, name)
		rows[name] = l
	}
	critical := slices.Clone(order[:3]) // sorted apart: order is checked against the JSON below
	slices.Sort(critical)
	if strings.Join(critical, " ") != "kubelet-down pleg-stalled runtime-hung" || order[3] != "dense" || order[4] != "healthy" {
		r.dump(t)
		t.Errorf("ranking %v: want the three critical nodes, then dense (warning), then healthy", order)
	}
	if got, want := lines[6], "5 nodes: 3 critical, 1 warning, 1 ok; 1 unreachable"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	for node, want := range map[string][]string{
		"kubelet-down": {"kubelet-unreachable", "kubelet-down", "critical", "unavailable"},
		"pleg-stalled": {"pleg-unhealthy", "pleg-relist-stalled", "critical", "16m", "ok"},
		"dense":        {"healthy", "pod-density", "warning", "108/110", "934 exited"},
		"healthy":      {"healthy", "ok"},
	} {
		for _, w := range want {
			if !strings.Contains(rows[node], w) {
				t.Errorf("%s row %q lacks %q", node, rows[node], w)
			}
		}
	}
	few := auditSince(t, mark)

	// 2. JSON: a DiagnosisList in the same order, per-node schema as diagnose.
	r = pleg(t, kc, "scan", "-l", scanFive, "--source-timeout", "5s", "-o", "json")
	if r.code != 3 || r.diag.Kind != "DiagnosisList" || len(r.diag.Items) != 5 {
		r.dump(t)
		t.Fatalf("json: exit %d, kind %q, %d items", r.code, r.diag.Kind, len(r.diag.Items))
	}
	byNode := map[string]Diagnosis{}
	for i, d := range r.diag.Items {
		byNode[d.Node] = d
		if d.Kind != "Diagnosis" || d.Node != order[i] {
			t.Errorf("item %d: kind %q node %q, want Diagnosis %s (table order)", i, d.Kind, d.Node, order[i])
		}
		if d.source("kubelet-log") != nil {
			t.Errorf("%s: a scan without --deep must not claim a kubelet-log source", d.Node)
		}
	}
	for node, want := range map[string]struct{ verdict, top string }{
		"healthy": {"healthy", ""}, "pleg-stalled": {"pleg-unhealthy", "pleg-relist-stalled"},
		"dense": {"healthy", "pod-density"}, "kubelet-down": {"kubelet-unreachable", "kubelet-down"},
		"runtime-hung": {"pleg-unhealthy", "pleg-relist-stalled"}, // without logs, the symptom
	} {
		d := byNode[node]
		top := ""
		if s := d.serious(); len(s) > 0 {
			top = s[0].ID
		}
		if d.Verdict != want.verdict || top != want.top {
			t.Errorf("%s: verdict %s, top %q; want %s, %q", node, d.Verdict, top, want.verdict, want.top)
		}
	}
	if s := byNode["kubelet-down"].source("metrics"); s == nil || s.Status != "unavailable" {
		t.Errorf("kubelet-down metrics source %+v, want unavailable", s)
	}

	// 3. --deep reads the logs too and agrees with diagnose.
	r = pleg(t, kc, "scan", "-l", "kubernetes.io/hostname in (runtime-hung,healthy)", "--deep", "-o", "json")
	if r.code != 3 || len(r.diag.Items) != 2 || r.diag.Items[0].Node != "runtime-hung" || r.diag.Items[0].Causes[0].ID != "runtime-unresponsive" {
		r.dump(t)
		t.Errorf("--deep: runtime-hung should rank first with runtime-unresponsive, as diagnose says")
	}

	// 4. Forty more nodes (served by the healthy kubelet): the cluster
	// objects still take the same LISTs; only kubelet reads grow.
	port, err := fleet.KubeletPort(ctx, cs, "healthy")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := fleet.Delete(context.Background(), cs, 16); err != nil {
			t.Errorf("deleting the generated nodes: %v", err)
		}
	})
	if err := fleet.Ensure(ctx, cs, fleet.Spec{Nodes: 40, Port: port, Workers: 16}); err != nil {
		t.Fatal(err)
	}
	total := strings.Count(kubectl(t, "get", "nodes", "-o", "name"), "node/")
	mark = auditMark(t)
	r = pleg(t, kc, "scan", "--source-timeout", "3s", "-o", "json")
	if r.code != 3 || len(r.diag.Items) != total {
		r.dump(t)
		t.Fatalf("scan of all %d nodes: exit %d, %d items", total, r.code, len(r.diag.Items))
	}
	many := auditSince(t, mark)
	t.Logf("requests, 5 nodes: %v", few)
	t.Logf("requests, %d nodes: %v", total, many)
	objects := func(reqs map[string]int) map[string]int {
		out := map[string]int{}
		for k, n := range reqs {
			if !strings.Contains(k, "nodes/proxy") {
				out[k] = n
			}
		}
		return out
	}
	if a, b := fmt.Sprint(objects(few)), fmt.Sprint(objects(many)); a != b {
		t.Errorf("cluster-object requests grew with the node count: 5 nodes %s, %d nodes %s", a, total, b)
	}
	for k, n := range objects(many) {
		// One question whether the user may use the node proxy at all.
		if k == "create selfsubjectaccessreviews" && n == 1 {
			continue
		}
		if !strings.HasPrefix(k, "list ") {
			t.Errorf("request %q: the scan must only LIST cluster objects, never GET one per node", k)
		}
	}
	for _, res := range []string{"list nodes", "list pods", "list events"} {
		if many[res] < 1 || many[res] > 3 {
			t.Errorf("%q requests: %d, want one LIST (a few pages at most)", res, many[res])
		}
	}
	if got := many["get nodes/proxy"]; got < total {
		t.Errorf("%d kubelet reads for %d nodes", got, total)
	}
}

func adminClient(t *testing.T) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig("admin"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.UserAgent = "e2e-scan-test"
	cfg.QPS, cfg.Burst = 500, 1000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// auditSince counts the plugin's requests logged after mark, by "verb
// resource[/subresource]", each request once (audit logs several stages).
func auditSince(t *testing.T, mark int64) map[string]int {
	t.Helper()
	seen := map[string]bool{}
	out := map[string]int{}
	for _, ev := range auditEvents(t, mark) {
		if !seen[ev.AuditID] {
			seen[ev.AuditID] = true
			out[ev.Verb+" "+ev.resource()]++
		}
	}
	return out
}
