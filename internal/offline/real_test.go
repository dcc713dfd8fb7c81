package offline

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
)

// realDir holds what real kubelets and a real API server said of real
// incidents on the lab's real nodes (make real-fixtures regenerates it).
var realDir = filepath.Join("..", "..", "testdata", "real")

// firstStep is what the first step of a frozen or stopped runtime's
// diagnosis runs.
var firstStep = map[string]string{
	"real-runtime-frozen": "time crictl ps", "real-cd2-frozen": "time crictl ps", "real-docker-frozen": "time docker ps",
	"real-runtime-stopped": "systemctl status containerd", "real-cd2-stopped": "systemctl status containerd",
	"real-docker-stopped": "systemctl status docker",
}

// Each file of a real incident is told by its content, and all of them
// together give the diagnosis the live plugin gave.
func TestRealIncidentArtifacts(t *testing.T) {
	want := map[string]struct {
		verdict diagnose.Verdict
		top     []string // acceptable first causes; "-" for none above info
	}{
		"real-healthy":         {diagnose.Healthy, []string{"-"}},
		"real-dense":           {diagnose.Healthy, []string{"pod-density"}},
		"real-runtime-frozen":  {diagnose.RuntimeDown, []string{"runtime-down", "runtime-unresponsive"}},
		"real-runtime-stopped": {diagnose.RuntimeDown, []string{"runtime-down"}},
		"real-relist-hang":     {diagnose.PLEGUnhealthy, []string{"runtime-unresponsive"}},
		"real-cni-off":         {diagnose.NetworkNotReady, []string{"cni-not-ready"}},
		"real-kubelet-frozen":  {diagnose.KubeletUnreachable, []string{"kubelet-down"}},
		"real-docker-frozen":   {diagnose.RuntimeDown, []string{"runtime-down", "runtime-unresponsive"}},
		"real-docker-stopped":  {diagnose.RuntimeDown, []string{"runtime-down"}},
		"real-docker-slow":     {diagnose.PLEGUnhealthy, []string{"runtime-unresponsive"}},
		"real-docker-shim":     {diagnose.Healthy, []string{"stuck-container"}},
		"real-cd2-frozen":      {diagnose.RuntimeDown, []string{"runtime-down", "runtime-unresponsive"}},
		"real-cd2-stopped":     {diagnose.RuntimeDown, []string{"runtime-down"}},
		"real-cd2-relist-hang": {diagnose.PLEGUnhealthy, []string{"runtime-unresponsive"}},
	}
	kinds := map[string]fileKind{
		"describe.txt": kindDescribe, "node.yaml": kindObjects, "kubelet.log": kindLog,
		"metrics.txt": kindMetrics, "stats.json": kindStats, "configz.json": kindConfigz,
	}
	for node, w := range want {
		t.Run(node, func(t *testing.T) {
			dir := filepath.Join(realDir, node)
			files, err := os.ReadDir(dir)
			if err != nil || len(files) == 0 {
				t.Fatalf("%v (make real-fixtures captures it)", err)
			}
			var inputs []Input
			for _, e := range files {
				file := e.Name()
				b, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				d, derr := detect(b)
				kind, known := kinds[file]
				switch {
				case strings.HasSuffix(file, ".error.txt"):
					// What kubectl printed when the kubelet could not answer
					// (a hung runtime's stats, a frozen kubelet): it is read
					// for what it says, or refused with a reason — never as data.
					if derr == nil && d.kind != kindLog {
						t.Errorf("%s: kubectl's error read as %v", file, d.kind)
					}
					continue
				case !known:
					t.Errorf("unexpected file %s", file)
					continue
				case derr != nil || d.kind != kind || kind == kindLog && d.log != kubelet.KubeletLog:
					t.Errorf("%s: detected %v/%v (%v), want %v", file, d.kind, d.log, derr, kind)
				}
				if file != "node.yaml" { // describe already holds the node
					f, _ := os.Open(filepath.Join(dir, file))
					defer f.Close()
					inputs = append(inputs, Input{Name: file, R: f})
				}
			}
			snaps, err := FromFiles(inputs, "", far)
			if len(snaps) != 1 {
				t.Fatalf("%d snapshots: %v", len(snaps), err)
			}
			d := diagnose.Diagnose(snaps[0])
			top := "-"
			for _, c := range d.Causes {
				if c.Severity >= diagnose.Warning {
					top = string(c.ID)
					break
				}
			}
			if d.Verdict != w.verdict || !slices.Contains(w.top, top) || d.Node != node {
				t.Errorf("node %q verdict %s top %s, want %s and one of %v (%s)", d.Node, d.Verdict, top, w.verdict, w.top, d.Summary)
			}
			// The kubelet calls a frozen runtime down as it does a stopped
			// one; the first step must tell them apart (a frozen runtime is
			// active in systemctl: a timed call shows the hang).
			if run, ok := firstStep[node]; ok {
				if len(d.Causes) == 0 || len(d.Causes[0].Steps) == 0 || !strings.Contains(d.Causes[0].Steps[0].Run, run) {
					t.Errorf("first step of %s is not %q: %+v", node, run, d.Causes)
				}
			}
		})
	}
}
