package offline

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/internal/archive"
	"github.com/kubectl-pleg/kubectl-pleg/internal/bundle"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Support archives: a tree (or an archive of one) whose layout says which
// files belong to which node. Cluster-wide files (Node objects, events,
// pods) are read once, each node's own files (its kubelet log, dmesg) apart,
// and the two are joined by node name, so that one node's kubelet log never
// counts for another.

// fromTree diagnoses the tree at root, with extra files given beside it
// read as cluster-wide ones; node, when set, keeps that node only.
func fromTree(root string, extra []Input, node string, today time.Time) ([]*snapshot.Snapshot, error) {
	t, err := archive.Walk(root)
	if err != nil {
		return nil, err
	}
	shared, groups, closeAll, err := openTree(t)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	shared = slices.Concat(extra, shared) // the files given beside the tree first
	if len(t.Files) == 0 && len(extra) == 0 && len(t.Missing) == 0 {
		return nil, fmt.Errorf("%s (%s) holds no file that speaks of a node (%d files looked at)", root, t.Layout, t.Skipped)
	}
	var problems []error
	var snaps []*snapshot.Snapshot
	if len(shared) > 0 {
		s, err := FromFiles(shared, "", today)
		snaps = s
		problems = append(problems, err)
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		own, err := FromFiles(groups[n], "", today)
		problems = append(problems, err)
		for _, s := range own {
			if s.NodeName == "" {
				s.NodeName = n // the path is the node's name
			}
			snaps = joinNode(snaps, s)
		}
	}
	snaps = markMissing(snaps, t.Missing)
	for _, note := range t.Notes {
		problems = append(problems, errors.New(note))
	}
	if node != "" {
		i := slices.IndexFunc(snaps, func(s *snapshot.Snapshot) bool { return sameNode(s.NodeName, node) })
		if i < 0 {
			return nil, errors.Join(append(problems, fmt.Errorf("no node %q in %s", node, root))...)
		}
		snaps = snaps[i : i+1]
	}
	if len(snaps) == 0 {
		return nil, errors.Join(append(problems, fmt.Errorf("nothing usable in %s", root))...)
	}
	for _, s := range snaps {
		s.Offline = true
	}
	return snaps, errors.Join(problems...)
}

// openTree opens the tree's files: the cluster-wide ones, and each node's
// own by node (a journal of several hosts split by host). closeAll closes
// them all; on an error, what was opened is closed already.
func openTree(t *archive.Tree) (shared []Input, groups map[string][]Input, closeAll func(), err error) {
	groups = map[string][]Input{}
	var closers []func()
	closeAll = func() {
		for _, c := range closers {
			c()
		}
	}
	for _, f := range t.Files {
		if f.ByHost {
			h, err := splitByHost(f.Path)
			if err != nil {
				closeAll()
				return nil, nil, nil, err
			}
			closers = append(closers, h.remove)
			for _, host := range h.order {
				groups[host] = append(groups[host], Input{Name: f.Rel + " (" + host + "'s lines)", R: h.byHost[host]})
			}
			if h.none != nil {
				shared = append(shared, Input{Name: f.Rel, R: h.none})
			}
			continue
		}
		r, err := os.Open(f.Path)
		if err != nil {
			closeAll()
			return nil, nil, nil, err
		}
		closers = append(closers, func() { r.Close() })
		in := Input{Name: f.Rel, R: r}
		if f.Node == "" {
			shared = append(shared, in)
		} else {
			groups[f.Node] = append(groups[f.Node], in)
		}
	}
	return shared, groups, closeAll, nil
}

// sameNode says two names are one node's: equal, or one the other's short
// host name (a log's host "ip-10-0-3-17" for the Node
// "ip-10-0-3-17.eu-west-1.compute.internal").
func sameNode(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return a == b || strings.HasPrefix(a, b+".") || strings.HasPrefix(b, a+".")
}

