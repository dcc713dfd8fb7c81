package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// realFault is one real node's incident, made the way it happens (see
// realnode/faults.sh), and what the plugin must say of it.
type realFault struct {
	node string
	// incident is in the node's Ready condition once the incident is whole
	// ("" for Ready=Unknown).
	incident []string
	// stuckPod is an incident that leaves the node Ready: the pod sleeper-0
	// stays Terminating, its container's stop and status calls timing out.
	stuckPod bool
	verdict  string
	top      []string // acceptable top causes
	exit     int
}

var realFaults = []realFault{
	// containerd frozen: runtime down at once, then PLEG stale as well.
	{node: "real-runtime-frozen", incident: []string{"container runtime is down", "PLEG is not healthy"}, verdict: "runtime-down", top: []string{"runtime-down", "runtime-unresponsive"}, exit: 3},
	// containerd stopped: the same two steps; its socket is gone.
	{node: "real-runtime-stopped", incident: []string{"container runtime is down", "PLEG is not healthy"}, verdict: "runtime-down", top: []string{"runtime-down"}, exit: 3},
	// only the relist's calls hang (the CRI proxy): the textbook PLEG incident.
	{node: "real-relist-hang", incident: []string{"PLEG is not healthy"}, verdict: "pleg-unhealthy", top: []string{"runtime-unresponsive"}, exit: 3},
	// CNI config removed.
	{node: "real-cni-off", incident: []string{"NetworkPluginNotReady"}, verdict: "network-not-ready", top: []string{"cni-not-ready"}, exit: 3},
	// kubelet frozen: the controller-manager turns the node Unknown.
	{node: "real-kubelet-frozen", incident: nil, verdict: "kubelet-unreachable", top: []string{"kubelet-down"}, exit: 3},

	// Docker through the kubelet's dockershim (kubelet 1.23, dockerd 20.10).
	// dockerd frozen: docker version times out (DockerDaemonNotReady), then
	// the relist stalls too.
	{node: "real-docker-frozen", incident: []string{"container runtime is down", "PLEG is not healthy"}, verdict: "runtime-down", top: []string{"runtime-down", "runtime-unresponsive"}, exit: 3},
	// dockerd stopped: "Cannot connect to the Docker daemon", then PLEG.
	{node: "real-docker-stopped", incident: []string{"container runtime is down", "PLEG is not healthy"}, verdict: "runtime-down", top: []string{"runtime-down"}, exit: 3},
	// docker ps (containers/json) held by the node's Docker API proxy: the
	// relist hangs while dockerd answers everything else.
	{node: "real-docker-slow", incident: []string{"PLEG is not healthy"}, verdict: "pleg-unhealthy", top: []string{"runtime-unresponsive"}, exit: 3},
	// sleeper-0's shim frozen, then the pod deleted: docker stop and docker
	// inspect of its container time out (inspect waits on the container's
	// lock), the pod stays Terminating, and the node stays Ready (the relist
	// takes the 15s of each timeout, but ends).
	{node: "real-docker-shim", stuckPod: true, verdict: "healthy", top: []string{"stuck-container", "runtime-unresponsive"}, exit: 3},

	// containerd 2.x, the same three incidents as on 1.6.
	{node: "real-cd2-frozen", incident: []string{"container runtime is down", "PLEG is not healthy"}, verdict: "runtime-down", top: []string{"runtime-down", "runtime-unresponsive"}, exit: 3},
	{node: "real-cd2-stopped", incident: []string{"container runtime is down", "PLEG is not healthy"}, verdict: "runtime-down", top: []string{"runtime-down"}, exit: 3},
	{node: "real-cd2-relist-hang", incident: []string{"PLEG is not healthy"}, verdict: "pleg-unhealthy", top: []string{"runtime-unresponsive"}, exit: 3},
}

// runtimeOfNode is each real node's runtime as its steps must name it: the
// unit, and the CLI that lists its containers (containerd and crictl when
// not listed).
var runtimeOfNode = map[string]struct{ unit, cli string }{
	"real-docker-frozen":  {"docker", "docker"},
	"real-docker-stopped": {"docker", "docker"},
	"real-docker-slow":    {"docker", "docker"},
}

