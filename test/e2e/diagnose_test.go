package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/test/e2e/internal/scenario"
)

// TestLab checks the lab itself, independently of the plugin: every
// scenario is a node, and the API server reaches the simulator through the
// node proxy (so a failure here is a lab bug, not a plugin bug).
func TestLab(t *testing.T) {
	needLab(t)
	scenarios, err := scenario.LoadAll("scenarios")
	if err != nil {
		t.Fatal(err)
	}
	out := kubectl(t, "get", "nodes", "-l", "!pleg.kubectl.io/kubelet", "-o", "name") // the simulated ones
	if got := strings.Count(out, "node/"); got != len(scenarios) {
		t.Errorf("%d nodes, want %d:\n%s", got, len(scenarios), out)
	}
	if got := kubectl(t, "get", "--raw", "/api/v1/nodes/healthy/proxy/healthz"); got != "ok" {
		t.Errorf("healthz via proxy = %q", got)
	}
	logs := kubectl(t, "get", "--raw", "/api/v1/nodes/pleg-stalled/proxy/logs/?query=kubelet&tailLines=1")
	if !strings.Contains(logs, "PLEG is not healthy") {
		t.Errorf("log query via proxy = %q", logs)
	}
	listing := kubectl(t, "get", "--raw", "/api/v1/nodes/logquery-off/proxy/logs/?query=kubelet")
	if !strings.Contains(listing, `<a href="kubelet.log">`) {
		t.Errorf("NodeLogQuery off: want the /var/log listing, got %q", listing)
	}
}

func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("kubectl", append(args, "--kubeconfig", kubeconfig("admin"))...).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestDiagnose is the scenario contract: one classic signature per node.
func TestDiagnose(t *testing.T) {
	needPlugin(t)
	for _, tc := range []struct {
		node    string
		exit    int
		verdict string
		top     string   // "" = no warning or critical cause
		order   []string // these causes appear in this relative order
		check   func(t *testing.T, d Diagnosis)
	}{
		{node: "healthy", exit: 0, verdict: "healthy"},
		{node: "pleg-stalled", exit: 3, verdict: "pleg-unhealthy", top: "pleg-relist-stalled"},
		{node: "tardy-kubelet", exit: 3, verdict: "pleg-unhealthy", top: "pleg-relist-stalled"}, // 200ms per kubelet request
		{node: "runtime-hung", exit: 3, verdict: "pleg-unhealthy", top: "runtime-unresponsive",
			check: func(t *testing.T, d Diagnosis) {
				// The kubelet answers /stats/summary with a 500 here.
				if s := d.source("stats"); s == nil || s.Status != "error" {
					t.Errorf("stats source = %+v, want error (HTTP 500)", s)
				}
			}},
		{node: "runtime-down", exit: 3, verdict: "runtime-down", top: "runtime-down"},
		// The dead NFS server is the root; the container stuck on it is
		// what to look at next, named by the ID that repeats.
		{node: "stuck-container", exit: 3, verdict: "pleg-unhealthy", top: "storage-hung",
			order: []string{"storage-hung", "stuck-container"},
			check: func(t *testing.T, d Diagnosis) {
				if ev := d.cause("stuck-container").Evidence; !strings.Contains(strings.Join(ev, "\n"), "3b8f2c7d9e41") {
					t.Errorf("stuck-container evidence does not name container 3b8f2c7d9e41…: %q", ev)
				}
			}},
		{node: "cni-not-ready", exit: 3, verdict: "network-not-ready", top: "cni-not-ready"},
		{node: "kubelet-down", exit: 3, verdict: "kubelet-unreachable", top: "kubelet-down",
			check: func(t *testing.T, d Diagnosis) {
				if s := d.source("metrics"); s == nil || s.Status != "unavailable" {
					t.Errorf("metrics source = %+v, want unavailable (connection refused)", s)
				}
			}},
		{node: "starting", exit: 0, verdict: "starting", top: "startup-transient"},
		{node: "dense", exit: 2, verdict: "healthy", top: "pod-density"},
		{node: "overloaded", exit: 3, verdict: "pleg-unhealthy", top: "node-overload"},
		// A healthy node that reserves nothing (kubeadm's default) gets the
		// risks as info, and exits 0: no false alarm.
		{node: "no-reservations", exit: 0, verdict: "healthy", top: "missing-reservations",
			order: []string{"missing-reservations", "unbounded-pods"},
			check: func(t *testing.T, d Diagnosis) {
				if s := d.serious(); len(s) > 0 {
					t.Errorf("warnings on a healthy node: %v", s)
				}
			}},
		{node: "old-version", exit: 3, verdict: "pleg-unhealthy", top: "known-bug-version"},
		{node: "flapping", exit: 2, verdict: "healthy", top: "flapping"},
		{node: "multi-cause", exit: 3, verdict: "pleg-unhealthy", top: "runtime-unresponsive",
			order: []string{"runtime-unresponsive", "pod-density", "missing-reservations"}},
		{node: "logquery-off", exit: 3, verdict: "pleg-unhealthy", top: "runtime-unresponsive",
			check: func(t *testing.T, d Diagnosis) {
				// /logs/?query= answers with the /var/log listing: the plugin
				// must notice and read /logs/kubelet.log instead.
				if s := d.source("kubelet-log"); s == nil || s.Status != "ok" {
					t.Errorf("kubelet-log source = %+v, want ok through the file fallback", s)
				}
			}},
	} {
		t.Run(tc.node, func(t *testing.T) {
			r := pleg(t, kubeconfig("admin"), "diagnose", tc.node, "-o", "json")
			d := r.diag
			if r.code != tc.exit {
				t.Errorf("exit code %d, want %d", r.code, tc.exit)
			}
			if d.APIVersion != "pleg.kubectl.io/v1alpha1" || d.Kind != "Diagnosis" || d.Node != tc.node {
				t.Errorf("apiVersion/kind/node = %q/%q/%q", d.APIVersion, d.Kind, d.Node)
			}
			if _, err := time.Parse(time.RFC3339, d.CollectedAt); err != nil {
				t.Errorf("collectedAt %q: %v", d.CollectedAt, err)
			}
			if d.Verdict != tc.verdict {
				t.Errorf("verdict %q, want %q", d.Verdict, tc.verdict)
			}
			serious := d.serious()
			switch {
			case tc.top == "" && len(serious) > 0:
				t.Errorf("want no warning/critical cause, got %v", d.causeIDs())
			case tc.top != "" && (len(d.Causes) == 0 || d.Causes[0].ID != tc.top):
				t.Errorf("top cause %v, want %q first", d.causeIDs(), tc.top)
			}
			if !inOrder(d.causeIDs(), tc.order) {
				t.Errorf("causes %v, want %v in this order", d.causeIDs(), tc.order)
			}
			if tc.check != nil && len(d.Causes) > 0 {
				tc.check(t, d)
			}
			if t.Failed() {
				r.dump(t)
			}
		})
	}
}

