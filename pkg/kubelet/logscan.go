package kubelet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// Bounds that keep a LogSummary small whatever the size of the log.
const (
	maxSampleLen   = 400  // bytes of a sample line kept
	newestSamples  = 3    // newest sample lines kept per signal (plus the first one)
	maxTimes       = 64   // newest occurrence times kept per signal
	maxObjects     = 1024 // distinct container/sandbox IDs tracked per signal
	maxLineLen     = 64 << 10
	scanBufferSize = 256 << 10
)

// LogSummary is everything the rules need from one log, in bounded memory.
type LogSummary struct {
	Lines int64 // lines read
	Bytes int64 // bytes read
	// First and Last are the times of the oldest and newest timestamped lines read.
	First, Last time.Time
	// Truncated says older lines were dropped to keep within a byte cap.
	Truncated bool
	// LongLines counts lines cut at maxLineLen bytes.
	LongLines int64
	Signals   map[Signal]*SignalStats
}

// Signal returns the statistics of sig, or an empty value when it never occurred.
func (s *LogSummary) Signal(sig Signal) *SignalStats {
	if s == nil {
		return &SignalStats{}
	}
	if st, ok := s.Signals[sig]; ok {
		return st
	}
	return &SignalStats{}
}

// SignalStats describes every occurrence of one signal in a log.
type SignalStats struct {
	Count       int
	First, Last time.Time
	// Samples holds the first matching line and the newest few, each cut to maxSampleLen.
	Samples []string
	// Times holds the newest occurrence times (oldest first), at most maxTimes.
	Times []time.Time
	// Operations counts the CRI/docker operations named in RuntimeTimeout lines.
	Operations map[string]int
	// Objects counts the container/sandbox IDs named in RuntimeTimeout lines.
	Objects map[string]int
	// MaxStale and Threshold are the largest PLEG staleness reported and its threshold.
	MaxStale, Threshold time.Duration
}

// ScanOptions select which lines of a log count.
type ScanOptions struct {
	// Ref is the collection time, used to give year-less timestamps their year.
	Ref time.Time
	// Since drops lines older than it (zero keeps everything).
	Since time.Time
	// Idents, when set, keeps only lines whose syslog identifier is one of them;
	// lines with no identifier (bare klog, JSON) are kept. It lets the kubelet's
	// lines be read out of /var/log/messages.
	Idents []string
}

// KubeletIdents are the syslog identifiers under which kubelets log.
var KubeletIdents = []string{"kubelet", "kubelet.service", "k3s", "hyperkube", "kubenswrapper", "k0s", "rke2", "microk8s.daemon-kubelite"}

// LogScanner builds a LogSummary one line at a time.
type LogScanner struct {
	opts    ScanOptions
	summary LogSummary
	// last is the start of the latest line: its time becomes Last without
	// parsing the time of every line.
	last []byte
}

// NewLogScanner starts an empty summary.
func NewLogScanner(opts ScanOptions) *LogScanner {
	return &LogScanner{opts: opts, summary: LogSummary{Signals: map[Signal]*SignalStats{}}}
}

// Line adds one line (without its newline). The scanner keeps no reference to line.
func (s *LogScanner) Line(line []byte) {
	sum := &s.summary
	sum.Lines++
	sum.Bytes += int64(len(line)) + 1
	s.last = append(s.last[:0], line[:min(len(line), 256)]...)
	sigs := Classify(line)
	if sigs == 0 && sum.Lines > 1 && !sum.First.IsZero() {
		// The common case: nothing to record but the time. First and Last
		// take the time of every timestamped line, not only the final
		// line's: a log ending in lines without a time (a crashed kubelet's
		// goroutine dump) left Last at the last signal's time, minutes early.
		if h, ok := parseHeader(line, s.opts.Ref); ok {
			if h.time.Before(sum.First) {
				sum.First = h.time
			}
			if h.time.After(sum.Last) {
				sum.Last = h.time
			}
		}
		return
	}
	h, hasTime := parseHeader(line, s.opts.Ref)
	if hasTime {
		if sum.First.IsZero() || h.time.Before(sum.First) {
			sum.First = h.time
		}
		if h.time.After(sum.Last) {
			sum.Last = h.time
		}
	}
	if len(s.opts.Idents) > 0 && h.ident != "" && !contains(s.opts.Idents, h.ident) {
		return
	}
	if hasTime && !s.opts.Since.IsZero() && h.time.Before(s.opts.Since) {
		return
	}
	sigs.Each(func(sig Signal) { s.record(sig, line, h.time) })
}

// Finish closes the summary: the final line's time sets Last (matches
// already refreshed it along the way).
func (s *LogScanner) Finish() *LogSummary {
	if h, ok := parseHeader(s.last, s.opts.Ref); ok && h.time.After(s.summary.Last) {
		s.summary.Last = h.time
	}
	return &s.summary
}