// relistHangs are the relist hangs, one per runtime, that watch follows
// through the heal.
var relistHangs = []string{"real-relist-hang", "real-docker-slow", "real-cd2-relist-hang"}

// earlyFaults are the faults followed from their start for the early
// warning: those that end in NotReady through the runtime or the relist.
var earlyFaults = []string{"real-runtime-frozen", "real-runtime-stopped", "real-relist-hang", "real-kubelet-frozen"}

// EarlyWarningWithin is how soon after a fault diagnose and watch must warn;
// RelistLead is how far ahead of NotReady they must for a relist hang (the
// runtime faults turn the node NotReady within a minute: there the warning
// must only come first).
const (
	EarlyWarningWithin = time.Minute
	RelistLead         = 2 * time.Minute
)

// checkEarlyWarning prints the lead times and the soak, and holds them to
// the goals.
func checkEarlyWarning(t *testing.T, leads map[string]*lead, soaked map[string]*soakResult) {
	t.Helper()
	for _, node := range sortedKeys(leads) {
		l := leads[node]
		t.Logf("early warning %s: %s", node, l)
		switch {
		case l.diagnose == 0 || l.diagnose > EarlyWarningWithin:
			t.Errorf("%s: diagnose warned %v after the fault, want within %v", node, l.diagnose, EarlyWarningWithin)
		case l.watch == 0 || l.watch > EarlyWarningWithin:
			t.Errorf("%s: watch warned %v after the fault, want within %v", node, l.watch, EarlyWarningWithin)
		case l.notReady == 0:
			t.Errorf("%s: never NotReady while followed", node)
		case l.diagnose > l.notReady:
			t.Errorf("%s: diagnose warned %v after the fault, after NotReady at %v", node, l.diagnose, l.notReady)
		case node == "real-relist-hang" && l.notReady-l.diagnose < RelistLead:
			t.Errorf("%s: warned only %v before NotReady, want %v", node, l.notReady-l.diagnose, RelistLead)
		case node == "real-relist-hang" && prometheusURL() != "" && (l.alert == 0 || l.notReady-l.alert < RelistLead):
			t.Errorf("%s: the shipped alerts fired %v after the fault (%s), NotReady at %v: want %v ahead", node, l.alert, l.alertName, l.notReady, RelistLead)
		}
	}
	for _, node := range sortedKeys(soaked) {
		r := soaked[node]
		t.Logf("soak %s: %d samples every 10s, %d raised a false alarm", node, r.samples, len(r.alarms))
		if r.samples < 5 || len(r.alarms) > 0 {
			t.Errorf("soak %s: %d samples, alarms:\n%s", node, r.samples, strings.Join(r.alarms, "\n"))
		}
	}
}

// realNodes lists the real nodes the lab runs.
func realNodes(t *testing.T) map[string]bool {
	t.Helper()
	out := kubectl(t, "get", "nodes", "-l", "pleg.kubectl.io/kubelet=real", "-o", "name")
	nodes := map[string]bool{}
	for _, l := range strings.Fields(out) {
		nodes[strings.TrimPrefix(l, "node/")] = true
	}
	return nodes
}

// readyCondition returns the node's Ready status and message.
func readyCondition(node string) (status, message string) {
	out, err := exec.Command("kubectl", "get", "node", node, "--kubeconfig", kubeconfig("admin"),
		"-o", `jsonpath={range .status.conditions[?(@.type=="Ready")]}{.status}{"\t"}{.message}{end}`).Output()
	if err != nil {
		return "", ""
	}
	status, message, _ = strings.Cut(string(out), "\t")
	return status, message
}

// incidentWhole says the node's Ready condition shows the whole incident;
// for a stuck pod, that the node is Ready and the pod has been Terminating
// for longer than two of the kubelet's 15s stop attempts.
func (f realFault) incidentWhole(status, message string) bool {
	if f.stuckPod {
		return status == "True" && terminatingFor(f.node, "sleeper-0") > 40*time.Second
	}
	if f.incident == nil {
		return status == "Unknown"
	}
	if status != "False" {
		return false
	}
	for _, want := range f.incident {
		if !strings.Contains(message, want) {
			return false
		}
	}
	return true
}