// inOrder reports whether every id of want is in got, in want's order.
func inOrder(got, want []string) bool {
	last := -1
	for _, id := range want {
		i := slices.Index(got, id)
		if i <= last {
			return false
		}
		last = i
	}
	return true
}

func TestDiagnoseSeveralNodes(t *testing.T) {
	needPlugin(t)
	r := pleg(t, kubeconfig("admin"), "diagnose", "healthy", "pleg-stalled", "-o", "json")
	if r.code != 3 {
		t.Errorf("exit code %d, want 3 (the worst node)", r.code)
	}
	if r.diag.Kind != "DiagnosisList" || len(r.diag.Items) != 2 {
		t.Errorf("kind %q with %d items, want DiagnosisList of 2", r.diag.Kind, len(r.diag.Items))
		r.dump(t)
	}
}

func TestUnknownNode(t *testing.T) {
	needPlugin(t)
	r := pleg(t, kubeconfig("admin"), "diagnose", "no-such-node", "-o", "json")
	if r.code != 1 || !strings.Contains(r.stderr+r.stdout, "not found") {
		t.Errorf("exit %d, want 1 and a message containing \"not found\"", r.code)
		r.dump(t)
	}
}

// Without nodes/proxy (the shipped no-proxy role) the plugin degrades: kubelet sources are forbidden
// (and say which permission is missing), the diagnosis still comes from
// the node, its events and its pods.
func TestViewerWithoutNodesProxy(t *testing.T) {
	needPlugin(t)
	r := pleg(t, kubeconfig(noProxyUser), "diagnose", "pleg-stalled", "-o", "json")
	d := r.diag
	if r.code != 3 || d.Verdict != "pleg-unhealthy" {
		t.Errorf("exit %d verdict %q, want 3 pleg-unhealthy from the node condition", r.code, d.Verdict)
	}
	for _, name := range []string{"node", "events", "pods"} {
		if s := d.source(name); s == nil || s.Status != "ok" {
			t.Errorf("source %s = %+v, want ok", name, s)
		}
	}
	seen := 0
	for _, name := range kubeletSources {
		s := d.source(name)
		if s == nil {
			continue
		}
		seen++
		if s.Status != "forbidden" || !strings.Contains(s.Reason, "nodes/proxy") {
			t.Errorf("source %s = %+v, want forbidden with a reason naming nodes/proxy", name, s)
		}
	}
	if seen == 0 {
		t.Errorf("no kubelet source reported (want them listed as forbidden)")
	}
	if t.Failed() {
		r.dump(t)
	}
}

