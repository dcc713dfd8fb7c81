package offline

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// testdata reads a sample shipped with the parsers.
func testdata(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "pkg", "kubelet", "testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDetectTellsKindsByContent(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		want    fileKind
		log     kubelet.LogKind
		// skipTo is how the content starts after a pasted command line.
		skipTo string
	}{
		{"node json", []byte(`{"apiVersion":"v1","kind":"Node","metadata":{"name":"w"}}`), kindObjects, 0, ""},
		{"node yaml", []byte("apiVersion: v1\nkind: Node\nmetadata:\n  name: w\n"), kindObjects, 0, ""},
		{"list yaml", []byte("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\nkind: List\n"), kindObjects, 0, ""},
		{"configz", []byte(`{"kubeletconfig":{"maxPods":110}}`), kindConfigz, 0, ""},
		{"stats", []byte(`{"node":{"nodeName":"w"},"pods":[]}`), kindStats, 0, ""},
		{"manifest", []byte(`{"apiVersion":"pleg.kubectl.io/v1alpha1","kind":"Bundle"}`), kindManifest, 0, ""},
		{"healthz", []byte("ok"), kindHealthz, 0, ""},
		{"healthz verbose", []byte("[+]ping ok\n[-]syncloop failed\n"), kindHealthz, 0, ""},
		{"metrics 1.28", testdata(t, "metrics/kubelet-1.28.txt"), kindMetrics, 0, ""},
		{"metrics 1.13", testdata(t, "metrics/kubelet-1.13.txt"), kindMetrics, 0, ""},
		{"describe current", testdata(t, "describe/current-pleg-notready.txt"), kindDescribe, 0, ""},
		{"describe old", testdata(t, "describe/old-1.6-pleg.txt"), kindDescribe, 0, ""},
		{"kubelet journal", testdata(t, "logs/k1.28-structured.log"), kindLog, kubelet.KubeletLog, ""},
		{"json logging", testdata(t, "logs/json.log"), kindLog, 0, ""},
		{"messages", testdata(t, "logs/messages-mixed.log"), kindLog, kubelet.SystemLog, ""},
		// What people paste: the command first, curl's meter, a shell prompt.
		{"configz after curl", []byte("$ curl -s localhost:8001/api/v1/nodes/w/proxy/configz | jq .\n  % Total    % Received\n{\n  \"kubeletconfig\": {\"maxPods\": 110}\n}\n"), kindConfigz, 0, "{"},
		{"healthz after curl", []byte("$ curl http://127.0.0.1:10255/healthz\n[+]ping ok\n[-]syncloop failed: reason withheld\nhealthz check failed\n"), kindHealthz, 0, "[+]ping"},
		{"yaml after a prompt", []byte("[root@x ~]# kubectl get no x -oyaml\napiVersion: v1\nkind: Node\nmetadata:\n  name: x\n"), kindObjects, 0, "apiVersion:"},
		{"node json without kind", []byte(`{"metadata":{"name":"w"},"status":{"nodeInfo":{}}}`), kindObjects, 0, ""},
		{"conditions from jq", []byte("$ kubectl get node w -o json | jq .status.conditions\n[\n  {\n    \"type\": \"Ready\",\n    \"status\": \"Unknown\","), kindConditions, 0, ""},
		{"a message without any time", []byte("KubeletNotReady   container runtime is down,PLEG is not healthy: pleg was last seen active 1h56m24s ago; threshold is 3m0s\n"), kindLog, kubelet.KubeletLog, ""},
		{"dmesg", []byte("[1234567.123456] INFO: task dockerd:1234 blocked for more than 120 seconds.\n[1234567.123500] Not tainted 4.4.0\n"), kindLog, kubelet.SystemLog, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := detect(tc.content)
			if err != nil {
				t.Fatal(err)
			}
			if d.kind != tc.want || (tc.log != 0 && d.log != tc.log) {
				t.Errorf("detected %v/%v, want %v/%v", d.kind, d.log, tc.want, tc.log)
			}
			if tc.skipTo == "" && d.skip != 0 || !strings.HasPrefix(string(tc.content[d.skip:]), tc.skipTo) {
				t.Errorf("content read from %q, want from %q", firstLine(tc.content[d.skip:]), tc.skipTo)
			}
		})
	}
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return string(line)
}

