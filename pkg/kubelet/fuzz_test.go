package kubelet

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// addSeeds adds every file of testdata/dir to the fuzz corpus.
func addSeeds(f *testing.F, dir string) [][]byte {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed files in testdata/%s: %v", dir, err)
	}
	var seeds [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// lineCount is how many lines ScanLog must report for data.
func lineCount(data []byte) int64 {
	n := int64(bytes.Count(data, []byte("\n")))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

func FuzzScanLog(f *testing.F) {
	for _, s := range addSeeds(f, "logs") {
		f.Add(s, int64(0))
		f.Add(s, int64(30*time.Minute))
	}
	f.Add([]byte("Dec 31 23:59:59 h kubelet[1]: PLEG is not healthy: pleg was last seen active 3m0s ago\nJan  1 00:00:01 h kernel: Out of memory: Killed process 1 (x)\n"), int64(0))
	f.Add([]byte(`{"ts":1e300,"msg":"Skipping pod synchronization","err":"PLEG is not healthy"}`), int64(0))
	f.Add([]byte("10.0.0.3: E1127 08:10:01.000000 1 x.go:1] DeadlineExceeded ListContainers "+testContainerID+"\r\n"), int64(time.Hour))
	ref := utc("2026-11-27T08:30:00Z")
	f.Fuzz(func(t *testing.T, data []byte, sinceBack int64) {
		all, err := scanLog(bytes.NewReader(data), ScanOptions{Ref: ref})
		if err != nil {
			if !errors.Is(err, ErrBinary) {
				t.Fatalf("ScanLog of an in-memory reader: %v", err)
			}
			if all != nil {
				t.Fatal("summary returned with ErrBinary")
			}
			return
		}
		if got, want := all.Lines, lineCount(data); got != want {
			t.Fatalf("Lines = %d, want %d", got, want)
		}
		checkInvariants(t, all)

		// Filters only ever remove occurrences.
		opts := ScanOptions{Ref: ref, Idents: KubeletIdents, Since: ref.Add(-time.Duration(sinceBack))}
		some, err := scanLog(bytes.NewReader(data), opts)
		if err != nil {
			t.Fatalf("filtered scan failed where the plain one did not: %v", err)
		}
		if some.Lines != all.Lines || !some.First.Equal(all.First) || !some.Last.Equal(all.Last) {
			t.Fatalf("filters changed what was read: %d %v %v vs %d %v %v", some.Lines, some.First, some.Last, all.Lines, all.First, all.Last)
		}
		checkInvariants(t, some)
		both, err := scanLogs(bytes.NewReader(data), ScanOptions{Ref: ref}, opts)
		if err != nil || len(both) != 2 {
			t.Fatalf("ScanLogs: %d summaries, %v", len(both), err)
		}
		if summaryKey(both[0]) != summaryKey(all) || summaryKey(both[1]) != summaryKey(some) {
			t.Fatal("ScanLogs differs from ScanLog run once per option set")
		}
		for sig, st := range some.Signals {
			if st.Count > all.Signal(sig).Count {
				t.Fatalf("%s: filtered count %d > unfiltered %d", sig, st.Count, all.Signal(sig).Count)
			}
			if !st.First.IsZero() && st.First.Before(opts.Since) {
				t.Fatalf("%s: First %v before Since %v", sig, st.First, opts.Since)
			}
		}
	})
}

func FuzzParseMetrics(f *testing.F) {
	for _, s := range addSeeds(f, "metrics") {
		f.Add(s)
		f.Add(s[:len(s)/2]) // truncated bodies
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetrics(bytes.NewReader(data))
		if err == nil && m == nil {
			t.Fatal("nil metrics without an error")
		}
		if m == nil {
			return
		}
		if m.Containers == nil || m.Operations == nil {
			t.Fatal("nil maps in a result")
		}
		if m.PLEGLastSeen != nil {
			if _, err := m.PLEGLastSeen.MarshalJSON(); err != nil {
				t.Fatalf("PLEGLastSeen %v does not marshal: %v", m.PLEGLastSeen, err)
			}
		}
		if m.RelistCount < 0 {
			t.Fatalf("RelistCount %v", m.RelistCount)
		}
		for name, op := range m.Operations {
			if op == nil {
				t.Fatalf("operation %q without statistics", name)
			}
		}
		for n, o := range m.Operations {
			if o == nil {
				t.Fatalf("operation %q is nil", n)
			}
		}
	})
}

func FuzzParseStatsSummary(f *testing.F) {
	for _, s := range addSeeds(f, "stats") {
		f.Add(s)
		f.Add(s[:len(s)/2])
	}
	f.Add([]byte(`{"node":{"nodeName":"x","rlimit":{"maxpid":-1,"curproc":-5}},"pods":[{"containers":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseStatsSummary(bytes.NewReader(data))
		if (err == nil) == (n == nil) {
			t.Fatalf("result %v with error %v", n, err)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "not a kubelet stats summary") {
				t.Fatalf("unclear error %q", err)
			}
			return
		}
		if n.Pods < 0 || n.Containers < 0 {
			t.Fatalf("negative counts %d/%d", n.Pods, n.Containers)
		}
		if _, err := n.Time.MarshalJSON(); err != nil {
			t.Fatalf("Time %v does not marshal: %v", n.Time, err)
		}
		if !n.Time.IsZero() && n.Time.Location() != time.UTC {
			t.Fatalf("Time %v not in UTC", n.Time)
		}
	})
}

func FuzzParseConfigz(f *testing.F) {
	for _, s := range addSeeds(f, "configz") {
		f.Add(s)
		f.Add(s[:len(s)/2])
	}
	f.Add([]byte(`{"kubeletconfig":{"runtimeRequestTimeout":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfigz(bytes.NewReader(data))
		if (err == nil) == (c == nil) {
			t.Fatalf("result %v with error %v", c, err)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "not kubelet /configz JSON") {
				t.Fatalf("unclear error %q", err)
			}
			return
		}
		_ = c.Reserved()
	})
}

func FuzzParsePLEGStaleness(f *testing.F) {
	for _, s := range addSeeds(f, "logs") {
		for _, line := range strings.Split(string(s), "\n") {
			if strings.Contains(line, "last seen active") {
				f.Add(line)
			}
		}
	}
	for _, s := range []string{
		"PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s.",
		"pleg was last seen active 90h19m2.19s ago; threshold is 3m0s]",
		"pleg was last seen active 850µs ago; threshold is 3m0s",
		"pleg was last seen active 9999999999999h ago",
		"pleg was last seen active \xc2 ago",
		"last seen active .",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, ok := ParsePLEGStaleness(text)
		if !ok {
			if p != (PLEGStaleness{}) {
				t.Fatalf("not ok but returned %+v", p)
			}
			return
		}
		if !strings.Contains(text, "last seen active ") {
			t.Fatalf("ok without the phrase: %+v", p)
		}
		if p.Stale < 0 || p.Threshold < 0 {
			t.Fatalf("negative durations %+v", p)
		}
		if p.Threshold != 0 && !strings.Contains(text, "threshold is ") {
			t.Fatalf("threshold %v without the phrase", p.Threshold)
		}
		// Classify and ParsePLEGStaleness agree on the kubelet's own wording.
		if strings.Contains(text, "pleg was last seen active ") && !Classify([]byte(text)).Has(PLEGUnhealthy) {
			t.Fatalf("staleness %+v parsed but Classify does not see PLEGUnhealthy", p)
		}
	})
}
