package kubelet

import (
	"bytes"
	"strings"
	"time"
)

// Bounds that keep a LogSummary small whatever the size of the log.
const (
	maxSampleLen  = 2048 // bytes of a sample line kept: whole, for any kubelet line but a pathological one
	newestSamples = 3    // newest sample lines kept per signal (plus the first one)
	maxTimes      = 64   // newest occurrence times kept per signal
	maxObjects    = 1024 // distinct container/sandbox IDs, and pods named alone, tracked per signal
	maxLineLen    = 64 << 10
)

// LogSummary is everything the rules need from one log, in bounded memory.
type LogSummary struct {
	Lines int64 // lines read
	Bytes int64 // bytes read
	// First and Last are the times of the oldest and newest timestamped lines read.
	First, Last time.Time
	// LastYearless says Last carries no year of its own (BSD syslog, klog):
	// it has the one that puts it at or before ScanOptions.Ref.
	LastYearless bool
	// Truncated says older lines were dropped to keep within a byte cap.
	Truncated bool
	// LongLines counts lines cut at maxLineLen bytes.
	LongLines int64
	// Host is the host name of the newest syslog-style line read (journald
	// and syslog print it): the node the log comes from, often shortened.
	Host string
	// NodeName is the node a signal line names itself (node="…" in
	// structured kubelet lines): the Node object's full name, where Host
	// may be only the host's short name.
	NodeName string
	Signals  map[Signal]*SignalStats
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
	// sampleRefs are the samples until Finish turns them into Samples.
	sampleRefs [][]byte
	// Times holds the newest occurrence times (oldest first), at most maxTimes.
	Times []time.Time
	// Operations counts the CRI/docker operations named in RuntimeTimeout lines.
	Operations map[string]int
	// Objects counts the container/sandbox IDs named in RuntimeTimeout and
	// StopTimedOut lines.
	Objects map[string]int
	// ObjectPods names the pod ("namespace/name") of an ID in Objects, when
	// a line carried both (pod="…"); ObjectKinds says whether the ID is a
	// pod sandbox ("sandbox") or a container, by the call that timed out.
	ObjectPods, ObjectKinds map[string]string
	// PodOnly counts, by pod, the lines of those signals that name a pod
	// and no ID: the kubelet's "Error syncing pod" for a call on one of
	// its containers that timed out.
	PodOnly map[string]int
	// MaxStale and Threshold are the largest PLEG staleness reported and its threshold.
	MaxStale, Threshold time.Duration
	// FirstLine and LastLine are the line numbers (from 1) of the first and
	// the newest occurrence in the log read: with the log's line count they
	// tell how much of a log without times came after the trouble.
	FirstLine, LastLine int64
}

// ScanOptions select which lines of a log count.
type ScanOptions struct {
	// Ref is the collection time, used to give year-less timestamps their year.
	Ref time.Time
	// Since drops lines older than it (zero keeps everything).
	Since time.Time
	// Idents, when set, keeps only lines whose syslog identifier is one of them
	// (an entry ending in "*" is a prefix); lines with no identifier (bare
	// klog, JSON) are kept. It lets the kubelet's lines be read out of
	// /var/log/messages.
	Idents []string
}

// KubeletIdents are the syslog identifiers under which kubelets log.
// Wrappers start with its name ("kubelet-wrapper" on CoreOS, a
// "kubelet-containerd.sh" script).
var KubeletIdents = []string{
	"kubelet*", "k3s", "hyperkube", "kubenswrapper", "k0s", "rke2",
	"microk8s.daemon-kubelite", "microk8s.daemon-kubelet", "origin-node", "atomic-openshift-node",
}

// logScanner builds a LogSummary; scanStream gives it the lines of a block.
type logScanner struct {
	opts    ScanOptions
	summary LogSummary
	// stableLines says the lines given stay unchanged until Finish (a block
	// being scanned), so samples need not be copied as they come.
	stableLines bool
	// lineNo is the number (from 1) of the line being looked at.
	lineNo int64
}

// newLogScanner starts an empty summary.
func newLogScanner(opts ScanOptions) *logScanner {
	return &logScanner{opts: opts, summary: LogSummary{Signals: map[Signal]*SignalStats{}}}
}

// noteTime widens First and Last with the line's time, if it has one.
func (s *logScanner) noteTime(line []byte) bool {
	h, ok := parseHeader(line, s.opts.Ref)
	if ok {
		s.widen(h)
	}
	return ok
}

func (s *logScanner) widen(h lineHeader) {
	if h.host != "" {
		s.summary.Host = h.host
	}
	t := h.time
	if s.summary.First.IsZero() || t.Before(s.summary.First) {
		s.summary.First = t
	}
	if t.After(s.summary.Last) {
		s.summary.Last, s.summary.LastYearless = t, h.yearless
	}
}

// signalLine records the signals a line carries, if any, and reports
// whether it had any (its time then widened First and Last too).
func (s *logScanner) signalLine(line []byte) bool {
	sigs := Classify(line)
	if sigs == 0 {
		return false
	}
	h, hasTime := parseHeader(line, s.opts.Ref)
	if hasTime {
		s.widen(h)
	}
	if len(s.opts.Idents) > 0 && h.ident != "" && !identIn(s.opts.Idents, h.ident) {
		return true
	}
	if hasTime && !s.opts.Since.IsZero() && h.time.Before(s.opts.Since) {
		return true
	}
	if name := fieldValue(line, "node="); name != "" {
		s.summary.NodeName = name
	}
	sigs.Each(func(sig Signal) { s.record(sig, line, h.time) })
	return true
}

