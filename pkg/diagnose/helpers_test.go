package diagnose

import (
	"fmt"

	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// now is the collection time of every test snapshot. Rules never read the
// clock, so every time in a test is relative to it.
var now = time.Date(2026, time.November, 27, 9, 0, 0, 0, time.UTC)

// ago returns the time d before now.
func ago(d time.Duration) time.Time { return now.Add(-d) }

// nodeOpt changes a test node.
type nodeOpt func(*corev1.Node)

// newNode returns worker-3: Ready for 2h, 8 cores, 32Gi, 110 pods, reservations
// visible in allocatable CPU, kubelet v1.30.4 on containerd 1.7.20.
func newNode(opts ...nodeOpt) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "worker-3"},
		Status: corev1.NodeStatus{
			Capacity:    resources("8", "32Gi", "110"),
			Allocatable: resources("7910m", "31Gi", "110"),
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion:          "v1.30.4",
				ContainerRuntimeVersion: "containerd://1.7.20",
			},
		},
	}
	withReady(corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status", 2*time.Hour)(n)
	for _, o := range opts {
		o(n)
	}
	return n
}

func resources(cpu, mem, pods string) corev1.ResourceList {
	rl := corev1.ResourceList{}
	if cpu != "" {
		rl[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	if mem != "" {
		rl[corev1.ResourceMemory] = resource.MustParse(mem)
	}
	if pods != "" {
		rl[corev1.ResourcePods] = resource.MustParse(pods)
	}
	return rl
}

// withCondition sets (or replaces) the condition of type t, transitioned since ago.
func withCondition(t corev1.NodeConditionType, status corev1.ConditionStatus, reason, msg string, since time.Duration) nodeOpt {
	return func(n *corev1.Node) {
		c := corev1.NodeCondition{
			Type: t, Status: status, Reason: reason, Message: msg,
			LastHeartbeatTime:  metav1.NewTime(ago(10 * time.Second)),
			LastTransitionTime: metav1.NewTime(ago(since)),
		}
		for i := range n.Status.Conditions {
			if n.Status.Conditions[i].Type == t {
				n.Status.Conditions[i] = c
				return
			}
		}
		n.Status.Conditions = append(n.Status.Conditions, c)
	}
}

func withReady(status corev1.ConditionStatus, reason, msg string, since time.Duration) nodeOpt {
	return withCondition(corev1.NodeReady, status, reason, msg, since)
}

// notReady is the kubelet's Ready=False with reason KubeletNotReady.
func notReady(msg string, since time.Duration) nodeOpt {
	return withReady(corev1.ConditionFalse, "KubeletNotReady", msg, since)
}

func withVersions(kubeletVersion, runtimeVersion string) nodeOpt {
	return func(n *corev1.Node) {
		n.Status.NodeInfo.KubeletVersion = kubeletVersion
		n.Status.NodeInfo.ContainerRuntimeVersion = runtimeVersion
	}
}

func withCapacity(cpu, mem, pods string) nodeOpt {
	return func(n *corev1.Node) { n.Status.Capacity = resources(cpu, mem, pods) }
}

func withAllocatable(cpu, mem, pods string) nodeOpt {
	return func(n *corev1.Node) { n.Status.Allocatable = resources(cpu, mem, pods) }
}

// allSources are the sources a complete collection reads.
var allSources = []snapshot.SourceName{
	snapshot.SourceNode, snapshot.SourceEvents, snapshot.SourcePods, snapshot.SourceKubeletLog,
	snapshot.SourceRuntimeLog, snapshot.SourceSystemLog, snapshot.SourceMetrics, snapshot.SourceStats,
	snapshot.SourceConfigz, snapshot.SourceHealthz,
}

func okSources() []snapshot.Source {
	var out []snapshot.Source
	for _, n := range allSources {
		out = append(out, snapshot.Source{Name: n, Status: snapshot.StatusOK})
	}
	return out
}

// setSource sets the status of one source, adding it when absent.
func setSource(s *snapshot.Snapshot, name snapshot.SourceName, status snapshot.SourceStatus, reason string) {
	for i := range s.Sources {
		if s.Sources[i].Name == name {
			s.Sources[i].Status, s.Sources[i].Reason = status, reason
			return
		}
	}
	s.Sources = append(s.Sources, snapshot.Source{Name: name, Status: status, Reason: reason})
}

func ptr[T any](v T) *T { return &v }

// pods returns n running Burstable pods named app-0..app-n-1.
func pods(n int) []snapshot.Pod {
	out := make([]snapshot.Pod, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, snapshot.Pod{
			Namespace: "shop", Name: fmt.Sprintf("app-%d", i), Phase: corev1.PodRunning,
			QOSClass: corev1.PodQOSBurstable, Containers: 1, App: "app",
		})
	}
	return out
}

// npdPod is a node-problem-detector DaemonSet pod.
var npdPod = snapshot.Pod{
	Namespace: "kube-system", Name: "node-problem-detector-x7k2p", Phase: corev1.PodRunning,
	QOSClass: corev1.PodQOSBurstable, Containers: 1, App: "node-problem-detector",
	Images: []string{"registry.k8s.io/node-problem-detector/node-problem-detector:v0.8.19"},
}

// healthy returns a complete snapshot of a healthy node: every source read,
// nothing wrong in it. Each call returns a fresh value the test may change.
func healthy() *snapshot.Snapshot {
	return &snapshot.Snapshot{
		NodeName:    "worker-3",
		CollectedAt: now,
		Node:        newNode(),
		Pods:        append(pods(20), npdPod),
		KubeletLog: scan(
			jline(ago(3*24*time.Hour), "kubelet", klog('I', ago(3*24*time.Hour), `kubelet.go:2337] "Starting kubelet main sync loop"`)),
			jline(ago(time.Minute), "kubelet", klog('I', ago(time.Minute), `kubelet.go:2453] "SyncLoop (probe)" probe="readiness" status="ready" pod="shop/app-1"`)),
		),
		RuntimeLog: scan(jline(ago(time.Minute), "containerd", `time="2026-11-27T08:59:00Z" level=info msg="ImageCreate event"`)),
		SystemLog:  scan(jline(ago(time.Minute), "systemd", "Started Session 42 of User core.")),
		Metrics: &kubelet.Metrics{
			PLEGLastSeen: ptr(ago(time.Second)),
			RelistP99:    ptr(50 * time.Millisecond),
			RelistCount:  250000,
			RunningPods:  ptr(21),
			Containers:   map[string]int{"running": 24, "exited": 3},
			Operations:   map[string]*kubelet.RuntimeOperation{"list_containers": {Total: 250000}},
			GitVersion:   "v1.30.4",
		},
		Stats: &kubelet.NodeStats{
			Time:             ago(5 * time.Second),
			CPUUsageCores:    ptr(2.5),
			MemoryWorkingSet: ptr(uint64(12 << 30)),
			FSAvailable:      ptr(uint64(60 << 30)),
			FSCapacity:       ptr(uint64(100 << 30)),
			ImageFSAvailable: ptr(uint64(60 << 30)),
			ImageFSCapacity:  ptr(uint64(100 << 30)),
			PIDsRunning:      ptr(int64(900)),
			PIDsMax:          ptr(int64(4194304)),
			IOPressure:       ptr(1.5),
		},
		Config: &kubelet.Config{
			MaxPods:        110,
			SystemReserved: map[string]string{"cpu": "90m", "memory": "1Gi"},
			FeatureGates:   map[string]bool{},
		},
		Healthz:   &snapshot.Healthz{OK: true, Body: "ok"},
		LogWindow: time.Hour,
		Sources:   okSources(),
	}
}

// mod returns the healthy snapshot changed by fns.
func mod(fns ...func(*snapshot.Snapshot)) *snapshot.Snapshot {
	s := healthy()
	for _, fn := range fns {
		fn(s)
	}
	return s
}

// onNode changes the snapshot's node.
func onNode(opts ...nodeOpt) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) {
		for _, o := range opts {
			o(s.Node)
		}
	}
}

