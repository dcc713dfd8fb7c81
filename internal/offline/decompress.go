package offline

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"

	"github.com/kubectl-pleg/kubectl-pleg/internal/bundle"
)

// Rotated logs come compressed (kubelet.log.1.gz, messages-20240402.zst):
// a compressed file is read as what it holds, streamed, never unpacked
// whole, so a 1 GiB log costs no more memory than a plain one.

// compression is a stream format told by its magic bytes.
type compression struct {
	name  string
	magic []byte
	open  func(io.Reader) (io.Reader, error)
}

var compressions = []compression{
	{"gzip", []byte{0x1f, 0x8b}, func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
	{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd}, func(r io.Reader) (io.Reader, error) {
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}},
	{"bzip2", []byte("BZh"), func(r io.Reader) (io.Reader, error) { return bzip2.NewReader(r), nil }},
	{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}, func(io.Reader) (io.Reader, error) {
		return nil, errors.New("xz-compressed: no reader for it here; decompress it first (xz -d FILE) and give the result")
	}},
}

// maxLayers bounds compression inside compression (a .gz of a .gz).
const maxLayers = 3

// decompressed returns br, or a reader of what it holds when it starts
// with a compression's magic.
func decompressed(br *bufio.Reader) (*bufio.Reader, error) {
	for range maxLayers {
		head, _ := br.Peek(8)
		c, ok := compressionOf(head)
		if !ok || c.name == "gzip" && bundle.IsArchive(peekAll(br)) {
			return br, nil // a .tar.gz is an archive, unpacked elsewhere
		}
		r, err := c.open(br)
		if err != nil {
			return nil, fmt.Errorf("%s-compressed, but %w", c.name, err)
		}
		br = bufio.NewReaderSize(errorsNamed{r, c.name}, sniffBytes)
	}
	return br, nil
}

// peekAll is as much of br's start as it holds buffered or can.
func peekAll(br *bufio.Reader) []byte {
	head, _ := br.Peek(br.Size())
	return head
}

func compressionOf(head []byte) (compression, bool) {
	for _, c := range compressions {
		if bytes.HasPrefix(head, c.magic) {
			return c, true
		}
	}
	return compression{}, false
}

// errorsNamed says which layer failed: "gzip: unexpected EOF" reads as the
// file cut short, which it usually is.
type errorsNamed struct {
	r    io.Reader
	name string
}

func (e errorsNamed) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s data cut short or damaged: %w", e.name, err)
	}
	return n, err
}
