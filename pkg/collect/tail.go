package collect

import (
	"bytes"
	"io"
)

// tailBuffer is an io.Writer that keeps only the newest max bytes written to
// it, so that a log of any size is analyzed in bounded memory and the newest
// lines win. It grows up to max as data arrives.
type tailBuffer struct {
	max     int64
	buf     []byte
	start   int   // index of the oldest byte once the buffer has wrapped
	wrapped bool  // buf is full and start marks the oldest byte
	dropped int64 // bytes overwritten
}

func newTailBuffer(max int64) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if int64(len(p)) >= t.max { // p alone fills the buffer
		t.dropped += int64(t.Len()) + int64(len(p)) - t.max
		t.buf = append(t.buf[:0], p[int64(len(p))-t.max:]...)
		t.start, t.wrapped = 0, true
		return n, nil
	}
	if !t.wrapped {
		room := int(t.max) - len(t.buf)
		if len(p) <= room {
			t.buf = append(t.buf, p...)
			return n, nil
		}
		t.buf = append(t.buf, p[:room]...)
		p = p[room:]
		t.wrapped = true
	}
	for len(p) > 0 {
		c := copy(t.buf[t.start:], p)
		t.dropped += int64(c)
		p = p[c:]
		t.start = (t.start + c) % len(t.buf)
	}
	return n, nil
}

// Len is the number of bytes held.
func (t *tailBuffer) Len() int { return len(t.buf) }

// Dropped is the number of older bytes that did not fit.
func (t *tailBuffer) Dropped() int64 { return t.dropped }

// Reader returns the held bytes, oldest first. After a drop, the first line is
// only the end of a line, so it is skipped.
func (t *tailBuffer) Reader() io.Reader {
	head, tail := t.buf[t.start:], t.buf[:t.start]
	if !t.wrapped {
		head, tail = t.buf, nil
	}
	if t.dropped > 0 {
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			head = head[i+1:]
		} else if i := bytes.IndexByte(tail, '\n'); i >= 0 {
			head, tail = nil, tail[i+1:]
		} else {
			head, tail = nil, nil
		}
	}
	return io.MultiReader(bytes.NewReader(head), bytes.NewReader(tail))
}
