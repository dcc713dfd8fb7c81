package diagnose

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Verdict is the node's state in one word.
type Verdict string

// Verdicts.
const (
	Healthy            Verdict = "healthy"
	PLEGUnhealthy      Verdict = "pleg-unhealthy"
	RuntimeDown        Verdict = "runtime-down"
	NetworkNotReady    Verdict = "network-not-ready"
	KubeletUnreachable Verdict = "kubelet-unreachable"
	Starting           Verdict = "starting"
	// NotReady is a node not Ready for a reason the data does not show.
	NotReady Verdict = "not-ready"
	Unknown  Verdict = "unknown"
)

// nodeState is the node's state at capture time, as the data shows it.
type nodeState struct {
	verdict Verdict
	summary string
	// notReady says the data shows the node NotReady, whatever the verdict
	// (Unknown when it does not say why).
	notReady bool
}

// evidence is the summary as a cause's evidence: without the node's name,
// which the report has said already.
func (st nodeState) evidence(s *snapshot.Snapshot) string {
	return strings.TrimPrefix(st.summary, "Node "+nodeInProse(s)+": ")
}

// verdict is stateOf's verdict and summary.
func verdict(s *snapshot.Snapshot) (Verdict, string) {
	st := stateOf(s)
	return st.verdict, st.summary
}

// stateOf reads the node's state from its Ready condition; without one, from
// whatever else shows it — where the kubelet's log ends, its health check,
// its relist gauge, the node's newest readiness event — and says "unknown"
// rather than "healthy" when nothing does.
func stateOf(s *snapshot.Snapshot) nodeState {
	name := "Node " + nodeInProse(s)
	ready := s.Ready()
	if ready == nil {
		// What the node controller wrote on the object: the other
		// conditions turned Unknown with the Ready row, its taints.
		if why, _, ok := controllerGaveUp(s); ok {
			return nodeState{verdict: KubeletUnreachable, notReady: true, summary: name + ": NotReady (Unknown) — " + why}
		}
		if s.Node != nil && hasTaint(s.Node, notReadyTaint) {
			return nodeState{verdict: NotReady, notReady: true, summary: name + ": NotReady — the node carries the " + notReadyTaint + " taint, for a reason the data does not give"}
		}
		// The units' status is the process itself, taken at the capture:
		// it outranks what the log said before.
		if st, ok := unitsState(s); ok {
			st.summary = name + ": " + st.summary
			return st
		}
		if st, ok := logState(s); ok {
			st.summary = name + ": " + st.summary
			return st
		}
		if syncLoopFailing(s) {
			return nodeState{verdict: PLEGUnhealthy, summary: fmt.Sprintf("%s: kubelet /healthz fails its syncloop check: the sync loop is stalled, which a stale PLEG or runtime causes (%s)", name, s.Healthz.Body)}
		}
		why := "no Ready condition"
		if src, ok := s.Source(snapshot.SourceNode); ok && src.Status != snapshot.StatusOK {
			why = "node object " + string(src.Status)
		}
		if stale, ok := metricsStaleness(s); ok && stale > plegThreshold(s) {
			return nodeState{verdict: PLEGUnhealthy, summary: fmt.Sprintf("%s: readiness unknown (%s), but kubelet metrics say PLEG last relisted %s before collection (threshold %s)",
				name, why, humanize.Duration(stale), humanize.Duration(plegThreshold(s)))}
		}
		if st, ok := eventState(s); ok {
			st.summary = name + ": " + st.summary
			return st
		}
		return nodeState{verdict: Unknown, summary: fmt.Sprintf("%s: readiness cannot be told (%s)", name, why)}
	}
	since := age(s, ready.LastTransitionTime.Time)
	notReady := func(v Verdict, format string, args ...any) nodeState {
		return nodeState{verdict: v, summary: fmt.Sprintf(format, args...), notReady: true}
	}
	switch ready.Status {
	case corev1.ConditionTrue:
		return nodeState{verdict: Healthy, summary: fmt.Sprintf("%s: Ready for %s", name, since)}
	case corev1.ConditionUnknown:
		return notReady(KubeletUnreachable, "%s: NotReady (Unknown) for %s — %s", name, since, firstNonEmpty(ready.Message, ready.Reason))
	}
	// The deepest failure the kubelet names wins: "[container runtime is
	// down, PLEG is not healthy: ...]" is a dead runtime, of which the stale
	// relist is a consequence.
	sigs := kubelet.ClassifyString(ready.Message)
	switch {
	case sigs.Has(kubelet.RuntimeDown):
		return notReady(RuntimeDown, "%s: NotReady for %s — container runtime down (%s)", name, since, ready.Message)
	case sigs.Has(kubelet.PLEGUnhealthy):
		msg := fmt.Sprintf("%s: NotReady for %s — PLEG is not healthy", name, since)
		if p, ok := kubelet.ParsePLEGStaleness(ready.Message); ok {
			msg += fmt.Sprintf(" (relist last seen %s ago; threshold %s)", humanize.Duration(p.Stale), humanize.Duration(p.Threshold))
		}
		return notReady(PLEGUnhealthy, "%s", msg)
	case sigs.Has(kubelet.NetworkNotReady):
		return notReady(NetworkNotReady, "%s: NotReady for %s — network plugin not ready (%s)", name, since, ready.Message)
	case (sigs.Has(kubelet.PLEGNotYetSuccessful) || sigs.Has(kubelet.RuntimeStatusPending)) && startedRecently(s):
		return notReady(Starting, "%s: NotReady for %s — kubelet starting (%s)", name, since, ready.Message)
	case sigs.Has(kubelet.PLEGNotYetSuccessful):
		return notReady(PLEGUnhealthy, "%s: NotReady for %s — PLEG has not relisted once (%s)", name, since, ready.Message)
	case sigs.Has(kubelet.RuntimeStatusPending):
		return notReady(RuntimeDown, "%s: NotReady for %s — runtime status check never completed (%s)", name, since, ready.Message)
	}
	if a, ok := nodeAge(s); ok && a <= StartupGrace {
		return notReady(Starting, "%s: NotReady, a node registered %s before the capture, still starting — %s", name, humanize.Duration(a), firstNonEmpty(ready.Message, ready.Reason))
	}
	return notReady(NotReady, "%s: NotReady for %s — %s", name, since, firstNonEmpty(ready.Message, ready.Reason))
}

