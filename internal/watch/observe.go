package watch

import (
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// observe makes the observation of now, and returns it when it differs
// from the last one (or when the goal was met, or it is the first).
func (t *Tracker) observe(now time.Time) *Observation {
	s := t.snapshot(now)
	d := diagnose.Diagnose(s)
	o := &Observation{Time: now, Node: t.name, Diagnosis: d, NewEvents: t.pending, relistLate: diagnose.RelistLate(s)}
	if r := readyOf(t.node); r != nil {
		o.Ready, o.ReadySince = string(r.Status), r.LastTransitionTime.Time.UTC()
	}
	if m := t.metrics; m != nil {
		if m.PLEGLastSeen != nil {
			o.PLEGLastSeen = *m.PLEGLastSeen
			o.relistAge = t.metricsAt.Sub(*m.PLEGLastSeen)
		}
		if m.RelistP99 != nil {
			o.RelistP99 = relistBand(*m.RelistP99)
		}
	}
	o.RuntimeErrorsPerMinute = t.rate
	o.GoalMet = t.goalHolds(o, d)
	switch {
	case !o.GoalMet:
		t.goalSince = time.Time{}
	case t.goalSince.IsZero():
		t.goalSince = now
	}
	o.GoalSince = t.goalSince
	o.Changes = append(t.changes(o, d), t.notes...)
	for _, e := range t.pending {
		o.Changes = append(o.Changes, eventNote(e))
	}
	t.pending, t.notes = nil, nil
	quiet := t.last != nil && len(o.Changes) == 0
	t.last = o // the next compares with what is current; Last reads it
	if quiet {
		return nil
	}
	return o
}

// startOnlySources are the reads the watch does once, at its start; snapshot
// drops their data (the fields it names) with them.
var startOnlySources = map[snapshot.SourceName]bool{
	snapshot.SourceKubeletLog: true, snapshot.SourceRuntimeLog: true, snapshot.SourceSystemLog: true,
	snapshot.SourceStats: true, snapshot.SourceHealthz: true,
}

// snapshot is what the watch knows now, for the diagnose rules: the node,
// its events and the kubelet's metrics as watched; the start's pods and
// configuration; and the start's one-time reads (logs, stats, health) until
// they are outdated (then they describe the incident, not the node, and are
// left out, reads and outcomes both).
func (t *Tracker) snapshot(now time.Time) *snapshot.Snapshot {
	s := *t.start
	s.CollectedAt, s.Node, s.Metrics, s.MetricsAt = now, t.node, t.metrics, t.metricsAt
	s.Events = make([]snapshot.Event, 0, len(t.events))
	for _, e := range t.events {
		s.Events = append(s.Events, e)
	}
	sort.Slice(s.Events, func(i, j int) bool { return s.Events[i].Last.Before(s.Events[j].Last) })
	if t.outdated { // the data of startOnlySources
		s.KubeletLog, s.RuntimeLog, s.SystemLog, s.Stats, s.Healthz = nil, nil, nil, nil, nil
	}
	s.Sources = make([]snapshot.Source, 0, len(t.start.Sources))
	for _, src := range t.start.Sources {
		if t.outdated && startOnlySources[src.Name] {
			continue
		}
		if cur, ok := t.sources[src.Name]; ok {
			src = cur
		}
		s.Sources = append(s.Sources, src)
	}
	return &s
}

// goalHolds says whether the node is where the watch waits for it to be.
func (t *Tracker) goalHolds(o *Observation, d *diagnose.Diagnosis) bool {
	switch t.goal {
	case Ready:
		return o.Ready == string(corev1.ConditionTrue)
	case Healthy:
		if o.Ready != string(corev1.ConditionTrue) || d.Verdict != diagnose.Healthy {
			return false
		}
		for _, c := range d.Causes {
			if c.Severity == diagnose.Critical {
				return false
			}
		}
		return o.PLEGLastSeen.IsZero() || o.Time.Sub(o.PLEGLastSeen) <= diagnose.PLEGThreshold
	}
	return false
}

// changes says what differs from the last observation; the first says the
// whole state.
func (t *Tracker) changes(o *Observation, d *diagnose.Diagnosis) []string {
	prev := t.last
	first := prev == nil
	if first {
		prev = &Observation{}
	}
	var out []string
	if o.Ready != prev.Ready {
		out = append(out, readyNote(o, prev, first))
	}
	relist, was := relistState(o), relistState(prev)
	switch {
	case o.PLEGLastSeen.IsZero():
	case first || relist != was && !prev.PLEGLastSeen.IsZero():
		switch relist {
		case relistStale:
			out = append(out, "PLEG last seen "+humanize.Duration(o.Time.Sub(o.PLEGLastSeen))+" ago")
		case relistLate:
			what := "NotReady" // a node NotReady already: PLEG is about to fail too
			if o.Ready != "" && o.Ready != string(corev1.ConditionTrue) {
				what = "PLEG unhealthy"
			}
			out = append(out, fmt.Sprintf("relist not run for %s: %s expected in ~%s", humanize.Duration(o.relistLate), what, humanize.Duration(max(0, diagnose.PLEGThreshold-o.relistLate))))
		default:
			if !first {
				out = append(out, "relist ran "+humanize.Duration(max(0, o.Time.Sub(o.PLEGLastSeen)))+" ago")
			}
		}
	}
	if o.RelistP99 != prev.RelistP99 && o.RelistP99 != "" {
		note := "relist p99 " + o.RelistP99
		if prev.RelistP99 != "" {
			note += " (was " + prev.RelistP99 + ")"
		}
		out = append(out, note)
	}
	// No rate yet reads as none: a first rate of 0/min is not news.
	if o.RuntimeErrorsPerMinute != nil && rateBand(o.RuntimeErrorsPerMinute) != rateBand(prev.RuntimeErrorsPerMinute) {
		note := "runtime errors " + perMinute(*o.RuntimeErrorsPerMinute)
		if prev.RuntimeErrorsPerMinute != nil {
			note += " (was " + perMinute(*prev.RuntimeErrorsPerMinute) + ")"
		}
		out = append(out, note)
	}
	if top, was := topCause(d), topCause(prev.Diagnosis); first || top != was || d.Verdict != prev.Diagnosis.Verdict {
		out = append(out, fmt.Sprintf("[%s: %s]", d.Verdict, top))
	}
	if o.GoalMet && !prev.GoalMet && !first {
		out = append(out, fmt.Sprintf("%s now", t.goal))
	}
	return out
}

// readyNote says how Ready changed: "Ready (was NotReady for 16m39s)".
func readyNote(o, prev *Observation, first bool) string {
	word := readyWord(o.Ready)
	if first || prev.Ready == "" {
		if o.ReadySince.IsZero() {
			return word
		}
		return fmt.Sprintf("%s %s", word, humanize.Duration(max(0, o.Time.Sub(o.ReadySince))))
	}
	return fmt.Sprintf("%s (was %s for %s)", word, readyWord(prev.Ready), humanize.Duration(max(0, o.ReadySince.Sub(prev.ReadySince))))
}

func readyWord(status string) string {
	switch corev1.ConditionStatus(status) {
	case corev1.ConditionTrue:
		return "Ready"
	case corev1.ConditionFalse:
		return "NotReady"
	case corev1.ConditionUnknown:
		return "NotReady (Unknown)"
	}
	return "readiness unknown"
}

// Where the relist stands: running, late (the early warning, while the
// node is still Ready) or stale past the threshold.
const (
	relistRunning = iota
	relistLate
	relistStale
)

// relistState judges the relist's age when the metrics were scraped, as the
// diagnosis does: a scrape that failed since is a source's note, not a
// relist getting older.
func relistState(o *Observation) int {
	switch {
	case !o.PLEGLastSeen.IsZero() && o.relistAge > diagnose.PLEGThreshold:
		return relistStale
	case o.relistLate > 0:
		return relistLate
	}
	return relistRunning
}

// relistBand puts a relist p99 in a band, so that a line says when it
// moves from one to another, not at every scrape.
func relistBand(d time.Duration) string {
	switch {
	case d < time.Second:
		return "<1s"
	case d < diagnose.RelistP99Warning:
		return "1s–10s"
	case d < time.Minute:
		return "10s–60s"
	}
	return ">60s"
}

// rateBand puts a runtime error rate in a band; no rate is band 0, as none.
func rateBand(perMin *float64) int {
	switch {
	case perMin == nil || *perMin == 0:
		return 0
	case *perMin < 1:
		return 1
	case *perMin < 10:
		return 2
	}
	return 3
}

func perMinute(v float64) string {
	if v > 0 && v < 1 {
		return fmt.Sprintf("%.1f/min", v)
	}
	return fmt.Sprintf("%.0f/min", v)
}

// topCause names the first warning or critical cause, or "no cause".
func topCause(d *diagnose.Diagnosis) string {
	if d == nil {
		return ""
	}
	for _, c := range d.Causes {
		if c.Severity >= diagnose.Warning {
			return string(c.ID)
		}
	}
	return "no cause"
}

func eventNote(e snapshot.Event) string {
	if e.Count > 1 {
		return fmt.Sprintf("event %s ×%d", e.Reason, e.Count)
	}
	return "event " + e.Reason
}

// sourceNote says a read failed, or works again.
func sourceNote(s snapshot.Source) string {
	what := map[snapshot.SourceName]string{
		snapshot.SourceNode: "the API server (node)", snapshot.SourceEvents: "the API server (node events)",
		snapshot.SourceMetrics: "the kubelet's /metrics",
	}[s.Name]
	if what == "" {
		what = string(s.Name)
	}
	switch s.Status {
	case snapshot.StatusOK:
		return what + " answers again"
	case snapshot.StatusForbidden:
		if s.Name == snapshot.SourceMetrics {
			return what + " is forbidden: following the node and its events only; " + s.Hint
		}
		return what + " is forbidden; " + s.Hint
	}
	return fmt.Sprintf("%s %s: %s; retrying", what, s.Status, s.Reason)
}
