package diagnose

import (
	"fmt"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// What a Prometheus remembers of the day before the capture (Snapshot.History)
// adds what events (kept an hour) and logs (read for the log window) no
// longer show: the node's flaps since this morning, how long the relist has
// been slow, and whether its trouble began with a burst of pods.

// Thresholds of the history.
const (
	// PodBurstMin and PodBurstRatio make a rise of running pods a burst: at
	// least this many more pods, and this many times as many, within
	// PodBurstBefore of the trouble's start.
	PodBurstMin    = 20
	PodBurstRatio  = 1.5
	PodBurstBefore = 30 * time.Minute
	// SlowRelistFor is how long the relist's p99 must stay at
	// RelistP99Warning to be called slow: the window of the p99 itself.
	SlowRelistFor = 5 * time.Minute
	// StallRecent is how recent a stall that has ended still warns (as a
	// "PLEG is not healthy" within the log window does); an older one is a
	// note on a node healthy now.
	StallRecent = time.Hour
)

// episode is a run of a history series' steps that met a condition.
type episode struct {
	start, end time.Time // the first and last step that met it: it lasted about end-start+step
	ongoing    bool      // it still did at the last step
}

// episodes are the runs of points that meet cond. A gap in the series (no
// data) neither starts nor ends a run: only a point that does not meet cond
// ends one.
func episodes(points []snapshot.Point, cond func(float64) bool) []episode {
	var out []episode
	open := false
	for _, p := range points {
		switch {
		case cond(p.Value) && open:
			out[len(out)-1].end = p.At
		case cond(p.Value):
			out = append(out, episode{start: p.At, end: p.At})
			open = true
		default:
			open = false
		}
	}
	if open {
		out[len(out)-1].ongoing = true
	}
	return out
}

// notReadyEpisodes are the runs the node was not Ready, by kube-state-metrics.
func notReadyEpisodes(h *snapshot.History) []episode {
	return episodes(h.Ready, func(v float64) bool { return v < 1 })
}

// relistStalls are the runs the relist had not run for the PLEG threshold:
// the kubelet declared PLEG unhealthy, and the node NotReady.
func relistStalls(s *snapshot.Snapshot) []episode {
	limit := plegThreshold(s).Seconds()
	return episodes(s.History.RelistAge, func(v float64) bool { return v >= limit })
}

// slowRelistSince is when the relist's p99 last rose to RelistP99Warning and
// stayed there to the capture, for the p99's own window at least (as the
// KubeletPLEGRelistSlow alert's `for`): one hung relist that finishes at
// last is slow in every window that holds it, for minutes after it ended,
// and is no trend. Zero when the relist is not slow so.
func slowRelistSince(h *snapshot.History) time.Time {
	runs := episodes(h.RelistP99, func(v float64) bool { return v >= RelistP99Warning.Seconds() })
	if len(runs) == 0 {
		return time.Time{}
	}
	last := runs[len(runs)-1]
	if !last.ongoing || last.end.Add(h.Step).Sub(last.start) < SlowRelistFor {
		return time.Time{}
	}
	return last.start
}

// episodesEvidence says how often and when: "3× in the last 24h; the last
// from 13:02:00Z for 4m, still at the capture".
func episodesEvidence(eps []episode, h *snapshot.History, now time.Time) string {
	last := eps[len(eps)-1]
	ev := fmt.Sprintf("%s× in the last %s; the last from %s", humanize.Count(len(eps)), humanize.Duration(now.Sub(h.From)), humanize.Clock(last.start, now))
	if last.ongoing {
		return ev + ", still at the capture"
	}
	return ev + " for " + humanize.Duration(last.end.Add(h.Step).Sub(last.start))
}

// historyFlaps counts the node's NotReady episodes of the day: by
// kube-state-metrics when Prometheus has it, else by the relist's stalls
// (each one a NotReady by PLEG). It returns the count with its evidence.
func historyFlaps(s *snapshot.Snapshot) (int, string) {
	h := s.History
	if h == nil {
		return 0, ""
	}
	if len(h.Ready) > 0 {
		eps := notReadyEpisodes(h)
		if len(eps) == 0 {
			return 0, ""
		}
		return len(eps), "Prometheus (kube-state-metrics): NotReady " + episodesEvidence(eps, h, s.CollectedAt)
	}
	eps := relistStalls(s)
	if len(eps) == 0 {
		return 0, ""
	}
	return len(eps), fmt.Sprintf("Prometheus (kubelet_pleg_last_seen_seconds): relist stale past %s (PLEG unhealthy, the node NotReady) %s",
		humanize.Duration(plegThreshold(s)), episodesEvidence(eps, h, s.CollectedAt))
}

// relistHistory is what the day before says of the relist: its stalls and
// since when it is slow, with what came before its trouble.
type relistHistory struct {
	stalls    []episode
	slowSince time.Time
	evidence  []string
}

// recentStall says a stall ended within StallRecent of the capture (or has
// not ended).
func (r relistHistory) recentStall(now time.Time) bool {
	if len(r.stalls) == 0 {
		return false
	}
	last := r.stalls[len(r.stalls)-1]
	return last.ongoing || now.Sub(last.end) <= StallRecent
}

// stalledAnswer is the answer of a relist that stalled and runs again.
func (r relistHistory) stalledAnswer() string {
	return fmt.Sprintf("the PLEG relist stalled %s× in the last day and runs again", humanize.Count(len(r.stalls)))
}

func readRelistHistory(s *snapshot.Snapshot) relistHistory {
	h := s.History
	if h == nil {
		return relistHistory{}
	}
	now := s.CollectedAt
	r := relistHistory{stalls: relistStalls(s), slowSince: slowRelistSince(h)}
	var start time.Time // when the trouble began
	if n := len(r.stalls); n > 0 {
		start = r.stalls[n-1].start.Add(-plegThreshold(s))
		r.evidence = append(r.evidence, fmt.Sprintf("Prometheus: relist stale past %s (PLEG unhealthy) %s", humanize.Duration(plegThreshold(s)), episodesEvidence(r.stalls, h, now)))
	}
	if !r.slowSince.IsZero() {
		r.evidence = append(r.evidence, fmt.Sprintf("Prometheus: relist p99 ≥ %s since %s (%s)",
			humanize.Duration(RelistP99Warning), humanize.Clock(r.slowSince, now), humanize.Duration(now.Sub(r.slowSince))))
		if start.IsZero() || r.slowSince.Before(start) {
			start = r.slowSince
		}
	}
	if start.IsZero() {
		return r
	}
	if from, to, ok := podBurst(h.RunningPods, start); ok {
		r.evidence = append(r.evidence, fmt.Sprintf("Prometheus: running pods rose from %.0f to %.0f between %s and %s, just before: a burst of pods loads every relist",
			from.Value, to.Value, humanize.Clock(from.At, now), humanize.Clock(to.At, now)))
	}
	return r
}

// podBurst finds a rise of running pods in the PodBurstBefore before start:
// from the fewest to the most that came after them.
func podBurst(pods []snapshot.Point, start time.Time) (from, to snapshot.Point, ok bool) {
	var low *snapshot.Point
	for i := range pods {
		p := pods[i]
		if p.At.Before(start.Add(-PodBurstBefore)) || p.At.After(start) {
			continue
		}
		if low == nil || p.Value <= low.Value { // the last of the fewest: where the rise began
			low = &pods[i]
			continue
		}
		if p.Value-low.Value >= PodBurstMin && p.Value >= low.Value*PodBurstRatio && p.Value > to.Value {
			from, to, ok = *low, p, true
		}
	}
	return from, to, ok
}

// historyTimeline are the day's episodes as timeline entries.
func historyTimeline(s *snapshot.Snapshot, add func(t time.Time, source, event string, count int)) {
	h := s.History
	if h == nil {
		return
	}
	for _, e := range notReadyEpisodes(h) {
		add(e.start, "prometheus", "NotReady (kube-state-metrics)", 0)
		if !e.ongoing {
			add(e.end.Add(h.Step), "prometheus", "Ready again", 0)
		}
	}
	for _, e := range relistStalls(s) {
		add(e.start, "prometheus", fmt.Sprintf("relist stale past %s: PLEG unhealthy", humanize.Duration(plegThreshold(s))), 0)
		if !e.ongoing {
			add(e.end.Add(h.Step), "prometheus", "relist running again", 0)
		}
	}
	if t := slowRelistSince(h); !t.IsZero() {
		add(t, "prometheus", fmt.Sprintf("relist p99 ≥ %s", humanize.Duration(RelistP99Warning)), 0)
	}
}
