package watch

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-pleg/kubectl-pleg/internal/offline"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

var t0 = time.Date(2026, 11, 27, 9, 14, 2, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const plegMessage = "PLEG is not healthy: pleg was last seen active 16m4s ago; threshold is 3m0s"

// node is worker-3 with Ready=status since since.
func node(status corev1.ConditionStatus, message string, since time.Time) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-3"}}
	n.Status.Conditions = []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: status, Reason: "KubeletNotReady", Message: message,
		LastHeartbeatTime: metav1.NewTime(since), LastTransitionTime: metav1.NewTime(since),
	}}
	return n
}

// metrics is a scrape: the relist last ran at lastSeen, p99, and errors runtime errors so far.
func metrics(lastSeen time.Time, p99 time.Duration, errors float64) *kubelet.Metrics {
	return &kubelet.Metrics{
		PLEGLastSeen: &lastSeen, RelistP99: &p99,
		Operations: map[string]*kubelet.RuntimeOperation{"list_containers": {Total: 1000, Errors: errors}},
	}
}

// incident is the diagnose snapshot of a node NotReady for 16m on a stale relist.
func incident() *snapshot.Snapshot {
	return &snapshot.Snapshot{
		NodeName: "worker-3", CollectedAt: t0, Node: node(corev1.ConditionFalse, plegMessage, at(-16*time.Minute)),
		Metrics: metrics(at(-16*time.Minute-4*time.Second), 90*time.Second, 100),
		KubeletLog: func() *kubelet.LogSummary {
			sums, _ := kubelet.ScanLogTail(strings.NewReader(strings.Repeat("Nov 27 09:13:58 worker-3 kubelet[1]: E1127 09:13:58.000000 1 remote_runtime.go:390] \"ListContainers with filter from runtime service failed\" err=\"rpc error: code = DeadlineExceeded desc = context deadline exceeded\"\n", 20)),
				0, kubelet.ScanOptions{Ref: t0})
			return sums[0]
		}(),
		Sources: []snapshot.Source{{Name: snapshot.SourceNode, Status: snapshot.StatusOK}, {Name: snapshot.SourceMetrics, Status: snapshot.StatusOK}},
	}
}

func changes(o *Observation) string {
	if o == nil {
		return "<no line>"
	}
	return strings.Join(o.Changes, " | ")
}

func TestFirstObservationSaysTheWholeState(t *testing.T) {
	tr := NewTracker(incident(), Healthy)
	o := tr.Tick(t0)
	want := "NotReady 16m | PLEG last seen 16m4s ago | relist p99 >60s | [pleg-unhealthy: runtime-unresponsive]"
	if got := changes(o); got != want {
		t.Errorf("first line:\n got %s\nwant %s", got, want)
	}
	if o.GoalMet {
		t.Error("goal met on a NotReady node")
	}
	if again := tr.Tick(at(time.Second)); again != nil {
		t.Errorf("nothing changed, yet a line: %s", changes(again))
	}
}

// The runtime error rate is the change of the error counters between two
// scrapes; counters that go down were reset by a kubelet restart and count
// from zero.
func TestRuntimeErrorRateFromCounterDeltas(t *testing.T) {
	tr := NewTracker(incident(), Forever)
	tr.Tick(t0)
	o := tr.Apply(snapshot.Update{Time: at(time.Minute), Metrics: metrics(at(-17*time.Minute), 90*time.Second, 141)})
	if o == nil || o.RuntimeErrorsPerMinute == nil || *o.RuntimeErrorsPerMinute != 41 || !strings.Contains(changes(o), "runtime errors 41/min") {
		t.Fatalf("41 more errors in a minute: %s", changes(o))
	}
	o = tr.Apply(snapshot.Update{Time: at(90 * time.Second), Metrics: metrics(at(-17*time.Minute), 90*time.Second, 161)})
	if o != nil {
		t.Errorf("40/min stays in its band, yet a line: %s", changes(o))
	}
	o = tr.Apply(snapshot.Update{Time: at(2 * time.Minute), Metrics: metrics(at(-17*time.Minute), 90*time.Second, 3)})
	if o == nil || o.RuntimeErrorsPerMinute == nil || *o.RuntimeErrorsPerMinute != 6 || !strings.Contains(changes(o), "kubelet restarted (its counters reset)") {
		t.Fatalf("a counter reset, 3 errors since in 30s: %s", changes(o))
	}
	o = tr.Apply(snapshot.Update{Time: at(3 * time.Minute), Metrics: metrics(at(-17*time.Minute), 90*time.Second, 3)})
	if o == nil || !strings.Contains(changes(o), "runtime errors 0/min") {
		t.Errorf("after the reset, the rate again: %s", changes(o))
	}
}