// Finish closes the summary; the scanner must not be used after.
func (s *logScanner) Finish() *LogSummary {
	for _, st := range s.summary.Signals {
		for _, ref := range st.sampleRefs {
			st.Samples = append(st.Samples, string(ref))
		}
		st.sampleRefs = nil
	}
	return &s.summary
}

func (s *logScanner) record(sig Signal, line []byte, t time.Time) {
	st, ok := s.summary.Signals[sig]
	if !ok {
		st = &SignalStats{}
		s.summary.Signals[sig] = st
	}
	st.Count++
	if st.FirstLine == 0 {
		st.FirstLine = s.lineNo
	}
	st.LastLine = s.lineNo
	if !t.IsZero() {
		if st.First.IsZero() || t.Before(st.First) {
			st.First = t
		}
		if t.After(st.Last) {
			st.Last = t
		}
		st.Times = appendBounded(st.Times, t, maxTimes)
	}
	// Within a block the lines stay put until Finish, so samples are kept as
	// references and copied once there: most are replaced by newer ones.
	sample := line[:min(len(line), maxSampleLen)]
	if !s.stableLines {
		sample = bytes.Clone(sample)
	}
	if len(st.sampleRefs) < 1+newestSamples {
		st.sampleRefs = append(st.sampleRefs, sample)
	} else { // keep the first, shift the newest
		copy(st.sampleRefs[1:], st.sampleRefs[2:])
		st.sampleRefs[len(st.sampleRefs)-1] = sample
	}
	switch sig {
	case PLEGUnhealthy:
		if p, ok := parsePLEGStaleness(line); ok {
			st.MaxStale = max(st.MaxStale, p.Stale)
			if p.Threshold > 0 {
				st.Threshold = p.Threshold
			}
		}
	case RuntimeTimeout, StopTimedOut:
		if sig == RuntimeTimeout {
			if op := operationOf(line); op != "" {
				if st.Operations == nil {
					st.Operations = map[string]int{}
				}
				st.Operations[op]++
			}
		}
		pod := fieldValue(line, "pod=")
		if !strings.Contains(pod, "/") {
			pod = ""
		}
		if id := containerIDOf(line); id != "" {
			if st.Objects == nil {
				st.Objects, st.ObjectPods, st.ObjectKinds = map[string]int{}, map[string]string{}, map[string]string{}
			}
			if countBounded(st.Objects, id, 1) {
				if pod != "" {
					st.ObjectPods[id] = pod
				}
				if kind := objectKind(line); kind != "" {
					st.ObjectKinds[id] = kind
				}
			}
		} else if pod != "" {
			if st.PodOnly == nil {
				st.PodOnly = map[string]int{}
			}
			countBounded(st.PodOnly, pod, 1)
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

// identIn says ident is one of idents, whose entries ending in "*" are prefixes.
func identIn(idents []string, ident string) bool {
	for _, id := range idents {
		if prefix, ok := strings.CutSuffix(id, "*"); ok && strings.HasPrefix(ident, prefix) || id == ident {
			return true
		}
	}
	return false
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

// fieldValue returns the value of a structured klog field (key includes its
// "="), quoted or not: `pod="ns/web-1"` gives ns/web-1. The key must start
// the field, so that "node=" is not found inside "xnode=".
func fieldValue(line []byte, key string) string {
	for from := 0; ; {
		i := bytes.Index(line[from:], []byte(key))
		if i < 0 {
			return ""
		}
		i += from
		if i > 0 && line[i-1] != ' ' && line[i-1] != '\t' && line[i-1] != ',' && line[i-1] != '{' {
			from = i + len(key)
			continue
		}
		v := line[i+len(key):]
		if bytes.HasPrefix(v, []byte(`\"`)) { // inside an escaped string
			v = v[2:]
			if end := bytes.Index(v, []byte(`\"`)); end >= 0 {
				return string(v[:end])
			}
			return ""
		}
		if bytes.HasPrefix(v, []byte(`"`)) {
			v = v[1:]
			if end := bytes.IndexByte(v, '"'); end >= 0 {
				return string(v[:end])
			}
			return ""
		}
		if end := bytes.IndexAny(v, " \t,}"); end >= 0 {
			v = v[:end]
		}
		return string(v)
	}
}

// objectKind says whether the ID a timed-out call names is a pod sandbox or
// a container, by the call: "sandbox", "container", or "" when the line
// names neither kind of call.
func objectKind(line []byte) string {
	switch {
	case bytes.Contains(line, []byte("PodSandbox")), bytes.Contains(line, []byte("podSandboxID")):
		return "sandbox"
	case bytes.Contains(line, []byte("Container")), bytes.Contains(line, []byte("containerID")):
		return "container"
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

// countBounded adds n to m[key] unless key is new and m already holds
// maxObjects keys, so that a log naming thousands of containers stays small;
// it says whether it counted.
func countBounded(m map[string]int, key string, n int) bool {
	if _, seen := m[key]; !seen && len(m) >= maxObjects {
		return false
	}
	m[key] += n
	return true
}
