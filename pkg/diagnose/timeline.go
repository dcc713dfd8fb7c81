package diagnose

import (
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// timelineSignals are the log signals worth a line on the incident timeline.
var timelineSignals = []struct {
	sig  kubelet.Signal
	what string
}{
	{kubelet.PLEGUnhealthy, "PLEG is not healthy"},
	{kubelet.RuntimeTimeout, "runtime call timeouts"},
	{kubelet.RuntimeDown, "runtime connection failures"},
	{kubelet.NetworkNotReady, "network not ready"},
	{kubelet.NodeNotReady, "Node became not ready"},
	{kubelet.OOMKill, "OOM kills"},
	{kubelet.HungTask, "hung tasks"},
}

// timeline orders the moments of the incident: condition transitions, event
// bursts, the first and last line of each log signal, kubelet restarts.
func timeline(s *snapshot.Snapshot) []TimelineEntry {
	var out []TimelineEntry
	add := func(t time.Time, source, event string, count int) {
		if !t.IsZero() {
			out = append(out, TimelineEntry{Time: t.UTC(), Source: source, Event: event, Count: count})
		}
	}
	if s.Node != nil {
		for _, c := range s.Node.Status.Conditions {
			if c.Type == corev1.NodeReady || c.Status == corev1.ConditionTrue {
				add(c.LastTransitionTime.Time, "node", fmt.Sprintf("%s=%s (%s)", c.Type, c.Status, c.Reason), 0)
			}
		}
	}
	for _, e := range s.Events {
		if e.Count > 1 {
			add(e.First, "events", e.Reason+" (first)", int(e.Count))
		}
		add(e.Last, "events", e.Reason, int(e.Count))
	}
	logs := []struct {
		name string
		sum  *kubelet.LogSummary
	}{{"kubelet-log", s.KubeletLog}, {"runtime-log", s.RuntimeLog}, {"system-log", s.SystemLog}}
	for _, lg := range logs {
		for _, ts := range timelineSignals {
			st := lg.sum.Signal(ts.sig)
			if st.Count == 0 {
				continue
			}
			add(st.First, lg.name, "first "+ts.what, st.Count)
			if st.Last.After(st.First) {
				add(st.Last, lg.name, "last "+ts.what, st.Count)
			}
		}
		for _, t := range lg.sum.Signal(kubelet.KubeletStarted).Times {
			add(t, lg.name, "kubelet started", 0)
		}
	}
	historyTimeline(s, add)
	if s.Metrics != nil && s.Metrics.PLEGLastSeen != nil {
		add(*s.Metrics.PLEGLastSeen, "metrics", "last successful PLEG relist", 0)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	if len(out) > maxTimeline {
		out = out[len(out)-maxTimeline:]
	}
	if out == nil {
		out = []TimelineEntry{}
	}
	return out
}
