package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-pleg/kubectl-pleg/internal/collect"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// fakeFollower starts every node NotReady on a stale relist, then sends
// script's updates (each stamped now) and waits for the end.
type fakeFollower struct {
	fakeCollector
	script func(node string) []snapshot.Update
}

func (f fakeFollower) Follow(ctx context.Context, node string, _ time.Duration, updates chan<- snapshot.Update) {
	for _, u := range f.script(node) {
		u.Time, u.NodeName = time.Now().UTC(), node
		select {
		case updates <- u:
		case <-ctx.Done():
			return
		}
	}
	<-ctx.Done()
}

func readyNode(name string, status corev1.ConditionStatus) *corev1.Node {
	t := metav1.NewTime(time.Now().UTC())
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: status, Reason: "KubeletReady", LastHeartbeatTime: t, LastTransitionTime: t,
	}}}}
}

func runWatch(t *testing.T, script func(string) []snapshot.Update, args ...string) (int, string, string) {
	t.Helper()
	return runWatchOn(t, staleFollower(script), 0, args...)
}

func recovers(node string) []snapshot.Update {
	fresh := time.Now().UTC()
	return []snapshot.Update{
		{Metrics: &kubelet.Metrics{PLEGLastSeen: &fresh}},
		{Node: readyNode(node, corev1.ConditionTrue)},
		{Event: &snapshot.Event{Reason: "NodeReady", Count: 1, Last: fresh}},
	}
}

func TestWatchUntilHealthyExitsZeroOnceStable(t *testing.T) {
	code, out, errOut := runWatch(t, recovers, "stale", "--until", "healthy", "--stable", "200ms", "--timeout", "20s")
	if code != 0 {
		t.Fatalf("exit %d; stderr %s; stdout:\n%s", code, errOut, out)
	}
	for _, want := range []string{"stale  NotReady 16m", "[pleg-unhealthy: pleg-relist-stalled]", "Ready (was NotReady for", "event NodeReady", "healthy for 200ms — done (exit 0)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("piped output must hold no terminal control sequences")
	}
}

func TestWatchTimeoutExitsThreeWithTheLastDiagnosis(t *testing.T) {
	stuck := func(string) []snapshot.Update { return nil }
	code, out, errOut := runWatch(t, stuck, "stale", "--until", "healthy", "--timeout", "500ms")
	if code != 3 || !strings.Contains(errOut, "timeout: after 500ms the nodes are not healthy") || !strings.Contains(out, "RANK  CAUSE") {
		t.Errorf("exit %d; stderr %q; stdout:\n%s", code, errOut, out)
	}
}

// With -o json the output stays JSON Lines to the end: the last diagnosis
// of each node is one line too.
func TestWatchTimeoutJSONLines(t *testing.T) {
	code, out, _ := runWatch(t, func(string) []snapshot.Update { return nil }, "stale", "--until", "healthy", "--timeout", "300ms", "-o", "json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var last struct{ Kind, Verdict string }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); code != 3 || err != nil || last.Kind != "Diagnosis" || last.Verdict != "pleg-unhealthy" {
		t.Errorf("exit %d, last line %q (%v)", code, lines[len(lines)-1], err)
	}
}

