package kubelet

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

const testSecondContainerID = "18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4"

// scanWant is what a test expects of a LogSummary. Signals not in counts
// must not occur at all.
type scanWant struct {
	lines       int64
	first, last string
	counts      map[Signal]int
	ops         map[string]int // RuntimeTimeout operations
	objects     map[string]int // RuntimeTimeout container/sandbox IDs
	maxStale    time.Duration  // PLEGUnhealthy
	threshold   time.Duration  // PLEGUnhealthy
}

func checkSummary(t *testing.T, got *LogSummary, want scanWant) {
	t.Helper()
	if got == nil {
		t.Fatal("summary is nil")
	}
	if got.Lines != want.lines {
		t.Errorf("Lines = %d, want %d", got.Lines, want.lines)
	}
	if want.first != "" && !got.First.Equal(utc(want.first)) {
		t.Errorf("First = %s, want %s", got.First.Format(time.RFC3339Nano), want.first)
	}
	if want.last != "" && !got.Last.Equal(utc(want.last)) {
		t.Errorf("Last = %s, want %s", got.Last.Format(time.RFC3339Nano), want.last)
	}
	gotCounts := map[Signal]int{}
	for sig, st := range got.Signals {
		gotCounts[sig] = st.Count
	}
	for sig := Signal(1); sig < signalEnd; sig <<= 1 {
		if gotCounts[sig] != want.counts[sig] {
			t.Errorf("%s count = %d, want %d (samples %q)", sig, gotCounts[sig], want.counts[sig], got.Signal(sig).Samples)
		}
	}
	rt := got.Signal(RuntimeTimeout)
	if !equalCounts(rt.Operations, want.ops) {
		t.Errorf("RuntimeTimeout operations = %v, want %v", rt.Operations, want.ops)
	}
	if !equalCounts(rt.Objects, want.objects) {
		t.Errorf("RuntimeTimeout objects = %v, want %v", rt.Objects, want.objects)
	}
	pl := got.Signal(PLEGUnhealthy)
	if pl.MaxStale != want.maxStale || pl.Threshold != want.threshold {
		t.Errorf("PLEG MaxStale, Threshold = %v, %v; want %v, %v", pl.MaxStale, pl.Threshold, want.maxStale, want.threshold)
	}
	checkInvariants(t, got)
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// checkInvariants holds for every summary of every input; the fuzz target uses it too.
func checkInvariants(t testing.TB, s *LogSummary) {
	t.Helper()
	if s.LongLines > s.Lines {
		t.Errorf("LongLines %d > Lines %d", s.LongLines, s.Lines)
	}
	if s.Bytes < s.Lines {
		t.Errorf("Bytes %d < Lines %d", s.Bytes, s.Lines)
	}
	if !s.First.IsZero() && s.Last.Before(s.First) {
		t.Errorf("Last %v before First %v", s.Last, s.First)
	}
	for _, tm := range []time.Time{s.First, s.Last} {
		if _, err := tm.MarshalJSON(); err != nil {
			t.Errorf("summary time %v does not marshal: %v", tm, err)
		}
	}
	for sig, st := range s.Signals {
		if st.Count <= 0 || int64(st.Count) > s.Lines {
			t.Errorf("%s: Count %d outside 1..Lines (%d)", sig, st.Count, s.Lines)
		}
		if !st.First.IsZero() && st.Last.Before(st.First) {
			t.Errorf("%s: Last %v before First %v", sig, st.Last, st.First)
		}
		if !st.First.IsZero() && (st.First.Before(s.First) || st.Last.After(s.Last)) {
			t.Errorf("%s: [%v, %v] outside the log's [%v, %v]", sig, st.First, st.Last, s.First, s.Last)
		}
		if len(st.Samples) == 0 || len(st.Samples) > 1+newestSamples || len(st.Samples) > st.Count {
			t.Errorf("%s: %d samples for %d occurrences", sig, len(st.Samples), st.Count)
		}
		for _, smp := range st.Samples {
			if len(smp) > maxSampleLen {
				t.Errorf("%s: sample of %d bytes", sig, len(smp))
			}
		}
		if len(st.Times) > maxTimes || len(st.Times) > st.Count {
			t.Errorf("%s: %d times for %d occurrences", sig, len(st.Times), st.Count)
		}
		if len(st.Objects) > maxObjects {
			t.Errorf("%s: %d objects", sig, len(st.Objects))
		}
		ops := 0
		for _, n := range st.Operations {
			ops += n
		}
		if ops > st.Count {
			t.Errorf("%s: %d operations counted for %d occurrences", sig, ops, st.Count)
		}
		for id, n := range st.Objects {
			if len(id) != 64 || n <= 0 || n > st.Count {
				t.Errorf("%s: object %q counted %d times for %d occurrences", sig, id, n, st.Count)
			}
		}
		if st.MaxStale < 0 || st.Threshold < 0 {
			t.Errorf("%s: negative staleness %v / %v", sig, st.MaxStale, st.Threshold)
		}
	}
}

func openTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestScanLogEras(t *testing.T) {
	const (
		c1 = testContainerID
		c2 = testSecondContainerID
		s1 = testSandboxID
	)
	tests := []struct {
		file string
		ref  string
		want scanWant
	}{
		{
			file: "k1.1-docker.log", ref: "2015-09-14T12:00:00Z",
			want: scanWant{
				lines: 6, first: "2015-09-14T11:02:07Z", last: "2015-09-14T11:02:22Z",
				counts: map[Signal]int{KubeletStarted: 1, RuntimeDown: 4},
			},
		},
		{
			file: "k1.2-genericpleg.log", ref: "2016-03-21T17:00:00Z",
			want: scanWant{
				lines: 4, first: "2016-03-21T16:40:10Z", last: "2016-03-21T16:40:15Z",
				counts: map[Signal]int{RelistFailed: 3, RuntimeTimeout: 2, RuntimeDown: 1},
			},
		},
		{
			file: "k1.6-hyperkube.log", ref: "2017-06-07T11:00:00Z",
			want: scanWant{
				lines: 5, first: "2017-06-07T10:28:35Z", last: "2017-06-07T10:31:45Z",
				counts:   map[Signal]int{RuntimeTimeout: 3, RelistFailed: 1, NodeNotReady: 1, PLEGUnhealthy: 2},
				ops:      map[string]int{"ListPodSandbox": 2},
				maxStale: 3*time.Minute + 10313745*time.Microsecond, threshold: 3 * time.Minute,
			},
		},
		{
			file: "k1.9-dockershim.log", ref: "2018-07-12T08:00:00Z",
			want: scanWant{
				lines: 10, first: "2018-07-12T07:20:01Z", last: "2018-07-12T07:23:52Z",
				counts: map[Signal]int{
					RuntimeTimeout: 6, RelistFailed: 1, PLEGUnhealthy: 2, RuntimeDown: 2, EventChannelFull: 1,
				},
				ops:      map[string]int{"ListPodSandbox": 2, "ContainerStatus": 2, "StopPodSandbox": 1},
				objects:  map[string]int{c1: 2, s1: 1},
				maxStale: 16*time.Hour + 17*time.Minute + 9100*time.Millisecond, threshold: 3 * time.Minute,
			},
		},
		{
			file: "k1.16-containerd.log", ref: "2020-11-27T08:30:00Z",
			want: scanWant{
				lines: 10, first: "2020-11-27T08:05:12.100233Z", last: "2020-11-27T08:14:22.000101Z",
				counts: map[Signal]int{
					KubeletStarted: 1, PLEGNotYetSuccessful: 1, RuntimeStatusPending: 1, PLEGUnhealthy: 3,
					NodeNotReady: 1, RuntimeTimeout: 3, RuntimeDown: 1, StatusUpdateFailed: 1,
				},
				// "getPodContainerStatuses" names the ContainerStatus call it failed in.
				ops:      map[string]int{"ContainerStatus": 2, "ImageStatus": 1},
				objects:  map[string]int{c2: 1}, // the image digest is not a container
				maxStale: 7*time.Minute + 24051303500*time.Nanosecond, threshold: 3 * time.Minute,
			},
		},
		{
			file: "k1.28-structured.log", ref: "2026-11-27T08:30:00Z",
			want: scanWant{
				lines: 18, first: "2026-11-27T08:01:02.000111Z", last: "2026-11-27T08:12:15.600101Z",
				counts: map[Signal]int{
					KubeletStarted: 1, RuntimeTimeout: 9, RelistFailed: 1, PLEGUnhealthy: 3, NodeNotReady: 1,
					RuntimeDown: 2, NetworkNotReady: 1, EventChannelFull: 1, StatusUpdateFailed: 1,
				},
				ops: map[string]int{
					"ContainerStatus": 3, "KillContainer": 1, "StopPodSandbox": 1, "PodSandboxStatus": 1,
					"ImageStatus": 1, "ListContainers": 1,
				},
				objects:  map[string]int{c1: 3, s1: 2},
				maxStale: 5*time.Minute + 29600*time.Millisecond, threshold: 3 * time.Minute,
			},
		},
		{
			file: "kubenswrapper-rfc3339.log", ref: "2026-11-27T08:30:00Z",
			want: scanWant{
				lines: 3, first: "2026-11-27T08:10:01.123456Z", last: "2026-11-27T08:10:03.5Z",
				counts:   map[Signal]int{PLEGUnhealthy: 1, RuntimeTimeout: 1, DaemonError: 1},
				ops:      map[string]int{"ContainerStatus": 1},
				objects:  map[string]int{c2: 1},
				maxStale: 90*time.Hour + 19*time.Minute + 2190*time.Millisecond, threshold: 3 * time.Minute,
			},
		},
		{
			file: "k3s.log", ref: "2026-11-27T08:30:00Z",
			want: scanWant{
				lines: 3, first: "2026-11-27T08:10:01Z", last: "2026-11-27T08:10:03Z",
				counts:   map[Signal]int{PLEGUnhealthy: 1, DaemonError: 1, RuntimeTimeout: 1},
				ops:      map[string]int{"ListContainers": 1},
				maxStale: 3*time.Minute + 5300*time.Millisecond, threshold: 3 * time.Minute,
			},
		},
		{
			file: "json.log", ref: "2026-11-27T08:30:00Z",
			want: scanWant{
				lines: 4, first: "2026-11-27T08:10:01.123456054Z", last: "2026-11-27T08:10:04.0005Z",
				counts:   map[Signal]int{PLEGUnhealthy: 2, RuntimeTimeout: 2, RelistFailed: 1, NodeNotReady: 1},
				ops:      map[string]int{"ContainerStatus": 1},
				objects:  map[string]int{c1: 1},
				maxStale: 3*time.Minute + 8300*time.Millisecond, threshold: 3 * time.Minute,
			},
		},
		{
			file: "messages-mixed.log", ref: "2026-11-27T08:30:00Z",
			want: scanWant{
				lines: 13, first: "2026-11-27T08:00:01Z", last: "2026-11-27T08:08:00Z",
				counts: map[Signal]int{
					OOMKill: 2, OOMInvoked: 1, HungTask: 1, HungTaskNote: 1, DaemonError: 2, RuntimeTimeout: 2, PLEGUnhealthy: 1, RelistFailed: 1,
				},
				ops:      map[string]int{"ContainerStatus": 1},
				objects:  map[string]int{c1: 1},
				maxStale: 3*time.Minute + 1200*time.Millisecond, threshold: 3 * time.Minute,
			},
		},
		{
			file: "newyear.log", ref: "2027-01-01T00:20:00Z",
			want: scanWant{
				lines: 3, first: "2026-12-31T23:58:01Z", last: "2027-01-01T00:02:01Z",
				counts:   map[Signal]int{PLEGUnhealthy: 2},
				maxStale: 7*time.Minute + 1*time.Second, threshold: 3 * time.Minute,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := openTestdata(t, filepath.Join("logs", tt.file))
			got, err := scanLog(bytes.NewReader(data), ScanOptions{Ref: utc(tt.ref)})
			if err != nil {
				t.Fatalf("ScanLog: %v", err)
			}
			checkSummary(t, got, tt.want)
			if got.Bytes != int64(len(data)) {
				t.Errorf("Bytes = %d, want the file size %d", got.Bytes, len(data))
			}
			if got.LongLines != 0 || got.Truncated {
				t.Errorf("LongLines = %d, Truncated = %v; want 0, false", got.LongLines, got.Truncated)
			}
		})
	}
}

func TestScanLogNewYearSignalTimes(t *testing.T) {
	data := openTestdata(t, "logs/newyear.log")
	got, err := scanLog(bytes.NewReader(data), ScanOptions{Ref: utc("2027-01-01T00:20:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	st := got.Signal(PLEGUnhealthy)
	if want := utc("2026-12-31T23:58:01.0Z"); !st.First.Equal(want) {
		t.Errorf("PLEG First = %v, want %v", st.First, want)
	}
	if want := utc("2027-01-01T00:02:01Z"); !st.Last.Equal(want) {
		t.Errorf("PLEG Last = %v, want %v", st.Last, want)
	}
	if len(st.Times) != 2 || !st.Times[0].Before(st.Times[1]) {
		t.Errorf("PLEG Times = %v, want two, oldest first", st.Times)
	}
}

func TestScanLogSince(t *testing.T) {
	data := openTestdata(t, "logs/k1.28-structured.log")
	tests := []struct {
		name  string
		since string
		want  map[Signal]int
	}{
		{
			name:  "zero keeps everything",
			since: "",
			want: map[Signal]int{
				KubeletStarted: 1, RuntimeTimeout: 9, RelistFailed: 1, PLEGUnhealthy: 3, NodeNotReady: 1,
				RuntimeDown: 2, NetworkNotReady: 1, EventChannelFull: 1, StatusUpdateFailed: 1,
			},
		},
		{
			name:  "drops the runtime timeouts before 08:09",
			since: "2026-11-27T08:09:00Z",
			want:  map[Signal]int{PLEGUnhealthy: 3, NodeNotReady: 1, RuntimeDown: 2, NetworkNotReady: 1, EventChannelFull: 1, StatusUpdateFailed: 1},
		},
		{
			name:  "a line exactly at Since is kept",
			since: "2026-11-27T08:12:15.600101Z",
			want:  map[Signal]int{EventChannelFull: 1},
		},
		{
			name:  "after the last line",
			since: "2026-11-27T08:12:16Z",
			want:  map[Signal]int{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := ScanOptions{Ref: utc("2026-11-27T08:30:00Z")}
			if tt.since != "" {
				opts.Since = utc(tt.since)
			}
			got, err := scanLog(bytes.NewReader(data), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got.Lines != 18 {
				t.Errorf("Lines = %d, want 18 (Since filters signals, not reading)", got.Lines)
			}
			for sig := Signal(1); sig < signalEnd; sig <<= 1 {
				if n := got.Signal(sig).Count; n != tt.want[sig] {
					t.Errorf("%s count = %d, want %d", sig, n, tt.want[sig])
				}
			}
			for sig, st := range got.Signals {
				if !opts.Since.IsZero() && st.First.Before(opts.Since) {
					t.Errorf("%s First %v is before Since", sig, st.First)
				}
			}
			checkInvariants(t, got)
		})
	}
}

func TestScanLogIdents(t *testing.T) {
	data := openTestdata(t, "logs/messages-mixed.log")
	tests := []struct {
		name    string
		idents  []string
		want    map[Signal]int
		wantOps map[string]int
	}{
		{
			name:   "kubelet lines out of /var/log/messages",
			idents: KubeletIdents,
			want:   map[Signal]int{PLEGUnhealthy: 1, RelistFailed: 1, RuntimeTimeout: 1},
		},
		{
			name:   "kernel only",
			idents: []string{"kernel"},
			want:   map[Signal]int{OOMKill: 2, OOMInvoked: 1, HungTask: 1, HungTaskNote: 1},
		},
		{
			name:    "runtime daemons",
			idents:  []string{"containerd", "dockerd"},
			want:    map[Signal]int{DaemonError: 2, RuntimeTimeout: 1},
			wantOps: map[string]int{"ContainerStatus": 1},
		},
		{
			name:   "no such daemon",
			idents: []string{"crio"},
			want:   map[Signal]int{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanLog(bytes.NewReader(data), ScanOptions{Ref: utc("2026-11-27T08:30:00Z"), Idents: tt.idents})
			if err != nil {
				t.Fatal(err)
			}
			for sig := Signal(1); sig < signalEnd; sig <<= 1 {
				if n := got.Signal(sig).Count; n != tt.want[sig] {
					t.Errorf("%s count = %d, want %d", sig, n, tt.want[sig])
				}
			}
			if ops := got.Signal(RuntimeTimeout).Operations; !equalCounts(ops, tt.wantOps) {
				t.Errorf("operations = %v, want %v", ops, tt.wantOps)
			}
			checkInvariants(t, got)
		})
	}
}

// Lines without a syslog identifier (bare klog, JSON) pass an Idents filter:
// a kubelet.log file has no identifier at all.
func TestScanLogIdentsKeepBareLines(t *testing.T) {
	log := strings.Join([]string{
		`Nov 27 08:05:01 worker-5 containerd[987]: time="2026-11-27T08:05:01Z" level=error msg="ListContainers failed" error="rpc error: code = DeadlineExceeded desc = context deadline exceeded"`,
		`E1127 08:06:00.000123    2211 kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 3m1.2s ago; threshold is 3m0s"`,
		`{"ts":1795767001000,"msg":"Skipping pod synchronization","err":"PLEG is not healthy: pleg was last seen active 4m1.2s ago; threshold is 3m0s"}`,
	}, "\n") + "\n"
	got, err := scanLog(strings.NewReader(log), ScanOptions{Ref: utc("2026-11-27T08:30:00Z"), Idents: KubeletIdents})
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, got, scanWant{
		lines:  3,
		counts: map[Signal]int{PLEGUnhealthy: 2},
		// 4m1.2s from the JSON line
		maxStale: 4*time.Minute + 1200*time.Millisecond, threshold: 3 * time.Minute,
	})
}

func TestScanLogBounds(t *testing.T) {
	var b strings.Builder
	const n = 5000
	start := utc("2026-11-27T06:00:00Z")
	for i := range n {
		ts := start.Add(time.Duration(i) * time.Second)
		id := fmt.Sprintf("%064x", i+1)
		fmt.Fprintf(&b, "%s worker-3 kubelet[2211]: E%s    2211 remote_runtime.go:432] \"ContainerStatus from runtime service failed\" err=\"rpc error: code = DeadlineExceeded desc = context deadline exceeded\" containerID=%q pad=%s\n",
			ts.Format("Jan _2 15:04:05.000000"), ts.Format("0102 15:04:05.000000"), id, strings.Repeat("z", 500))
	}
	got, err := scanLog(strings.NewReader(b.String()), ScanOptions{Ref: utc("2026-11-27T08:30:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	st := got.Signal(RuntimeTimeout)
	if st.Count != n {
		t.Errorf("Count = %d, want %d", st.Count, n)
	}
	if len(st.Objects) != maxObjects {
		t.Errorf("%d objects tracked, want the cap %d", len(st.Objects), maxObjects)
	}
	if st.Operations["ContainerStatus"] != n {
		t.Errorf("operations = %v, want ContainerStatus: %d", st.Operations, n)
	}
	if len(st.Samples) != 1+newestSamples {
		t.Fatalf("%d samples, want %d", len(st.Samples), 1+newestSamples)
	}
	if !strings.Contains(st.Samples[0], fmt.Sprintf("%064x", 1)) {
		t.Errorf("first sample is not the first line: %.120q", st.Samples[0])
	}
	if !strings.Contains(st.Samples[len(st.Samples)-1], fmt.Sprintf("%064x", n)) {
		t.Errorf("last sample is not the newest line: %.120q", st.Samples[len(st.Samples)-1])
	}
	if len(st.Times) != maxTimes {
		t.Errorf("%d times kept, want %d", len(st.Times), maxTimes)
	}
	if !sort.SliceIsSorted(st.Times, func(i, j int) bool { return st.Times[i].Before(st.Times[j]) }) {
		t.Error("Times not oldest first")
	}
	if want := start.Add((n - 1) * time.Second); !st.Times[len(st.Times)-1].Equal(want) || !st.Last.Equal(want) {
		t.Errorf("newest time = %v / Last %v, want %v", st.Times[len(st.Times)-1], st.Last, want)
	}
	if !st.First.Equal(start) {
		t.Errorf("First = %v, want %v", st.First, start)
	}
	checkInvariants(t, got)
}

func TestContainerIDOf(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"structured containerID", `"ContainerStatus from runtime service failed" err="..." containerID="` + testContainerID + `"`, testContainerID},
		{"quoted in old form", `ContainerStatus "` + testContainerID + `" from runtime service failed`, testContainerID},
		{"containerd:// URI", `containerID="containerd://` + testContainerID + `"`, testContainerID},
		{"image digest only", `image="registry.k8s.io/pause@sha256:` + testDigest + `"`, ""},
		{"digest before the container", `image="x@sha256:` + testDigest + `" containerID="` + testContainerID + `"`, testContainerID},
		{"65 hex digits is not an ID", `id=` + testContainerID + `a`, ""},
		{"63 hex digits is not an ID", `id=` + testContainerID[:63], ""},
		{"upper case is not an ID", `id=` + strings.ToUpper(testContainerID), ""},
		{"ID at the end of the line", testSandboxID, testSandboxID},
		{"none", `"GenericPLEG: Unable to retrieve pods"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := containerIDOf([]byte(tt.line)); got != tt.want {
				t.Errorf("containerIDOf = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOperationOf(t *testing.T) {
	tests := []struct{ line, want string }{
		{`"ListPodSandbox with filter from runtime service failed"`, "ListPodSandbox"},
		{`"PodSandboxStatus from runtime service failed"`, "PodSandboxStatus"},
		{`"ListPodSandboxStats with filter from runtime service failed"`, "ListPodSandboxStats"},
		{`"ContainerStatus from runtime service failed"`, "ContainerStatus"},
		{`"ListContainerStats with filter from runtime service failed"`, "ListContainerStats"},
		{`"Status from runtime service failed"`, "Status"},
		{`"ImageFsInfo from image service failed"`, "ImageFsInfo"},
		{`GenericPLEG: Unable to retrieve pods`, ""},
	}
	for _, tt := range tests {
		if got := operationOf([]byte(tt.line)); got != tt.want {
			t.Errorf("operationOf(%s) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestLogScannerLineByLine(t *testing.T) {
	sc := newLogScanner(ScanOptions{Ref: utc("2026-11-27T08:30:00Z")})
	lines := strings.Split(strings.TrimSpace(string(openTestdata(t, "logs/k1.9-dockershim.log"))), "\n")
	for _, l := range lines {
		buf := []byte(l)
		sc.Line(buf)
		for i := range buf { // the scanner must not keep references to the line
			buf[i] = 'X'
		}
	}
	got := sc.Finish()
	if got.Lines != int64(len(lines)) {
		t.Errorf("Lines = %d, want %d", got.Lines, len(lines))
	}
	for sig, st := range got.Signals {
		for _, s := range st.Samples {
			if strings.HasPrefix(s, "XXXX") {
				t.Errorf("%s sample aliases the caller's buffer", sig)
			}
		}
	}
	var nilSummary *LogSummary
	if st := nilSummary.Signal(PLEGUnhealthy); st == nil || st.Count != 0 {
		t.Errorf("nil summary Signal = %+v, want empty stats", st)
	}
}

// A kubelet that crashed ends its log file with a goroutine dump: lines
// without a time. Last must still be the newest timestamped line, not the
// last line that happened to carry a signal.
func TestScanLogLastWithUntimedTrailer(t *testing.T) {
	log := `I1127 08:00:00.000000    1187 kubelet.go:2337] "Starting kubelet main sync loop"
E1127 08:05:00.000000    1187 kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 3m5s ago; threshold is 3m0s"
I1127 08:20:00.000000    1187 kubelet.go:2400] "SyncLoop (housekeeping)"
I1127 08:25:00.000000    1187 kubelet.go:2400] "SyncLoop (housekeeping)"
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1c2f3a4]

goroutine 412 [running]:
k8s.io/kubernetes/pkg/kubelet/pleg.(*GenericPLEG).relist(0xc000a1e000)
	/workspace/src/k8s.io/kubernetes/pkg/kubelet/pleg/generic.go:261 +0x3a4
`
	got, err := scanLog(strings.NewReader(log), ScanOptions{Ref: utc("2026-11-27T08:30:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, got, scanWant{
		lines: 10, first: "2026-11-27T08:00:00Z", last: "2026-11-27T08:25:00Z",
		counts:   map[Signal]int{KubeletStarted: 1, PLEGUnhealthy: 1},
		maxStale: 3*time.Minute + 5*time.Second, threshold: 3 * time.Minute,
	})
}

// Line numbers place a signal in a log without times: they must count every
// line, across blocks scanned by different workers.
func TestScanLogSignalLineNumbers(t *testing.T) {
	var b strings.Builder
	filler := strings.Repeat("x", 300) + "\n"
	want := map[int]bool{}
	for i := 1; i <= 5000; i++ { // ~1.5 MB: several blocks
		switch i {
		case 7, 2999, 4990:
			b.WriteString("E1127 08:10:01.000000 1 kubelet.go:1] \"Skipping pod synchronization\" err=\"PLEG is not healthy: pleg was last seen active 3m1s ago; threshold is 3m0s\"\n")
			want[i] = true
		default:
			b.WriteString(filler)
		}
	}
	for _, keep := range []int64{0, 1 << 30} {
		sums, err := ScanLogTail(strings.NewReader(b.String()), keep, ScanOptions{Ref: utc("2026-11-27T08:30:00Z")})
		if err != nil {
			t.Fatal(err)
		}
		st := sums[0].Signal(PLEGUnhealthy)
		if st.Count != 3 || st.FirstLine != 7 || st.LastLine != 4990 || sums[0].Lines != 5000 {
			t.Errorf("keep=%d: count %d, lines %d..%d of %d; want 3, 7..4990 of 5000", keep, st.Count, st.FirstLine, st.LastLine, sums[0].Lines)
		}
	}
	sc := newLogScanner(ScanOptions{})
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		sc.Line([]byte(line))
	}
	if st := sc.Finish().Signal(PLEGUnhealthy); st.FirstLine != 7 || st.LastLine != 4990 {
		t.Errorf("line by line: lines %d..%d, want 7..4990", st.FirstLine, st.LastLine)
	}
}
