package diagnose

import (
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Track is one row of the incident's time strip: how a state changed
// (Ready), or when a signal occurred (PLEG not healthy, runtime timeouts,
// kubelet starts). Reports draw it over the window; it holds times, not a
// drawing, so any width can be drawn.
type Track struct {
	Name string `json:"name"`
	// Changes are the times a state turned on (Ready) or off, oldest first.
	Changes []TrackChange `json:"changes,omitempty"`
	// Times are the times a signal occurred, oldest first (the newest few
	// dozen per log: older ones are summed into First).
	Times []time.Time `json:"times,omitempty"`
}

// TrackChange is a state turning on or off.
type TrackChange struct {
	Time time.Time `json:"time"`
	On   bool      `json:"on"`
}

// trackSignals are the signals drawn as tracks, in drawing order.
var trackSignals = []struct {
	name string
	sig  kubelet.Signal
}{
	{"PLEG not healthy", kubelet.PLEGUnhealthy},
	{"runtime timeouts", kubelet.RuntimeTimeout},
	{"runtime down", kubelet.RuntimeDown},
	{"CNI not ready", kubelet.NetworkNotReady},
	{"kubelet starts", kubelet.KubeletStarted},
	{"OOM kills", kubelet.OOMKill},
	{"hung tasks", kubelet.HungTask},
}

// tracks are the rows of the time strip: Ready's history, from the Ready
// condition, the node's readiness events and the kubelet's own lines; then
// each signal that occurred, from every log.
func tracks(s *snapshot.Snapshot) []Track {
	var out []Track
	if ready := readyTrack(s); len(ready.Changes) > 0 {
		out = append(out, ready)
	}
	logs := []*kubelet.LogSummary{s.KubeletLog, s.RuntimeLog, s.SystemLog}
	for _, ts := range trackSignals {
		t := Track{Name: ts.name}
		for _, log := range logs {
			t.Times = append(t.Times, log.Signal(ts.sig).Times...)
		}
		if ts.sig == kubelet.RuntimeTimeout {
			for _, e := range s.Events {
				if kubelet.ClassifyString(e.Message).Has(ts.sig) {
					t.Times = append(t.Times, e.First, e.Last)
				}
			}
		}
		t.Times = withoutZero(t.Times)
		if len(t.Times) > 0 {
			sort.Slice(t.Times, func(i, j int) bool { return t.Times[i].Before(t.Times[j]) })
			out = append(out, t)
		}
	}
	return out
}

// readyTrack is Ready's history as far as the data tells it.
func readyTrack(s *snapshot.Snapshot) Track {
	var changes []TrackChange
	add := func(t time.Time, on bool) {
		if !t.IsZero() {
			changes = append(changes, TrackChange{Time: t.UTC(), On: on})
		}
	}
	for _, e := range s.Events {
		switch e.Reason {
		case "NodeReady":
			add(e.First, true)
			add(e.Last, true)
		case "NodeNotReady":
			add(e.First, false)
			add(e.Last, false)
		}
	}
	for _, t := range s.KubeletLog.Signal(kubelet.NodeNotReady).Times {
		add(t, false)
	}
	for _, t := range s.KubeletLog.Signal(kubelet.NodeReady).Times {
		add(t, true)
	}
	if r := s.Ready(); r != nil && r.Status != "" {
		add(r.LastTransitionTime.Time, r.Status == corev1.ConditionTrue)
	}
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].Time.Before(changes[j].Time) })
	var kept []TrackChange
	for _, c := range changes {
		if len(kept) == 0 || kept[len(kept)-1].On != c.On {
			kept = append(kept, c)
		}
	}
	return Track{Name: "Ready", Changes: kept}
}

func withoutZero(ts []time.Time) []time.Time {
	out := ts[:0]
	for _, t := range ts {
		if !t.IsZero() {
			out = append(out, t.UTC())
		}
	}
	return out
}

// windowStart is where the time strip begins: the log window before the
// capture time when it is known (live, bundles), else the oldest time the
// tracks hold, but never more than a day before the capture: a Ready
// transition of last month is the state at the window's start, not its span.
func windowStart(s *snapshot.Snapshot, tracks []Track) time.Time {
	if s.CollectedAt.IsZero() {
		return time.Time{}
	}
	if s.LogWindow > 0 {
		return s.CollectedAt.Add(-s.LogWindow)
	}
	start := s.CollectedAt
	for _, t := range tracks {
		for _, c := range t.Changes {
			start = earlier(start, c.Time)
		}
		for _, ts := range t.Times {
			start = earlier(start, ts)
		}
	}
	if oldest := s.CollectedAt.Add(-24 * time.Hour); start.Before(oldest) {
		return oldest
	}
	return start
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
