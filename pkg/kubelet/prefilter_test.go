package kubelet

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// naiveLines is what the prefilter must find: every line holding a pattern.
func naiveLines(text []byte, patterns [][]byte) []string {
	var out []string
	for _, line := range bytes.Split(text, []byte("\n")) {
		for _, p := range patterns {
			if bytes.Contains(line, p) {
				out = append(out, string(line))
				break
			}
		}
	}
	return out
}

func prefilterLines(p *prefilter, text []byte) []string {
	var out []string
	p.lines(text, func(line []byte, offset int) {
		if string(text[offset:offset+len(line)]) != string(line) {
			panic("offset does not point at the line")
		}
		out = append(out, string(line))
	})
	return out
}

func TestPrefilterFindsEveryMatcherAnywhereInALine(t *testing.T) {
	for _, mt := range matchers {
		for _, pad := range []int{0, 1, 2, 7, 50} {
			line := strings.Repeat("x", pad) + string(mt.text) + " tail"
			text := []byte("noise line one\n" + line + "\nnoise line two\n")
			got := prefilterLines(signalPrefilter, text)
			if len(got) != 1 || got[0] != line {
				t.Errorf("%q at offset %d: found %q", mt.text, pad, got)
			}
		}
		// At the very start and the very end of the text.
		if got := prefilterLines(signalPrefilter, mt.text); len(got) != 1 {
			t.Errorf("%q alone: found %q", mt.text, got)
		}
	}
}

func TestPrefilterAgreesWithANaiveSearchOnRealLogs(t *testing.T) {
	files, _ := filepath.Glob("testdata/logs/*.log")
	if len(files) == 0 {
		t.Fatal("no sample logs")
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := naiveLines(text, signalPrefilter.patterns)
		got := prefilterLines(signalPrefilter, text)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: prefilter found %d lines, a naive search %d", f, len(got), len(want))
		}
	}
}

func FuzzPrefilter(f *testing.F) {
	f.Add([]byte("a\nPLEG is not healthy\nb DeadlineExceeded c\n"))
	f.Add([]byte("level=error msg=level=error msg=\n\nut of memory: Kil"))
	f.Fuzz(func(t *testing.T, text []byte) {
		want := naiveLines(text, signalPrefilter.patterns)
		got := prefilterLines(signalPrefilter, text)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("prefilter %q, naive %q", got, want)
		}
	})
}