func TestAPIServerDown(t *testing.T) {
	needPlugin(t)
	// A port that was just free: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	b, err := os.ReadFile(kubeconfig("admin"))
	if err != nil {
		t.Fatal(err)
	}
	var kc []string
	for line := range strings.Lines(string(b)) {
		if strings.Contains(line, "server: ") {
			line = "    server: https://" + addr + "\n"
		}
		kc = append(kc, line)
	}
	path := filepath.Join(t.TempDir(), "down.kubeconfig")
	if err := os.WriteFile(path, []byte(strings.Join(kc, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	r := pleg(t, path, "diagnose", "healthy", "-o", "json", "--request-timeout", "5s")
	msg := r.stderr + r.stdout
	if r.code != 1 || !(strings.Contains(msg, addr) || strings.Contains(msg, "refused")) || strings.Contains(msg, "goroutine ") {
		t.Errorf("exit %d, want 1 and a one-line message naming %s or the refused connection", r.code, addr)
		r.dump(t)
	}
	// A watch that never reached the API server is the tool failing (1),
	// with or without a goal: never a quiet 0, never the timeout's 3.
	for _, until := range [][]string{nil, {"--until", "ready"}} {
		r := pleg(t, path, append([]string{"watch", "healthy", "--timeout", "3s"}, until...)...)
		if r.code != 1 || !strings.Contains(r.stderr, "the watch ended before the nodes could be read") {
			t.Errorf("watch %v against no API server: exit %d, want 1 saying it never read the node", until, r.code)
			r.dump(t)
		}
	}
}

// A kubelet that accepts connections but never answers must cost at most
// one --source-timeout (sources are fetched concurrently), not hang.
func TestKubeletHang(t *testing.T) {
	needPlugin(t)
	const timeout = 3 * time.Second
	r := pleg(t, kubeconfig("admin"), "diagnose", "kubelet-hang", "-o", "json", "--source-timeout", timeout.String())
	if limit := timeout + 7*time.Second; r.took > limit {
		t.Errorf("took %v, want under %v", r.took, limit)
	}
	if r.code != 3 || r.diag.Verdict != "kubelet-unreachable" {
		t.Errorf("exit %d verdict %q, want 3 kubelet-unreachable", r.code, r.diag.Verdict)
	}
	seen := 0
	for _, name := range kubeletSources {
		if s := r.diag.source(name); s != nil {
			seen++
			if s.Status != "timeout" {
				t.Errorf("source %s = %+v, want timeout", name, s)
			}
		}
	}
	if seen == 0 {
		t.Errorf("no kubelet source reported")
	}
	if t.Failed() {
		r.dump(t)
	}
}

// A 1 GiB kubelet journal must be read within bounded memory. The plugin
// binary runs directly (not via kubectl, which execs it) so that rusage
// measures the plugin alone.
func TestHugeLog(t *testing.T) {
	needPlugin(t)
	const maxRSS = 256 << 10 // KiB
	r := runPlugin(t, "kubectl-pleg", "diagnose", "huge-log", "-o", "json", "--kubeconfig", kubeconfig("admin"))
	t.Logf("peak RSS %d MiB, took %v", r.maxRSSKiB>>10, r.took.Round(time.Millisecond))
	if r.maxRSSKiB > maxRSS {
		t.Errorf("peak RSS %d MiB, want under %d MiB", r.maxRSSKiB>>10, maxRSS>>10)
	}
	if r.code != 3 || r.diag.Verdict != "pleg-unhealthy" || len(r.diag.Causes) == 0 || r.diag.Causes[0].ID != "runtime-unresponsive" {
		t.Errorf("exit %d verdict %q causes %v, want 3 pleg-unhealthy runtime-unresponsive", r.code, r.diag.Verdict, r.diag.causeIDs())
	}
	if t.Failed() {
		r.dump(t)
	}
}
