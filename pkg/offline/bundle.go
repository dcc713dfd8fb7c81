package offline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/bundle"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// FromDir diagnoses a bundle written by `kubectl pleg collect` (a directory
// or its .tar.gz): the same capture time, window and source outcomes as the
// live collection, so the same diagnosis. A directory without a manifest is
// read as loose files.
func FromDir(dir string, fallbackYear time.Time) ([]*snapshot.Snapshot, error) {
	if st, err := os.Stat(dir); err == nil && st.Mode().IsRegular() {
		unpacked, cleanup, err := bundle.Extract(dir, bundle.DefaultLimits)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		dir = bundle.Root(unpacked)
	}
	m, err := bundle.ReadManifest(dir)
	if errors.Is(err, bundle.ErrNoManifest) {
		return fromLooseDir(dir, fallbackYear)
	}
	if err != nil {
		return nil, err
	}
	window, err := time.ParseDuration(m.Since)
	if err != nil {
		return nil, fmt.Errorf("%s: bad since %q", bundle.ManifestFile, m.Since)
	}
	o := newOffline(m.Node)
	o.capture, o.logCap = m.CollectedAt.UTC(), m.MaxLogBytes
	for _, name := range snapshot.SourceOrder {
		file, ok := m.Files[name]
		if !ok {
			continue
		}
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("bundle incomplete: %w", err)
		}
		defer f.Close()
		if err := o.addBundleFile(name, file, f); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	capture := o.capture
	snaps, err := o.snapshots(fallbackYear, window)
	if err != nil {
		return nil, errors.Join(append(o.problems, err)...)
	}
	// The manifest, not the newest line, is the capture time, and its source
	// records say how each source ended when it was collected.
	snaps[0].CollectedAt, snaps[0].NodeName, snaps[0].Sources = capture, m.Node, m.Sources
	snaps[0].CaptureYearGuessed = false
	return snaps[:1], errors.Join(o.problems...)
}

// addBundleFile reads a bundle file by the source it is known to hold.
func (o *offline) addBundleFile(name snapshot.SourceName, file string, r io.Reader) error {
	logKinds := map[snapshot.SourceName]kubelet.LogKind{
		snapshot.SourceKubeletLog: kubelet.KubeletLog, snapshot.SourceRuntimeLog: kubelet.RuntimeLog, snapshot.SourceSystemLog: kubelet.SystemLog,
	}
	if lk, isLog := logKinds[name]; isLog {
		o.logs = append(o.logs, pendingLog{name: file, kind: lk, r: r, bundled: true})
		return nil
	}
	kinds := map[snapshot.SourceName]fileKind{
		snapshot.SourceNode: kindObjects, snapshot.SourceEvents: kindObjects, snapshot.SourcePods: kindObjects,
		snapshot.SourceMetrics: kindMetrics, snapshot.SourceStats: kindStats, snapshot.SourceConfigz: kindConfigz, snapshot.SourceHealthz: kindHealthz,
	}
	body, err := io.ReadAll(io.LimitReader(r, maxObjectBytes))
	if err != nil {
		return err
	}
	// The capture time is the manifest's; times inside the files must not move it.
	capture := o.capture
	defer func() { o.capture = capture }()
	return o.parse(kinds[name], file, body)
}

func fromLooseDir(dir string, fallbackYear time.Time) ([]*snapshot.Snapshot, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var inputs []Input
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		inputs = append(inputs, Input{Name: filepath.Join(dir, e.Name()), R: f})
	}
	if len(inputs) == 0 {
		return nil, fmt.Errorf("%s holds no files and no %s", dir, bundle.ManifestFile)
	}
	return FromFiles(inputs, "", fallbackYear)
}
