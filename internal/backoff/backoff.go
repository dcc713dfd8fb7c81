// Package backoff waits between tries of something that may pass (a watch
// the API server ended, an API server not reachable yet): the wait starts
// at Min and doubles up to Max, and starts over after a success.
package backoff

import (
	"context"
	"time"
)

// Backoff is the wait before the next try. The zero value is not usable: use New.
type Backoff struct {
	min, max, next time.Duration
}

// New returns a Backoff that waits min first and at most max.
func New(min, max time.Duration) *Backoff {
	return &Backoff{min: min, max: max, next: min}
}

// Wait waits the current wait, or until ctx ends, and doubles the next one.
func (b *Backoff) Wait(ctx context.Context) {
	t := time.NewTimer(b.next)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	b.next = min(2*b.next, b.max)
}

// Reset makes the next wait Min again: what was tried worked.
func (b *Backoff) Reset() { b.next = b.min }
