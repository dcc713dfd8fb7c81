package kubelet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// Reading a whole log stream: cut into blocks of whole lines, scanned by
// parallel workers (LogScanner per block), the block summaries merged in
// stream order, in memory independent of the log's size.

// ErrBinary is returned for input that is not a text log.
var ErrBinary = errors.New("not a text log (binary data)")

// ScanLogTail is the one entry point of log scanning: it reads a log stream
// once into one summary per options (a syslog yields both the system log and,
// filtered by identifier, the kubelet's own), keeping only the newest
// keepBytes of it (to within one block; 0 keeps all), in memory independent
// of both: block summaries older than the window are dropped as newer ones
// arrive, and Truncated says so. The whole stream is still read, since its
// end is not known in advance.
func ScanLogTail(r io.Reader, keepBytes int64, opts ...ScanOptions) ([]*LogSummary, error) {
	return scanStream(r, keepBytes, opts)
}

// scanStream summarizes r; keepBytes > 0 keeps only its newest bytes.
//
// A reader cuts the stream into blocks of whole lines; workers, one per CPU,
// let a multi-pattern search (prefilter) find the few lines of a block that
// carry a signal, count the others without looking at them, and parse only
// the first and last timestamped lines of the block; the block summaries are
// merged in stream order. Memory is a few blocks, whatever the log's size.
func scanStream(r io.Reader, keepBytes int64, opts []ScanOptions) ([]*LogSummary, error) {
	workers := min(runtime.GOMAXPROCS(0), 4)
	blocks := make(chan logBlock, workers)
	results := make(chan blockResult, workers)
	var readErr error
	go func() {
		defer close(blocks)
		readErr = readBlocks(r, blocks, blockSizeFor(keepBytes))
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range blocks {
				results <- blockResult{seq: b.seq, sums: scanBlock(b, opts)}
				blockPool.Put(b.buf)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	// Block summaries arrive out of order; they join the window in stream
	// order, and with a byte cap the oldest leave it.
	var window [][]*LogSummary
	var windowBytes int64
	dropped := false
	pending := map[int][]*LogSummary{}
	next := 0
	for res := range results {
		pending[res.seq] = res.sums
		for sums, ok := pending[next]; ok; sums, ok = pending[next] {
			window = append(window, sums)
			windowBytes += sums[0].Bytes
			for keepBytes > 0 && windowBytes > keepBytes && len(window) > 1 {
				windowBytes -= window[0][0].Bytes
				window, dropped = window[1:], true
			}
			if keepBytes <= 0 { // no cap: fold at once, keeping nothing
				window = [][]*LogSummary{mergeAll(window, len(opts))}
			}
			delete(pending, next)
			next++
		}
	}
	if errors.Is(readErr, ErrBinary) {
		return nil, readErr
	}
	total := mergeAll(window, len(opts))
	for _, sum := range total {
		sum.Truncated = sum.Truncated || dropped
	}
	return total, readErr
}

// mergeAll merges block summaries in order into one summary per options.
func mergeAll(blocks [][]*LogSummary, n int) []*LogSummary {
	total := make([]*LogSummary, n)
	for i := range total {
		total[i] = &LogSummary{Signals: map[Signal]*SignalStats{}}
		for _, b := range blocks {
			total[i].merge(b[i])
		}
	}
	return total
}

// blockSize is how much of a log one worker takes at a time.
const blockSize = 256 << 10

// blockSizeFor makes blocks small enough that a byte cap keeps at least 7/8
// of its bytes (the window moves a block at a time) and never more; a block
// still holds a whole maxLineLen line.
func blockSizeFor(keepBytes int64) int {
	if keepBytes <= 0 {
		return blockSize
	}
	return int(min(blockSize, max(maxLineLen, keepBytes/8)))
}

// logBlock is a run of whole lines; cut says its only line was longer than a
// block and cut, its tail skipped by the reader.
type logBlock struct {
	seq  int
	data []byte
	cut  bool
	buf  *[]byte // data's backing buffer, returned to blockPool once scanned
}

// blockPool recycles block buffers: a log of any size cycles through a few.
var blockPool = sync.Pool{New: func() any { b := make([]byte, blockSize); return &b }}

type blockResult struct {
	seq  int
	sums []*LogSummary
}

// readBlocks cuts r into blocks that end at line ends. The whole lines read
// before an error are still sent; the error is returned.
func readBlocks(r io.Reader, out chan<- logBlock, size int) error {
	seq, skipping := 0, false
	var carry []byte // the start of a line the previous block ended in
	for {
		bp := blockPool.Get().(*[]byte)
		buf := (*bp)[:size]
		c := copy(buf, carry) // carry is shorter than a block: longer lines are cut
		n, err := io.ReadFull(r, buf[c:])
		data := buf[:c+n]
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			end := bytes.LastIndexByte(data, '\n') + 1
			if end > 0 && !skipping {
				out <- logBlock{seq: seq, data: data[:end], buf: bp}
			}
			return fmt.Errorf("reading log: %w", err)
		}
		if seq == 0 && !skipping {
			firstLine, _, _ := bytes.Cut(data, []byte{'\n'})
			if bytes.IndexByte(firstLine, 0) >= 0 {
				return ErrBinary
			}
		}
		if skipping { // the tail of a cut line: drop it up to its end
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				blockPool.Put(bp)
				if eof {
					return nil
				}
				carry = nil
				continue
			}
			data, skipping = data[i+1:], false
		}
		end := bytes.LastIndexByte(data, '\n') + 1
		switch {
		case eof:
			end = len(data)
		case end == 0 && len(data) >= size: // one line fills a block: cut it
			out <- logBlock{seq: seq, data: data[:maxLineLen], cut: true, buf: bp}
			seq++
			carry, skipping = nil, true
			continue
		}
		// The unfinished line moves to the next block before this one is
		// handed to a worker, which recycles its buffer.
		carry = append(carry[:0], data[end:]...)
		if end > 0 {
			out <- logBlock{seq: seq, data: data[:end], buf: bp}
			seq++
		} else {
			blockPool.Put(bp)
		}
		if eof {
			return nil
		}
	}
}

