package cmd

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// progressDelay is how long a collection runs before its progress line
// shows: a quick one should not flash a line.
const progressDelay = 500 * time.Millisecond

// progressLine keeps one line on a terminal's stderr saying what a
// collection still waits on: "collecting worker-3: waiting on metrics,
// stats (12s)". stop clears it before the report is printed.
type progressLine struct {
	w       io.Writer
	start   time.Time
	mu      sync.Mutex
	pending map[string][]snapshot.SourceName
	done    chan struct{}
	stopped sync.WaitGroup
}

// startProgress begins redrawing the line every tick on w.
func startProgress(w io.Writer, tick time.Duration) *progressLine {
	p := &progressLine{w: w, start: time.Now(), pending: map[string][]snapshot.SourceName{}, done: make(chan struct{})}
	p.stopped.Go(func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if time.Since(p.start) >= progressDelay {
					p.draw()
				}
			case <-p.done:
				return
			}
		}
	})
	return p
}

// update takes a node's sources still being read (collect.Options.Progress).
func (p *progressLine) update(node string, pending []snapshot.SourceName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending[node] = pending
}

func (p *progressLine) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	var nodes []string
	for n, pending := range p.pending {
		if len(pending) > 0 {
			nodes = append(nodes, n)
		}
	}
	slices.Sort(nodes)
	var parts []string
	for _, n := range nodes {
		names := make([]string, len(p.pending[n]))
		for i, s := range p.pending[n] {
			names[i] = string(s)
		}
		slices.Sort(names)
		parts = append(parts, n+": "+strings.Join(names, ", "))
	}
	if len(parts) == 0 {
		return
	}
	fmt.Fprintf(p.w, "\r\x1b[Kcollecting, waiting on %s (%s)", strings.Join(parts, "; "), humanize.Duration(time.Since(p.start).Round(time.Second)))
}

// stop ends the redrawing and clears the line.
func (p *progressLine) stop() {
	close(p.done)
	p.stopped.Wait()
	if time.Since(p.start) >= progressDelay {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
