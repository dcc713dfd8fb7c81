package backoff

import (
	"context"
	"testing"
	"time"
)

func TestBackoffDoublesUpToMaxAndResets(t *testing.T) {
	b := New(time.Millisecond, 4*time.Millisecond)
	var waits []time.Duration
	for range 4 {
		waits = append(waits, b.next)
		b.Wait(context.Background())
	}
	if want := []time.Duration{1, 2, 4, 4}; waits[0] != want[0]*time.Millisecond || waits[1] != want[1]*time.Millisecond || waits[2] != want[2]*time.Millisecond || waits[3] != want[3]*time.Millisecond {
		t.Errorf("waits %v, want 1ms 2ms 4ms 4ms", waits)
	}
	b.Reset()
	if b.next != time.Millisecond {
		t.Errorf("after Reset the wait is %v, want 1ms", b.next)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	New(time.Hour, time.Hour).Wait(ctx)
	if time.Since(start) > time.Second {
		t.Error("Wait did not end with its context")
	}
}
