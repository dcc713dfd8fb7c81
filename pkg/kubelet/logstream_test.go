package kubelet

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestScanLogBinary(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(openTestdata(t, "logs/k1.28-structured.log")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"gzip-compressed log", gz.Bytes()},
		{"NUL bytes on the first line", []byte("Nov 27 08:10:01 worker-3 kubelet[1]: \x00\x00\x00\nmore\n")},
		{"journal file header", append([]byte("LPKSHHRH\x00\x00\x00\x00"), bytes.Repeat([]byte{0xff, 0x00}, 1000)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanLog(bytes.NewReader(tt.data), ScanOptions{})
			if !errors.Is(err, ErrBinary) {
				t.Fatalf("ScanLog error = %v, want ErrBinary", err)
			}
			if got != nil {
				t.Errorf("summary = %+v, want nil", got)
			}
		})
	}
}

func TestScanLogLongLine(t *testing.T) {
	head := `E1127 08:10:01.123456    1187 kubelet.go:1845] skipping pod synchronization - PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s `
	tests := []struct {
		name          string
		longLen       int
		wantLongLines int64
	}{
		{"300 KiB, over the read buffer", 300 << 10, 1},
		{"1 MiB", 1 << 20, 1},
		{"exactly the read buffer", blockSize, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			long := head + strings.Repeat("x", tt.longLen-len(head))
			log := long + "\n" +
				`E1127 08:11:01.000000    1187 generic.go:238] "GenericPLEG: Unable to retrieve pods" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded"` + "\n" +
				`I1127 08:12:00.000000    1187 kubelet.go:2400] "SyncLoop (housekeeping)"` + "\n"
			got, err := scanLog(strings.NewReader(log), ScanOptions{Ref: utc("2026-11-27T08:30:00Z")})
			if err != nil {
				t.Fatal(err)
			}
			checkSummary(t, got, scanWant{
				lines: 3, first: "2026-11-27T08:10:01.123456Z", last: "2026-11-27T08:12:00Z",
				counts:   map[Signal]int{PLEGUnhealthy: 1, RelistFailed: 1, RuntimeTimeout: 1},
				maxStale: 3*time.Minute + 5300*time.Millisecond, threshold: 3 * time.Minute,
			})
			if got.LongLines != tt.wantLongLines {
				t.Errorf("LongLines = %d, want %d", got.LongLines, tt.wantLongLines)
			}
			if s := got.Signal(PLEGUnhealthy).Samples; len(s) != 1 || len(s[0]) != maxSampleLen {
				t.Errorf("long line sample: %d samples, first %d bytes; want 1 of %d", len(s), len(s[0]), maxSampleLen)
			}
		})
	}
}

// A long line is cut at maxLineLen for every purpose, whether or not it fits
// the read buffer: a signal past the cut is not seen.
func TestScanLogLongLineCut(t *testing.T) {
	for _, n := range []int{maxLineLen + 10, blockSize + 10} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			line := strings.Repeat("y", n-len("PLEG is not healthy")) + "PLEG is not healthy"
			got, err := scanLog(strings.NewReader(line+"\n"), ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.LongLines != 1 {
				t.Errorf("LongLines = %d, want 1", got.LongLines)
			}
			if c := got.Signal(PLEGUnhealthy).Count; c != 0 {
				t.Errorf("signal past the cut counted %d times", c)
			}
			checkInvariants(t, got)
		})
	}
}

func TestScanLogLineEndings(t *testing.T) {
	tests := []struct {
		name string
		log  string
	}{
		{"CRLF", "E1127 08:10:01.000000 1 kubelet.go:1] \"Skipping pod synchronization\" err=\"PLEG is not healthy: pleg was last seen active 3m5s ago; threshold is 3m0s\"\r\nI1127 08:11:00.000000 1 x.go:1] ok\r\n"},
		{"no final newline", "E1127 08:10:01.000000 1 kubelet.go:1] \"Skipping pod synchronization\" err=\"PLEG is not healthy: pleg was last seen active 3m5s ago; threshold is 3m0s\"\nI1127 08:11:00.000000 1 x.go:1] ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanLog(strings.NewReader(tt.log), ScanOptions{Ref: utc("2026-11-27T08:30:00Z")})
			if err != nil {
				t.Fatal(err)
			}
			checkSummary(t, got, scanWant{
				lines: 2, first: "2026-11-27T08:10:01Z", last: "2026-11-27T08:11:00Z",
				counts:   map[Signal]int{PLEGUnhealthy: 1},
				maxStale: 3*time.Minute + 5*time.Second, threshold: 3 * time.Minute,
			})
			if s := got.Signal(PLEGUnhealthy).Samples[0]; strings.ContainsAny(s, "\r\n") {
				t.Errorf("sample keeps the line ending: %q", s)
			}
		})
	}
}

func TestScanLogEmpty(t *testing.T) {
	got, err := scanLog(strings.NewReader(""), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Lines != 0 || len(got.Signals) != 0 || !got.First.IsZero() || !got.Last.IsZero() {
		t.Errorf("empty log summary = %+v", got)
	}
}

func TestScanLogReadError(t *testing.T) {
	data := openTestdata(t, "logs/k1.28-structured.log")
	boom := errors.New("stream reset by the API server")
	r := io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom))
	got, err := scanLog(r, ScanOptions{Ref: utc("2026-11-27T08:30:00Z")})
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want it to wrap %v", err, boom)
	}
	if got == nil || got.Lines != 18 || got.Signal(PLEGUnhealthy).Count != 3 {
		t.Errorf("partial summary = %+v, want the 18 lines read before the error", got)
	}
}

