package bundle

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Limits bound what an archive may unpack to: a crafted archive (a bomb)
// must end in a clear error, not fill the disk.
type Limits struct {
	// TotalBytes bounds the bytes of all files together.
	TotalBytes int64
	// FileBytes bounds each file.
	FileBytes int64
	// Files bounds the number of entries.
	Files int
}

// DefaultLimits fit the largest support archives people attach (a
// must-gather of a big cluster unpacks to a few GiB) and stop a bomb early.
var DefaultLimits = Limits{TotalBytes: 4 << 30, FileBytes: 2 << 30, Files: 100_000}

// ErrUnsafeArchive is returned for an archive that would write outside its
// directory, link out of it, create device files, or exceed the Limits.
var ErrUnsafeArchive = errors.New("refused")

// IsArchive says whether head, the first bytes of a file, starts a .tar.gz,
// .tar or .zip.
func IsArchive(head []byte) bool {
	return bytes.HasPrefix(head, zipMagic) || isTar(head) || bytes.HasPrefix(head, gzipMagic) && isTar(gunzipHead(head))
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zipMagic  = []byte("PK\x03\x04")
)

func isTar(head []byte) bool {
	return len(head) >= 262 && string(head[257:262]) == "ustar"
}

// gunzipHead is the start of what a gzip stream holds, as far as head goes.
func gunzipHead(head []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(head))
	if err != nil {
		return nil
	}
	out, _ := io.ReadAll(io.LimitReader(zr, 512))
	return out
}

// Extract unpacks an archive (.tar.gz, .tgz, .tar or .zip, told by content)
// into a new temporary directory, keeping its tree, and returns the
// directory with its cleanup. It refuses, with ErrUnsafeArchive and the
// entry named, anything that could hurt the reader: a path that leaves the
// directory (absolute, or through ".."), a link whose target leaves it, a
// device, pipe or socket, and more entries or bytes than lim allows. Links
// that stay inside are not created (only regular files are read).
func Extract(archive string, lim Limits) (string, func(), error) {
	f, err := os.Open(archive)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	dir, err := os.MkdirTemp("", "pleg-archive-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	x := &extractor{dir: dir, lim: lim}
	br := bufio.NewReaderSize(f, 1024)
	head, _ := br.Peek(1024)
	switch {
	case bytes.HasPrefix(head, zipMagic):
		st, serr := f.Stat()
		if serr != nil {
			err = serr
			break
		}
		err = x.zip(f, st.Size())
	case bytes.HasPrefix(head, gzipMagic):
		zr, zerr := gzip.NewReader(br)
		if zerr != nil {
			err = fmt.Errorf("broken gzip: %w", zerr)
			break
		}
		err = x.tar(zr)
	case isTar(head):
		err = x.tar(br)
	default:
		err = errors.New("not a .tar.gz, .tar or .zip archive")
	}
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("%s: %w", archive, err)
	}
	return dir, cleanup, nil
}

// extractor writes one archive's entries under dir, within lim.
type extractor struct {
	dir   string
	lim   Limits
	files int
	total int64
}

func (x *extractor) tar(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("broken archive: %w", err)
		}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			err = x.file(hdr.Name, hdr.Size, tr)
		case tar.TypeDir:
			err = x.mkdir(hdr.Name)
		case tar.TypeSymlink:
			err = x.link(hdr.Name, hdr.Linkname, false)
		case tar.TypeLink:
			err = x.link(hdr.Name, hdr.Linkname, true)
		case tar.TypeXGlobalHeader, tar.TypeXHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
			// metadata the reader has applied already
		default:
			err = fmt.Errorf("%w: entry %q is a device, pipe or other special file", ErrUnsafeArchive, hdr.Name)
		}
		if err != nil {
			return err
		}
	}
}

func (x *extractor) zip(r io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("broken archive: %w", err)
	}
	for _, zf := range zr.File {
		mode := zf.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			target, err := readZipLink(zf)
			if err == nil {
				err = x.link(zf.Name, target, false)
			}
			if err != nil {
				return err
			}
		case mode.IsDir() || strings.HasSuffix(zf.Name, "/"):
			if err := x.mkdir(zf.Name); err != nil {
				return err
			}
		case mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeIrregular) != 0:
			return fmt.Errorf("%w: entry %q is a device, pipe or other special file", ErrUnsafeArchive, zf.Name)
		default:
			rc, err := zf.Open()
			if err != nil {
				return fmt.Errorf("entry %q: %w", zf.Name, err)
			}
			// The declared size may lie: file counts what is really read.
			err = x.file(zf.Name, -1, rc)
			rc.Close()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// readZipLink reads a zip symlink's target, which is its content.
