package diagnose

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

const (
	plegStale16m  = "PLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s"
	plegYetToBe   = "PLEG is not healthy: pleg has yet to be successful"
	runtimePend   = "container runtime status check may not have completed yet"
	nodeNotReadyL = `setters.go:552] "Node became not ready" node="worker-3" condition={Type:Ready Status:False LastHeartbeatTime:2026-11-27 08:50:00 +0000 UTC LastTransitionTime:2026-11-27 08:50:00 +0000 UTC Reason:KubeletNotReady Message:PLEG is not healthy: pleg was last seen active 3m0.5s ago; threshold is 3m0s}`
)

func plegLastSeen(d time.Duration) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) { s.Metrics.PLEGLastSeen = ptr(ago(d)) }
}

func eventedPLEG(s *snapshot.Snapshot) { s.Config.FeatureGates["EventedPLEG"] = true }

// The early warning's answer says what is about to happen: NotReady, or,
// on a node NotReady already, PLEG failing too.
func TestRelistLateAnswer(t *testing.T) {
	if f := plegRelistStalled(mod(plegLastSeen(48 * time.Second))); f == nil || f.Answer != "the relist has not run for 48s: NotReady expected in ~2m12s unless the runtime answers" {
		t.Errorf("Ready node: %+v", f)
	}
	if f := plegRelistStalled(mod(plegLastSeen(48*time.Second), onNode(notReady("container runtime is down", time.Minute)))); f == nil || f.Answer != "the relist has not run for 48s: PLEG unhealthy expected in ~2m12s unless the runtime answers" {
		t.Errorf("NotReady node: %+v", f)
	}
}