func TestDetectRejectsWhatItCannotRead(t *testing.T) {
	for name, content := range map[string][]byte{
		"empty":   nil,
		"blank":   []byte("\n\n  \n"),
		"binary":  {0x7f, 'E', 'L', 'F', 0x02, 0x01, 0x01, 0x00, 0x00},
		"garbage": []byte("hello, this is a shopping list\nmilk\neggs\n"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := detect(content)
			if err == nil {
				t.Fatal("accepted")
			}
			// FromFiles says what it reads after all such files, once.
			_, err = FromFiles([]Input{{Name: "a", R: bytes.NewReader(content)}, {Name: "b", R: bytes.NewReader(content)}}, "", time.Now())
			if err == nil || strings.Count(err.Error(), "diagnose -f reads a Node") != 1 {
				t.Errorf("error %q does not say once what is read", err)
			}
		})
	}
}

// A file saved from a kubectl get that failed holds kubectl's error: it is
// said as that, with the message, not as content of no known kind.
func TestDetectSaysAFileHoldsKubectlsError(t *testing.T) {
	// kubectl's answers while dockerd was stopped and while it was frozen,
	// saved by make real-fixtures.
	stopped, err := os.ReadFile("../../testdata/real/real-docker-stopped/stats.error.txt")
	if err != nil {
		t.Fatal(err)
	}
	frozen, err := os.ReadFile("../../testdata/real/real-docker-frozen/metrics.error.txt")
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"real: docker stopped":   string(stopped),
		"real: docker frozen":    string(frozen),
		"after the command line": "$ kubectl get --raw /api/v1/nodes/w/proxy/configz\nError from server (Forbidden): nodes \"w\" is forbidden: User \"sre\" cannot get resource \"nodes/proxy\"\n",
		"refused":                "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := detect([]byte(content))
			var u unreadable
			if err == nil || errors.As(err, &u) || !strings.Contains(err.Error(), "kubectl's error, not data") {
				t.Fatalf("got %v, want it said as kubectl's error", err)
			}
			first := strings.SplitN(strings.TrimPrefix(content, "$ kubectl get --raw /api/v1/nodes/w/proxy/configz\n"), "\n", 2)[0]
			if !strings.Contains(err.Error(), first) {
				t.Errorf("%v does not quote kubectl's message %q", err, first)
			}
		})
	}
	// A log that mentions such an error further down is still a log.
	log := "Nov 27 09:11:16 w kubelet[2211]: E1127 09:11:16.471895 2211 kubelet.go:1] \"x\"\nError from server (NotFound)\n"
	if d, err := detect([]byte(log)); err != nil || d.kind != kindLog {
		t.Errorf("a log got %v, %v", d, err)
	}
}

func inputs(files map[string][]byte) []Input {
	var out []Input
	for _, name := range []string{"node", "describe", "events", "pods", "kubelet", "messages", "metrics", "stats", "configz", "bad", "truncated"} {
		if b, ok := files[name]; ok {
			out = append(out, Input{Name: name, R: bytes.NewReader(b)})
		}
	}
	return out
}

// far is a clock that must never matter offline.
var far = time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)

// only returns the one snapshot of a diagnosis of one node.
func only(t *testing.T) func([]*snapshot.Snapshot, error) (*snapshot.Snapshot, error) {
	return func(snaps []*snapshot.Snapshot, err error) (*snapshot.Snapshot, error) {
		t.Helper()
		if len(snaps) > 1 {
			t.Fatalf("%d snapshots, want one", len(snaps))
		}
		if len(snaps) == 0 {
			return nil, err
		}
		return snaps[0], err
	}
}

func TestFromFilesDescribeAndJournal(t *testing.T) {
	snap, err := only(t)(FromFiles(inputs(map[string][]byte{
		"describe": testdata(t, "describe/current-pleg-notready.txt"),
		"kubelet":  testdata(t, "logs/k1.28-structured.log"),
	}), "", far))
	if err != nil {
		t.Fatal(err)
	}
	if snap.Node == nil || snap.Ready() == nil || snap.Ready().Status != corev1.ConditionFalse {
		t.Fatalf("node from describe not read: %+v", snap.Node)
	}
	if snap.CollectedAt.IsZero() || snap.CollectedAt.Year() == far.Year() {
		t.Errorf("capture time %v must come from the data, not the clock", snap.CollectedAt)
	}
	if !snap.Has(snapshot.SourcePods) || len(snap.Pods) == 0 {
		t.Errorf("pods of the describe output not read: %v", snap.Sources)
	}
	if snap.KubeletLog == nil || snap.KubeletLog.Signal(kubelet.PLEGUnhealthy).Count == 0 {
		t.Errorf("kubelet journal not scanned")
	}
	if src, _ := snap.Source(snapshot.SourceMetrics); src.Status != snapshot.StatusNotFound || !strings.Contains(src.Reason, "not in the files") {
		t.Errorf("a source no file gave must say so, got %+v", src)
	}
}

