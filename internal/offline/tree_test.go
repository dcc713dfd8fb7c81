package offline

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func nodeYAML(name, status string) string {
	return `apiVersion: v1
kind: Node
metadata:
  name: ` + name + `
status:
  conditions:
  - type: Ready
    status: "` + status + `"
    reason: KubeletNotReady
    lastHeartbeatTime: "2026-11-27T08:30:00Z"
    lastTransitionTime: "2026-11-27T08:10:00Z"
`
}

const kubeletLines = `Nov 27 08:29:01 master-0 kubelet[812]: E1127 08:29:01.000000     812 kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 19m0s ago; threshold is 3m0s"
Nov 27 08:29:31 master-0 kubelet[812]: E1127 08:29:31.000000     812 kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 19m30s ago; threshold is 3m0s"
`

func source(s *snapshot.Snapshot, name snapshot.SourceName) snapshot.Source {
	src, _ := s.Source(name)
	return src
}

// A must-gather: each node's kubelet log goes to that node only, and the
// node the gather skipped is named with why its own data is missing.
func TestMustGatherTree(t *testing.T) {
	root := writeTree(t, map[string]string{
		"cluster-scoped-resources/core/nodes/master-0.yaml": nodeYAML("master-0", "False"),
		"cluster-scoped-resources/core/nodes/worker-1.yaml": nodeYAML("worker-1", "Unknown"),
		"nodes/master-0/master-0_logs_kubelet":              kubeletLines,
		"nodes/skipped_nodes.txt":                           "worker-1\nworker-2\n",
	})
	snaps, err := FromDir(root, time.Now())
	if len(snaps) != 3 {
		t.Fatalf("%d snapshots (%v), want master-0, worker-1, worker-2", len(snaps), err)
	}
	byName := map[string]*snapshot.Snapshot{}
	for _, s := range snaps {
		byName[s.NodeName] = s
	}
	m := byName["master-0"]
	if m == nil || m.Node == nil || m.KubeletLog == nil || m.KubeletLog.Lines != 2 {
		t.Fatalf("master-0 %+v: want its Node and its own kubelet log", m)
	}
	w := byName["worker-1"]
	if w == nil || w.Node == nil || w.KubeletLog != nil {
		t.Fatalf("worker-1 %+v: want its Node and no kubelet log", w)
	}
	if src := source(w, snapshot.SourceKubeletLog); !strings.Contains(src.Reason, "skipped this node") {
		t.Errorf("worker-1 kubelet-log %+v, want why it is missing", src)
	}
	if w2 := byName["worker-2"]; w2 == nil || w2.Node != nil || !strings.Contains(source(w2, snapshot.SourceKubeletLog).Reason, "skipped") {
		t.Errorf("worker-2 %+v: want a snapshot saying it was skipped", w2)
	}
}

