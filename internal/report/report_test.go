package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var collected = time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)

// sample is a hand-made diagnosis, independent of the rules, so that the
// golden files change only when rendering does.
func sample(node string) *diagnose.Diagnosis {
	answers := diagnose.Step{Do: "see whether the runtime answers", On: diagnose.OnNode, Run: "time crictl ps; time crictl pods", Expect: "a hang confirms it"}
	restart := diagnose.Step{Do: "restart the runtime, then the kubelet", On: diagnose.OnNode, Run: "systemctl restart containerd && systemctl restart kubelet"}
	cordon := diagnose.Step{Do: "keep new pods off the node while you look", On: diagnose.OnCluster, Run: "kubectl cordon " + node}
	d := &diagnose.Diagnosis{
		APIVersion: diagnose.APIVersion, Kind: diagnose.KindSingle, Node: node, CollectedAt: collected,
		Headline: node + ": NotReady 16m — containerd is not answering: 412 runtime calls timed out in 15m → on the node: time crictl ps; time crictl pods",
		Next:     &answers,
		Verdict:  diagnose.PLEGUnhealthy,
		Summary:  "Node " + node + ": NotReady for 16m — PLEG is not healthy (relist last seen 16m6s ago; threshold 3m)",
		Causes: []diagnose.Cause{
			{Rank: 1, ID: "runtime-unresponsive", Title: "Container runtime calls time out", Role: diagnose.RootCause,
				Severity: diagnose.Critical, Confidence: diagnose.High, Answer: "containerd is not answering: 412 runtime calls timed out in 15m",
				Evidence: []string{"412× runtime call timeout (DeadlineExceeded) in kubelet log; by call: ListContainers 300, ContainerStatus 112",
					"latest: E1127 \x1b[31mred\x1b[0m line | with `pipe` and *stars*"},
				Steps: []diagnose.Step{answers, restart}},
			{Rank: 2, ID: "pleg-relist-stalled", Title: "PLEG relist stalled", Role: diagnose.Symptom,
				Severity: diagnose.Critical, Confidence: diagnose.High, Answer: "the PLEG relist has not finished for 16m6s (threshold 3m)",
				Evidence: []string{"Ready=False for 16m: PLEG is not healthy (relist last seen 16m6s ago; threshold 3m)"},
				Steps:    []diagnose.Step{answers, restart}},
			{Rank: 3, ID: "pod-density", Title: "Too many pods or containers on the node", Role: diagnose.Load,
				Severity: diagnose.Warning, Confidence: diagnose.High, Answer: "the node runs too many pods: 108/110 pods",
				Evidence: []string{"108/110 pods (98% of allocatable), 13.5 per core on 8 cores"},
				Steps:    []diagnose.Step{{Do: "spread the pods: add nodes, or lower maxPods (kubelet --max-pods) to about 70 on this node"}, cordon}},
		},
		Checks: []diagnose.Check{
			{ID: "A", Name: "conditions+events", Status: diagnose.CheckDone},
			{ID: "B", Name: "kubelet log", Status: diagnose.CheckDone, Detail: "node log query (journal, unit kubelet), last 1h, 12,345 lines"},
			{ID: "C", Name: "system log", Status: diagnose.CheckMissing, Detail: "system-log forbidden; runtime-log forbidden"},
			{ID: "D", Name: "load+density", Status: diagnose.CheckPartial, Detail: "stats timeout"},
			{ID: "E", Name: "remediation", Status: diagnose.CheckDone, Detail: "3 next steps"},
		},
		Sources: []snapshot.Source{
			{Name: snapshot.SourceNode, Status: snapshot.StatusOK, Detail: "kubectl get node " + node, ElapsedMillis: 40},
			{Name: snapshot.SourceKubeletLog, Status: snapshot.StatusOK, Fallback: true, Detail: `/var/log/kubelet.log (the node log query answered "options present and query resolved to log files for [kubelet]"), last 1h, 12,345 lines`},
			{Name: snapshot.SourceRuntimeLog, Status: snapshot.StatusForbidden, Reason: `nodes "w" is forbidden`, Hint: `grant the ClusterRole rule {apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"]}`},
			{Name: snapshot.SourceSystemLog, Status: snapshot.StatusForbidden, Reason: `nodes "w" is forbidden`, Hint: `grant the ClusterRole rule {apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"]}`},
			{Name: snapshot.SourceMetrics, Status: snapshot.StatusOK, Detail: "120KiB of Prometheus text", ElapsedMillis: 15210},
		},
		Timeline: []diagnose.TimelineEntry{
			{Time: collected.Add(-16 * time.Minute), Source: "node", Event: "Ready=False (KubeletNotReady)"},
			{Time: collected.Add(-2 * time.Minute), Source: "kubelet-log", Event: "last PLEG is not healthy", Count: 14},
		},
		WindowStart: collected.Add(-time.Hour),
		Tracks: []diagnose.Track{
			{Name: "Ready", Changes: []diagnose.TrackChange{{Time: collected.Add(-16 * time.Minute), On: false}}},
			{Name: "runtime timeouts", Times: []time.Time{collected.Add(-15 * time.Minute), collected.Add(-14 * time.Minute), collected.Add(-10 * time.Minute), collected.Add(-9 * time.Minute), collected.Add(-9 * time.Minute), collected.Add(-time.Minute)}},
		},
	}
	for i := range d.Causes {
		for _, st := range d.Causes[i].Steps {
			d.Causes[i].Remediation = append(d.Causes[i].Remediation, st.String())
		}
	}
	return d
}