// terminatingFor is how long the pod has been deleted and not gone; 0 when
// it is not Terminating.
func terminatingFor(ns, pod string) time.Duration {
	out, err := exec.Command("kubectl", "get", "pod", pod, "-n", ns, "--kubeconfig", kubeconfig("admin"),
		"-o", "jsonpath={.metadata.deletionTimestamp}").Output()
	if err != nil {
		return 0
	}
	at, err := time.Parse(time.RFC3339, strings.TrimSpace(string(out)))
	if err != nil {
		return 0
	}
	return time.Since(at)
}

// TestRealNodes makes every real incident at once on real kubelets and
// containerds, diagnoses each live and from a collected bundle, scans them,
// heals them and waits for them to come back. With PLEG_REAL_CAPTURE=DIR
// (make real-fixtures) it also saves each node's artifacts into
// DIR/testdata/real and rebuilds DIR/examples from the real incidents.
func TestRealNodes(t *testing.T) {
	needPlugin(t)
	nodes := realNodes(t)
	for _, f := range realFaults {
		if !nodes[f.node] {
			t.Skipf("no real node %s in this lab (PLEG_LAB_REAL=0?)", f.node)
		}
	}
	// The nodes left alone are diagnosed every 10s while the others fail:
	// a soak that must raise no warning (the dense node: its density only).
	stopSoak := soak(map[string][]string{"real-healthy": nil, "real-dense": {"pod-density"}}, 10*time.Second)
	start := time.Now()
	faulted := map[string]time.Time{}
	for _, f := range realFaults {
		if err := lab("fault", f.node); err != nil {
			stopSoak()
			t.Fatalf("fault %s: %v", f.node, err)
		}
		faulted[f.node] = time.Now()
	}
	stopFollowing := followFaults(faulted, earlyFaults, 5*time.Second)
	t.Cleanup(func() { stopFollowing(); stopSoak() }) // a second stop returns at once
	t.Cleanup(func() {
		for _, f := range realFaults {
			lab("heal", f.node)
		}
	})

	// While the PLEG incidents build up (the 3-minute threshold is the
	// kubelet's own), the healthy and dense nodes.
	t.Run("real-healthy", func(t *testing.T) {
		r := pleg(t, kubeconfig("admin"), "diagnose", "real-healthy", "-o", "json")
		if r.code != 0 || r.diag.Verdict != "healthy" || len(r.diag.serious()) > 0 {
			r.dump(t)
			t.Fatalf("exit %d verdict %s causes %v, want 0 healthy and no warning", r.code, r.diag.Verdict, r.diag.causeIDs())
		}
		// No journald on the node: the log query answers a refusal the
		// plugin must not take for the log, and /var/log/kubelet.log is read.
		if s := r.diag.source("kubelet-log"); s == nil || s.Status != "ok" {
			t.Errorf("kubelet-log %+v, want ok from /var/log/kubelet.log", s)
		}
		out := pleg(t, kubeconfig("admin"), "diagnose", "real-healthy")
		read := strings.Join(strings.Fields(out.stdout), " ") // as read, across wrapped lines
		if !strings.Contains(read, "Read another way: kubelet-log: /var/log/kubelet.log (the node log query answered \"options present and query resolved to log files for [kubelet]") {
			t.Errorf("the report does not say the log came from the file, and why:\n%s", out.stdout)
		}
	})
	t.Run("real-dense", func(t *testing.T) {
		r := pleg(t, kubeconfig("admin"), "diagnose", "real-dense", "-o", "json")
		if r.code != 2 || r.diag.Verdict != "healthy" || len(r.diag.Causes) == 0 || r.diag.Causes[0].ID != "pod-density" {
			r.dump(t)
			t.Errorf("exit %d verdict %s causes %v, want 2 healthy pod-density", r.code, r.diag.Verdict, r.diag.causeIDs())
		}
	})

	// Wait for each incident to be whole, as the kubelet reports it.
	incident := map[string]time.Duration{}
	deadline := time.Now().Add(7 * time.Minute)
	for len(incident) < len(realFaults) && time.Now().Before(deadline) {
		for _, f := range realFaults {
			if _, done := incident[f.node]; done {
				continue
			}
			if st, msg := readyCondition(f.node); f.incidentWhole(st, msg) {
				incident[f.node] = time.Since(faulted[f.node]).Round(time.Second)
				t.Logf("%s: incident whole %v after the fault: Ready=%s %q", f.node, incident[f.node], st, msg)
			}
		}
		time.Sleep(3 * time.Second)
	}
	checkEarlyWarning(t, stopFollowing(), stopSoak())
	if len(incident) < len(realFaults) {
		t.Fatalf("incidents whole on %v only, after 7 minutes", incident)
	}

	var wg sync.WaitGroup
	for _, f := range realFaults {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(f.node, func(t *testing.T) { checkRealIncident(t, f) })
		}()
	}
	wg.Wait()

	t.Run("scan ranks the real nodes", func(t *testing.T) {
		r := pleg(t, kubeconfig("admin"), "scan", "-l", "pleg.kubectl.io/kubelet=real", "-o", "json")
		if r.code != 3 || len(r.diag.Items) < len(realFaults)+2 {
			r.dump(t)
			t.Fatalf("exit %d, %d nodes", r.code, len(r.diag.Items))
		}
		rank := map[string]int{}
		for i, d := range r.diag.Items {
			rank[d.Node] = i
		}
		for _, f := range realFaults {
			if rank[f.node] >= len(realFaults) {
				t.Errorf("%s ranked %d, want among the first %d (the critical ones)", f.node, rank[f.node]+1, len(realFaults))
			}
		}
		if rank["real-healthy"] < len(realFaults)+1 {
			t.Errorf("real-healthy ranked %d, after the critical nodes and the dense one", rank["real-healthy"]+1)
		}
		for _, d := range r.diag.Items {
			if d.Node == "real-healthy" && (d.Verdict != "healthy" || len(d.serious()) > 0) {
				t.Errorf("real-healthy in the scan: %s %v, want ok", d.Verdict, d.causeIDs())
			}
		}
		checkLabVersions(t, r.diag.Items)
	})

	if dir := os.Getenv("PLEG_REAL_CAPTURE"); dir != "" {
		captureReal(t, dir)
	}

	// Prometheus's history sees a stall only at its one-minute steps: the
	// relist hang stays unhealed until a minute past its NotReady.
	if wait := time.Until(faulted["real-relist-hang"].Add(PLEGThresholdReal + time.Minute + 10*time.Second)); wait > 0 && prometheusURL() != "" {
		time.Sleep(wait)
	}

	// The fix, watched on real kubelets: watch starts on the textbook PLEG
	// incident, on each runtime, and must see it through the heal to healthy.
	type watched struct {
		lines <-chan string
		wait  func() int
	}
	watches := map[string]watched{}
	for _, node := range relistHangs {
		if !nodes[node] {
			continue
		}
		lines, wait := startWatchAs(t, kubeconfig(fullUser), node, "--until", "healthy", "--stable", "10s", "--interval", "2s", "--timeout", "4m")
		if first := firstObservation(t, lines); first.Verdict != "pleg-unhealthy" || first.GoalMet {
			t.Errorf("watch on %s began with %+v, want pleg-unhealthy", node, first)
		}
		watches[node] = watched{lines, wait}
	}
	healed := map[string]time.Time{}
	for _, f := range realFaults {
		if err := lab("heal", f.node); err != nil {
			t.Errorf("heal %s: %v", f.node, err)
		}
		healed[f.node] = time.Now()
	}
	for _, f := range realFaults {
		if err := lab("wait-ready", f.node, "180"); err != nil {
			t.Errorf("%s did not come back Ready: %v", f.node, err)
			continue
		}
		t.Logf("%s: Ready %v after the heal (incident whole %v after the fault)", f.node, time.Since(healed[f.node]).Round(time.Second), incident[f.node])
	}
	for _, node := range sortedKeys(watches) {
		w := watches[node]
		var sawReady bool
		for line := range w.lines {
			o, _ := parseObservation(line)
			sawReady = sawReady || strings.Contains(strings.Join(o.Changes, " "), "Ready (was NotReady for")
		}
		if code := w.wait(); code != 0 || !sawReady {
			t.Errorf("watch %s --until healthy: exit %d, saw Ready %v; want 0 after the heal", node, code, sawReady)
		} else {
			t.Logf("watch %s --until healthy --stable 10s: exit 0 %v after the heal", node, time.Since(healed[node]).Round(time.Second))
		}
	}
	t.Logf("real incidents: %v from the first fault to every node Ready again", time.Since(start).Round(time.Second))
	checkHistory(t)
}