// scrape is a healthy kubelet's /metrics with the given error counters by operation.
func scrape(lastSeen time.Time, errors map[string]float64) *kubelet.Metrics {
	m := metrics(lastSeen, 100*time.Millisecond, 0)
	m.Operations = map[string]*kubelet.RuntimeOperation{}
	for op, n := range errors {
		m.Operations[op] = &kubelet.RuntimeOperation{Total: 1000, Errors: n}
	}
	return m
}

// A reset is seen per operation, even when the sum of the counters grew;
// a rate needs a window of minRateWindow; a scrape cut short before its
// runtime operations keeps the rate; docker's timeouts, already among its
// errors, are not counted twice.
func TestRuntimeErrorRateEdges(t *testing.T) {
	s := incident()
	s.Metrics = scrape(at(-time.Second), map[string]float64{"list_containers": 50, "version": 0})
	tr := NewTracker(s, Forever)
	tr.Tick(t0)

	if o := tr.Apply(snapshot.Update{Time: at(3 * time.Second), Metrics: scrape(at(2*time.Second), map[string]float64{"list_containers": 51, "version": 0})}); o != nil && o.RuntimeErrorsPerMinute != nil {
		t.Errorf("a rate over 3s: %s", changes(o))
	}
	o := tr.Apply(snapshot.Update{Time: at(12 * time.Second), Metrics: scrape(at(11*time.Second), map[string]float64{"list_containers": 52, "version": 0})})
	if o == nil || o.RuntimeErrorsPerMinute == nil || *o.RuntimeErrorsPerMinute != 10 {
		t.Fatalf("2 errors over the 12s since the start's scrape, want 10/min: %+v", o)
	}

	o = tr.Apply(snapshot.Update{Time: at(72 * time.Second), Metrics: scrape(at(71*time.Second), map[string]float64{"list_containers": 2, "version": 100})})
	if o == nil || !strings.Contains(changes(o), "kubelet restarted") || *o.RuntimeErrorsPerMinute != 102 {
		t.Errorf("list_containers reset while version grew past it: %s", changes(o))
	}

	cut := &kubelet.Metrics{PLEGLastSeen: ptr(at(131 * time.Second)), Operations: map[string]*kubelet.RuntimeOperation{}}
	tr.Apply(snapshot.Update{Time: at(132 * time.Second), Metrics: cut})
	if tr.rate == nil || *tr.rate != 102 || tr.errors["version"] != 100 {
		t.Errorf("a scrape without operations changed the rate to %v, the base to %v", tr.rate, tr.errors)
	}

	docker := scrape(at(191*time.Second), map[string]float64{"list_containers": 2, "version": 100})
	docker.Operations["version"].Timeouts = 50
	tr.Apply(snapshot.Update{Time: at(192 * time.Second), Metrics: docker})
	if tr.rate == nil || *tr.rate != 0 {
		t.Errorf("docker timeouts counted as new errors: rate %v", tr.rate)
	}
}

// A healthy node scraped every 10s for 10 minutes says nothing after its
// first line: the relist stays fresh, so no "relist ran" line.
func TestHealthyNodeStaysQuiet(t *testing.T) {
	s := incident()
	s.Node = node(corev1.ConditionTrue, "kubelet is posting ready status", at(-time.Hour))
	s.Metrics, s.KubeletLog = scrape(at(-time.Second), map[string]float64{"list_containers": 5}), nil
	tr := NewTracker(s, Healthy)
	tr.Tick(t0)
	for sec := 1; sec <= 600; sec++ {
		now := at(time.Duration(sec) * time.Second)
		var o *Observation
		if sec%10 == 0 {
			ok := snapshot.Source{Name: snapshot.SourceMetrics, Status: snapshot.StatusOK}
			o = tr.Apply(snapshot.Update{Time: now, Metrics: scrape(now.Add(-time.Second), map[string]float64{"list_containers": 5}), Source: &ok})
		} else {
			o = tr.Tick(now)
		}
		if o != nil && sec > 1 {
			t.Fatalf("a line at %ds on a healthy node: %s", sec, changes(o))
		}
	}
}