// quiet is a healthy node's diagnosis with nothing to say.
func quiet(node string) *diagnose.Diagnosis {
	return &diagnose.Diagnosis{APIVersion: diagnose.APIVersion, Kind: diagnose.KindSingle, Node: node, CollectedAt: collected,
		Headline: node + ": Ready 2d — nothing wrong found", Verdict: diagnose.Healthy, Summary: "Node " + node + ": Ready for 2d"}
}

func TestRenderGolden(t *testing.T) {
	cases := []struct {
		name   string
		format string
		diags  []*diagnose.Diagnosis
		opts   Options
	}{
		{"table-80", "table", []*diagnose.Diagnosis{sample("worker-3")}, Options{Width: 80}},
		{"table-120", "table", []*diagnose.Diagnosis{sample("worker-3")}, Options{Width: 120}},
		{"wide", "wide", []*diagnose.Diagnosis{sample("worker-3")}, Options{Width: 80}},
		{"table-color", "table", []*diagnose.Diagnosis{sample("worker-3")}, Options{Color: true, Width: 80}},
		{"json", "json", []*diagnose.Diagnosis{sample("worker-3")}, Options{}},
		{"json-list", "json", []*diagnose.Diagnosis{sample("worker-3"), sample("worker-7")}, Options{}},
		// A fleet: the summary first, trouble in full, a quiet node in a line.
		{"table-fleet", "table", []*diagnose.Diagnosis{quiet("worker-1"), sample("worker-3")}, Options{Width: 80}},
		{"markdown-fleet", "markdown", []*diagnose.Diagnosis{quiet("worker-1"), sample("worker-3")}, Options{}},
		{"yaml", "yaml", []*diagnose.Diagnosis{sample("worker-3")}, Options{}},
		{"markdown", "markdown", []*diagnose.Diagnosis{sample("worker-3")}, Options{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, tc.format, tc.diags, tc.opts); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/report -update to create it, then read the diff)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s output differs from %s:\n--- got\n%s\n--- want\n%s", tc.format, golden, buf.String(), want)
			}
		})
	}
}

func TestHumanFormatsStripTerminalControls(t *testing.T) {
	for _, format := range []string{"table", "markdown"} {
		var buf bytes.Buffer
		if err := Render(&buf, format, []*diagnose.Diagnosis{sample("worker-3")}, Options{}); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsRune(buf.String(), '\x1b') {
			t.Errorf("%s output carries an escape sequence from node text", format)
		}
	}
}

func TestJSONAndYAMLShareTheSchema(t *testing.T) {
	var j, y bytes.Buffer
	if err := Render(&j, "json", []*diagnose.Diagnosis{sample("worker-3")}, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Render(&y, "yaml", []*diagnose.Diagnosis{sample("worker-3")}, Options{}); err != nil {
		t.Fatal(err)
	}
	var fromJSON, fromYAML map[string]any
	if err := json.Unmarshal(j.Bytes(), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(y.Bytes(), &fromYAML); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"apiVersion", "kind", "node", "collectedAt", "verdict", "summary", "causes", "checks", "sources", "timeline"} {
		if _, ok := fromJSON[key]; !ok {
			t.Errorf("json lacks %q", key)
		}
		if _, ok := fromYAML[key]; !ok {
			t.Errorf("yaml lacks %q", key)
		}
	}
	cause := fromJSON["causes"].([]any)[0].(map[string]any)
	if cause["severity"] != "critical" || cause["confidence"] != "high" || cause["role"] != "root-cause" {
		t.Errorf("enums must be words: %v", cause)
	}
}

func TestRenderRejectsUnknownFormat(t *testing.T) {
	err := Render(&bytes.Buffer{}, "xml", []*diagnose.Diagnosis{sample("w")}, Options{})
	if err == nil || !strings.Contains(err.Error(), "table, wide, json, yaml, markdown") {
		t.Errorf("err = %v, want the list of formats", err)
	}
}

// The report names the sources that were slow, slowest first, and nothing
// when none was.
func TestSlowLine(t *testing.T) {
	d := sample("worker-3")
	d.Sources = append(d.Sources, snapshot.Source{Name: snapshot.SourceStats, Status: snapshot.StatusTimeout, ElapsedMillis: 30000})
	if got, want := SlowLine(d), "Slow: stats 30s, metrics 15.2s"; got != want {
		t.Errorf("SlowLine = %q, want %q", got, want)
	}
	d.Sources = d.Sources[:1]
	if got := SlowLine(d); got != "" {
		t.Errorf("SlowLine = %q with no slow source", got)
	}
}

// A step two causes share is given once, under the higher one; the lower
// says so and repeats no command.
func TestSharedStepsAreSaidOnce(t *testing.T) {
	for _, format := range []string{"table", "markdown"} {
		var buf bytes.Buffer
		if err := Render(&buf, format, []*diagnose.Diagnosis{sample("worker-3")}, Options{Width: 80}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if n := strings.Count(out, "systemctl restart containerd && systemctl restart kubelet"); n != 1 {
			t.Errorf("%s: the shared restart command is printed %d times, want once", format, n)
		}
		if !strings.Contains(out, "s in 1: restart the runtime, then the kubelet") {
			t.Errorf("%s: the lower cause does not point at the higher one", format)
		}
	}
}