func TestWatchWithoutAGoalEndsCleanly(t *testing.T) {
	code, _, errOut := runWatch(t, func(string) []snapshot.Update { return nil }, "stale", "--timeout", "300ms")
	if code != 0 || errOut != "" {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestWatchDeletedNodeExitsOne(t *testing.T) {
	gone := func(string) []snapshot.Update { return []snapshot.Update{{Deleted: true}} }
	code, _, errOut := runWatch(t, gone, "stale", "--until", "ready", "--timeout", "10s")
	if code != 1 || !strings.Contains(errOut, "node stale was deleted") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestWatchJSONLines(t *testing.T) {
	code, out, _ := runWatch(t, recovers, "stale", "--until", "ready", "--stable", "100ms", "--timeout", "20s", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	observations := 0
	for _, line := range lines {
		var o struct {
			Kind, Node, Verdict string
			Changes             []string
			Time                time.Time
		}
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		if o.Kind != "Observation" || o.Node != "stale" || o.Verdict == "" || o.Time.IsZero() || len(o.Changes) == 0 {
			t.Errorf("observation %q", line)
		}
		observations++
	}
	if observations < 2 {
		t.Errorf("%d observations, want the start and the recovery:\n%s", observations, out)
	}
}

func TestWatchRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"stale", "--until", "fixed"},
		{"stale", "-o", "yaml"},
		{"stale", "--interval", "0s"},
		{},
	} {
		if code, _, _ := runWatch(t, recovers, args...); code != 1 {
			t.Errorf("%v: exit %d, want 1", args, code)
		}
	}
}

// unreachableFirst is a follower whose API server cannot be reached for its
// first `down` Collects.
type unreachableFirst struct {
	fakeFollower
	down  int32
	tries *atomic.Int32
}

func (f unreachableFirst) Collect(ctx context.Context, node string) (*snapshot.Snapshot, error) {
	if f.tries.Add(1) <= f.down {
		return nil, fmt.Errorf("%w: dial tcp 198.18.0.1:6443: connect: connection refused", collect.ErrAPIServerUnreachable)
	}
	return f.fakeFollower.Collect(ctx, node)
}

// runWatchOn runs watch on f as execute does, with a parent context that
// ends after cancelAfter (Ctrl-C), or never when it is 0.
func runWatchOn(t *testing.T, f clusterReader, cancelAfter time.Duration, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	ctx := context.Background()
	if cancelAfter > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cancelAfter)
		defer cancel()
	}
	code := executeContext(ctx, streams, append([]string{"watch"}, args...), func(*genericclioptions.ConfigFlags, collect.Options) (clusterReader, error) { return f, nil })
	return code, out.String(), errOut.String()
}

func staleFollower(script func(string) []snapshot.Update) fakeFollower {
	start := nodeSnapshot("stale", corev1.ConditionFalse, "PLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s")
	start.CollectedAt = time.Now().UTC()
	start.Node.Status.Conditions[0].LastTransitionTime = metav1.NewTime(start.CollectedAt.Add(-16 * time.Minute))
	return fakeFollower{fakeCollector: fakeCollector{"stale": start}, script: script}
}

// Ctrl-C before the goal is no recovery: a runbook gate must not pass.
func TestWatchInterruptedBeforeTheGoalExits130(t *testing.T) {
	idle := func(string) []snapshot.Update { return nil }
	code, _, errOut := runWatchOn(t, staleFollower(idle), 300*time.Millisecond, "stale", "--until", "healthy")
	if code != ExitInterrupted || !strings.Contains(errOut, "interrupted: the nodes were not seen healthy for 1m0s") {
		t.Errorf("exit %d, stderr %q; want %d and why", code, errOut, ExitInterrupted)
	}
	if code, _, _ := runWatchOn(t, staleFollower(idle), 300*time.Millisecond, "stale"); code != 0 {
		t.Errorf("Ctrl-C of a watch without a goal: exit %d, want 0", code)
	}
}

// An API server down when the watch starts is tried again, and said once.
func TestWatchStartsOnceTheAPIServerAnswers(t *testing.T) {
	tries := &atomic.Int32{}
	f := unreachableFirst{fakeFollower: staleFollower(recovers), down: 1, tries: tries}
	code, out, errOut := runWatchOn(t, f, 0, "stale", "--until", "ready", "--stable", "100ms", "--timeout", "20s")
	if code != 0 || tries.Load() != 2 || strings.Count(errOut, "connection refused; retrying") != 1 {
		t.Errorf("exit %d after %d tries, stderr %q:\n%s", code, tries.Load(), errOut, out)
	}

	// Never reached, with a goal or without one: the tool failed (1), so
	// neither a runbook gate nor a script reads it as a recovery or a quiet end.
	f.down = 1 << 30
	for _, args := range [][]string{{"--until", "ready"}, nil} {
		tries.Store(0)
		code, _, errOut = runWatchOn(t, f, 0, append([]string{"stale", "--timeout", "300ms"}, args...)...)
		if code != ExitFailed || !strings.Contains(errOut, "error: the watch ended before the nodes could be read: node stale: cannot reach the API server") {
			t.Errorf("never reachable %v: exit %d, stderr %q; want 1 and why", args, code, errOut)
		}
	}
}
