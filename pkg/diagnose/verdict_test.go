package diagnose

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

func TestVerdict(t *testing.T) {
	noNode := func(status snapshot.SourceStatus) func(*snapshot.Snapshot) {
		return func(s *snapshot.Snapshot) {
			s.Node = nil
			setSource(s, snapshot.SourceNode, status, "")
		}
	}
	cases := []struct {
		name    string
		snap    *snapshot.Snapshot
		verdict Verdict
		summary string
	}{
		{"healthy", healthy(), Healthy, "Node worker-3: Ready for 2h"},
		{
			"stale OutOfDisk=Unknown on a Ready node",
			mod(onNode(withCondition("OutOfDisk", corev1.ConditionUnknown, "NodeStatusNeverUpdated", "Kubelet never posted node status.", 400*24*time.Hour))),
			Healthy, "Node worker-3: Ready for 2h",
		},
		{
			"PLEG",
			mod(onNode(notReady("PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s", 4*time.Minute))),
			PLEGUnhealthy, "Node worker-3: NotReady for 4m — PLEG is not healthy (relist last seen 3m5s ago; threshold 3m)",
		},
		{
			"PLEG, old comma-joined with the network",
			mod(onNode(notReady("PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s,runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:docker: network plugin is not ready: cni config uninitialized", 4*time.Minute))),
			PLEGUnhealthy, "Node worker-3: NotReady for 4m — PLEG is not healthy (relist last seen 3m5s ago; threshold 3m)",
		},
		{
			"PLEG, new bracketed message",
			mod(onNode(notReady("[PLEG is not healthy: pleg was last seen active 16h17m4.1s ago; threshold is 3m0s, container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni plugin not initialized]", 16*time.Hour+17*time.Minute))),
			PLEGUnhealthy, "Node worker-3: NotReady for 16h17m — PLEG is not healthy (relist last seen 16h17m4s ago; threshold 3m)",
		},
		{
			// The deepest failure wins: the stale relist follows from the dead runtime.
			"runtime down and PLEG, old comma-joined message",
			mod(onNode(notReady("container runtime is down,PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s", 4*time.Minute))),
			RuntimeDown, "Node worker-3: NotReady for 4m — container runtime down (container runtime is down,PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s)",
		},
		{
			"runtime down and PLEG, new bracketed message",
			mod(onNode(notReady("[container runtime is down, PLEG is not healthy: pleg was last seen active 16h17m4.1s ago; threshold is 3m0s]", 16*time.Hour+17*time.Minute))),
			RuntimeDown, "Node worker-3: NotReady for 16h17m — container runtime down ([container runtime is down, PLEG is not healthy: pleg was last seen active 16h17m4.1s ago; threshold is 3m0s])",
		},
		{
			"PLEG, provider's trailing dot",
			mod(onNode(notReady("PLEG is not healthy: pleg was last seen active 7m24.0513035s ago; threshold is 3m0s.", 5*time.Minute))),
			PLEGUnhealthy, "Node worker-3: NotReady for 5m — PLEG is not healthy (relist last seen 7m24s ago; threshold 3m)",
		},
		{
			"runtime down",
			mod(onNode(notReady("container runtime is down", 4*time.Minute))),
			RuntimeDown, "Node worker-3: NotReady for 4m — container runtime down (container runtime is down)",
		},
		{
			"runtime not ready",
			mod(onNode(notReady("container runtime not ready: RuntimeReady=false reason:DockerDaemonNotReady message:docker: failed to get docker version", time.Minute))),
			RuntimeDown, "Node worker-3: NotReady for 1m — container runtime down (container runtime not ready: RuntimeReady=false reason:DockerDaemonNotReady message:docker: failed to get docker version)",
		},
		{
			"runtime not ready, older capitalised form",
			mod(onNode(notReady("Container runtime not ready", time.Minute))),
			RuntimeDown, "Node worker-3: NotReady for 1m — container runtime down (Container runtime not ready)",
		},
		{
			"network not ready",
			mod(onNode(notReady("container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized", 7*time.Minute))),
			NetworkNotReady, "Node worker-3: NotReady for 7m — network plugin not ready (container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized)",
		},
		{
			"network not ready, older form",
			mod(onNode(notReady("runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:docker: network plugin is not ready: cni config uninitialized", 7*time.Minute))),
			NetworkNotReady, "Node worker-3: NotReady for 7m — network plugin not ready (runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:docker: network plugin is not ready: cni config uninitialized)",
		},
		{
			"kubelet unreachable",
			mod(onNode(withReady(corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status.", 5*time.Minute))),
			KubeletUnreachable, "Node worker-3: NotReady (Unknown) for 5m — Kubelet stopped posting node status.",
		},
		{
			"kubelet unreachable, reason only",
			mod(onNode(withReady(corev1.ConditionUnknown, "NodeStatusNeverUpdated", "", time.Minute))),
			KubeletUnreachable, "Node worker-3: NotReady (Unknown) for 1m — NodeStatusNeverUpdated",
		},
		{
			"starting: runtime status pending",
			mod(onNode(notReady("container runtime status check may not have completed yet", time.Minute))),
			Starting, "Node worker-3: NotReady for 1m — kubelet starting (container runtime status check may not have completed yet)",
		},
		{
			"starting: PLEG yet to be successful",
			mod(onNode(notReady("PLEG is not healthy: pleg has yet to be successful", 30*time.Second))),
			Starting, "Node worker-3: NotReady for 30s — kubelet starting (PLEG is not healthy: pleg has yet to be successful)",
		},
		{
			"NotReady for a reason no rule knows",
			mod(onNode(notReady("node is shutting down", 2*time.Minute))),
			NotReady, "Node worker-3: NotReady for 2m — node is shutting down",
		},
		{
			"NotReady, reason only",
			mod(onNode(notReady("", 2*time.Minute))),
			NotReady, "Node worker-3: NotReady for 2m — KubeletNotReady",
		},
		{
			"no node object",
			mod(noNode(snapshot.StatusForbidden)),
			Unknown, "Node worker-3: readiness cannot be told (node object forbidden)",
		},
		{
			"no Ready condition",
			mod(func(s *snapshot.Snapshot) { s.Node.Status.Conditions = nil }),
			Unknown, "Node worker-3: readiness cannot be told (no Ready condition)",
		},
		{
			"no node object, stale PLEG metric",
			mod(noNode(snapshot.StatusTimeout), plegLastSeen(16*time.Minute+6*time.Second)),
			PLEGUnhealthy, "Node worker-3: readiness unknown (node object timeout), but kubelet metrics say PLEG last relisted 16m6s before collection (threshold 3m)",
		},
		{
			"no node object, fresh PLEG metric",
			mod(noNode(snapshot.StatusTimeout), plegLastSeen(2*time.Minute)),
			Unknown, "Node worker-3: readiness cannot be told (node object timeout)",
		},
		{
			"no node object, EventedPLEG metric within 10m",
			mod(noNode(snapshot.StatusForbidden), eventedPLEG, plegLastSeen(5*time.Minute)),
			Unknown, "Node worker-3: readiness cannot be told (node object forbidden)",
		},
		{
			"no node object, EventedPLEG metric past 10m",
			mod(noNode(snapshot.StatusForbidden), eventedPLEG, plegLastSeen(11*time.Minute)),
			PLEGUnhealthy, "Node worker-3: readiness unknown (node object forbidden), but kubelet metrics say PLEG last relisted 11m before collection (threshold 10m)",
		},
		{
			"nothing collected",
			&snapshot.Snapshot{NodeName: "worker-3", CollectedAt: now},
			Unknown, "Node worker-3: readiness cannot be told (no Ready condition)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, sum := verdict(tc.snap)
			if v != tc.verdict {
				t.Errorf("verdict %s, want %s (summary %q)", v, tc.verdict, sum)
			}
			if sum != tc.summary {
				t.Errorf("summary\n got %q\nwant %q", sum, tc.summary)
			}
		})
	}
}

// A NotReady node only minutes old is a node still starting; an old one
// NotReady for a reason the data does not give is not-ready.
func TestNewNodeIsStarting(t *testing.T) {
	for _, tc := range []struct {
		age  time.Duration
		want Verdict
	}{{40 * time.Second, Starting}, {StartupGrace, Starting}, {StartupGrace + time.Second, NotReady}, {40 * 24 * time.Hour, NotReady}} {
		n := &corev1.Node{}
		n.Name = "w"
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse, Message: "kubectl get nodes: NotReady"}}
		d := Diagnose(&snapshot.Snapshot{NodeName: "w", Node: n, NodeAge: tc.age, Offline: true})
		if d.Verdict != tc.want {
			t.Errorf("age %s: verdict %s, want %s", tc.age, d.Verdict, tc.want)
		}
	}
}