func TestPLEGRelistStalled(t *testing.T) {
	plegLines := kubeletLog(
		// Every era's form of the same signal (SIGNALS.md §2).
		jline(ago(14*time.Minute), "kubelet", klog('I', ago(14*time.Minute), "kubelet.go:1879] skipping pod synchronization - [PLEG is not healthy: pleg was last seen active 3m0.9s ago; threshold is 3m0s]")),
		kline(ago(5*time.Minute), plegUnhealthyLog),
		fmt.Sprintf(`{"ts":%d,"caller":"kubelet/kubelet.go:2412","msg":"Skipping pod synchronization","err":"PLEG is not healthy: pleg was last seen active 7m24.0513035s ago; threshold is 3m0s"}`, ago(2*time.Minute).UnixMilli()),
	)
	runRule(t, plegRelistStalled, []ruleCase{
		{name: "healthy", snap: healthy()},
		{name: "no data at all", snap: &snapshot.Snapshot{NodeName: "worker-3", CollectedAt: now}},
		{
			name: "Ready=False PLEG only",
			snap: mod(onNode(notReady(plegStale16m, 13*time.Minute))),
			want: &want{sev: Critical, conf: Medium, evidence: []string{"PLEG is not healthy (relist last seen 16m6s ago; threshold 3m)", "13m"}},
		},
		{
			name: "Ready=False PLEG, trailing dot of a provider",
			snap: mod(onNode(notReady("PLEG is not healthy: pleg was last seen active 90h19m2.19s ago; threshold is 3m0s.", 90*time.Hour))),
			want: &want{sev: Critical, conf: Medium, evidence: []string{"relist last seen 3d18h ago; threshold 3m"}},
		},
		{
			name: "Ready=False PLEG and the kubelet log",
			snap: mod(onNode(notReady(plegStale16m, 13*time.Minute)), plegLines),
			want: &want{sev: Critical, conf: High, evidence: []string{
				`3× "PLEG is not healthy" in kubelet log (first 08:46:00Z, last 08:58:00Z, 2m ago); longest staleness 16m6s`,
				"latest: {\"ts\":",
			}},
		},
		{
			name: "Ready=False PLEG and the metric",
			snap: mod(onNode(notReady(plegStale16m, 13*time.Minute)), plegLastSeen(16*time.Minute)),
			want: &want{sev: Critical, conf: High, evidence: []string{"kubelet_pleg_last_seen_seconds: last relist 16m before collection (threshold 3m)"}},
		},
		// The early warning: the relist runs every second, so a relist
		// missing for RelistLateWarning is trouble minutes ahead.
		{name: "metric 29s stale: below the early warning", snap: mod(plegLastSeen(29 * time.Second))},
		{
			name: "metric 48s stale, the node still Ready",
			snap: mod(plegLastSeen(48 * time.Second)),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"last relist 48s before collection, though it runs every second; at 3m the kubelet declares PLEG unhealthy and the node NotReady, ~2m12s from collection"}},
		},
		{
			name: "metric 48s stale, the node already NotReady with its runtime down",
			snap: mod(plegLastSeen(48*time.Second), onNode(notReady("container runtime is down", time.Minute))),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"~2m12s from collection"}},
		},
		{
			// Read from a Prometheus (or a watch's scrape) 20s ago: judged
			// then, 48s, not 68s.
			name: "metric 48s stale when scraped 20s before collection",
			snap: mod(plegLastSeen(68*time.Second), func(s *snapshot.Snapshot) { s.MetricsAt = ago(20 * time.Second) }),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"last relist 48s before the scrape", "~2m12s from the scrape"}},
		},
		{
			name: "a kubelet whose last scrape showed the relist running is not late, however old the scrape",
			snap: mod(plegLastSeen(10*time.Minute+time.Second), func(s *snapshot.Snapshot) { s.MetricsAt = ago(10 * time.Minute) }),
		},
		{
			name: "metric 2m59s stale",
			snap: mod(plegLastSeen(2*time.Minute + 59*time.Second)),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"~1s from collection"}},
		},
		{
			name: "metric at the threshold",
			snap: mod(plegLastSeen(3 * time.Minute)),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"at any moment"}},
		},
		{
			name: "metric 3m1s stale",
			snap: mod(plegLastSeen(3*time.Minute + time.Second)),
			want: &want{sev: Critical, conf: Medium, evidence: []string{"last relist 3m1s before collection (threshold 3m)"}},
		},
		{name: "EventedPLEG: metric 5m stale is within its 10m threshold", snap: mod(eventedPLEG, plegLastSeen(5*time.Minute))},
		{name: "EventedPLEG: metric at 10m", snap: mod(eventedPLEG, plegLastSeen(10*time.Minute))},
		{
			name: "EventedPLEG: metric 10m1s stale",
			snap: mod(eventedPLEG, plegLastSeen(10*time.Minute+time.Second)),
			want: &want{sev: Critical, conf: Medium, evidence: []string{"last relist 10m1s before collection (threshold 10m)"}},
		},
		{name: "EventedPLEG: metric 2m stale is its relist period", snap: mod(eventedPLEG, plegLastSeen(2*time.Minute))},
		{
			// A scan with --prometheus reads no configz: the gate's metric tells.
			name: "EventedPLEG by kubernetes_feature_enabled, without configz",
			snap: mod(func(s *snapshot.Snapshot) {
				s.Config = nil
				s.Metrics.FeatureGates = map[string]bool{"EventedPLEG": true}
			}, plegLastSeen(5*time.Minute)),
		},
		{
			name: "EventedPLEG gate off",
			snap: mod(func(s *snapshot.Snapshot) { s.Config.FeatureGates["EventedPLEG"] = false }, plegLastSeen(2*time.Minute)),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"~1m from collection"}},
		},
		{
			name: "recovered: logged only",
			snap: mod(plegLines),
			want: &want{sev: Warning, conf: High, evidence: []string{`3× "PLEG is not healthy" in kubelet log`, "longest staleness 16m6s"}},
		},
		{
			name: "slow relist p99 at 10s",
			snap: mod(func(s *snapshot.Snapshot) { s.Metrics.RelistP99 = ptr(10 * time.Second) }),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"relist duration p99 10s (≥ 10s)"}},
		},
		{name: "relist p99 9.9s", snap: mod(func(s *snapshot.Snapshot) { s.Metrics.RelistP99 = ptr(9900 * time.Millisecond) })},
		{
			name: "EventedPLEG event channel full",
			snap: mod(onNode(notReady(plegStale16m, 13*time.Minute)), kubeletLog(
				kline(ago(3*time.Minute), `evented.go:179] "EventedPLEG: pleg event channel capacity is full with 1000 events"`))),
			want: &want{sev: Critical, conf: Medium, evidence: []string{"1× PLEG event channel full in kubelet log (at 08:57:00Z, 3m ago)"}},
		},
		{
			name: "Ready=Unknown is not PLEG",
			snap: mod(onNode(withReady(corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status.", 5*time.Minute))),
		},
		{name: "runtime down alone is not PLEG", snap: mod(onNode(notReady("container runtime is down", 5*time.Minute)))},
	})
}

