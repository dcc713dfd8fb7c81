// Package watch follows nodes through an incident and its fix: Start reads
// each node once and a Session follows them toward a goal through the
// Follower it is given (internal/collect in production: this package never talks
// to a cluster itself). A Tracker keeps one node's state as updates arrive
// (the node, its events, the kubelet's metrics), runs the diagnose rules on
// each change so the top cause is the one diagnose would give, and says what
// changed — Ready transitions, the PLEG relist going stale or running again,
// the relist p99 moving between bands, the runtime error rate, new events,
// the top cause. Trackers never read the clock: every update carries its time.
package watch

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Goal is what a watch waits for.
type Goal string

// Goals.
const (
	// Forever watches until interrupted.
	Forever Goal = ""
	// Ready waits for Ready=True.
	Ready Goal = "ready"
	// Healthy waits for the healthy verdict with no critical cause and, when
	// the metrics show it, a relist within the threshold.
	Healthy Goal = "healthy"
)

// Observation is one moment of the watch worth a line: the node's state and
// what changed since the last one.
type Observation struct {
	Time time.Time `json:"time"`
	Node string    `json:"node"`
	// Diagnosis is the diagnose rules run over what the watch knows now.
	Diagnosis *diagnose.Diagnosis `json:"-"`
	// Ready is the Ready condition's status ("" when unknown) and since when.
	Ready      string    `json:"ready,omitempty"`
	ReadySince time.Time `json:"readySince,omitzero"`
	// PLEGLastSeen is when the relist last ran, by kubelet_pleg_last_seen_seconds.
	PLEGLastSeen time.Time `json:"plegLastSeen,omitzero"`
	// RelistP99 is the relist duration's 99th percentile band ("<1s" ... ">60s").
	RelistP99 string `json:"relistP99,omitempty"`
	// RuntimeErrorsPerMinute is the rate of the kubelet's runtime error
	// counters between its last two scrapes (nil until there are two).
	RuntimeErrorsPerMinute *float64 `json:"runtimeErrorsPerMinute,omitempty"`
	// NewEvents are the node's events that arrived since the last line.
	NewEvents []snapshot.Event `json:"newEvents,omitempty"`
	// Changes say, in words, what changed: the whole state on the first line.
	Changes []string `json:"changes"`
	// Goal says whether the goal holds now, and since when.
	GoalMet   bool      `json:"goalMet"`
	GoalSince time.Time `json:"goalSince,omitzero"`

	// relistLate is how long the relist has not run when that is the early
	// warning (diagnose.RelistLate), zero otherwise; relistAge how long it
	// had not when the metrics were scraped.
	relistLate, relistAge time.Duration
}

// Tracker keeps one node's state as updates arrive.
type Tracker struct {
	name string
	goal Goal
	// start is the diagnose snapshot taken when the watch began: its pods
	// and kubelet configuration stay; its one-time reads (logs, stats,
	// health) describe the node until outdated says they no longer do.
	start    *snapshot.Snapshot
	outdated bool

	node    *corev1.Node
	events  map[eventKey]snapshot.Event
	metrics *kubelet.Metrics
	// metricsAt is when metrics were scraped: the relist's staleness is
	// judged then, not at a tick long after.
	metricsAt time.Time
	// errors are the runtime error counters by operation at errorsAt, the
	// base of the next rate.
	errors   map[string]float64
	errorsAt time.Time
	rate     *float64
	sources  map[snapshot.SourceName]snapshot.Source

	last      *Observation
	pending   []snapshot.Event
	notes     []string
	goalSince time.Time
}

type eventKey struct {
	reason, message string
	first           time.Time
}

// NewTracker starts tracking from the diagnose snapshot of the watch's start.
func NewTracker(start *snapshot.Snapshot, goal Goal) *Tracker {
	t := &Tracker{
		name: start.NodeName, goal: goal, start: start, node: start.Node, metrics: start.Metrics,
		events: map[eventKey]snapshot.Event{}, sources: map[snapshot.SourceName]snapshot.Source{},
	}
	for _, e := range start.Events {
		t.events[keyOf(e)] = e
	}
	if start.Metrics != nil {
		t.metricsAt = start.MetricsAt
		if t.metricsAt.IsZero() {
			t.metricsAt = start.CollectedAt
		}
		t.errors, t.errorsAt = errorCounts(start.Metrics), t.metricsAt
	}
	for _, s := range start.Sources {
		t.sources[s.Name] = s
		// A kubelet that cannot be read from the start is said once, on
		// the first line; Follow's same failures later are not news.
		if s.Name == snapshot.SourceMetrics && s.Status != snapshot.StatusOK {
			t.notes = append(t.notes, sourceNote(s))
		}
	}
	return t
}