// A pasted events table without a capture time still gives each row's age:
// the newest readiness event is judged, and said, by how long before the
// capture it was.
func TestEventAgesWithoutACaptureTime(t *testing.T) {
	for _, tc := range []struct {
		reason  string
		ago     time.Duration
		want    Verdict
		summary string
	}{
		{"Starting", 2 * time.Minute, Starting, "the kubelet starting, 2m before the capture"},
		{"Starting", 47 * time.Minute, Unknown, "the kubelet starting, 47m before the capture, and no NodeReady since"},
		{"NodeNotReady", 47 * time.Minute, NotReady, "NodeNotReady, 47m before the capture"},
		{"NodeReady", 47 * time.Minute, Healthy, "NodeReady, 47m before the capture"},
	} {
		s := &snapshot.Snapshot{NodeName: "hl", Offline: true, Events: []snapshot.Event{
			{Reason: "NodeNotReady", Message: "Node hl status is now: NodeNotReady", Ago: 3 * time.Hour, AgoKnown: true},
			{Reason: tc.reason, Message: "Node hl status is now: " + tc.reason, Ago: tc.ago, AgoKnown: true},
		}}
		if tc.reason == "Starting" {
			s.Events[1].Message = "Starting kubelet."
		}
		got, why := verdict(s)
		if got != tc.want || !strings.Contains(why, tc.summary) {
			t.Errorf("%s %s before: %s (%s), want %s with %q", tc.reason, tc.ago, got, why, tc.want, tc.summary)
		}
	}
}
