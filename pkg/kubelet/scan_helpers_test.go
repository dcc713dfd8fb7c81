package kubelet

import "io"

// scanLog reads a whole log stream into one summary, as ScanLogTail does.
func scanLog(r io.Reader, opts ScanOptions) (*LogSummary, error) {
	sums, err := ScanLogTail(r, 0, opts)
	if sums == nil {
		return nil, err
	}
	return sums[0], err
}

// scanLogs reads a whole log stream into one summary per options.
func scanLogs(r io.Reader, opts ...ScanOptions) ([]*LogSummary, error) {
	return ScanLogTail(r, 0, opts...)
}

// Line adds one line (without its newline), for tests that have lines one
// by one. The scanner keeps no reference to line. ScanLogTail does the same work for a whole stream without looking at
// every line; Line is for callers that have lines one by one.
func (s *logScanner) Line(line []byte) {
	s.summary.Lines++
	s.summary.Bytes += int64(len(line)) + 1
	s.lineNo = s.summary.Lines
	if !s.signalLine(line) {
		s.noteTime(line)
	}
}
