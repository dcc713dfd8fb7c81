package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-pleg/kubectl-pleg/internal/collect"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

var now = time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)

// fakeCollector serves hand-made snapshots by node name; unknown names fail
// the way the real collector does.
type fakeCollector map[string]*snapshot.Snapshot

func (f fakeCollector) Collect(_ context.Context, node string) (*snapshot.Snapshot, error) {
	if s, ok := f[node]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("%w: the API server has no node %q", collect.ErrNodeNotFound, node)
}

func (f fakeCollector) WriteBundle(context.Context, string, string, collect.BundleOptions) (*snapshot.Snapshot, error) {
	return nil, fmt.Errorf("the fake cluster writes no bundles")
}

func nodeSnapshot(name string, ready corev1.ConditionStatus, msg string) *snapshot.Snapshot {
	return &snapshot.Snapshot{
		NodeName: name, CollectedAt: now, LogWindow: time.Hour,
		Node: &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{
				Type: corev1.NodeReady, Status: ready, Reason: "KubeletNotReady", Message: msg,
				LastTransitionTime: metav1.NewTime(now.Add(-16 * time.Minute)),
			}}},
		},
		Sources: []snapshot.Source{{Name: snapshot.SourceNode, Status: snapshot.StatusOK}},
	}
}

var fleet = fakeCollector{
	"ok":    nodeSnapshot("ok", corev1.ConditionTrue, "kubelet is posting ready status"),
	"stale": nodeSnapshot("stale", corev1.ConditionFalse, "PLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s"),
}

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	code = execute(streams, args, func(*genericclioptions.ConfigFlags, collect.Options) (clusterReader, error) {
		return fleet, nil
	})
	return code, out.String(), errOut.String()
}

func TestDiagnoseExitCodesAndOutput(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    []string
		wantErrOut string
	}{
		{"healthy node exits 0", []string{"diagnose", "ok"}, 0, []string{"Node ok: Ready for 16m", "No cause found"}, ""},
		{"stale PLEG exits 3", []string{"diagnose", "stale"}, 3, []string{"pleg-relist-stalled", "critical"}, ""},
		{"several nodes: worst wins, JSON list", []string{"diagnose", "ok", "stale", "-o", "json"}, 3, []string{`"kind": "DiagnosisList"`, `"node": "ok"`, `"node": "stale"`}, ""},
		{"unknown node exits 1 with a clear message", []string{"diagnose", "nope"}, 1, nil, `node nope: node not found`},
		{"one unknown node among known ones still prints the others", []string{"diagnose", "ok", "nope", "-o", "yaml"}, 1, []string{"kind: Diagnosis", "node: ok"}, "node nope"},
		{"unknown output format", []string{"diagnose", "ok", "-o", "xml"}, 1, nil, `unknown output format "xml"`},
		{"bad max-log-bytes", []string{"diagnose", "ok", "--max-log-bytes", "lots"}, 1, nil, "--max-log-bytes"},
		{"no node given", []string{"diagnose"}, 1, nil, "name a node"},
		{"-f and --from-dir together", []string{"diagnose", "-f", "a", "--from-dir", "b"}, 1, nil, "not both"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.wantCode, errOut)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if tc.wantErrOut != "" && !strings.Contains(errOut, tc.wantErrOut) {
				t.Errorf("stderr %q lacks %q", errOut, tc.wantErrOut)
			}
		})
	}
}

func TestDiagnoseJSONKeepsStdoutValid(t *testing.T) {
	code, out, _ := run(t, "diagnose", "stale", "-o", "json")
	if code != 3 {
		t.Fatalf("exit code %d, want 3", code)
	}
	var d struct {
		Kind    string `json:"kind"`
		Verdict string `json:"verdict"`
		Causes  []struct {
			ID string `json:"id"`
		} `json:"causes"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if d.Kind != "Diagnosis" || d.Verdict != "pleg-unhealthy" || len(d.Causes) == 0 || d.Causes[0].ID != "pleg-relist-stalled" {
		t.Errorf("got %+v", d)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "version", "-o", "json")
	var info map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || info["version"] == "" || !strings.HasPrefix(info["goVersion"], "go") {
		t.Errorf("version -o json: code %d, out %q", code, out)
	}
	if code, out, _ := run(t, "version", "-o", "yaml"); code != 0 || !strings.Contains(out, "goVersion: go") {
		t.Errorf("version -o yaml: code %d, out %q", code, out)
	}
	if code, _, errOut := run(t, "version", "-o", "xml"); code != 1 || !strings.Contains(errOut, "unknown output format") {
		t.Errorf("version -o xml: code %d, stderr %q", code, errOut)
	}
}
