package diagnose

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// node-problem-detector watches the kubelet, the runtime and the kernel from
// the node and says what it sees as node conditions (KubeletUnhealthy=True)
// and events (ContainerdStart, FrequentContainerdRestart). Rules read what
// it says as evidence of their own cause.

// npdSays is what node-problem-detector said under any of names: a
// condition of that type set True, or events of that reason (a problem
// event, or a "Node condition X is now: True" one); "" when it said none.
// min is how many events it takes (one start is no restart loop).
func npdSays(s *snapshot.Snapshot, min int, names ...string) string {
	var said []string
	for _, name := range names {
		if c := s.Condition(corev1.NodeConditionType(name)); c != nil && c.Status == corev1.ConditionTrue {
			said = append(said, fmt.Sprintf("node-problem-detector: %s=True (%s: %s)", name, c.Reason, c.Message))
			continue
		}
		n, first, last := eventsMatching(s, 0, name)
		if n < min || n == 0 || onlyCleared(s, name) {
			continue
		}
		when := ""
		if !last.IsZero() {
			when = fmt.Sprintf(" (first %s, last %s)", humanize.Clock(first, s.CollectedAt), humanize.Clock(last, s.CollectedAt))
		}
		said = append(said, fmt.Sprintf("%s× %s from node-problem-detector%s", humanize.Count(n), name, when))
	}
	return strings.Join(said, "; ")
}

// onlyCleared says every event of a condition's reason says it is now False:
// node-problem-detector clearing a condition is no problem.
func onlyCleared(s *snapshot.Snapshot, reason string) bool {
	for _, e := range s.Events {
		if e.Reason == reason && !strings.Contains(e.Message, "is now: False") {
			return false
		}
	}
	return true
}
