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
	shift    [blocks]uint8
	patterns [][]byte
	// offset is where, in each pattern, its indexed window of m bytes starts.
	offset []int
	// endBlock maps the end block of a window to 1 + its index in lists, or 0
	// when no pattern's window ends with that block.
	endBlock [blocks]uint8
	lists    [][]int
}

// block hashes the three bytes ending a window position: trigrams are much
// rarer in text than pairs, so most positions shift by far; collisions only
// cost a verification.
func block(a, b, c byte) uint16 {
	return (uint16(a)<<6 ^ uint16(b)<<3 ^ uint16(c)) & (blocks - 1)
}

// blocks is the size of the shift table: small enough to stay in the L1
// cache, since each step of the search waits on one lookup.
const blocks = 1 << 11

// commonness guesses how often a block occurs in log text: pairs of
// lowercase letters and spaces are everywhere, capitals, digits and
// punctuation much less so.
func commonness(a, b byte) int {
	c := 0
	for _, x := range []byte{a, b} {
		if x == ' ' || x >= 'a' && x <= 'z' {
			c++
		}
	}
	return c
}

func newPrefilter(patterns [][]byte) *prefilter {
	p := &prefilter{m: len(patterns[0]), patterns: patterns, offset: make([]int, len(patterns))}
	for _, pat := range patterns {
		p.m = min(p.m, len(pat))
	}
	for i := range p.shift {
		p.shift[i] = uint8(min(p.m-2, 255))
	}
	for idx, pat := range patterns {
		// Index the window of the pattern that ends in its rarest block:
		// windows of the text ending there are the ones verified.
		best := 0
		for off := 1; off+p.m <= len(pat); off++ {
			if commonness(pat[off+p.m-2], pat[off+p.m-1]) < commonness(pat[best+p.m-2], pat[best+p.m-1]) {
				best = off
			}
		}
		p.offset[idx] = best
		win := pat[best : best+p.m]
		// Blocks ending at j within the window: a text window whose end block
		// is win[j-2:j+1] may hold the pattern's window shifted by m-1-j.
		for j := 2; j < p.m; j++ {
			h := block(win[j-2], win[j-1], win[j])
			if s := uint8(p.m - 1 - j); s < p.shift[h] {
				p.shift[h] = s
			}
		}
		h := block(win[p.m-3], win[p.m-2], win[p.m-1])
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
		h := block(text[pos-2], text[pos-1], text[pos])
		if s := p.shift[h]; s > 0 {
			pos += int(s)
			continue
		}
		next := pos + 1
		if l := p.endBlock[h]; l > 0 {
			for _, idx := range p.lists[l-1] {
				start := pos - p.m + 1 - p.offset[idx]
				if start >= 0 && bytes.HasPrefix(text[start:], p.patterns[idx]) {
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
// and the offset of the line in text, once per line, in order.
func (p *prefilter) lines(text []byte, fn func(line []byte, offset int)) {
	p.search(text, func(start, _ int) int {
		ls := bytes.LastIndexByte(text[:start], '\n') + 1
		le := bytes.IndexByte(text[start:], '\n')
		if le < 0 {
			le = len(text)
		} else {
			le += start
		}
		fn(text[ls:le], ls)
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