// checkLabVersions holds the real nodes' own versions — kubelet, runtime,
// kernel, as each Node reports them — to the plugin's table of releases
// with known relist hangs: none of the lab's is in it (the table's sources
// were checked against them: Docker 20.10.24 is after every Docker entry,
// containerd 1.6.20 and 2.4.2 between the shim bugs' ranges, kubelets after
// 1.17). A lab moved to a listed release must say so here.
func checkLabVersions(t *testing.T, scanned []Diagnosis) {
	t.Helper()
	out := kubectl(t, "get", "nodes", "-l", "pleg.kubectl.io/kubelet=real", "-o",
		`jsonpath={range .items[*]}{.metadata.name}{"\t"}{.status.nodeInfo.kubeletVersion}{"\t"}{.status.nodeInfo.containerRuntimeVersion}{"\t"}{.status.nodeInfo.kernelVersion}{"\n"}{end}`)
	versions := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		node, v, _ := strings.Cut(line, "\t")
		versions[node] = strings.ReplaceAll(v, "\t", " ")
	}
	seen := map[string]bool{}
	for _, d := range scanned {
		if v := versions[d.Node]; v != "" && !seen[v] {
			seen[v] = true
			t.Logf("lab versions %s (%s)", v, d.Node)
		}
		for _, c := range d.Causes {
			if c.ID == "known-bug-version" {
				t.Errorf("%s (%s): known-bug-version %v; the lab's releases are in no entry of the table", d.Node, versions[d.Node], c.Evidence)
			}
		}
	}
	if len(seen) < 3 {
		t.Errorf("versions of %d kinds of real node, want containerd 1.6, containerd 2.x and Docker: %v", len(seen), versions)
	}
}

