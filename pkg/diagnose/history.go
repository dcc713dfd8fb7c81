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
)

// episode is a run of a history series' steps that met a condition.
type episode struct {
	start, end time.Time // the first and last step that met it
	ongoing    bool      // it still did at the capture
}

// lasted is about how long the episode lasted, at steps of step.
func (e episode) lasted(step time.Duration) time.Duration { return e.end.Add(step).Sub(e.start) }

// episodes are the runs of h's points that meet cond. A gap in the series
// (no data) neither starts nor ends a run: only a point that does not meet
// cond ends one. A run is ongoing when its last point is the capture's step.
func episodes(points []snapshot.Point, h *snapshot.History, now time.Time, cond func(float64) bool) []episode {
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
	if n := len(out); open && !out[n-1].end.Before(now.Add(-h.Step)) {
		out[n-1].ongoing = true
	}
	return out
}

// notReadyEpisodes are the runs the node was not Ready, by kube-state-metrics.
func notReadyEpisodes(s *snapshot.Snapshot) []episode {
	return episodes(s.History.Ready, s.History, s.CollectedAt, func(v float64) bool { return v < 1 })
}

// relistUnseen are the runs no relist was seen for the PLEG threshold: the
// kubelet declared PLEG unhealthy, or Prometheus could not scrape it (a hung
// runtime holds /metrics; so does a kubelet down, restarting or cut off),
// which Prometheus cannot tell apart.
func relistUnseen(s *snapshot.Snapshot) []episode {
	limit := plegThreshold(s).Seconds()
	return episodes(s.History.RelistAge, s.History, s.CollectedAt, func(v float64) bool { return v >= limit })
}

// slowRelistSince is when the relist's p99 last rose to RelistP99Warning and
// stayed there to the capture, for the p99's own window at least (as the
// KubeletPLEGRelistSlow alert's `for`): one hung relist that finishes at
// last is slow in every window that holds it, for minutes after it ended,
// and is no trend. Zero when the relist is not slow so.
func slowRelistSince(s *snapshot.Snapshot) time.Time {
	h := s.History
	runs := episodes(h.RelistP99, h, s.CollectedAt, func(v float64) bool { return v >= RelistP99Warning.Seconds() })
	if len(runs) == 0 {
		return time.Time{}
	}
	last := runs[len(runs)-1]
	if !last.ongoing || last.lasted(h.Step) < SlowRelistFor {
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
	return ev + " for " + humanize.Duration(last.lasted(h.Step))
}

// historyFlaps counts the node's NotReady episodes of the day by
// kube-state-metrics, with their evidence. The relist's unseen runs are not
// counted: Prometheus cannot tell them from a kubelet it could not scrape.
func historyFlaps(s *snapshot.Snapshot) (int, string) {
	if s.History == nil {
		return 0, ""
	}
	eps := notReadyEpisodes(s)
	if len(eps) == 0 {
		return 0, ""
	}
	return len(eps), "Prometheus (kube-state-metrics): NotReady " + episodesEvidence(eps, s.History, s.CollectedAt)
}

// relistHistory is what the day before says of the relist: the runs it was
// not seen and since when it is slow, with what came before its trouble.
// It is evidence, never an alarm of its own: the rules weigh it with what
// shows the node's state now.
type relistHistory struct {
	unseen    []episode
	slowSince time.Time
	evidence  []string
}

func readRelistHistory(s *snapshot.Snapshot) relistHistory {
	h := s.History
	if h == nil {
		return relistHistory{}
	}
	now := s.CollectedAt
	r := relistHistory{unseen: relistUnseen(s), slowSince: slowRelistSince(s)}
	var start time.Time // when the trouble began
	if n := len(r.unseen); n > 0 {
		start = r.unseen[n-1].start.Add(-plegThreshold(s))
		r.evidence = append(r.evidence, fmt.Sprintf("Prometheus: no relist seen for %s or more %s (PLEG unhealthy, or a kubelet it could not scrape: hung, down or cut off)",
			humanize.Duration(plegThreshold(s)), episodesEvidence(r.unseen, h, now)))
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

// unseenStep says where to read what happened in the last run without a
// relist: the kubelet's log of that hour.
func (r relistHistory) unseenStep() Step {
	last := r.unseen[len(r.unseen)-1]
	from, to := last.start.Add(-10*time.Minute).UTC(), last.end.Add(10*time.Minute).UTC()
	return nodeStep("read what the kubelet logged around the last one",
		fmt.Sprintf("journalctl -u kubelet --since '%s' --until '%s' --no-pager | grep -iE 'pleg|deadline|runtime'", from.Format("2006-01-02 15:04:05 UTC"), to.Format("2006-01-02 15:04:05 UTC")))
}

// unseenAnswer is the answer of a relist not seen for a while, seen again.
func (r relistHistory) unseenAnswer() string {
	return fmt.Sprintf("no relist was seen for the threshold or more %s× in the last day; it runs now", humanize.Count(len(r.unseen)))
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
		// From none, it is a kubelet starting up, not a burst.
		if low.Value > 0 && p.Value-low.Value >= PodBurstMin && p.Value >= low.Value*PodBurstRatio && p.Value > to.Value {
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
	for _, e := range notReadyEpisodes(s) {
		add(e.start, "prometheus", "NotReady (kube-state-metrics)", 0)
		if !e.ongoing {
			add(e.end.Add(h.Step), "prometheus", "Ready again", 0)
		}
	}
	for _, e := range relistUnseen(s) {
		add(e.start, "prometheus", fmt.Sprintf("no relist seen for %s or more", humanize.Duration(plegThreshold(s))), 0)
		if !e.ongoing {
			add(e.end.Add(h.Step), "prometheus", "relist seen again", 0)
		}
	}
	if t := slowRelistSince(s); !t.IsZero() {
		add(t, "prometheus", fmt.Sprintf("relist p99 ≥ %s", humanize.Duration(RelistP99Warning)), 0)
	}
}
