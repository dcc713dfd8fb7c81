package diagnose

import (
	"fmt"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// whatMoreWouldTell says, for a diagnosis from pasted files, what more data would
// tell: the sources that were not given, most telling first, each with the
// command that gets it. Live collections list their failed sources instead.
func whatMoreWouldTell(s *snapshot.Snapshot) []string {
	if !s.Offline {
		return nil
	}
	n := nodeInCommand(s)
	var out []string
	if !s.Has(snapshot.SourceNode) || s.Ready() == nil {
		out = append(out, fmt.Sprintf("the whole `kubectl describe node %s` (or `kubectl get node %s -o yaml`): its Ready condition is the node's state, its events how often it flaps", n, n))
	}
	if !s.Has(snapshot.SourceKubeletLog) {
		out = append(out, "the kubelet's log from the node: `journalctl -u kubelet --since -1h --no-pager` (what the kubelet says went wrong, and when)")
	}
	if !s.Has(snapshot.SourceMetrics) {
		out = append(out, fmt.Sprintf("`kubectl get --raw /api/v1/nodes/%s/proxy/metrics`: when PLEG last relisted, relist and runtime call latencies", n))
	}
	if len(out) > 0 {
		out = append(out, fmt.Sprintf("or all of it at once, where the cluster answers: `kubectl pleg collect %s`, then `kubectl pleg diagnose --from-dir` on the bundle", n))
	}
	return out
}