// PLEGThresholdReal is the real kubelet's PLEG threshold (generic PLEG).
const PLEGThresholdReal = 3 * time.Minute

// checkHistory diagnoses the healed relist hang and the healthy real node
// with --prometheus: the lab's Prometheus remembers the stall the events
// and the log window may no longer show, and the healthy node's day raises
// nothing.
func checkHistory(t *testing.T) {
	url := prometheusURL()
	if url == "" {
		return
	}
	t.Run("history from Prometheus", func(t *testing.T) {
		r := pleg(t, kubeconfig("admin"), "diagnose", "real-relist-hang", "--prometheus", url, "-o", "json")
		if src := r.diag.source("history"); src == nil || src.Status != "ok" || !strings.Contains(src.Detail, "no kube-state-metrics") {
			t.Errorf("history source %+v", src)
		}
		ev := strings.Join(r.diag.cause("pleg-relist-stalled").Evidence, "\n")
		if !strings.Contains(ev, "Prometheus: no relist seen for 3m or more 1× in the last 24h") {
			r.dump(t)
			t.Errorf("the healed relist hang's stall is not in its history evidence:\n%s", ev)
		}
		var onTimeline []string
		for _, e := range r.diag.Timeline {
			if e.Source == "prometheus" {
				onTimeline = append(onTimeline, e.Event)
			}
		}
		if got := strings.Join(onTimeline, ", "); got != "no relist seen for 3m or more, relist seen again" {
			t.Errorf("Prometheus on the timeline: %q, want the stall and its end", got)
		}
		t.Logf("real-relist-hang healed, via Prometheus: %s %v; %s", r.diag.Verdict, seriousIDs(r.diag), ev)

		h := pleg(t, kubeconfig("admin"), "diagnose", "real-healthy", "--prometheus", url, "-o", "json")
		if h.code != 0 || len(h.diag.serious()) > 0 || h.diag.cause("flapping").ID != "" || h.diag.cause("pleg-relist-stalled").ID != "" {
			h.dump(t)
			t.Errorf("real-healthy via Prometheus: exit %d causes %v, want 0 and nothing of its history", h.code, h.diag.causeIDs())
		}
	})
}