// A kubelet that could not be reached at the start and answers later is not
// kept down by the start's failed reads: it answers again, and the rules no
// longer find it unreachable.
func TestKubeletUnreachableAtStartRecovers(t *testing.T) {
	s := incident()
	s.Node = node(corev1.ConditionTrue, "kubelet is posting ready status", at(-time.Hour))
	s.Metrics, s.KubeletLog = nil, nil
	refused := func(name snapshot.SourceName) snapshot.Source {
		return snapshot.Source{Name: name, Status: snapshot.StatusUnavailable, Reason: "dial tcp 10.0.0.3:10250: connect: connection refused"}
	}
	s.Sources = []snapshot.Source{{Name: snapshot.SourceNode, Status: snapshot.StatusOK},
		refused(snapshot.SourceHealthz), refused(snapshot.SourceMetrics), refused(snapshot.SourceStats), refused(snapshot.SourceConfigz)}
	tr := NewTracker(s, Healthy)
	if o := tr.Tick(t0); !strings.Contains(changes(o), "kubelet-down") {
		t.Fatalf("first line of an unreachable kubelet: %s", changes(o))
	}
	ok := snapshot.Source{Name: snapshot.SourceMetrics, Status: snapshot.StatusOK}
	o := tr.Apply(snapshot.Update{Time: at(10 * time.Second), Metrics: scrape(at(9*time.Second), nil), Source: &ok})
	if !strings.Contains(changes(o), "the kubelet's /metrics answers again") || strings.Contains(changes(o), "kubelet-down") {
		t.Errorf("the kubelet answers again: %s", changes(o))
	}
	for _, c := range o.Diagnosis.Causes {
		if c.ID == "kubelet-down" {
			t.Errorf("kubelet-down still found once it answered: %+v", c)
		}
	}
}

// The recovery, line by line, and the goal held for --stable.
func TestRecovery(t *testing.T) {
	tr := NewTracker(incident(), Healthy)
	tr.Tick(t0)
	tr.Apply(snapshot.Update{Time: at(20 * time.Second), Metrics: metrics(at(-17*time.Minute), 90*time.Second, 141)})

	o := tr.Apply(snapshot.Update{Time: at(31 * time.Second), Metrics: metrics(at(29*time.Second), 200*time.Millisecond, 141)})
	for _, want := range []string{"relist ran 2s ago", "relist p99 <1s (was >60s)", "runtime errors 0/min (was"} {
		if !strings.Contains(changes(o), want) {
			t.Errorf("relist running again: %s lacks %q", changes(o), want)
		}
	}

	o = tr.Apply(snapshot.Update{Time: at(39 * time.Second), Node: node(corev1.ConditionTrue, "kubelet is posting ready status", at(39*time.Second))})
	if !strings.Contains(changes(o), "Ready (was NotReady for 16m39s)") || !strings.Contains(changes(o), "[healthy: ") {
		t.Errorf("Ready again: %s", changes(o))
	}
	if !o.GoalMet || !o.GoalSince.Equal(at(39*time.Second)) {
		t.Errorf("goal met %v since %v, want since the Ready transition", o.GoalMet, o.GoalSince)
	}
	if strings.Contains(changes(o), "runtime-unresponsive") {
		t.Error("the start's log evidence must not outlive the node's recovery")
	}

	ev := snapshot.Event{Reason: "NodeReady", Message: "Node worker-3 status is now: NodeReady", Count: 1, First: at(39 * time.Second), Last: at(39 * time.Second)}
	o = tr.Apply(snapshot.Update{Time: at(40 * time.Second), Event: &ev})
	if changes(o) != "event NodeReady" {
		t.Errorf("a new event: %s", changes(o))
	}
	if o := tr.Apply(snapshot.Update{Time: at(41 * time.Second), Event: &ev}); o != nil {
		t.Errorf("the same event seen again: %s", changes(o))
	}
	if o := tr.Tick(at(99 * time.Second)); o != nil {
		t.Errorf("the goal still holding is not a change: %s", changes(o))
	}
}

// Ready is not healthy while the relist is stale; ready is only Ready.
func TestGoals(t *testing.T) {
	ready := func(goal Goal, lastSeen time.Time) bool {
		s := incident()
		s.Node = node(corev1.ConditionTrue, "kubelet is posting ready status", at(-time.Minute))
		s.Metrics = metrics(lastSeen, 100*time.Millisecond, 0)
		s.KubeletLog = nil
		return NewTracker(s, goal).Tick(t0).GoalMet
	}
	if !ready(Healthy, at(-time.Second)) || ready(Healthy, at(-5*time.Minute)) {
		t.Error("healthy needs a fresh relist")
	}
	if !ready(Ready, at(-5*time.Minute)) {
		t.Error("ready needs Ready only")
	}
	if ready(Forever, at(-time.Second)) {
		t.Error("a watch without a goal never meets one")
	}
}