// kubeletLog replaces the kubelet log with the summary of lines.
func kubeletLog(lines ...string) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) { s.KubeletLog = scan(lines...) }
}

// scan runs real log lines through the kubelet log scanner, with now as the reference.
func scan(lines ...string) *kubelet.LogSummary {
	sums, err := kubelet.ScanLogTail(strings.NewReader(strings.Join(lines, "\n")+"\n"), 0, kubelet.ScanOptions{Ref: now})
	if err != nil {
		panic(err)
	}
	return sums[0]
}

// jline prefixes msg as journald prints it: "Nov 27 08:55:01.000000 worker-3 kubelet[1234]: msg".
func jline(at time.Time, ident, msg string) string {
	return fmt.Sprintf("%s worker-3 %s[1234]: %s", at.Format("Jan _2 15:04:05.000000"), ident, msg)
}

// klog prefixes msg with a klog header: "E1127 08:55:01.000000    1234 msg".
func klog(level byte, at time.Time, msg string) string {
	return fmt.Sprintf("%c%s    1234 %s", level, at.Format("0102 15:04:05.000000"), msg)
}

// kline is a kubelet error line in the journal, at time at.
func kline(at time.Time, msg string) string {
	return jline(at, "kubelet", klog('E', at, msg))
}

// klines returns n kubelet error lines, one every 10s ending 1m before now;
// msg gets the line's index.
func klines(n int, msg func(i int) string) []string {
	var out []string
	for i := 0; i < n; i++ {
		at := ago(time.Minute + time.Duration(n-1-i)*10*time.Second)
		out = append(out, kline(at, msg(i)))
	}
	return out
}

