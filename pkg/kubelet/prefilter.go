package kubelet

import "bytes"

// prefilter finds, in a block of log text, the lines that may carry a signal:
// every line holding one of the matcher texts. Most lines of a log carry none,
// so finding the few that do without looking at every line is what makes a
// log scan fast. It is a Wu–Manber multi-pattern search over 2-byte blocks:
// the search window slides by up to m-1 bytes (m, the shortest text) when the
// block at its end appears in no text, and only windows whose end block does
// are verified.
type prefilter struct {
	m        int
	shift    [1 << 16]uint8
	patterns [][]byte
	// byBlock lists, per end block of a window, the patterns to verify there.
	byBlock map[uint16][]int
}

func block(a, b byte) uint16 { return uint16(a)<<8 | uint16(b) }

func newPrefilter(patterns [][]byte) *prefilter {
	p := &prefilter{m: len(patterns[0]), patterns: patterns, byBlock: map[uint16][]int{}}
	for _, pat := range patterns {
		p.m = min(p.m, len(pat))
	}
	for i := range p.shift {
		p.shift[i] = uint8(min(p.m-1, 255))
	}
	for idx, pat := range patterns {
		// Blocks ending at j within the first m bytes of the pattern: a window
		// whose end block is pat[j-1:j+1] may hold pat shifted by m-1-j.
		for j := 1; j < p.m; j++ {
			h := block(pat[j-1], pat[j])
			if s := uint8(p.m - 1 - j); s < p.shift[h] {
				p.shift[h] = s
			}
		}
		h := block(pat[p.m-2], pat[p.m-1])
		p.byBlock[h] = append(p.byBlock[h], idx)
	}
	return p
}

// lines calls fn with each line of text (no newline) that holds a pattern,
// once per line, in order. text should end at a line boundary.
func (p *prefilter) lines(text []byte, fn func(line []byte)) {
	lastStart := -1
	for pos := p.m - 1; pos < len(text); {
		s := p.shift[block(text[pos-1], text[pos])]
		if s > 0 {
			pos += int(s)
			continue
		}
		start := pos - p.m + 1
		for _, idx := range p.byBlock[block(text[pos-1], text[pos])] {
			if !bytes.HasPrefix(text[start:], p.patterns[idx]) {
				continue
			}
			ls := bytes.LastIndexByte(text[:start], '\n') + 1
			le := bytes.IndexByte(text[start:], '\n')
			if le < 0 {
				le = len(text)
			} else {
				le += start
			}
			if ls != lastStart {
				fn(text[ls:le])
				lastStart = ls
			}
			// The rest of this line can hold no new line to report.
			pos = le + p.m
			break
		}
		if start >= 0 && pos == start+p.m-1 {
			pos++
		}
	}
}

// signalPrefilter searches for every matcher text.
var signalPrefilter = func() *prefilter {
	var pats [][]byte
	for _, mt := range matchers {
		pats = append(pats, mt.text)
	}
	return newPrefilter(pats)
}()