// A read failing or recovering is said once per change.
func TestSourceChangesAreSaidOnce(t *testing.T) {
	tr := NewTracker(incident(), Forever)
	tr.Tick(t0)
	forbidden := snapshot.Source{Name: snapshot.SourceMetrics, Status: snapshot.StatusForbidden, Reason: "nodes/proxy forbidden"}
	if o := tr.Apply(snapshot.Update{Time: at(time.Second), Source: &forbidden}); !strings.Contains(changes(o), "following the node and its events only") {
		t.Errorf("forbidden: %s", changes(o))
	}
	if o := tr.Apply(snapshot.Update{Time: at(11 * time.Second), Source: &forbidden}); o != nil {
		t.Errorf("forbidden again: %s", changes(o))
	}
	down := snapshot.Source{Name: snapshot.SourceNode, Status: snapshot.StatusUnavailable, Reason: "connection refused"}
	if o := tr.Apply(snapshot.Update{Time: at(12 * time.Second), Source: &down}); !strings.Contains(changes(o), "the API server (node) unavailable: connection refused; retrying") {
		t.Errorf("API server down: %s", changes(o))
	}
	back := snapshot.Source{Name: snapshot.SourceNode, Status: snapshot.StatusOK}
	if o := tr.Apply(snapshot.Update{Time: at(30 * time.Second), Source: &back}); !strings.Contains(changes(o), "answers again") {
		t.Errorf("API server back: %s", changes(o))
	}
}

// Forbidden from the start: said on the first line, not again.
func TestForbiddenFromTheStartIsSaidOnce(t *testing.T) {
	s := incident()
	s.Metrics = nil
	s.Sources[1] = snapshot.Source{Name: snapshot.SourceMetrics, Status: snapshot.StatusForbidden, Reason: "nodes/proxy forbidden"}
	tr := NewTracker(s, Forever)
	if o := tr.Tick(t0); !strings.Contains(changes(o), "following the node and its events only") {
		t.Errorf("first line: %s", changes(o))
	}
	if o := tr.Apply(snapshot.Update{Time: at(10 * time.Second), Source: &s.Sources[1]}); o != nil {
		t.Errorf("the same failure again: %s", changes(o))
	}
}

// BenchmarkTick is the cost of the watch's once-a-second re-check of one
// node: the diagnose rules over what the tracker knows, here a real
// incident's whole bundle (examples/runtime-hung: logs, pods, stats, metrics).
func BenchmarkTick(b *testing.B) {
	snaps, err := offline.FromDir("../../examples/runtime-hung", t0)
	if err != nil || len(snaps) != 1 {
		b.Fatalf("the example bundle: %v", err)
	}
	start := snaps[0]
	tr := NewTracker(start, Healthy)
	tr.Tick(start.CollectedAt)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tr.Tick(start.CollectedAt.Add(time.Duration(i) * time.Millisecond))
	}
}

// The early warning: a Ready node whose relist stopped says so, with the
// time left before the kubelet declares PLEG unhealthy; a scrape long ago
// that showed the relist running is no warning, however old it gets.
func TestRelistLateIsSaidOnce(t *testing.T) {
	s := incident()
	s.Node = node(corev1.ConditionTrue, "kubelet is posting ready status", at(-time.Hour))
	s.Metrics = metrics(at(-time.Second), 100*time.Millisecond, 0)
	s.KubeletLog = nil
	tr := NewTracker(s, Forever)
	tr.Tick(t0)

	// One scrape a minute (--interval 1m): the relist ran a second before it.
	tr.Apply(snapshot.Update{Time: at(time.Minute), Metrics: metrics(at(59*time.Second), 100*time.Millisecond, 0)})
	if o := tr.Tick(at(time.Minute + 50*time.Second)); o != nil {
		t.Errorf("a relist seen at the last scrape is no change: %s", changes(o))
	}
	// The relist stops: 40s stale at the next scrape.
	o := tr.Apply(snapshot.Update{Time: at(2*time.Minute + 39*time.Second), Metrics: metrics(at(119*time.Second), 100*time.Millisecond, 0)})
	for _, want := range []string{"relist not run for 40s: NotReady expected in ~2m20s", "[healthy: pleg-relist-stalled]"} {
		if !strings.Contains(changes(o), want) {
			t.Errorf("relist late: %s lacks %q", changes(o), want)
		}
	}
	if o := tr.Apply(snapshot.Update{Time: at(2*time.Minute + 49*time.Second), Metrics: metrics(at(119*time.Second), 100*time.Millisecond, 0)}); o != nil {
		t.Errorf("still late is no change: %s", changes(o))
	}
	o = tr.Apply(snapshot.Update{Time: at(2*time.Minute + 59*time.Second), Metrics: metrics(at(178*time.Second), 100*time.Millisecond, 0)})
	if !strings.Contains(changes(o), "relist ran 1s ago") {
		t.Errorf("relist back: %s", changes(o))
	}
}