// inAnHourOfLog puts lines at the end of an hour of ordinary kubelet lines,
// one every 10s, as a live collection reads them.
func inAnHourOfLog(lines ...string) []string {
	var out []string
	for i := 360; i > 6; i-- {
		at := ago(time.Duration(i) * 10 * time.Second)
		out = append(out, jline(at, "kubelet", klog('I', at, `kubelet.go:2453] "SyncLoop (probe)" probe="readiness" status="ready" pod="shop/app-1"`)))
	}
	return append(out, lines...)
}

// cid returns a distinct 64-hex-digit container ID whose 13-character short form differs too.
func cid(i int) string {
	return fmt.Sprintf("%04x", i) + strings.Repeat("e3b0c442", 7) + "98fc"
}

// Real kubelet strings (SIGNALS.md §2).
const (
	listContainersTimeout = `remote_runtime.go:390] "ListContainers with filter from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" filter="&ContainerFilter{Id:,State:nil,PodSandboxId:,LabelSelector:map[string]string{},}"`
	relistFailed          = `generic.go:205] "GenericPLEG: Unable to retrieve pods" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded"`
	plegUnhealthyLog      = `kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s"`
	runtimeResetLog       = `remote_runtime.go:390] "ListContainers with filter from runtime service failed" err="rpc error: code = Unavailable desc = error reading from server: read unix @->/run/containerd/containerd.sock: read: connection reset by peer"`
	networkNotReadyLog    = `kubelet.go:2862] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"`
	startLog              = `kubelet.go:2337] "Starting kubelet main sync loop"`
)

func containerStatusTimeout(id string) string {
	return fmt.Sprintf(`remote_runtime.go:625] "ContainerStatus from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" containerID=%q`, id)
}

func sandboxStatusTimeout(id string) string {
	return fmt.Sprintf(`remote_runtime.go:479] "PodSandboxStatus from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" podSandboxID=%q`, id)
}

// want is what a rule must return; a nil *want means it must not fire.
type want struct {
	sev  Severity
	conf Confidence
	// evidence are substrings that must each appear in some evidence line.
	evidence []string
	// notEvidence must appear in no evidence line.
	notEvidence []string
}

type ruleCase struct {
	name string
	snap *snapshot.Snapshot
	want *want
}

func runRule(t *testing.T, check func(*snapshot.Snapshot) *Finding, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Helper()
			assertFinding(t, check(tc.snap), tc.want)
		})
	}
}

func assertFinding(t *testing.T, f *Finding, w *want) {
	t.Helper()
	if w == nil {
		if f != nil {
			t.Fatalf("fired, want no finding: %s/%s %q", f.Severity, f.Confidence, f.Evidence)
		}
		return
	}
	if f == nil {
		t.Fatalf("did not fire, want %s/%s", w.sev, w.conf)
	}
	if f.Severity != w.sev || f.Confidence != w.conf {
		t.Errorf("got %s/%s, want %s/%s (evidence %q)", f.Severity, f.Confidence, w.sev, w.conf, f.Evidence)
	}
	joined := strings.Join(f.Evidence, "\n")
	for _, sub := range w.evidence {
		if !strings.Contains(joined, sub) {
			t.Errorf("evidence lacks %q:\n%s", sub, joined)
		}
	}
	for _, sub := range w.notEvidence {
		if strings.Contains(joined, sub) {
			t.Errorf("evidence has %q:\n%s", sub, joined)
		}
	}
	if len(f.Steps) == 0 {
		t.Errorf("fired without next steps")
	}
}

// stepsText is a finding's steps in one line each, as Remediation says them.
func stepsText(f *Finding) string {
	var lines []string
	for _, st := range f.Steps {
		lines = append(lines, st.String())
	}
	return strings.Join(lines, "\n")
}

// causeIDs lists the IDs of a diagnosis's causes, in rank order.
func causeIDs(d *Diagnosis) []string {
	var ids []string
	for _, c := range d.Causes {
		ids = append(ids, string(c.ID))
	}
	return ids
}
