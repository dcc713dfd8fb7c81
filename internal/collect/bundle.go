package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/kubectl-pleg/kubectl-pleg/internal/bundle"
	"github.com/kubectl-pleg/kubectl-pleg/internal/redact"
	"github.com/kubectl-pleg/kubectl-pleg/internal/version"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// WriteBundle (kubectl pleg collect) saves the raw data of every source as it
// is read, in the format of internal/bundle, so that internal/offline reads it back to
// the same diagnosis.

// dirRecorder saves raw source data into a directory; the first failure is
// kept and fails the collection, since a bundle missing a file it claims to
// hold would mislead whoever reads it later.
type dirRecorder struct {
	dir string
	// redact, when set, redacts every byte before it reaches the disk.
	redact *redact.Redactor
	mu     sync.Mutex
	saved  map[snapshot.SourceName]string
	err    error
}

func (r *dirRecorder) save(name snapshot.SourceName, data io.Reader) {
	file, known := bundle.FileOf(name)
	if !known {
		return
	}
	if r.redact != nil {
		data = r.redact.Reader(data)
	}
	r.done(name, file, bundle.WriteFile(filepath.Join(r.dir, file), data))
}

// done records how writing the file of source name ended: the first
// failure fails the collection.
func (r *dirRecorder) done(name snapshot.SourceName, file string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("writing %s to the bundle: %w", file, err)
	}
	if err == nil {
		r.saved[name] = file
	}
}

// partFile starts a file in the bundle for a log that may or may not end up
// as a source's; keepRaw names it when it does, and the rest are removed.
// Its path is returned with a writer that redacts, when the bundle is.
func (r *dirRecorder) partFile() (string, io.WriteCloser, error) {
	f, err := os.CreateTemp(r.dir, partPrefix+"*")
	if err != nil {
		return "", nil, err
	}
	if r.redact != nil {
		return f.Name(), r.redact.Writer(f), nil
	}
	return f.Name(), f, nil
}

// partPrefix marks log files not (yet) kept by a source.
const partPrefix = ".part-"

// keepRaw makes a log read for a bundle the file of its source.
func (c *Collector) keepRaw(name snapshot.SourceName, path string) {
	if c.rec == nil || path == "" {
		return
	}
	file, _ := bundle.FileOf(name)
	c.rec.done(name, file, os.Rename(path, filepath.Join(c.rec.dir, file)))
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

// BundleOptions say how a bundle is written.
type BundleOptions struct {
	// Archive writes a .tar.gz instead of a directory.
	Archive bool
	// Redact, when set, redacts every file as it is written (secrets, and
	// addresses when asked), one mapping for the whole bundle.
	Redact *redact.Options
}

// WriteBundle collects nodeName and writes the bundle to dest: a directory,
// or a .tar.gz file when opts.Archive is set. It writes into a temporary directory
// next to dest and renames it into place only when everything was written, so
// an error or Ctrl-C (ctx cancelled) never leaves a half-written bundle.
func (c *Collector) WriteBundle(ctx context.Context, nodeName, dest string, opts BundleOptions) (*snapshot.Snapshot, error) {
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
	if opts.Redact != nil {
		rec.redact = redact.New(*opts.Redact)
	}
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
	m := bundle.Manifest{
		APIVersion: bundle.APIVersion, Kind: bundle.Kind, PluginVersion: version.Version,
		Node: nodeName, CollectedAt: snap.CollectedAt, Since: c.opts.Since.String(), MaxLogBytes: c.opts.MaxLogBytes,
		Sources: snap.Sources, Files: rec.saved, Redacted: opts.Redact,
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if rec.redact != nil { // its source records quote the kubelet's errors
		b = []byte(rec.redact.String(string(b)))
	}
	if err := os.WriteFile(filepath.Join(tmp, bundle.ManifestFile), append(b, '\n'), bundle.FileMode); err != nil {
		return nil, fmt.Errorf("writing the manifest: %w", err)
	}
	if !opts.Archive {
		if err := os.Rename(tmp, dest); err != nil {
			return nil, fmt.Errorf("moving the bundle into place: %w", err)
		}
		return snap, nil
	}
	tmpArchive := tmp + ".tar.gz"
	defer os.Remove(tmpArchive)
	if err := bundle.Archive(tmp, tmpArchive, filepath.Base(dest)); err != nil {
		return nil, fmt.Errorf("writing the archive: %w", err)
	}
	if err := os.Rename(tmpArchive, dest); err != nil {
		return nil, fmt.Errorf("moving the archive into place: %w", err)
	}
	return snap, nil
}