// nodeAge is how old the node was at the capture, when the data tells.
func nodeAge(s *snapshot.Snapshot) (time.Duration, bool) {
	switch {
	case s.NodeAge > 0:
		return s.NodeAge, true
	case s.Node != nil && !s.Node.CreationTimestamp.IsZero() && !s.CollectedAt.IsZero():
		return s.CollectedAt.Sub(s.Node.CreationTimestamp.Time), true
	}
	return 0, false
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// nodeInProse names the node in sentences; data that never names it is "(unnamed)".
func nodeInProse(s *snapshot.Snapshot) string {
	if s.NodeName == "" {
		return "(unnamed)"
	}
	return s.NodeName
}

// syncLoopFailing says the kubelet answered /healthz with a failing syncloop
// check: it is alive, but its sync loop has stopped, as it does while PLEG
// or the runtime fail.
func syncLoopFailing(s *snapshot.Snapshot) bool {
	return s.Healthz != nil && !s.Healthz.OK && strings.Contains(s.Healthz.Body, "syncloop failed")
}

// readinessEvents are the node events that say what its readiness became.
var readinessEvents = map[string]bool{"NodeReady": true, "NodeNotReady": true, "Starting": true}

// conditionBecame is what a Karpenter condition event says a condition
// became ("Status condition transitioned, Type: Ready, Status: True ->
// Unknown, Reason: NodeStatusUnknown"): its type and new status, or "".
func conditionBecame(e *snapshot.Event) (cond, to string) {
	_, rest, ok := strings.Cut(e.Message, "Status condition transitioned, Type: ")
	if !ok {
		return "", ""
	}
	cond, rest, _ = strings.Cut(rest, ",")
	_, to, _ = strings.Cut(rest, " -> ")
	to, _, _ = strings.Cut(to, ",")
	return cond, strings.TrimSpace(to)
}

// readinessOf says what a node event says of its readiness: its reason for
// the kubelet's and the controller's events; "Ready", "NotReady" or
// "Unknown" for a Karpenter condition event (every condition turns Unknown
// when the kubelet stops posting status); "" for any other event.
func readinessOf(e *snapshot.Event) string {
	if readinessEvents[e.Reason] {
		if e.Reason == "Starting" && !strings.Contains(e.Source+e.Message, "kubelet") {
			return "" // kube-proxy's start
		}
		return e.Reason
	}
	// What the node controller concluded, read from its log.
	switch e.Reason {
	case "NodeStatusUnknown":
		return "Unknown"
	case "MarkedPodsNotReady":
		return "NodeNotReady" // it marks a node's pods not ready when the node is not
	case "TaintAdded":
		if strings.Contains(e.Message, "unresponsive") || strings.Contains(e.Message, "unreachable") {
			return "Unknown"
		}
		return "NodeNotReady"
	}
	switch cond, to := conditionBecame(e); {
	case to == "Unknown":
		return "Unknown"
	case cond == "Ready" && to == "True":
		return "NodeReady"
	case cond == "Ready" && to == "False":
		return "NodeNotReady"
	}
	return ""
}

// eventState reads the node's state from its newest readiness event
// (NodeReady, NodeNotReady, a kubelet start), for data that has events and
// nothing better.
func eventState(s *snapshot.Snapshot) (nodeState, bool) {
	var latest *snapshot.Event
	for i := range s.Events {
		e := &s.Events[i]
		if readinessOf(e) == "" {
			continue
		}
		// Events come oldest first (kubectl sorts them so); times, when
		// known, decide.
		if latest == nil || !e.Last.Before(latest.Last) {
			latest = e
		}
	}
	if latest == nil {
		return nodeState{}, false
	}
	when, ago, aged := "", time.Duration(0), false
	switch {
	case !latest.Last.IsZero() && !s.CollectedAt.IsZero():
		when, ago, aged = ", "+humanize.Ago(latest.Last, s.CollectedAt), s.CollectedAt.Sub(latest.Last), true
	case latest.AgoKnown:
		// A pasted events table's age, with no time to anchor it to.
		when, ago, aged = ", "+humanize.Duration(latest.Ago)+" before the capture", latest.Ago, true
	}
	switch readinessOf(latest) {
	case "Unknown":
		return nodeState{verdict: KubeletUnreachable, notReady: true, summary: fmt.Sprintf("its newest readiness event says the node's conditions became Unknown%s: %s", when, latest.Message)}, true
	case "NodeReady":
		return nodeState{verdict: Healthy, summary: fmt.Sprintf("its newest readiness event is NodeReady%s (no Ready condition in the data)", when)}, true
	case "Starting":
		// A start is "starting" only while it is recent; when the data
		// cannot tell, that the node has not reported Ready since is all
		// there is to say.
		if aged && ago <= StartupGrace {
			return nodeState{verdict: Starting, summary: fmt.Sprintf("its newest readiness event is the kubelet starting%s (no Ready condition in the data)", when)}, true
		}
		if aged {
			return nodeState{verdict: Unknown, summary: fmt.Sprintf("its newest readiness event is the kubelet starting%s, and no NodeReady since", when)}, true
		}
		return nodeState{verdict: Unknown, summary: "its newest readiness event is the kubelet starting, at a time the data does not give, and no NodeReady since"}, true
	}
	return nodeState{verdict: NotReady, notReady: true, summary: fmt.Sprintf("its newest readiness event is NodeNotReady%s, for a reason the data does not give", when)}, true
}

// Taints the node lifecycle controller puts on a node that is not Ready.
const (
	unreachableTaint = "node.kubernetes.io/unreachable"
	notReadyTaint    = "node.kubernetes.io/not-ready"
)

func hasTaint(n *corev1.Node, key string) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key {
			return true
		}
	}
	return false
}

// controllerGaveUp says, for a node whose Ready row the data lacks, that the
// node controller marked it unreachable: it turns every condition Unknown
// ("Kubelet stopped posting node status") and taints the node unreachable.
func controllerGaveUp(s *snapshot.Snapshot) (string, Confidence, bool) {
	if s.Node == nil {
		return "", 0, false
	}
	for _, c := range s.Node.Status.Conditions {
		if c.Status == corev1.ConditionUnknown && (c.Reason == "NodeStatusUnknown" || c.Reason == "NodeStatusNeverUpdated") {
			return fmt.Sprintf("%s=Unknown (%s: %s); the Ready row is not in the data", c.Type, c.Reason, c.Message), High, true
		}
	}
	if hasTaint(s.Node, unreachableTaint) {
		return "the node carries the " + unreachableTaint + " taint the node controller sets when the kubelet stops posting status", Medium, true
	}
	return "", 0, false
}