// A log compressed any way people rotate it reads as the log itself.
func TestCompressedLogs(t *testing.T) {
	plain, err := FromFiles([]Input{{Name: "kubelet.log", R: strings.NewReader(kubeletLines)}}, "", time.Now())
	if err != nil || len(plain) != 1 || plain[0].KubeletLog == nil {
		t.Fatalf("plain: %v", err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(kubeletLines))
	zw.Close()
	enc, _ := zstd.NewWriter(nil)
	zst := enc.EncodeAll([]byte(kubeletLines), nil)
	var gzgz bytes.Buffer // a .gz of a .gz, as some collectors do
	zw = gzip.NewWriter(&gzgz)
	zw.Write(gz.Bytes())
	zw.Close()
	for name, body := range map[string][]byte{"gzip": gz.Bytes(), "zstd": zst, "gzip twice": gzgz.Bytes()} {
		snaps, err := FromFiles([]Input{{Name: "kubelet.log.1", R: bytes.NewReader(body)}}, "", time.Now())
		if err != nil || len(snaps) != 1 || snaps[0].KubeletLog == nil || snaps[0].KubeletLog.Lines != plain[0].KubeletLog.Lines {
			t.Errorf("%s: %v, want the same log read", name, err)
		}
	}
	cut := gz.Bytes()[:gz.Len()-12]
	if _, err := FromFiles([]Input{{Name: "cut.gz", R: bytes.NewReader(cut)}}, "", time.Now()); err == nil || !strings.Contains(err.Error(), "cut short or damaged") {
		t.Errorf("a cut .gz: %v, want it said cut short", err)
	}
	xz := []byte{0xfd, '7', 'z', 'X', 'Z', 0x00, 0, 0}
	if _, err := FromFiles([]Input{{Name: "k.xz", R: bytes.NewReader(xz)}}, "", time.Now()); err == nil || !strings.Contains(err.Error(), "xz -d") {
		t.Errorf("xz: %v, want how to read it", err)
	}
}

// host_service_logs interleaves the control plane's journals: each node gets
// its own lines, whatever order they came in.
func TestMustGatherJournalsSplitByHost(t *testing.T) {
	probe := func(at, host string) string {
		return "Nov 27 " + at + " " + host + ` kubenswrapper[1234]: I1127 ` + at + `.000000 1234 kubelet.go:2453] "SyncLoop (probe)" probe="readiness" status="ready" pod="openshift-etcd/etcd-0"` + "\n"
	}
	pleg := func(at, host string) string {
		return "Nov 27 " + at + " " + host + ` kubenswrapper[2234]: E1127 ` + at + `.000000 2234 kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 3m6.2s ago; threshold is 3m0s"` + "\n"
	}
	journal := probe("08:10:01", "master-0") + pleg("08:10:02", "master-1") + "    a continuation line of master-1's\n" +
		pleg("08:10:12", "master-1") + probe("08:10:15", "master-0") + pleg("08:10:22", "master-1") + probe("08:10:25", "master-2")
	root := writeTree(t, map[string]string{
		"cluster-scoped-resources/core/nodes/master-1.yaml": nodeYAML("master-1", "False"),
		"host_service_logs/masters/kubelet_service.log":     journal,
	})
	snaps, _ := FromDir(root, time.Now())
	lines := map[string]int64{}
	pleged := map[string]int{}
	for _, s := range snaps {
		if s.KubeletLog != nil {
			lines[s.NodeName] = s.KubeletLog.Lines
			pleged[s.NodeName] = s.KubeletLog.Signal(kubelet.PLEGUnhealthy).Count
		}
	}
	if lines["master-0"] != 2 || lines["master-1"] != 4 || lines["master-2"] != 1 || pleged["master-1"] != 3 || pleged["master-0"] != 0 {
		t.Errorf("lines per node %v, PLEG lines %v; want master-0 2, master-1 4 (3 PLEG), master-2 1", lines, pleged)
	}
}

// A line longer than the reader's buffer stays whole and with its host.
func TestSplitByHostKeepsLongLines(t *testing.T) {
	long := "Nov 27 08:10:02 master-1 kubenswrapper[2234]: " + strings.Repeat("x", 200<<10) + "\n"
	path := filepath.Join(writeTree(t, map[string]string{"j.log": "I1127 a bare klog line first\n" + long + "Nov 27 08:10:03 master-0 kubelet[1]: y\n"}), "j.log")
	h, err := splitByHost(path)
	if err != nil {
		t.Fatal(err)
	}
	defer h.remove()
	got := map[string]int{}
	for host, f := range h.byHost {
		b, _ := io.ReadAll(f)
		got[host] = len(b)
	}
	none, _ := io.ReadAll(h.none)
	if got["master-1"] != len(long) || got["master-0"] == 0 || string(none) != "I1127 a bare klog line first\n" || len(h.order) != 2 {
		t.Errorf("bytes per host %v, host-less %q, order %v", got, none, h.order)
	}
}