func keyOf(e snapshot.Event) eventKey { return eventKey{e.Reason, e.Message, e.First} }

// Apply takes one update and returns the observation it makes, or nil when
// nothing worth a line changed. The first call always returns one.
func (t *Tracker) Apply(u snapshot.Update) *Observation {
	switch {
	case u.Node != nil:
		if prev, cur := readyOf(t.node), readyOf(u.Node); prev != nil && cur != nil && prev.Status != cur.Status {
			t.outdated = true
		}
		t.node = u.Node
	case u.Event != nil:
		k := keyOf(*u.Event)
		if old, seen := t.events[k]; !seen || old.Count != u.Event.Count || !old.Last.Equal(u.Event.Last) {
			t.events[k] = *u.Event
			if !seen || old.Count != u.Event.Count {
				t.pending = append(t.pending, *u.Event)
			}
		}
	}
	if u.Metrics != nil {
		at := u.Time
		if !u.MetricsAt.IsZero() {
			at = u.MetricsAt
		}
		t.scraped(u.Metrics, at)
	}
	if u.Source != nil {
		t.sourceChanged(*u.Source)
	}
	if u.Notice != "" {
		t.notes = append(t.notes, u.Notice)
	}
	return t.observe(u.Time)
}

// Last is the newest observation, a line or not: the state now.
func (t *Tracker) Last() *Observation { return t.last }

// Tick re-checks the goal at now, with no new data: a goal that has held for
// its stable time is met even when nothing changes.
func (t *Tracker) Tick(now time.Time) *Observation { return t.observe(now) }

// minRateWindow is the shortest span a runtime error rate is measured over:
// Follow's first scrape comes seconds after the start's, and one error in
// three seconds would read as 20/min.
const minRateWindow = 10 * time.Second

// scraped takes a /metrics scrape. The runtime error rate is the change of
// each operation's error counter since the base scrape, at least
// minRateWindow before; a counter lower than before was reset by a kubelet
// restart and counts from zero, as Prometheus' rate() does. A scrape with no
// runtime operations at all (cut short) leaves the rate as it was.
func (t *Tracker) scraped(m *kubelet.Metrics, at time.Time) {
	t.metrics, t.metricsAt = m, at
	cur := errorCounts(m)
	switch {
	case t.errors == nil:
		t.errors, t.errorsAt = cur, at
		return
	case len(cur) == 0 && len(t.errors) > 0, at.Sub(t.errorsAt) < minRateWindow:
		return
	}
	var delta float64
	reset := false
	for op, n := range cur {
		if prev := t.errors[op]; n >= prev {
			delta += n - prev
		} else {
			delta += n
			reset = true
		}
	}
	if reset {
		t.notes = append(t.notes, "kubelet restarted (its counters reset)")
	}
	t.rate = ptr(delta / at.Sub(t.errorsAt).Minutes())
	t.errors, t.errorsAt = cur, at
}

// errorCounts are the kubelet's runtime (or docker) error counters by
// operation. Docker's timeout counter is left out: dockershim counted every
// timeout among its errors too.
func errorCounts(m *kubelet.Metrics) map[string]float64 {
	out := make(map[string]float64, len(m.Operations))
	for name, op := range m.Operations {
		out[name] = op.Errors
	}
	return out
}

// sourceChanged notes a read failing or working again, once per change. The
// kubelet's /metrics changing state also outdates the start's one-time reads
// of the kubelet: a kubelet unreachable then may answer now, or the reverse.
func (t *Tracker) sourceChanged(s snapshot.Source) {
	prev, known := t.sources[s.Name]
	t.sources[s.Name] = s
	if known && prev.Status == s.Status {
		return
	}
	if s.Name == snapshot.SourceMetrics {
		t.outdated = true
	}
	t.notes = append(t.notes, sourceNote(s))
}

func ptr[T any](v T) *T { return &v }

func readyOf(n *corev1.Node) *corev1.NodeCondition {
	if n == nil {
		return nil
	}
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}
