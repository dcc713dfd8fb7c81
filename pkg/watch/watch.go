// Package watch follows a node through an incident and its fix: it keeps
// the node's state as updates arrive (the node, its events, the kubelet's
// metrics), runs the diagnose rules on each change so the top cause is the
// one diagnose would give, and says what changed — Ready transitions, the
// PLEG relist going stale or running again, the relist p99 moving between
// bands, the runtime error rate, new events, the top cause. It never talks
// to a cluster (pkg/collect's Follow does) and never reads the clock: every
// update carries its time.
package watch

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/collect"
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
}

// Tracker keeps one node's state as updates arrive.
type Tracker struct {
	name string
	goal Goal
	// start is the diagnose snapshot taken when the watch began: its pods
	// and kubelet configuration stay, its logs, stats and health describe the
	// node only until its Ready condition first changes.
	start       *snapshot.Snapshot
	startReady  corev1.ConditionStatus
	transitions int

	node    *corev1.Node
	events  map[eventKey]snapshot.Event
	metrics *kubelet.Metrics
	// errors is the sum of the runtime error counters at the last scrape.
	errors   *float64
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
	if r := start.Ready(); r != nil {
		t.startReady = r.Status
	}
	for _, e := range start.Events {
		t.events[keyOf(e)] = e
	}
	if start.Metrics != nil {
		t.errors, t.errorsAt = ptr(errorCount(start.Metrics)), start.CollectedAt
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
func (t *Tracker) Apply(u collect.Update) *Observation {
	switch {
	case u.Node != nil:
		if prev, cur := readyOf(t.node), readyOf(u.Node); prev != nil && cur != nil && prev.Status != cur.Status {
			t.transitions++
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
	case u.Metrics != nil:
		t.scraped(u.Metrics, u.Time)
	case u.Source != nil:
		t.sourceChanged(*u.Source)
	}
	return t.observe(u.Time)
}

// Tick re-checks the goal at now, with no new data: a goal that has held for
// its stable time is met even when nothing changes.
func (t *Tracker) Tick(now time.Time) *Observation { return t.observe(now) }

// scraped takes a /metrics scrape: the runtime error rate is the change of
// the error counters since the last scrape; counters that went down were
// reset by a kubelet restart, and give no rate until the next scrape.
func (t *Tracker) scraped(m *kubelet.Metrics, at time.Time) {
	t.metrics = m
	n := errorCount(m)
	if t.errors != nil && at.After(t.errorsAt) {
		if n < *t.errors {
			t.rate = nil
			t.notes = append(t.notes, "kubelet restarted (its counters reset)")
		} else {
			t.rate = ptr((n - *t.errors) / at.Sub(t.errorsAt).Minutes())
		}
	}
	t.errors, t.errorsAt = &n, at
}

// errorCount sums the kubelet's runtime (and docker) error counters.
func errorCount(m *kubelet.Metrics) float64 {
	var n float64
	for _, op := range m.Operations {
		n += op.Errors + op.Timeouts
	}
	return n
}

// sourceChanged notes a read failing or working again, once per change.
func (t *Tracker) sourceChanged(s snapshot.Source) {
	prev, known := t.sources[s.Name]
	t.sources[s.Name] = s
	if known && prev.Status == s.Status {
		return
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
