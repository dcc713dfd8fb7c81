package diagnose

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// headline is the conclusion in one line, the first of every report: the
// node, its state, the top cause in words with its strongest evidence, and
// the one command to run next —
// "worker-3: NotReady 16m — containerd is not answering: 412 runtime calls
// timed out in 15m → on the node: time crictl ps; time crictl pods".
// A node with nothing to warn about says so.
func headline(d *Diagnosis, s *snapshot.Snapshot) (string, *Step) {
	line := nodeInProse(s) + ": " + shortState(s, d.Verdict)
	var next *Step
	var top *Cause
	for i := range d.Causes {
		if d.Causes[i].Severity >= Warning {
			top = &d.Causes[i]
			break
		}
	}
	switch {
	case top != nil:
		line += " — " + top.Answer
		for i := range top.Steps {
			if top.Steps[i].Run != "" {
				next = &top.Steps[i]
				line += " → " + next.Commandline()
				break
			}
		}
	case d.Verdict == Unknown:
		line += " — the data does not show whether the node is Ready"
	case len(d.Causes) > 0:
		line += fmt.Sprintf(" — nothing wrong now (%d %s to prevent trouble)", len(d.Causes), plural(len(d.Causes), "note", "notes"))
	default:
		line += " — nothing wrong found"
	}
	return line, next
}

// Conclusion is the headline without its command: what the report says in
// words before the command it prints apart.
func (d *Diagnosis) Conclusion() string {
	if d.Next == nil {
		return d.Headline
	}
	return strings.TrimSuffix(d.Headline, " → "+d.Next.Commandline())
}

// shortState is the node's state in a few words: "NotReady 16m",
// "Ready 2d", "NotReady (Unknown) 4m", or the verdict's words when the data
// has no Ready condition.
func shortState(s *snapshot.Snapshot, v Verdict) string {
	if r := s.Ready(); r != nil {
		word := map[corev1.ConditionStatus]string{corev1.ConditionTrue: "Ready", corev1.ConditionFalse: "NotReady", corev1.ConditionUnknown: "NotReady (Unknown)"}[r.Status]
		if word == "" {
			word = "Ready=" + string(r.Status)
		}
		if r.LastTransitionTime.IsZero() || s.CollectedAt.IsZero() {
			return word
		}
		return word + " " + age(s, r.LastTransitionTime.Time)
	}
	return map[Verdict]string{
		Healthy: "Ready", PLEGUnhealthy: "PLEG not healthy", RuntimeDown: "runtime down", NetworkNotReady: "network not ready",
		KubeletUnreachable: "kubelet unreachable", Starting: "starting", Unknown: "state unknown",
	}[v]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