func (s *LogScanner) record(sig Signal, line []byte, t time.Time) {
	st, ok := s.summary.Signals[sig]
	if !ok {
		st = &SignalStats{}
		s.summary.Signals[sig] = st
	}
	st.Count++
	if !t.IsZero() {
		if st.First.IsZero() || t.Before(st.First) {
			st.First = t
		}
		if t.After(st.Last) {
			st.Last = t
		}
		st.Times = appendBounded(st.Times, t, maxTimes)
	}
	sample := string(line[:min(len(line), maxSampleLen)])
	if len(st.Samples) < 1+newestSamples {
		st.Samples = append(st.Samples, sample)
	} else { // keep the first, shift the newest
		copy(st.Samples[1:], st.Samples[2:])
		st.Samples[len(st.Samples)-1] = sample
	}
	switch sig {
	case PLEGUnhealthy:
		if p, ok := ParsePLEGStaleness(string(line)); ok {
			st.MaxStale = max(st.MaxStale, p.Stale)
			if p.Threshold > 0 {
				st.Threshold = p.Threshold
			}
		}
	case RuntimeTimeout:
		if op := operationOf(line); op != "" {
			if st.Operations == nil {
				st.Operations = map[string]int{}
			}
			st.Operations[op]++
		}
		if id := containerIDOf(line); id != "" {
			if st.Objects == nil {
				st.Objects = map[string]int{}
			}
			if _, seen := st.Objects[id]; seen || len(st.Objects) < maxObjects {
				st.Objects[id]++
			}
		}
	}
}

func appendBounded(ts []time.Time, t time.Time, n int) []time.Time {
	if len(ts) < n {
		return append(ts, t)
	}
	copy(ts, ts[1:])
	ts[len(ts)-1] = t
	return ts
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// criOperations are the runtime calls whose timeouts the kubelet logs, longest
// names first so that "ContainerStatus" is not read as "Status".
var criOperations = [][]byte{
	[]byte("ListPodSandboxStats"), []byte("ListContainerStats"), []byte("PodSandboxStatus"),
	[]byte("ListPodSandbox"), []byte("ListContainers"), []byte("ContainerStatus"),
	[]byte("ContainerStats"), []byte("StopPodSandbox"), []byte("RemovePodSandbox"),
	[]byte("RunPodSandbox"), []byte("KillContainer"), []byte("StopContainer"),
	[]byte("RemoveContainer"), []byte("CreateContainer"), []byte("StartContainer"),
	[]byte("ImageFsInfo"), []byte("ImageStatus"), []byte("ListImages"), []byte("PullImage"),
	[]byte("ExecSync"), []byte("Version"),
}

// operationOf names the CRI operation a timeout line is about, or "".
func operationOf(line []byte) string {
	for _, op := range criOperations {
		if bytes.Contains(line, op) {
			return string(op)
		}
	}
	// The bare runtime Status call: `"Status from runtime service failed"`.
	if bytes.Contains(line, []byte("Status from runtime service failed")) {
		return "Status"
	}
	return ""
}

// containerIDOf returns the first 64-hex-digit container or sandbox ID in a
// line, skipping image digests ("sha256:...").
func containerIDOf(line []byte) string {
	run := 0
	for i := 0; i <= len(line); i++ {
		if i < len(line) && isHex(line[i]) {
			run++
			continue
		}
		if run == 64 {
			start := i - 64
			if !bytes.HasSuffix(line[:start], []byte("sha256:")) {
				return string(line[start:i])
			}
		}
		run = 0
	}
	return ""
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// ErrBinary is returned for input that is not a text log.
var ErrBinary = errors.New("not a text log (binary data)")

// ScanLog reads a whole log stream line by line, in memory independent of its size.
func ScanLog(r io.Reader, opts ScanOptions) (*LogSummary, error) {
	sums, err := ScanLogs(r, opts)
	if sums == nil {
		return nil, err
	}
	return sums[0], err
}

// ScanLogs reads a log stream once into one summary per options: a syslog
// yields both the system log and, filtered by identifier, the kubelet's own.
func ScanLogs(r io.Reader, opts ...ScanOptions) ([]*LogSummary, error) {
	scanners := make([]*LogScanner, len(opts))
	for i, o := range opts {
		scanners[i] = NewLogScanner(o)
	}
	each := func(fn func(*LogScanner)) {
		for _, sc := range scanners {
			fn(sc)
		}
	}
	finish := func() []*LogSummary {
		out := make([]*LogSummary, len(scanners))
		for i, sc := range scanners {
			out[i] = sc.Finish()
		}
		return out
	}
	br := bufio.NewReaderSize(r, scanBufferSize)
	var lines int64
	long := false
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if lines == 0 && !long && bytes.IndexByte(chunk, 0) >= 0 {
				return nil, ErrBinary
			}
			full := bytes.HasSuffix(chunk, []byte("\n"))
			line := bytes.TrimRight(chunk, "\r\n")
			// A line longer than maxLineLen is cut and counted, whether or not
			// it fits the read buffer, so that whether a signal far into a line
			// counts never depends on the buffer size.
			cut := errors.Is(err, bufio.ErrBufferFull) || len(line) > maxLineLen
			switch {
			case long: // the tail of a line already cut
			default:
				lines++
				if cut {
					line = line[:min(len(line), maxLineLen)]
				}
				each(func(sc *LogScanner) {
					if cut {
						sc.summary.LongLines++
					}
					sc.Line(line)
				})
				long = errors.Is(err, bufio.ErrBufferFull)
			}
			if full {
				long = false
			}
		}
		if err == nil || errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			return finish(), nil
		}
		return finish(), fmt.Errorf("reading log: %w", err)
	}
}
