package cmd

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// syncBuffer is a bytes.Buffer safe to write from the redrawing goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A collection that takes a while says what it still waits on, per node,
// and clears its line before the report; a quick one draws nothing.
func TestProgressLine(t *testing.T) {
	var out syncBuffer
	p := startProgress(&out, 10*time.Millisecond)
	p.update("worker-3", []snapshot.SourceName{snapshot.SourceStats, snapshot.SourceMetrics})
	p.update("worker-7", nil)
	time.Sleep(progressDelay + 100*time.Millisecond)
	p.stop()
	got := out.String()
	if !strings.Contains(got, "collecting, waiting on worker-3: metrics, stats (") || strings.Contains(got, "worker-7") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("progress line: %q", got)
	}

	var quick syncBuffer
	p = startProgress(&quick, 10*time.Millisecond)
	p.update("worker-3", []snapshot.SourceName{snapshot.SourceMetrics})
	p.stop()
	if quick.String() != "" {
		t.Errorf("a quick collection drew %q", quick.String())
	}
}
