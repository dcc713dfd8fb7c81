// Package bundle is the on-disk format of a kubectl-pleg bundle: a directory
// (or a .tar.gz of one) holding everything diagnose reads live, as the kubelet
// and API server served it, plus manifest.json with the collection time and
// how each source ended. internal/collect writes bundles and internal/offline reads
// them; this package is the one place that knows their layout.
package bundle

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/internal/redact"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Names and modes of the format.
const (
	// Kind is the manifest's kind.
	Kind = "Bundle"
	// APIVersion is the manifest's apiVersion.
	APIVersion = "pleg.kubectl.io/v1alpha1"
	// ManifestFile is the manifest's file name in a bundle.
	ManifestFile = "manifest.json"
	// FileMode is the mode of every file written into a bundle.
	FileMode = 0o644
)

// files names the file of each source in a bundle.
var files = map[snapshot.SourceName]string{
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

// FileOf names the file that holds source name in a bundle, and whether the
// source is ever saved.
func FileOf(name snapshot.SourceName) (string, bool) {
	f, ok := files[name]
	return f, ok
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
	// Redacted says the files were redacted as written, and how (nil: not).
	Redacted *redact.Options `json:"redacted,omitempty"`
}

// WriteFile writes data to path with the bundle's file mode.
func WriteFile(path string, data io.Reader) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, FileMode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Archive writes the regular files of dir into a gzipped tar at path, under a
// top directory named after the archive (bundle.tar.gz → bundle/).
func Archive(dir, path, name string) error {
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
	return errors.Join(err, tw.Close(), gz.Close(), f.Close())
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
	hdr := &tar.Header{Name: name, Mode: FileMode, Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

func trimArchiveExt(name string) string {
	for _, ext := range []string{".tar.gz", ".tgz"} {
		if strings.HasSuffix(name, ext) && len(name) > len(ext) {
			return strings.TrimSuffix(name, ext)
		}
	}
	return name
}

// ErrNoManifest says a directory holds no manifest: it is no bundle of
// ours, but may still be files to read one by one.
var ErrNoManifest = errors.New("no " + ManifestFile)

// ReadManifest reads dir's manifest and checks it against the format: its
// kind, and that every file it names is the file of its source (a crafted
// manifest cannot send the reader to "../../etc/shadow") and a regular file
// in dir, not a link out of it.
func ReadManifest(dir string) (*Manifest, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoManifest
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil || m.Kind != Kind {
		return nil, fmt.Errorf("%s: not a kubectl-pleg bundle manifest (%v)", ManifestFile, err)
	}
	for name, file := range m.Files {
		if want, ok := FileOf(name); !ok || file != want {
			return nil, fmt.Errorf("%s: source %q is in %q, which is not its file in a bundle", ManifestFile, name, file)
		}
		st, err := os.Lstat(filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("bundle incomplete: %w", err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: %s is not a regular file (a link?)", ManifestFile, file)
		}
	}
	return &m, nil
}

// Root is where an unpacked archive's content starts: the one directory it
// holds when it holds nothing else (bundle.tar.gz → bundle/), else dir.
func Root(dir string) string {
	entries, err := os.ReadDir(dir)
	if err == nil && len(entries) == 1 && entries[0].IsDir() {
		return filepath.Join(dir, entries[0].Name())
	}
	return dir
}