// "PLEG is not healthy: pleg has yet to be successful" is what a kubelet says
// for its first relist (SIGNALS.md §1); within StartupGrace it is no PLEG stall.
func TestPLEGYetToBeSuccessful(t *testing.T) {
	within := mod(onNode(notReady(plegYetToBe, 2*time.Minute)))
	assertFinding(t, plegRelistStalled(within), nil)
	assertFinding(t, startupTransient(within), &want{sev: Info, conf: High, evidence: []string{plegYetToBe}})
	d := Diagnose(within)
	if d.Verdict != Starting || d.Alarm() != NoAlarm {
		t.Errorf("within the grace: verdict %s alarm %v, want %s exit 0 (causes %v)", d.Verdict, d.Alarm(), Starting, causeIDs(d))
	}

	beyond := mod(onNode(notReady(plegYetToBe, 10*time.Minute)))
	assertFinding(t, plegRelistStalled(beyond), &want{sev: Critical, conf: Medium, evidence: []string{"PLEG has not relisted once in 10m since the kubelet started", plegYetToBe}})
	assertFinding(t, startupTransient(beyond), nil)

	// A kubelet that restarted 3m ago and is Ready again logged its first relists.
	restarted := mod(onNode(withReady(corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status", time.Minute)), kubeletLog(
		jline(ago(3*time.Minute), "kubelet", klog('I', ago(3*time.Minute), startLog)),
		kline(ago(2*time.Minute+50*time.Second), `kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg has yet to be successful"`),
		kline(ago(2*time.Minute+40*time.Second), `kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg has yet to be successful"`),
	))
	assertFinding(t, plegRelistStalled(restarted), nil)
}

// Past StartupGrace the verdict must not call a node "starting" while
// pleg-relist-stalled / runtime-down fire critical on the same message.
func TestVerdictStartingBeyondGrace(t *testing.T) {
	for msg, wantV := range map[string]Verdict{plegYetToBe: PLEGUnhealthy, runtimePend: RuntimeDown} {
		s := mod(onNode(notReady(msg, 10*time.Minute)))
		if v, sum := verdict(s); v != wantV {
			t.Errorf("%q for 10m: verdict %s (%s), want %s", msg, v, sum, wantV)
		}
	}
}

// The "still starting" finding must not quote a kubelet start from days ago.
func TestStartupTransientOldStart(t *testing.T) {
	s := mod(onNode(notReady(runtimePend, 2*time.Minute)))
	assertFinding(t, startupTransient(s), &want{sev: Info, conf: High, evidence: []string{runtimePend}, notEvidence: []string{"kubelet started"}})
}

func TestStartupTransient(t *testing.T) {
	started := func(d time.Duration) func(*snapshot.Snapshot) {
		return kubeletLog(jline(ago(d), "kubelet", klog('I', ago(d), startLog)))
	}
	runRule(t, startupTransient, []ruleCase{
		{name: "healthy", snap: healthy()},
		{name: "no node", snap: mod(func(s *snapshot.Snapshot) { s.Node = nil })},
		{
			name: "runtime status pending 2m after the transition",
			snap: mod(onNode(notReady(runtimePend, 2*time.Minute))),
			want: &want{sev: Info, conf: High, evidence: []string{"Ready=False", "2m", runtimePend}},
		},
		{
			name: "runtime status pending at 5m",
			snap: mod(onNode(notReady(runtimePend, 5*time.Minute))),
			want: &want{sev: Info, conf: High, evidence: []string{runtimePend}},
		},
		{name: "runtime status pending at 5m1s", snap: mod(onNode(notReady(runtimePend, 5*time.Minute+time.Second)))},
		{
			name: "bracketed startup message",
			snap: mod(onNode(notReady("[container runtime status check may not have completed yet, PLEG is not healthy: pleg has yet to be successful]", time.Minute))),
			want: &want{sev: Info, conf: High, evidence: []string{"pleg has yet to be successful"}},
		},
		{
			name: "kubelet started 1m ago on a node NotReady for 40m",
			snap: mod(onNode(notReady(runtimePend, 40*time.Minute)), started(time.Minute)),
			want: &want{sev: Info, conf: High, evidence: []string{"kubelet started 1m ago"}},
		},
		{name: "kubelet started 6m ago", snap: mod(onNode(notReady(runtimePend, 40*time.Minute)), started(6*time.Minute))},
		{name: "a stale PLEG message is no startup", snap: mod(onNode(notReady(plegStale16m, time.Minute)))},
		{name: "network not ready is no startup", snap: mod(onNode(notReady("container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni plugin not initialized", time.Minute)))},
	})
}

func TestFlapping(t *testing.T) {
	notReadyEvents := func(count int32, last time.Duration) func(*snapshot.Snapshot) {
		return func(s *snapshot.Snapshot) {
			s.Events = append(s.Events, snapshot.Event{
				Type: "Normal", Reason: "NodeNotReady", Message: "Node worker-3 status is now: NodeNotReady",
				Count: count, First: ago(last + 40*time.Minute), Last: ago(last), Source: "node-controller",
			})
		}
	}
	readyEvents := func(s *snapshot.Snapshot) {
		s.Events = append(s.Events, snapshot.Event{
			Type: "Normal", Reason: "NodeReady", Message: "Node worker-3 status is now: NodeReady",
			Count: 4, First: ago(45 * time.Minute), Last: ago(3 * time.Minute), Source: "kubelet",
		})
	}
	runRule(t, flapping, []ruleCase{
		{name: "healthy", snap: healthy()},
		{name: "no data at all", snap: &snapshot.Snapshot{NodeName: "worker-3", CollectedAt: now}},
		{name: "2 NotReady events", snap: mod(notReadyEvents(2, 5*time.Minute))},
		{
			name: "3 NotReady events",
			snap: mod(notReadyEvents(3, 5*time.Minute), readyEvents),
			want: &want{sev: Warning, conf: High, evidence: []string{
				"3× NodeNotReady events (first 08:15:00Z, last 08:55:00Z)", "4× NodeReady events (last 08:57:00Z)",
			}},
		},
		{
			name: "3 NotReady events over two objects",
			snap: mod(notReadyEvents(2, 5*time.Minute), notReadyEvents(1, 20*time.Minute)),
			want: &want{sev: Warning, conf: High, evidence: []string{"3× NodeNotReady events (first 08:00:00Z, last 08:55:00Z)"}},
		},
		{
			name: "9 NotReady events",
			snap: mod(notReadyEvents(9, 5*time.Minute)),
			want: &want{sev: Warning, conf: High, evidence: []string{"9× NodeNotReady events"}},
		},
		{
			name: "40 NotReady events are still a warning",
			snap: mod(notReadyEvents(40, 5*time.Minute)),
			want: &want{sev: Warning, conf: High, evidence: []string{"40× NodeNotReady events"}},
		},
		{name: "NotReady events older than the window", snap: mod(notReadyEvents(12, 2*time.Hour))},
		{
			name: "kubelet log transitions and restarts",
			snap: mod(kubeletLog(
				jline(ago(50*time.Minute), "kubelet", klog('I', ago(50*time.Minute), startLog)),
				kline(ago(40*time.Minute), nodeNotReadyL),
				jline(ago(30*time.Minute), "kubelet", klog('I', ago(30*time.Minute), startLog)),
				kline(ago(20*time.Minute), nodeNotReadyL),
				kline(ago(10*time.Minute), nodeNotReadyL),
			)),
			want: &want{sev: Warning, conf: High, evidence: []string{
				`3× "Node became not ready" in kubelet log (first 08:20:00Z, last 08:50:00Z, 10m ago)`,
				"2× kubelet start in kubelet log",
			}},
		},
		{
			name: "log and events: the larger count wins",
			snap: mod(notReadyEvents(1, 5*time.Minute), func(s *snapshot.Snapshot) {
				s.KubeletLog = &kubelet.LogSummary{Signals: map[kubelet.Signal]*kubelet.SignalStats{
					kubelet.NodeNotReady: {Count: 11, First: ago(50 * time.Minute), Last: ago(2 * time.Minute)},
				}}
			}),
			want: &want{sev: Warning, conf: High, evidence: []string{"1× NodeNotReady events", `11× "Node became not ready"`}},
		},
	})
}
