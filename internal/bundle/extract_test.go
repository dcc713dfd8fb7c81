package bundle

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one member of a crafted archive.
type entry struct {
	name, body, link string
	typ              byte // tar type; 0 is a regular file
	size             int64
}

func tarGz(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		size := int64(len(e.body))
		if e.size > 0 {
			size = e.size
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Linkname: e.link}
		if typ == tar.TypeReg {
			hdr.Size = size
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil && e.size == 0 {
				t.Fatal(err)
			}
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func zipOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(0o644)
		body := e.body
		if e.link != "" {
			h.SetMode(fs.ModeSymlink | 0o777)
			body = e.link
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

// extractBytes writes an archive to a file in a fresh directory and
// extracts it; the directory lets a test see whether anything escaped.
func extractBytes(t *testing.T, data []byte, lim Limits) (string, string, error) {
	t.Helper()
	base := t.TempDir()
	path := filepath.Join(base, "in.archive")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	dir, cleanup, err := Extract(path, lim)
	if err == nil {
		t.Cleanup(cleanup)
	}
	return base, dir, err
}

var small = Limits{TotalBytes: 1 << 20, FileBytes: 512 << 10, Files: 20}

// Every attack a crafted archive can make is refused with ErrUnsafeArchive
// and a message naming the entry, and nothing is written outside.
func TestExtractRefusesAttacks(t *testing.T) {
	big := strings.Repeat("x", 600<<10)
	for _, tc := range []struct {
		name, want string
		data       func(testing.TB) []byte
	}{
		{"traversal", `"../evil"`, func(t testing.TB) []byte { return tarGz(t, entry{name: "../evil", body: "x"}) }},
		{"traversal inside a path", `"bundle/../../evil"`, func(t testing.TB) []byte { return tarGz(t, entry{name: "bundle/../../evil", body: "x"}) }},
		{"absolute path", `"/tmp/pleg-evil"`, func(t testing.TB) []byte { return tarGz(t, entry{name: "/tmp/pleg-evil", body: "x"}) }},
		{"windows traversal", `"..\\evil"`, func(t testing.TB) []byte { return tarGz(t, entry{name: `..\evil`, body: "x"}) }},
		{"windows drive", `"C:\\evil"`, func(t testing.TB) []byte { return tarGz(t, entry{name: `C:\evil`, body: "x"}) }},
		{"symlink out, absolute", `points out of the archive (to "/etc/passwd")`, func(t testing.TB) []byte {
			return tarGz(t, entry{name: "kubelet.log", typ: tar.TypeSymlink, link: "/etc/passwd"})
		}},
		{"symlink out, relative", `points out of the archive (to "../../../etc")`, func(t testing.TB) []byte {
			return tarGz(t, entry{name: "a/b", typ: tar.TypeSymlink, link: "../../../etc"})
		}},
		{"hard link out", `points out of the archive`, func(t testing.TB) []byte {
			return tarGz(t, entry{name: "h", typ: tar.TypeLink, link: "../../etc/shadow"})
		}},
		{"character device", `"dev/null" is a device`, func(t testing.TB) []byte { return tarGz(t, entry{name: "dev/null", typ: tar.TypeChar}) }},
		{"named pipe", `"fifo" is a device`, func(t testing.TB) []byte { return tarGz(t, entry{name: "fifo", typ: tar.TypeFifo}) }},
		{"file bomb", `"big.log" is 629145600 bytes`, func(t testing.TB) []byte {
			return tarGz(t, entry{name: "big.log", size: 600 << 20})
		}},
		{"total bomb", "more than 1048576 bytes", func(t testing.TB) []byte {
			return tarGz(t, entry{name: "a", body: big[:500<<10]}, entry{name: "b", body: big[:500<<10]}, entry{name: "c", body: big[:500<<10]})
		}},
		{"many entries", "more than 20 entries", func(t testing.TB) []byte {
			var es []entry
			for i := range 25 {
				es = append(es, entry{name: strings.Repeat("f", i+1), body: "x"})
			}
			return tarGz(t, es...)
		}},
		{"file over a directory", `would replace a directory`, func(t testing.TB) []byte {
			return tarGz(t, entry{name: "d/", typ: tar.TypeDir}, entry{name: "d", body: "x"})
		}},
		{"zip traversal", `"../evil"`, func(t testing.TB) []byte { return zipOf(t, entry{name: "../evil", body: "x"}) }},
		{"zip symlink out", `points out of the archive`, func(t testing.TB) []byte { return zipOf(t, entry{name: "l", link: "/etc"}) }},
		// The zip's declared size is not trusted: what is read is counted.
		{"zip bomb", `unpacks to more than the 524288 bytes a file may`, func(t testing.TB) []byte { return zipOf(t, entry{name: "z.log", body: big}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, _, err := extractBytes(t, tc.data(t), small)
			if !errors.Is(err, ErrUnsafeArchive) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrUnsafeArchive saying %s", err, tc.want)
			}
			if _, err := os.Lstat(filepath.Join(base, "evil")); err == nil {
				t.Error("a file escaped next to the archive")
			}
			if _, err := os.Lstat("/tmp/pleg-evil"); err == nil {
				os.Remove("/tmp/pleg-evil")
				t.Error("an absolute path was written")
			}
		})
	}
}

// A bundle as collect writes it comes back whole under its top directory;
// links that stay inside are not created; zips work the same.
func TestExtractKeepsTheTree(t *testing.T) {
	data := tarGz(t,
		entry{name: "must-gather/", typ: tar.TypeDir},
		entry{name: "must-gather/cluster-scoped-resources/core/nodes/worker-1.yaml", body: "kind: Node\n"},
		entry{name: "must-gather/latest", typ: tar.TypeSymlink, link: "cluster-scoped-resources"},
	)
	_, dir, err := extractBytes(t, data, small)
	if err != nil {
		t.Fatal(err)
	}
	root := Root(dir)
	if filepath.Base(root) != "must-gather" {
		t.Errorf("root %s, want the archive's one top directory", root)
	}
	if b, err := os.ReadFile(filepath.Join(root, "cluster-scoped-resources/core/nodes/worker-1.yaml")); err != nil || string(b) != "kind: Node\n" {
		t.Errorf("node file: %q, %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(root, "latest")); err == nil {
		t.Error("a link inside the tree was created; only regular files are")
	}

	_, dir, err = extractBytes(t, zipOf(t, entry{name: "sos/var/log/messages", body: "Dec  3 10:00:00 host kernel: ok\n"}), small)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(Root(dir), "var/log/messages")); err != nil {
		t.Errorf("zip tree: %v", err)
	}

	if _, _, err := extractBytes(t, []byte("plain text, no archive"), small); err == nil || errors.Is(err, ErrUnsafeArchive) {
		t.Errorf("not an archive: err = %v, want a plain error", err)
	}
}

// FuzzExtract: whatever the bytes, Extract never panics, and what it
// leaves is regular files and directories inside its directory.
func FuzzExtract(f *testing.F) {
	f.Add(tarGz(f, entry{name: "b/node.json", body: "{}"}, entry{name: "b/l", typ: tar.TypeSymlink, link: "node.json"}))
	f.Add(tarGz(f, entry{name: "../x", body: "x"}))
	f.Add(zipOf(f, entry{name: "a/b", body: "y"}, entry{name: "a/l", link: "../../x"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, dir, err := extractBytes(t, data, small)
		if err != nil {
			return
		}
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			if !d.IsDir() && !d.Type().IsRegular() {
				t.Errorf("%s is neither a file nor a directory: %v", p, d.Type())
			}
			if !within(dir, p) {
				t.Errorf("%s is outside %s", p, dir)
			}
			return nil
		})
	})
}
