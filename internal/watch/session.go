package watch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/internal/backoff"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Follower reads a node once and then follows it; internal/collect's Collector
// in production. Follow sends every update with NodeName set until ctx ends.
type Follower interface {
	Collect(ctx context.Context, node string) (*snapshot.Snapshot, error)
	Follow(ctx context.Context, node string, interval time.Duration, updates chan<- snapshot.Update)
}

// The wait between two tries to read the nodes at the start.
var (
	startRetryMin = time.Second
	startRetryMax = 30 * time.Second
)

// Session follows several nodes toward one goal: a Tracker each, in the
// order the nodes were named.
type Session struct {
	nodes    []string
	trackers map[string]*Tracker
	stable   time.Duration
}

// Start diagnoses every node at once, as diagnose would, and returns the
// session with each node's first observation. A read that may pass (an API
// server that cannot be reached yet: retryable says which errors) is tried
// again with backoff until ctx ends, and said once through retrying: a watch
// is started when the cluster is in trouble, an API server restart
// included. A missing node or a refused read ends the start at once.
func Start(ctx context.Context, f Follower, nodes []string, goal Goal, stable time.Duration,
	retryable func(error) bool, retrying func(error)) (*Session, []*Observation, error) {
	snaps := make([]*snapshot.Snapshot, len(nodes))
	errs := make([]error, len(nodes))
	var said sync.Once
	var wg sync.WaitGroup
	for i, name := range nodes {
		wg.Go(func() {
			wait := backoff.New(startRetryMin, startRetryMax)
			for {
				snaps[i], errs[i] = f.Collect(ctx, name)
				if !retryable(errs[i]) || ctx.Err() != nil {
					break
				}
				said.Do(func() { retrying(errs[i]) })
				wait.Wait(ctx)
			}
			if errs[i] != nil {
				errs[i] = fmt.Errorf("node %s: %w", name, errs[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	s := &Session{nodes: nodes, trackers: map[string]*Tracker{}, stable: stable}
	var first []*Observation
	for i, name := range nodes {
		s.trackers[name] = NewTracker(snaps[i], goal)
		first = append(first, s.trackers[name].Tick(snaps[i].CollectedAt))
	}
	return s, first, nil
}

// Follow follows every node of the session until ctx ends; their updates
// arrive on the channel returned, each naming its node.
func (s *Session) Follow(ctx context.Context, f Follower, interval time.Duration) <-chan snapshot.Update {
	updates := make(chan snapshot.Update)
	for _, name := range s.nodes {
		go f.Follow(ctx, name, interval, updates)
	}
	return updates
}

// Apply takes an update of one node and returns the observation it makes,
// or nil when nothing worth a line changed (or the node is not followed).
func (s *Session) Apply(u snapshot.Update) *Observation {
	t := s.trackers[u.NodeName]
	if t == nil {
		return nil
	}
	return t.Apply(u)
}

// Tick re-checks every node at now and returns the observations that changed.
func (s *Session) Tick(now time.Time) []*Observation {
	var out []*Observation
	for _, name := range s.nodes {
		if o := s.trackers[name].Tick(now); o != nil {
			out = append(out, o)
		}
	}
	return out
}

// Last is every node's newest observation, in the order the nodes were named.
func (s *Session) Last() []*Observation {
	out := make([]*Observation, 0, len(s.nodes))
	for _, name := range s.nodes {
		out = append(out, s.trackers[name].Last())
	}
	return out
}

// GoalReached says every node has met the goal for the stable time at now.
func (s *Session) GoalReached(now time.Time) bool {
	for _, o := range s.Last() {
		if o == nil || !o.GoalMet || now.Sub(o.GoalSince) < s.stable {
			return false
		}
	}
	return true
}