// ScanLogs reads the stream once for several option sets; each summary must
// be what ScanLog gives for that set alone.
func TestScanLogsMatchesScanLog(t *testing.T) {
	data := openTestdata(t, "logs/messages-mixed.log")
	ref := utc("2026-11-27T08:30:00Z")
	opts := []ScanOptions{
		{Ref: ref},
		{Ref: ref, Idents: KubeletIdents},
		{Ref: ref, Idents: []string{"kernel"}, Since: utc("2026-11-27T08:03:00Z")},
	}
	sums, err := scanLogs(bytes.NewReader(data), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != len(opts) {
		t.Fatalf("%d summaries for %d option sets", len(sums), len(opts))
	}
	for i, o := range opts {
		one, err := scanLog(bytes.NewReader(data), o)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := summaryKey(sums[i]), summaryKey(one); got != want {
			t.Errorf("option set %d: ScanLogs gives\n%s\nScanLog gives\n%s", i, got, want)
		}
	}
	if sums[2].Signal(OOMKill).Count != 1 || sums[2].Signal(HungTask).Count != 1 {
		t.Errorf("kernel since 08:03: OOM %d, hung %d; want 1, 1", sums[2].Signal(OOMKill).Count, sums[2].Signal(HungTask).Count)
	}
}

// summaryKey renders what a summary says, for comparisons.
func summaryKey(s *LogSummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lines=%d bytes=%d long=%d first=%v last=%v\n", s.Lines, s.Bytes, s.LongLines, s.First, s.Last)
	for sig := Signal(1); sig < signalEnd; sig <<= 1 {
		if st, ok := s.Signals[sig]; ok {
			fmt.Fprintf(&b, "%s count=%d first=%v last=%v ops=%v objects=%d stale=%v samples=%q\n",
				sig, st.Count, st.First, st.Last, st.Operations, len(st.Objects), st.MaxStale, st.Samples)
		}
	}
	return b.String()
}

func TestScanLogTailKeepsTheNewestBlocks(t *testing.T) {
	var b strings.Builder
	b.WriteString("Nov 27 07:00:00.000000 w kubelet[1]: E1127 07:00:00.000000 1 kubelet.go:1] \"Skipping pod synchronization\" err=\"PLEG is not healthy: pleg was last seen active 9m0s ago; threshold is 3m0s\"\n")
	for b.Len() < 4*blockSize {
		b.WriteString("Nov 27 07:30:00.000000 w kubelet[1]: I1127 07:30:00.000000 1 kubelet.go:2] \"SyncLoop (housekeeping)\"\n")
	}
	b.WriteString("Nov 27 08:29:00.000000 w kubelet[1]: E1127 08:29:00.000000 1 kubelet.go:1] \"Skipping pod synchronization\" err=\"PLEG is not healthy: pleg was last seen active 4m0s ago; threshold is 3m0s\"\n")
	log := b.String()
	ref := time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)

	whole, err := scanLogs(strings.NewReader(log), ScanOptions{Ref: ref})
	if err != nil || whole[0].Signal(PLEGUnhealthy).Count != 2 || whole[0].Truncated {
		t.Fatalf("whole log: %v count %d truncated %v", err, whole[0].Signal(PLEGUnhealthy).Count, whole[0].Truncated)
	}
	tail, err := ScanLogTail(strings.NewReader(log), 2*blockSize, ScanOptions{Ref: ref})
	if err != nil {
		t.Fatal(err)
	}
	got := tail[0]
	if !got.Truncated || got.Bytes > 2*blockSize || got.Bytes < blockSize {
		t.Errorf("tail kept %d bytes (truncated %v), want between one and two blocks", got.Bytes, got.Truncated)
	}
	if st := got.Signal(PLEGUnhealthy); st.Count != 1 || st.MaxStale != 4*time.Minute {
		t.Errorf("tail PLEG lines: count %d max stale %v, want only the newest (4m)", st.Count, st.MaxStale)
	}
	if want := time.Date(2026, 11, 27, 8, 29, 0, 0, time.UTC); !got.Last.Equal(want) {
		t.Errorf("Last = %v, want %v", got.Last, want)
	}
}

// A pod named with no container ID counts in PodOnly, across all the blocks
// a long log is read in; a line naming both counts for the ID alone.
func TestScanLogPodOnlyTimeouts(t *testing.T) {
	const (
		id   = "8545fc59d3b04c7eebfd6f6428e7e0da631af5ebd39c3fc28b637f009b3dbdcf"
		kill = `Nov 27 08:00:00.000000 w kubelet[1]: E1127 08:00:00.000000 1 kuberuntime_container.go:753] "Kill container failed" err="rpc error: code = Unknown desc = operation timeout: context deadline exceeded" pod="shop/app-1" podUID=f839 containerName="app" containerID={Type:docker ID:` + id + "}\n"
		sync = `Nov 27 08:00:01.000000 w kubelet[1]: E1127 08:00:01.000000 1 pod_workers.go:965] "Error syncing pod, skipping" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" pod="shop/app-1" podUID=f839` + "\n"
	)
	var b strings.Builder
	b.WriteString(kill)
	syncs := 0
	for b.Len() < 3*blockSize {
		b.WriteString(sync)
		syncs++
	}
	sums, err := scanLogs(strings.NewReader(b.String()), ScanOptions{Ref: time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	st := sums[0].Signal(RuntimeTimeout)
	if st.Count != syncs+1 || st.Objects[id] != 1 || st.ObjectPods[id] != "shop/app-1" || st.PodOnly["shop/app-1"] != syncs || len(st.PodOnly) != 1 {
		t.Errorf("count %d, objects %v (pods %v), pod only %v; want %d, the container once, the pod alone %d×",
			st.Count, st.Objects, st.ObjectPods, st.PodOnly, syncs+1, syncs)
	}
}