// scanBlock summarizes one block, once per options.
func scanBlock(b logBlock, opts []ScanOptions) []*LogSummary {
	scanners := make([]*logScanner, len(opts))
	for i, o := range opts {
		scanners[i] = newLogScanner(o)
		scanners[i].stableLines = true
	}
	data := b.data
	lines := int64(bytes.Count(data, []byte{'\n'}))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines++
	}
	for _, sc := range scanners {
		sc.summary.Lines, sc.summary.Bytes = lines, int64(len(data))
		if b.cut {
			sc.summary.LongLines = 1
		}
	}
	// Long lines are cut to maxLineLen before anything looks at them, so
	// that whether a signal far into a line counts never depends on buffers.
	if hasLongLine(data) {
		data = cutLongLines(data, scanners)
	}
	firstAndLastTimes(data, scanners)
	// Line numbers are counted only up to the lines that carry a signal.
	lineNo, counted := int64(1), 0
	signalPrefilter.lines(data, func(line []byte, offset int) {
		lineNo += int64(bytes.Count(data[counted:offset], []byte{'\n'}))
		counted = offset
		line = bytes.TrimRight(line, "\r")
		for _, sc := range scanners {
			sc.lineNo = lineNo
			sc.signalLine(line)
		}
	})
	out := make([]*LogSummary, len(scanners))
	for i, sc := range scanners {
		out[i] = sc.Finish()
	}
	return out
}

// merge adds the summary of the log's next stretch to s.
func (s *LogSummary) merge(next *LogSummary) {
	s.Lines += next.Lines
	s.Bytes += next.Bytes
	s.LongLines += next.LongLines
	s.Truncated = s.Truncated || next.Truncated
	if !next.First.IsZero() && (s.First.IsZero() || next.First.Before(s.First)) {
		s.First = next.First
	}
	if next.Last.After(s.Last) {
		s.Last, s.LastYearless = next.Last, next.LastYearless
	}
	if next.Host != "" {
		s.Host = next.Host
	}
	if next.NodeName != "" {
		s.NodeName = next.NodeName
	}
	for sig, st := range next.Signals {
		// The next stretch numbers its lines from 1; in the whole log they
		// come after the lines merged so far.
		st.FirstLine += s.Lines - next.Lines
		st.LastLine += s.Lines - next.Lines
		have, ok := s.Signals[sig]
		if !ok {
			s.Signals[sig] = st
			continue
		}
		have.merge(st)
	}
}