// joinNode adds a node's own data to the snapshot of the same node read
// from the cluster-wide files, or adds it as a node of its own.
func joinNode(snaps []*snapshot.Snapshot, own *snapshot.Snapshot) []*snapshot.Snapshot {
	i := slices.IndexFunc(snaps, func(s *snapshot.Snapshot) bool { return sameNode(s.NodeName, own.NodeName) })
	if i < 0 {
		return append(snaps, own)
	}
	dst := snaps[i]
	if dst.Node == nil {
		dst.Node = own.Node
	}
	dst.Events = append(dst.Events, own.Events...)
	if dst.Pods == nil {
		dst.Pods = own.Pods
	}
	keepFirst(&dst.KubeletLog, own.KubeletLog)
	keepFirst(&dst.RuntimeLog, own.RuntimeLog)
	keepFirst(&dst.SystemLog, own.SystemLog)
	keepFirst(&dst.Metrics, own.Metrics)
	keepFirst(&dst.Stats, own.Stats)
	keepFirst(&dst.Config, own.Config)
	keepFirst(&dst.Healthz, own.Healthz)
	dst.Units = append(dst.Units, own.Units...)
	dst.Listed = append(dst.Listed, own.Listed...)
	if own.CollectedAt.After(dst.CollectedAt) {
		dst.CollectedAt, dst.CaptureYearGuessed = own.CollectedAt, own.CaptureYearGuessed
	}
	for _, src := range own.Sources {
		if src.Status != snapshot.StatusOK {
			continue
		}
		if j := slices.IndexFunc(dst.Sources, func(d snapshot.Source) bool { return d.Name == src.Name }); j >= 0 && dst.Sources[j].Status != snapshot.StatusOK {
			dst.Sources[j] = src
		}
	}
	return snaps
}

// keepFirst sets *dst to v unless it holds a value already.
func keepFirst[T any](dst **T, v *T) {
	if *dst == nil {
		*dst = v
	}
}

// markMissing says, on each node a layout left out, why its data is not
// there; a node known only by that gets a snapshot of its own, so the
// report names it rather than leave it out.
func markMissing(snaps []*snapshot.Snapshot, missing map[string]string) []*snapshot.Snapshot {
	names := make([]string, 0, len(missing))
	for n := range missing {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		i := slices.IndexFunc(snaps, func(s *snapshot.Snapshot) bool { return sameNode(s.NodeName, n) })
		if i < 0 {
			snaps = append(snaps, &snapshot.Snapshot{NodeName: n, Sources: sourceRecords(nil)})
			i = len(snaps) - 1
		}
		for j, src := range snaps[i].Sources {
			if src.Status != snapshot.StatusOK && nodeLocal[src.Name] {
				snaps[i].Sources[j].Reason = missing[n]
			}
		}
	}
	return snaps
}

// nodeLocal are the sources only the node itself can give.
var nodeLocal = map[snapshot.SourceName]bool{
	snapshot.SourceKubeletLog: true, snapshot.SourceRuntimeLog: true, snapshot.SourceSystemLog: true,
	snapshot.SourceMetrics: true, snapshot.SourceStats: true, snapshot.SourceConfigz: true, snapshot.SourceHealthz: true,
}

// splitArchives sets apart the inputs that are archives (.tar.gz, .tgz,
// .tar, .zip), unpacked into trees; the others are returned ready to read.
// An archive on standard input is spilled to a temporary file first, since
// a zip is read from its end.
func splitArchives(inputs []Input) (plain []Input, trees []string, cleanup func(), err error) {
	var cleanups []func()
	cleanup = func() {
		for _, c := range cleanups {
			c()
		}
	}
	for _, in := range inputs {
		if st, err := os.Stat(in.Path); in.Path != "" && err == nil && st.IsDir() {
			trees = append(trees, in.Path) // -f DIR is --from-dir DIR
			continue
		}
		br := bufio.NewReaderSize(in.R, sniffBytes)
		head, _ := br.Peek(512)
		if !bundle.IsArchive(head) {
			plain = append(plain, Input{Name: in.Name, Path: in.Path, R: br})
			continue
		}
		path := in.Path
		if path == "" {
			tmp, err := spill(br)
			if err != nil {
				cleanup()
				return nil, nil, nil, fmt.Errorf("%s: %w", in.Name, err)
			}
			cleanups = append(cleanups, func() { os.Remove(tmp) })
			path = tmp
		}
		dir, done, err := bundle.Extract(path, bundle.DefaultLimits)
		if err != nil {
			cleanup()
			return nil, nil, nil, fmt.Errorf("%s: %w", in.Name, err)
		}
		cleanups = append(cleanups, done)
		trees = append(trees, bundle.Root(dir))
	}
	return plain, trees, cleanup, nil
}

// spill copies an archive read from a stream to a temporary file, bounded
// as unpacking is.
func spill(r io.Reader) (string, error) {
	f, err := os.CreateTemp("", "pleg-input-")
	if err != nil {
		return "", err
	}
	defer f.Close()
	n, err := io.Copy(f, io.LimitReader(r, bundle.DefaultLimits.TotalBytes+1))
	if err == nil && n > bundle.DefaultLimits.TotalBytes {
		err = fmt.Errorf("an archive larger than %d bytes", bundle.DefaultLimits.TotalBytes)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
