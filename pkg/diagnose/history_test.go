package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// series is a day of one-minute steps ending at now, valued by fn (minutes
// before now → value; NaN-free, a false ok leaves a gap).
func series(fn func(ago int) (float64, bool)) []snapshot.Point {
	var out []snapshot.Point
	for m := 24 * 60; m >= 0; m-- {
		if v, ok := fn(m); ok {
			out = append(out, snapshot.Point{At: ago(time.Duration(m) * time.Minute), Value: v})
		}
	}
	return out
}

// withHistory gives the snapshot a day of history built by fill.
func withHistory(fill func(h *snapshot.History)) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) {
		h := &snapshot.History{From: ago(24 * time.Hour), Step: time.Minute}
		fill(h)
		s.History = h
	}
}

// relistStalledAt has the relist run every second but for stalls of
// minutes [from, to) before now, during which its age grows.
func relistStalledAt(stalls ...[2]int) func(h *snapshot.History) {
	return func(h *snapshot.History) {
		h.RelistAge = series(func(m int) (float64, bool) {
			for _, st := range stalls {
				if m < st[0] && m >= st[1] {
					return float64((st[0] - m) * 60), true
				}
			}
			return 1, true
		})
	}
}

// notReadyAt has kube-state-metrics say NotReady during [from, to) minutes
// before now.
func notReadyAt(spans ...[2]int) func(h *snapshot.History) {
	return func(h *snapshot.History) {
		h.Ready = series(func(m int) (float64, bool) {
			for _, sp := range spans {
				if m < sp[0] && m >= sp[1] {
					return 0, true
				}
			}
			return 1, true
		})
	}
}

func TestEpisodes(t *testing.T) {
	h := &snapshot.History{Step: time.Minute}
	pts := []snapshot.Point{{At: ago(5 * time.Minute), Value: 0}, {At: ago(4 * time.Minute), Value: 5},
		// a gap at 3m: no data neither ends nor starts a run
		{At: ago(2 * time.Minute), Value: 6}, {At: ago(time.Minute), Value: 0}, {At: now, Value: 7}}
	got := episodes(pts, h, now, func(v float64) bool { return v > 1 })
	if len(got) != 2 || !got[0].start.Equal(ago(4*time.Minute)) || !got[0].end.Equal(ago(2*time.Minute)) || got[0].ongoing ||
		!got[1].start.Equal(now) || !got[1].ongoing {
		t.Errorf("episodes %+v", got)
	}
	// A run whose last point is minutes before the capture (the series
	// stopped) is not "still at the capture".
	if got := episodes(pts[:3], h, now, func(v float64) bool { return v > 1 }); len(got) != 1 || got[0].ongoing {
		t.Errorf("episodes of a series that stopped: %+v", got)
	}
	if got := episodes(nil, h, now, func(float64) bool { return true }); got != nil {
		t.Errorf("episodes of nothing: %+v", got)
	}
}

// Flaps of the day count where the events (an hour) have none.
func TestFlappingFromHistory(t *testing.T) {
	runRule(t, flapping, []ruleCase{
		{name: "a day without trouble", snap: mod(withHistory(func(h *snapshot.History) {
			notReadyAt()(h)
			relistStalledAt()(h)
		}))},
		{name: "two NotReady in the day", snap: mod(withHistory(notReadyAt([2]int{600, 590}, [2]int{300, 296})))},
		{
			name: "three NotReady in the day, by kube-state-metrics",
			snap: mod(withHistory(notReadyAt([2]int{600, 590}, [2]int{300, 296}, [2]int{125, 120}))),
			want: &want{sev: Warning, conf: High, evidence: []string{
				"Prometheus (kube-state-metrics): NotReady 3× in the last 24h; the last from 06:56:00Z for 5m",
			}},
		},
		{
			// Without kube-state-metrics a relist not seen is no flap:
			// Prometheus cannot tell it from a kubelet it could not scrape.
			name: "three runs without a relist seen, no kube-state-metrics",
			snap: mod(withHistory(relistStalledAt([2]int{600, 590}, [2]int{300, 290}, [2]int{130, 120}))),
		},
		{
			// kube-state-metrics says the node stayed Ready: the stalls
			// of a second under the threshold are not flaps.
			name: "kube-state-metrics has the node Ready all day",
			snap: mod(withHistory(func(h *snapshot.History) {
				notReadyAt()(h)
				relistStalledAt([2]int{600, 598}, [2]int{300, 298}, [2]int{130, 128})(h)
			})),
		},
	})
}

