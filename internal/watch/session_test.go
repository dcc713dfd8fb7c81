package watch

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

var errDown = errors.New("cannot reach the API server")

// flaky fails its first down Collects with errDown, or with err when set.
type flaky struct {
	down  int32
	tries atomic.Int32
	err   error
}

func (f *flaky) Collect(_ context.Context, node string) (*snapshot.Snapshot, error) {
	if f.tries.Add(1) <= f.down {
		return nil, errDown
	}
	if f.err != nil {
		return nil, f.err
	}
	s := incident()
	s.NodeName = node
	return s, nil
}

func (f *flaky) Follow(ctx context.Context, _ string, _ time.Duration, _ chan<- snapshot.Update) {
	<-ctx.Done()
}

// Start tries a read that may pass again, with backoff, says so once, and
// gives each node its first observation; a read that cannot pass ends it.
func TestStartRetriesWhatMayPass(t *testing.T) {
	startRetryMin = time.Millisecond
	defer func() { startRetryMin = time.Second }()
	retryable := func(err error) bool { return errors.Is(err, errDown) }
	var said atomic.Int32
	f := &flaky{down: 4}
	s, first, err := Start(context.Background(), f, []string{"a"}, Healthy, time.Minute, retryable, func(error) { said.Add(1) })
	if err != nil || f.tries.Load() != 5 || said.Load() != 1 || len(first) != 1 || first[0].Node != "a" {
		t.Fatalf("err %v after %d tries, said %d times, first %v", err, f.tries.Load(), said.Load(), first)
	}
	if s.GoalReached(t0) {
		t.Error("a NotReady node met the goal")
	}

	f = &flaky{err: errors.New("nodes \"b\" not found")}
	if _, _, err := Start(context.Background(), f, []string{"b"}, Healthy, time.Minute, retryable, func(error) {}); err == nil ||
		!strings.Contains(err.Error(), `node b: nodes "b" not found`) || f.tries.Load() != 1 {
		t.Errorf("a missing node: err %v after %d tries, want it at once", err, f.tries.Load())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := Start(ctx, &flaky{down: 1 << 30}, []string{"c"}, Healthy, time.Minute, retryable, func(error) {}); !errors.Is(err, errDown) {
		t.Errorf("never reachable: err %v, want the last read's", err)
	}
}

// Apply routes an update to its node's tracker and ignores other nodes.
func TestSessionApplyByNodeName(t *testing.T) {
	s, _, err := Start(context.Background(), &flaky{}, []string{"a", "b"}, Forever, time.Minute, func(error) bool { return false }, nil)
	if err != nil {
		t.Fatal(err)
	}
	down := snapshot.Source{Name: snapshot.SourceMetrics, Status: snapshot.StatusUnavailable, Reason: "connection refused"}
	if o := s.Apply(snapshot.Update{NodeName: "b", Time: at(time.Second), Source: &down}); o == nil || o.Node != "b" {
		t.Errorf("update of b: %+v", o)
	}
	if o := s.Apply(snapshot.Update{NodeName: "z", Time: at(time.Second), Source: &down}); o != nil {
		t.Errorf("an update of a node not followed made %+v", o)
	}
	if last := s.Last(); len(last) != 2 || last[0].Node != "a" || last[1].Node != "b" {
		t.Errorf("Last is not in the nodes' order: %v", last)
	}
}