func readZipLink(zf *zip.File) (string, error) {
	rc, err := zf.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 4096))
	return string(b), err
}

// place turns an entry's name into its path under dir, refusing names that
// would leave it.
func (x *extractor) place(name string) (string, error) {
	if x.files++; x.files > x.lim.Files {
		return "", fmt.Errorf("%w: more than %d entries (an archive bomb?)", ErrUnsafeArchive, x.lim.Files)
	}
	clean := path.Clean(strings.ReplaceAll(name, `\`, "/"))
	if leaves(clean) {
		return "", fmt.Errorf("%w: entry %q leaves the archive's directory", ErrUnsafeArchive, name)
	}
	if clean == "." {
		return x.dir, nil
	}
	return filepath.Join(x.dir, filepath.FromSlash(clean)), nil
}

func (x *extractor) mkdir(name string) error {
	p, err := x.place(name)
	if err != nil {
		return err
	}
	return x.mkdirAll(p)
}

// mkdirAll creates p's directories, refusing to go through anything that
// is not a directory the extraction made (a link planted earlier).
func (x *extractor) mkdirAll(p string) error {
	rel, _ := filepath.Rel(x.dir, p)
	cur := x.dir
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if part == "." || part == "" {
			continue
		}
		cur = filepath.Join(cur, part)
		st, err := os.Lstat(cur)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(cur, 0o755); err != nil {
				return err
			}
		case err != nil:
			return err
		case !st.IsDir():
			return fmt.Errorf("%w: %q is both a file and a directory in the archive", ErrUnsafeArchive, rel)
		}
	}
	return nil
}

// file writes one regular file of declared size (-1: unknown), counting
// the bytes really read against the limits.
func (x *extractor) file(name string, size int64, r io.Reader) error {
	p, err := x.place(name)
	if err != nil {
		return err
	}
	if size > x.lim.FileBytes {
		return fmt.Errorf("%w: entry %q is %d bytes, more than the %d a file may unpack to", ErrUnsafeArchive, name, size, x.lim.FileBytes)
	}
	if err := x.mkdirAll(filepath.Dir(p)); err != nil {
		return err
	}
	if st, err := os.Lstat(p); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%w: entry %q would replace a directory or link", ErrUnsafeArchive, name)
	}
	out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, FileMode)
	if err != nil {
		return err
	}
	budget := min(x.lim.FileBytes, x.lim.TotalBytes-x.total)
	n, err := io.Copy(out, io.LimitReader(r, budget+1))
	x.total += n
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return fmt.Errorf("entry %q: %w", name, err)
	case n > budget && budget == x.lim.FileBytes:
		return fmt.Errorf("%w: entry %q unpacks to more than the %d bytes a file may (an archive bomb?)", ErrUnsafeArchive, name, x.lim.FileBytes)
	case n > budget:
		return fmt.Errorf("%w: the archive unpacks to more than %d bytes (an archive bomb?)", ErrUnsafeArchive, x.lim.TotalBytes)
	}
	return nil
}

// link checks a symbolic or hard link: one whose target leaves the tree is
// refused; one that stays inside is skipped (its target is read as itself).
func (x *extractor) link(name, target string, hard bool) error {
	p, err := x.place(name)
	if err != nil {
		return err
	}
	t := filepath.FromSlash(strings.ReplaceAll(target, `\`, "/"))
	if !hard && !filepath.IsAbs(t) {
		t = filepath.Join(filepath.Dir(p), t)
	} else {
		t = filepath.Join(x.dir, t)
	}
	if filepath.IsAbs(target) || !within(x.dir, t) {
		return fmt.Errorf("%w: link %q points out of the archive (to %q)", ErrUnsafeArchive, name, target)
	}
	return nil
}

// leaves says a cleaned slash path escapes the directory it is joined to:
// absolute, up through "..", or a Windows drive ("C:/...").
func leaves(clean string) bool {
	return path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") ||
		len(clean) >= 2 && clean[1] == ':'
}

// within says p is dir or under it, lexically.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, filepath.Clean(p))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