func TestRelistStalledFromHistory(t *testing.T) {
	podsRising := func(h *snapshot.History) {
		h.RunningPods = series(func(m int) (float64, bool) {
			switch {
			case m > 150:
				return 30, true
			case m > 140:
				return float64(30 + (150-m)*6), true // 30 → 90 in 10 minutes
			}
			return 90, true
		})
	}
	runRule(t, plegRelistStalled, []ruleCase{
		{name: "a day without trouble", snap: mod(withHistory(relistStalledAt()))},
		{
			// Healthy now, unseen this morning: a note, not an alarm.
			name: "no relist seen for minutes hours ago",
			snap: mod(withHistory(relistStalledAt([2]int{300, 290}))),
			want: &want{sev: Info, conf: Medium, evidence: []string{"Prometheus: no relist seen for 3m or more 1× in the last 24h; the last from 04:03:00Z for 8m (PLEG unhealthy, or a kubelet it could not scrape"}},
		},
		{
			// Not even 20 minutes ago: the history alone never alarms (the
			// kubelet log says whether PLEG was unhealthy).
			name: "no relist seen until 20 minutes ago",
			snap: mod(withHistory(relistStalledAt([2]int{30, 20}))),
			want: &want{sev: Info, conf: Medium, evidence: []string{"1× in the last 24h; the last from 08:33:00Z for 8m"}},
		},
		{
			name: "a burst of pods just before",
			snap: mod(withHistory(func(h *snapshot.History) {
				relistStalledAt([2]int{135, 125})(h)
				podsRising(h)
			})),
			want: &want{sev: Info, conf: Medium, evidence: []string{"running pods rose from 30 to 90 between 06:30:00Z and 06:40:00Z, just before"}},
		},
		{
			name: "a burst of pods long before is not its start",
			snap: mod(withHistory(func(h *snapshot.History) {
				relistStalledAt([2]int{60, 50})(h)
				podsRising(h)
			})),
			want: &want{sev: Info, conf: Medium, notEvidence: []string{"running pods rose"}},
		},
		{
			// A kubelet starting from no pods is not a burst.
			name: "pods from none",
			snap: mod(withHistory(func(h *snapshot.History) {
				relistStalledAt([2]int{135, 125})(h)
				h.RunningPods = series(func(m int) (float64, bool) {
					if m > 140 {
						return 0, true
					}
					return 60, true
				})
			})),
			want: &want{sev: Info, conf: Medium, notEvidence: []string{"running pods rose"}},
		},
		{
			// One hung relist that finished is slow in every 5-minute
			// window that holds it: not a trend.
			name: "slow for the last 2 minutes only",
			snap: mod(withHistory(func(h *snapshot.History) {
				h.RelistP99 = series(func(m int) (float64, bool) {
					if m <= 1 {
						return 10, true
					}
					return 0.05, true
				})
			})),
		},
		{
			name: "slow for the last 40 minutes",
			snap: mod(withHistory(func(h *snapshot.History) {
				h.RelistP99 = series(func(m int) (float64, bool) {
					if m <= 40 {
						return 12, true
					}
					return 0.05, true
				})
			})),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"Prometheus: relist p99 ≥ 10s since 08:20:00Z (40m)"}},
		},
	})
}

func TestHistoryOnTheTimeline(t *testing.T) {
	s := mod(withHistory(func(h *snapshot.History) {
		notReadyAt([2]int{30, 20})(h)
		relistStalledAt([2]int{33, 20})(h)
	}))
	var got []string
	for _, e := range timeline(s) {
		if e.Source == "prometheus" {
			got = append(got, e.Time.Format("15:04")+" "+e.Event)
		}
	}
	want := "08:30 no relist seen for 3m or more|08:31 NotReady (kube-state-metrics)|08:41 Ready again|08:41 relist seen again"
	if strings.Join(got, "|") != want {
		t.Errorf("timeline %q, want %q", strings.Join(got, "|"), want)
	}
}

// A note on a run without a relist hours ago says where to read about it,
// not what to restart; flaps seen only by Prometheus say where to graph them.
func TestHistoryNotesSteps(t *testing.T) {
	f := plegRelistStalled(mod(withHistory(relistStalledAt([2]int{300, 290}))))
	if got := stepsText(f); !strings.Contains(got, "journalctl -u kubelet --since '2026-11-27 03:53:00 UTC' --until '2026-11-27 04:20:00 UTC'") || strings.Contains(got, "restart") {
		t.Errorf("steps:\n%s", got)
	}
	f = flapping(mod(withHistory(notReadyAt([2]int{600, 590}, [2]int{300, 296}, [2]int{125, 120}))))
	if got := stepsText(f); !strings.Contains(got, `kube_node_status_condition{node="worker-3",condition="Ready",status="true"}`) {
		t.Errorf("steps:\n%s", got)
	}
}
