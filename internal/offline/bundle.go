package offline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/internal/bundle"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// FromDir diagnoses a bundle written by `kubectl pleg collect` (a directory
// or its .tar.gz): the same capture time, window and source outcomes as the
// live collection, so the same diagnosis. Any other directory or archive is
// read as a support archive: a must-gather, a sosreport, kind's exported
// logs, or loose files, every node in it diagnosed.
func FromDir(dir string, today time.Time) ([]*snapshot.Snapshot, error) {
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
		return fromTree(dir, nil, "", today)
	}
	if err != nil {
		return nil, err
	}
	snap, err := fromBundle(dir, m)
	if snap == nil {
		return nil, err
	}
	return []*snapshot.Snapshot{snap}, err
}

// fromBundle builds the snapshot a bundle holds, straight from its manifest:
// its node, capture time, window and source records are the collection's,
// and each file is read as the source the manifest says it is, with the
// collection's log options. A file that cannot be read fails the bundle; a
// metrics text read in part is used and said.
func fromBundle(dir string, m *bundle.Manifest) (*snapshot.Snapshot, error) {
	window, err := time.ParseDuration(m.Since)
	if err != nil {
		return nil, fmt.Errorf("%s: bad since %q", bundle.ManifestFile, m.Since)
	}
	capture := m.CollectedAt.UTC()
	snap := &snapshot.Snapshot{NodeName: m.Node, CollectedAt: capture, LogWindow: window, Sources: m.Sources}
	var problems []error
	for _, name := range snapshot.SourceOrder {
		file, ok := m.Files[name]
		if !ok {
			continue
		}
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("bundle incomplete: %w", err)
		}
		problem, err := readBundleFile(snap, name, f, m.MaxLogBytes)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if problem != nil {
			problems = append(problems, fmt.Errorf("%s: %w", file, problem))
		}
	}
	return snap, errors.Join(problems...)
}

// readBundleFile reads one bundle file into snap as the source it holds.
// A problem is something read in part; err is a file that cannot be used.
func readBundleFile(snap *snapshot.Snapshot, name snapshot.SourceName, r io.Reader, maxLogBytes int64) (problem, err error) {
	logs := map[snapshot.SourceName]**kubelet.LogSummary{
		snapshot.SourceKubeletLog: &snap.KubeletLog, snapshot.SourceRuntimeLog: &snap.RuntimeLog, snapshot.SourceSystemLog: &snap.SystemLog,
	}
	if target, isLog := logs[name]; isLog {
		// The collection's filter: the kubelet's lines by identifier.
		opts := kubelet.ScanOptions{Ref: snap.CollectedAt, Since: snap.CollectedAt.Add(-snap.LogWindow)}
		if name == snapshot.SourceKubeletLog {
			opts.Idents = kubelet.KubeletIdents
		}
		sums, err := kubelet.ScanLogTail(r, maxLogBytes, opts)
		if err != nil {
			return nil, err
		}
		*target = sums[0]
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r, maxObjectBytes))
	if err != nil {
		return nil, err
	}
	switch name {
	case snapshot.SourceNode:
		snap.Node = &corev1.Node{}
		return nil, json.Unmarshal(body, snap.Node)
	case snapshot.SourceEvents:
		var list corev1.EventList
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, err
		}
		for i := range list.Items {
			snap.Events = append(snap.Events, snapshot.ReduceEvent(&list.Items[i]))
		}
	case snapshot.SourcePods:
		var list corev1.PodList
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, err
		}
		snap.Pods = []snapshot.Pod{}
		for i := range list.Items {
			snap.Pods = append(snap.Pods, snapshot.ReducePod(&list.Items[i]))
		}
	case snapshot.SourceMetrics:
		m, err := kubelet.ParseMetrics(strings.NewReader(string(body)))
		if m == nil {
			return nil, err
		}
		snap.Metrics = m
		return err, nil
	case snapshot.SourceStats:
		snap.Stats, err = kubelet.ParseStatsSummary(strings.NewReader(string(body)))
		return nil, err
	case snapshot.SourceConfigz:
		snap.Config, err = kubelet.ParseConfigz(strings.NewReader(string(body)))
		return nil, err
	case snapshot.SourceHealthz:
		snap.Healthz = healthzOf(body)
	}
	return nil, nil
}
