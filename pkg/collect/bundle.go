package collect

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/version"
)

// A bundle is a directory (or a .tar.gz of one) holding everything diagnose
// reads live, as the kubelet and API server served it, plus manifest.json with
// the collection time and how each source ended. `diagnose --from-dir` on a
// bundle gives the same result as the live diagnosis it was collected with.

// BundleKind is the manifest's kind.
const (
	BundleKind     = "Bundle"
	manifestFile   = "manifest.json"
	bundleFileMode = 0o644
)

// bundleFiles names the file of each source in a bundle.
var bundleFiles = map[snapshot.SourceName]string{
	snapshot.SourceNode:       "node.json",
	snapshot.SourceEvents:     "events.json",
	snapshot.SourcePods:       "pods.json",
	snapshot.SourceKubeletLog: "kubelet.log",
	snapshot.SourceRuntimeLog: "runtime.log",
	snapshot.SourceSystemLog:  "system.log",
	snapshot.SourceMetrics:    "metrics.txt",
	snapshot.SourceStats:      "stats.json",
	snapshot.SourceConfigz:    "configz.json",
	snapshot.SourceHealthz:    "healthz.txt",
}

// Manifest describes a bundle.
type Manifest struct {
	APIVersion    string    `json:"apiVersion"`
	Kind          string    `json:"kind"`
	PluginVersion string    `json:"pluginVersion"`
	Node          string    `json:"node"`
	CollectedAt   time.Time `json:"collectedAt"`
	Since         string    `json:"since"`
	// MaxLogBytes is the log cap of the collection: read back with the same
	// cap, the bundle's logs give the same summaries as live.
	MaxLogBytes int64             `json:"maxLogBytes"`
	Sources     []snapshot.Source `json:"sources"`
	// Files maps each source that was read to its file in the bundle.
	Files map[snapshot.SourceName]string `json:"files"`
}

// dirRecorder saves raw source data into a directory; the first failure is
// kept and fails the collection, since a bundle missing a file it claims to
// hold would mislead whoever reads it later.
type dirRecorder struct {
	dir   string
	mu    sync.Mutex
	saved map[snapshot.SourceName]string
	err   error
}

func (r *dirRecorder) save(name snapshot.SourceName, data io.Reader) {
	file, known := bundleFiles[name]
	if !known {
		return
	}
	err := writeFile(filepath.Join(r.dir, file), data)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("writing %s to the bundle: %w", file, err)
	}
	if err == nil {
		r.saved[name] = file
	}
}

func writeFile(path string, data io.Reader) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, bundleFileMode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// partFile starts a file in the bundle for a log that may or may not end up
// as a source's; keepRaw names it when it does, and the rest are removed.
func (r *dirRecorder) partFile() (*os.File, error) {
	return os.CreateTemp(r.dir, partPrefix+"*")
}

// partPrefix marks log files not (yet) kept by a source.
const partPrefix = ".part-"

// keepRaw makes a log read for a bundle the file of its source.
func (c *Collector) keepRaw(name snapshot.SourceName, path string) {
	if c.rec == nil || path == "" {
		return
	}
	r := c.rec
	err := os.Rename(path, filepath.Join(r.dir, bundleFiles[name]))
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("writing %s to the bundle: %w", bundleFiles[name], err)
	}
	if err == nil {
		r.saved[name] = bundleFiles[name]
	}
}

// save hands raw source data to the recorder, when there is one.
func (c *Collector) save(name snapshot.SourceName, data io.Reader) {
	if c.rec != nil {
		c.rec.save(name, data)
	}
}

// saveJSON saves an API object as `kubectl get -o json` prints it.
func (c *Collector) saveJSON(name snapshot.SourceName, obj any) {
	if c.rec == nil {
		return
	}
	pr, pw := io.Pipe()
	go func() {
		enc := json.NewEncoder(pw)
		enc.SetIndent("", "  ")
		pw.CloseWithError(enc.Encode(obj))
	}()
	c.rec.save(name, pr)
	pr.Close()
}