// checkRealIncident diagnoses one real incident live, then from a bundle
// collected of it: the same verdict and top cause both ways.
func checkRealIncident(t *testing.T, f realFault) {
	r := pleg(t, kubeconfig("admin"), "diagnose", f.node, "-o", "json")
	d := r.diag
	topOK := len(d.Causes) > 0 && slices.Contains(f.top, d.Causes[0].ID)
	if r.code != f.exit || d.Verdict != f.verdict || !topOK {
		r.dump(t)
		t.Errorf("exit %d verdict %s causes %v; want %d %s, first one of %v", r.code, d.Verdict, d.causeIDs(), f.exit, f.verdict, f.top)
	}
	if f.verdict == "runtime-down" || f.verdict == "pleg-unhealthy" {
		checkRuntimeSteps(t, f.node, d)
	}
	if f.node == "real-relist-hang" || f.node == "real-runtime-frozen" {
		// The hung runtime keeps /metrics and /stats/summary waiting while
		// /healthz answers at once: the plugin says so, and uses it.
		text := pleg(t, kubeconfig("admin"), "diagnose", f.node).stdout
		if !strings.Contains(text, "Slow: ") || !strings.Contains(text, "while /healthz answered in") {
			t.Errorf("no slow-source evidence for %s:\n%s", f.node, text)
		}
	}
	bundle := filepath.Join(t.TempDir(), f.node)
	if c := pleg(t, kubeconfig("admin"), "collect", f.node, "-d", bundle); c.code != 0 {
		t.Fatalf("collect %s: exit %d: %s", f.node, c.code, c.stderr)
	}
	off := runPlugin(t, "kubectl", "pleg", "diagnose", "--from-dir", bundle, "-o", "json")
	if off.diag.Verdict != f.verdict || len(off.diag.Causes) == 0 || !slices.Contains(f.top, off.diag.Causes[0].ID) {
		t.Errorf("from its bundle: verdict %s causes %v; live: %s %v", off.diag.Verdict, off.diag.causeIDs(), d.Verdict, d.causeIDs())
	}
	// The metrics from the lab's Prometheus instead of the node proxy: the
	// same diagnosis; and under the role without nodes/proxy, the relist's
	// age is still known.
	if url := prometheusURL(); url != "" {
		for _, user := range []string{"admin", noProxyUser} {
			p := pleg(t, kubeconfig(user), "diagnose", f.node, "--prometheus", url, "-o", "json")
			src := p.diag.source("metrics")
			if src == nil || src.Status != "ok" || !strings.Contains(src.Detail, "Prometheus "+url) {
				t.Errorf("%s --prometheus as %s: metrics source %+v", f.node, user, src)
			}
			// Without nodes/proxy, the load comes from the lab's node-exporter.
			if st := p.diag.source("stats"); user == noProxyUser && (st == nil || st.Status != "ok" || !strings.Contains(st.Detail, "node-exporter series {instance=\""+f.node+"\"}")) {
				t.Errorf("%s --prometheus as %s: stats source %+v, want node-exporter's", f.node, user, st)
			}
			if user == "admin" && (p.diag.Verdict != f.verdict || len(p.diag.Causes) == 0 || !slices.Contains(f.top, p.diag.Causes[0].ID)) {
				t.Errorf("--prometheus: verdict %s causes %v; through the node proxy: %s %v", p.diag.Verdict, p.diag.causeIDs(), d.Verdict, d.causeIDs())
			}
		}
	}
}

// checkRuntimeSteps: the steps of the serious causes name the node's own
// runtime — its unit and its CLI — and never the other one's.
func checkRuntimeSteps(t *testing.T, node string, d Diagnosis) {
	t.Helper()
	rt, ok := runtimeOfNode[node]
	if !ok {
		rt.unit, rt.cli = "containerd", "crictl"
	}
	other := map[string]string{"docker": "containerd", "containerd": "docker"}[rt.unit]
	var runs []string
	for _, c := range d.serious() {
		for _, st := range c.Steps {
			runs = append(runs, st.Run)
		}
	}
	text := strings.Join(runs, "\n")
	if !strings.Contains(text, "systemctl restart "+rt.unit+" && systemctl restart kubelet") ||
		!strings.Contains(text, rt.cli+" ps") && !strings.Contains(text, rt.cli+" version") ||
		strings.Contains(text, "systemctl status "+other) || strings.Contains(text, "-u "+other) {
		t.Errorf("%s's steps do not name %s (%s), or name %s:\n%s", node, rt.unit, rt.cli, other, text)
	}
}