// merge adds the statistics of a later stretch of the same log.
func (st *SignalStats) merge(next *SignalStats) {
	st.Count += next.Count
	if !next.First.IsZero() && (st.First.IsZero() || next.First.Before(st.First)) {
		st.First = next.First
	}
	if next.Last.After(st.Last) {
		st.Last = next.Last
	}
	// The first sample stays the log's first; the newest come from the end.
	newest := append(append([]string{}, st.Samples[1:]...), next.Samples...)
	st.Samples = append(st.Samples[:1], newest[max(0, len(newest)-newestSamples):]...)
	st.Times = append(st.Times, next.Times...)
	st.Times = st.Times[max(0, len(st.Times)-maxTimes):]
	for op, n := range next.Operations {
		if st.Operations == nil {
			st.Operations = map[string]int{}
		}
		st.Operations[op] += n
	}
	for id, n := range next.Objects {
		if st.Objects == nil {
			st.Objects, st.ObjectPods, st.ObjectKinds = map[string]int{}, map[string]string{}, map[string]string{}
		}
		if countBounded(st.Objects, id, n) {
			if pod := next.ObjectPods[id]; pod != "" {
				st.ObjectPods[id] = pod
			}
			if kind := next.ObjectKinds[id]; kind != "" {
				st.ObjectKinds[id] = kind
			}
		}
	}
	for pod, n := range next.PodOnly {
		if st.PodOnly == nil {
			st.PodOnly = map[string]int{}
		}
		countBounded(st.PodOnly, pod, n)
	}
	st.LastLine = next.LastLine
	st.MaxStale = max(st.MaxStale, next.MaxStale)
	if next.Threshold > 0 {
		st.Threshold = next.Threshold
	}
}

// hasLongLine reports whether any line of data is longer than maxLineLen:
// whether some maxLineLen+1 bytes in a row hold no newline. It jumps a window
// at a time, not a line at a time.
func hasLongLine(data []byte) bool {
	for len(data) > maxLineLen {
		i := bytes.LastIndexByte(data[:maxLineLen+1], '\n')
		if i < 0 {
			return true
		}
		data = data[i+1:]
	}
	return false
}

// cutLongLines returns data with every line cut to maxLineLen, counting each cut.
func cutLongLines(data []byte, scanners []*logScanner) []byte {
	var out []byte
	for len(data) > 0 {
		line, rest, found := bytes.Cut(data, []byte{'\n'})
		if len(line) > maxLineLen {
			line = line[:maxLineLen]
			for _, sc := range scanners {
				sc.summary.LongLines++
			}
		}
		out = append(append(out, line...), '\n')
		data = rest
		if !found {
			break
		}
	}
	return out
}

// firstAndLastTimes widens First and Last with the first and the last
// timestamped line of the block: the times in between cannot be outside.
// (Log times can go backwards, but by seconds, not across a block.)
func firstAndLastTimes(data []byte, scanners []*logScanner) {
	const tries = 16 // lines tried from each end: goroutine dumps have no time
	rest := data
	for i := 0; i < tries && len(rest) > 0; i++ {
		line, next, _ := bytes.Cut(rest, []byte{'\n'})
		if noteAll(scanners, line) {
			break
		}
		rest = next
	}
	end := len(data)
	for i := 0; i < tries && end > 0; i++ {
		lineEnd := end
		if data[lineEnd-1] == '\n' {
			lineEnd--
		}
		start := bytes.LastIndexByte(data[:lineEnd], '\n') + 1
		if noteAll(scanners, data[start:lineEnd]) {
			break
		}
		end = start
	}
}

func noteAll(scanners []*logScanner, line []byte) bool {
	line = bytes.TrimRight(line, "\r")
	ok := false
	for _, sc := range scanners {
		ok = sc.noteTime(line) || ok
	}
	return ok
}
