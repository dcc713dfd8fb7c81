package diagnose

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Verdict is the node's state in one word.
type Verdict string

// Verdicts.
const (
	Healthy            Verdict = "healthy"
	PLEGUnhealthy      Verdict = "pleg-unhealthy"
	RuntimeDownVerdict Verdict = "runtime-down"
	NetworkNotReady    Verdict = "network-not-ready"
	KubeletUnreachable Verdict = "kubelet-unreachable"
	Starting           Verdict = "starting"
	Unknown            Verdict = "unknown"
)

// verdict reads the node's state from its Ready condition; without one it
// falls back on the kubelet's own metrics, and says "unknown" rather than
// "healthy" when neither is there.
func verdict(s *snapshot.Snapshot) (Verdict, string) {
	name := "Node " + s.NodeName
	ready := s.Ready()
	if ready == nil {
		why := "no Ready condition"
		if src, ok := s.Source(snapshot.SourceNode); ok && src.Status != snapshot.StatusOK {
			why = "node object " + string(src.Status)
		}
		if stale, ok := metricsStaleness(s); ok && stale > plegThreshold(s) {
			return PLEGUnhealthy, fmt.Sprintf("%s: readiness unknown (%s), but kubelet metrics say PLEG last relisted %s before collection (threshold %s)",
				name, why, humanize.Duration(stale), humanize.Duration(plegThreshold(s)))
		}
		return Unknown, fmt.Sprintf("%s: readiness cannot be told (%s)", name, why)
	}
	since := age(s, ready.LastTransitionTime.Time)
	switch ready.Status {
	case corev1.ConditionTrue:
		return Healthy, fmt.Sprintf("%s: Ready for %s", name, since)
	case corev1.ConditionUnknown:
		return KubeletUnreachable, fmt.Sprintf("%s: NotReady (Unknown) for %s — %s", name, since, firstNonEmpty(ready.Message, ready.Reason))
	}
	// The deepest failure the kubelet names wins: "[container runtime is
	// down, PLEG is not healthy: ...]" is a dead runtime, of which the stale
	// relist is a consequence.
	sigs := kubelet.ClassifyString(ready.Message)
	switch {
	case sigs.Has(kubelet.RuntimeDown):
		return RuntimeDownVerdict, fmt.Sprintf("%s: NotReady for %s — container runtime down (%s)", name, since, ready.Message)
	case sigs.Has(kubelet.PLEGUnhealthy):
		msg := fmt.Sprintf("%s: NotReady for %s — PLEG is not healthy", name, since)
		if p, ok := kubelet.ParsePLEGStaleness(ready.Message); ok {
			msg += fmt.Sprintf(" (relist last seen %s ago; threshold %s)", humanize.Duration(p.Stale), humanize.Duration(p.Threshold))
		}
		return PLEGUnhealthy, msg
	case sigs.Has(kubelet.NetworkNotReady):
		return NetworkNotReady, fmt.Sprintf("%s: NotReady for %s — network plugin not ready (%s)", name, since, ready.Message)
	case (sigs.Has(kubelet.PLEGNotYetSuccessful) || sigs.Has(kubelet.RuntimeStatusPending)) && startedRecently(s):
		return Starting, fmt.Sprintf("%s: NotReady for %s — kubelet starting (%s)", name, since, ready.Message)
	case sigs.Has(kubelet.PLEGNotYetSuccessful):
		return PLEGUnhealthy, fmt.Sprintf("%s: NotReady for %s — PLEG has not relisted once (%s)", name, since, ready.Message)
	case sigs.Has(kubelet.RuntimeStatusPending):
		return RuntimeDownVerdict, fmt.Sprintf("%s: NotReady for %s — runtime status check never completed (%s)", name, since, ready.Message)
	}
	return Unknown, fmt.Sprintf("%s: NotReady for %s — %s", name, since, firstNonEmpty(ready.Message, ready.Reason))
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// checklist maps the expert's checklist onto the sources that feed it.
var checklist = []struct {
	id, name string
	sources  []snapshot.SourceName
}{
	{"A", "conditions+events", []snapshot.SourceName{snapshot.SourceNode, snapshot.SourceEvents}},
	{"B", "kubelet log", []snapshot.SourceName{snapshot.SourceKubeletLog}},
	{"C", "system log", []snapshot.SourceName{snapshot.SourceSystemLog, snapshot.SourceRuntimeLog}},
	{"D", "load+density", []snapshot.SourceName{snapshot.SourcePods, snapshot.SourceStats, snapshot.SourceMetrics, snapshot.SourceConfigz}},
}

func checks(s *snapshot.Snapshot, causes []Cause) []Check {
	var out []Check
	for _, item := range checklist {
		c := Check{ID: item.id, Name: item.name}
		var done, details []string
		for _, name := range item.sources {
			src, ok := s.Source(name)
			switch {
			case !ok:
				details = append(details, string(name)+" not collected")
			case src.Status == snapshot.StatusOK:
				done = append(done, string(name))
				if src.Detail != "" && len(item.sources) == 1 {
					details = append(details, src.Detail)
				}
			default:
				details = append(details, fmt.Sprintf("%s %s", name, src.Status))
			}
		}
		switch len(done) {
		case len(item.sources):
			c.Status = CheckDone
		case 0:
			c.Status = CheckMissing
		default:
			c.Status = CheckPartial
		}
		c.Detail = strings.Join(details, "; ")
		out = append(out, c)
	}
	steps := 0
	for _, cause := range causes {
		steps += len(cause.Remediation)
	}
	e := Check{ID: "E", Name: "remediation", Status: CheckDone, Detail: fmt.Sprintf("%d next steps", steps)}
	if len(causes) == 0 {
		e.Detail = "nothing to remediate"
	}
	return append(out, e)
}

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