func TestFromFilesOldMetricsAreNotStaleForYears(t *testing.T) {
	snap, err := only(t)(FromFiles(inputs(map[string][]byte{"metrics": testdata(t, "metrics/kubelet-1.28.txt")}), "", far))
	if err != nil {
		t.Fatal(err)
	}
	if !snap.CollectedAt.IsZero() {
		t.Errorf("metrics alone carry no capture time, got %v", snap.CollectedAt)
	}
}

func TestFromFilesReportsBadFilesAndKeepsTheRest(t *testing.T) {
	node := []byte(`{"apiVersion":"v1","kind":"Node","metadata":{"name":"w"},"status":{"conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":"2024-03-01T10:00:00Z","lastTransitionTime":"2024-02-01T10:00:00Z"}]}}`)
	snap, err := only(t)(FromFiles(inputs(map[string][]byte{
		"node":      node,
		"bad":       {0, 1, 2, 3},
		"truncated": []byte(`{"apiVersion":"v1","kind":"PodList","items":[{"metadata":{"name":"a"`),
	}), "", far))
	if snap == nil {
		t.Fatalf("the good file must still be diagnosed: %v", err)
	}
	if err == nil || !strings.Contains(err.Error(), "bad: binary data") || !strings.Contains(err.Error(), "truncated:") {
		t.Errorf("problems not reported per file: %v", err)
	}
	if !snap.CollectedAt.Equal(time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("capture time %v, want the newest heartbeat", snap.CollectedAt)
	}

	_, err = FromFiles(inputs(map[string][]byte{"bad": []byte("just some words\n")}), "", far)
	if err == nil || !strings.Contains(err.Error(), "nothing usable") {
		t.Errorf("nothing usable must fail clearly, got %v", err)
	}
}

func TestFromFilesGivesOneSnapshotPerNodeOrTheNamedOne(t *testing.T) {
	list := []byte(`{"apiVersion":"v1","kind":"NodeList","items":[
{"apiVersion":"v1","kind":"Node","metadata":{"name":"a"}},{"apiVersion":"v1","kind":"Node","metadata":{"name":"b"}}]}`)
	snaps, err := FromFiles(inputs(map[string][]byte{"node": list}), "", far)
	if err != nil || len(snaps) != 2 || snaps[0].NodeName != "a" || snaps[1].NodeName != "b" {
		t.Errorf("several nodes without a name: %d snapshots, err = %v", len(snaps), err)
	}
	snap, err := only(t)(FromFiles(inputs(map[string][]byte{"node": list}), "b", far))
	if err != nil || snap.NodeName != "b" {
		t.Errorf("named node: %v, %v", snap, err)
	}
	if _, err := FromFiles(inputs(map[string][]byte{"node": list}), "c", far); err == nil || !strings.Contains(err.Error(), `no node "c" in the files given (they hold: a, b)`) {
		t.Errorf("a node the files do not hold: %v", err)
	}
}

func TestFromFilesReadsKubeletLinesOutOfMessages(t *testing.T) {
	snap, err := only(t)(FromFiles(inputs(map[string][]byte{"messages": testdata(t, "logs/messages-mixed.log")}), "", far))
	if err != nil {
		t.Fatal(err)
	}
	if snap.SystemLog == nil || snap.KubeletLog == nil {
		t.Fatalf("a syslog feeds both the system log and the kubelet log: %v", snap.Sources)
	}
	if snap.KubeletLog.Lines != snap.SystemLog.Lines {
		t.Errorf("one pass reads the same lines for both: %d vs %d", snap.KubeletLog.Lines, snap.SystemLog.Lines)
	}
}

// --from-dir on a directory of loose files never follows a link out of it:
// a link named like a log that points at another file is not read.
func TestFromDirFollowsNoLinks(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.log")
	os.WriteFile(outside, []byte(`I1127 08:10:01.123000 1234 kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 5m0s ago; threshold is 3m0s"`+"\n"), 0o600)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "node.yaml"), []byte("apiVersion: v1\nkind: Node\nmetadata:\n  name: w\nstatus:\n  conditions:\n  - type: Ready\n    status: \"True\"\n"), 0o600)
	if err := os.Symlink(outside, filepath.Join(dir, "kubelet.log")); err != nil {
		t.Fatal(err)
	}
	snaps, err := FromDir(dir, time.Now())
	if err != nil || len(snaps) != 1 {
		t.Fatalf("%d snapshots, %v", len(snaps), err)
	}
	if snaps[0].KubeletLog != nil {
		t.Errorf("the kubelet log was read through a link out of the directory")
	}
}
