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
	// endBlock maps the end block of a window to 1 + its index in lists, or 0
	// when no pattern ends its first m bytes with that block.
	endBlock [1 << 16]uint8
	lists    [][]int
}

func block(a, b byte) uint16 { return uint16(a)<<8 | uint16(b) }

func newPrefilter(patterns [][]byte) *prefilter {
	p := &prefilter{m: len(patterns[0]), patterns: patterns}
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
		if p.endBlock[h] == 0 {
			p.lists = append(p.lists, nil)
			p.endBlock[h] = uint8(len(p.lists))
		}
		p.lists[p.endBlock[h]-1] = append(p.lists[p.endBlock[h]-1], idx)
	}
	return p
}

// search calls hit for each occurrence of a pattern in text, with its start
// and the pattern's index; hit returns the position to go on from (anything
// at or before the occurrence means "the next byte").
func (p *prefilter) search(text []byte, hit func(start, idx int) int) {
	for pos := p.m - 1; pos < len(text); {
		h := block(text[pos-1], text[pos])
		if s := p.shift[h]; s > 0 {
			pos += int(s)
			continue
		}
		start, next := pos-p.m+1, pos+1
		if l := p.endBlock[h]; l > 0 {
			for _, idx := range p.lists[l-1] {
				if bytes.HasPrefix(text[start:], p.patterns[idx]) {
					next = max(next, hit(start, idx))
				}
			}
		}
		pos = next
	}
}

// each calls fn with the index of every pattern occurring in text.
func (p *prefilter) each(text []byte, fn func(idx int)) {
	p.search(text, func(_, idx int) int {
		fn(idx)
		return 0
	})
}

// lines calls fn with each line of text (no newline) that holds a pattern,
// once per line, in order.
func (p *prefilter) lines(text []byte, fn func(line []byte)) {
	p.search(text, func(start, _ int) int {
		ls := bytes.LastIndexByte(text[:start], '\n') + 1
		le := bytes.IndexByte(text[start:], '\n')
		if le < 0 {
			le = len(text)
		} else {
			le += start
		}
		fn(text[ls:le])
		// Nothing more on this line needs reporting: go on from the next one.
		return le + p.m
	})
}

// signalPrefilter searches for every matcher text.
var signalPrefilter = func() *prefilter {
	var pats [][]byte
	for _, mt := range matchers {
		pats = append(pats, mt.text)
	}
	return newPrefilter(pats)
}()
