package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// The generator must cover its time span with about the requested size, so
// that tailLines and sinceTime land near "now".
func TestHugeLogSize(t *testing.T) {
	var b bytes.Buffer
	now := time.Now()
	streamHugeLog(context.Background(), &b, "n", 4<<20, now, &logQuery{tail: -1})
	if got := b.Len(); got < 3<<20 || got > 5<<20 {
		t.Errorf("size = %d, want about 4 MiB", got)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	t.Logf("%d lines, avg %d bytes", len(lines), b.Len()/len(lines))
	for _, want := range []string{"DeadlineExceeded", "PLEG is not healthy"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q line", want)
		}
	}
	b.Reset()
	streamHugeLog(context.Background(), &b, "n", 4<<20, now, &logQuery{tail: 2})
	if n := strings.Count(b.String(), "\n"); n != 2 {
		t.Errorf("tailLines=2 gave %d lines", n)
	}
}