// WriteBundle collects nodeName and writes the bundle to dest: a directory,
// or a .tar.gz file when archive is set. It writes into a temporary directory
// next to dest and renames it into place only when everything was written, so
// an error or Ctrl-C (ctx cancelled) never leaves a half-written bundle.
func (c *Collector) WriteBundle(ctx context.Context, nodeName, dest string, archive bool) (*snapshot.Snapshot, error) {
	if _, err := os.Lstat(dest); err == nil {
		return nil, fmt.Errorf("%s already exists: choose a new name, a bundle is never written over another", dest)
	}
	parent := filepath.Dir(dest)
	tmp, err := os.MkdirTemp(parent, ".pleg-bundle-")
	if err != nil {
		return nil, fmt.Errorf("creating the bundle next to %s: %w", dest, err)
	}
	defer os.RemoveAll(tmp)

	rec := &dirRecorder{dir: tmp, saved: map[snapshot.SourceName]string{}}
	withRec := *c
	withRec.rec = rec
	snap, err := withRec.Collect(ctx, nodeName)
	if err != nil {
		return nil, err
	}
	if rec.err != nil {
		return nil, rec.err
	}
	parts, _ := filepath.Glob(filepath.Join(tmp, partPrefix+"*"))
	for _, p := range parts {
		os.Remove(p) // log reads that no source kept (a fallback was used)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("collection interrupted, no bundle written: %w", err)
	}
	m := Manifest{
		APIVersion: "pleg.kubectl.io/v1alpha1", Kind: BundleKind, PluginVersion: version.Version,
		Node: nodeName, CollectedAt: snap.CollectedAt, Since: c.opts.Since.String(), MaxLogBytes: c.opts.MaxLogBytes,
		Sources: snap.Sources, Files: rec.saved,
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, manifestFile), append(b, '\n'), bundleFileMode); err != nil {
		return nil, fmt.Errorf("writing the manifest: %w", err)
	}
	if !archive {
		if err := os.Rename(tmp, dest); err != nil {
			return nil, fmt.Errorf("moving the bundle into place: %w", err)
		}
		return snap, nil
	}
	tmpArchive := tmp + ".tar.gz"
	defer os.Remove(tmpArchive)
	if err := tarDir(tmp, tmpArchive, filepath.Base(dest)); err != nil {
		return nil, fmt.Errorf("writing the archive: %w", err)
	}
	if err := os.Rename(tmpArchive, dest); err != nil {
		return nil, fmt.Errorf("moving the archive into place: %w", err)
	}
	return snap, nil
}

// tarDir writes the regular files of dir into a gzipped tar at path, under a
// top directory named after the archive (bundle.tar.gz → bundle/).
func tarDir(dir, path, name string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	top := trimArchiveExt(name)
	entries, err := os.ReadDir(dir)
	if err == nil {
		for _, e := range entries {
			if err = addTarFile(tw, filepath.Join(dir, e.Name()), top+"/"+e.Name()); err != nil {
				break
			}
		}
	}
	err = errors.Join(err, tw.Close(), gz.Close(), f.Close())
	return err
}

func addTarFile(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: name, Mode: bundleFileMode, Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

func trimArchiveExt(name string) string {
	for _, ext := range []string{".tar.gz", ".tgz"} {
		if len(name) > len(ext) && name[len(name)-len(ext):] == ext {
			return name[:len(name)-len(ext)]
		}
	}
	return name
}

// maxBundleBytes bounds what an archive may unpack to.
const maxBundleBytes = 8 << 30

// extractBundle unpacks a bundle archive into a temporary directory and
// returns it with its cleanup. Only regular files are written, each under its
// base name, so a crafted archive cannot write outside the directory.
func extractBundle(path string) (string, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return "", nil, fmt.Errorf("%s: not a .tar.gz bundle: %w", path, err)
	}
	dir, err := os.MkdirTemp("", "pleg-bundle-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	tr := tar.NewReader(gz)
	var total int64
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return dir, cleanup, nil
		}
		if err != nil {
			cleanup()
			return "", nil, fmt.Errorf("%s: broken archive: %w", path, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		if total += hdr.Size; total > maxBundleBytes {
			cleanup()
			return "", nil, fmt.Errorf("%s: unpacks to more than %d bytes", path, int64(maxBundleBytes))
		}
		name := filepath.Base(filepath.Clean("/" + hdr.Name))
		if err := writeFile(filepath.Join(dir, name), io.LimitReader(tr, hdr.Size)); err != nil {
			cleanup()
			return "", nil, err
		}
	}
}
