package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// captureReal saves, for every real node, what the kubelet and the API
// server said of its incident — the kubelet log (its last 2000 lines),
// /metrics, /stats/summary, /configz, kubectl describe node and get node
// -o yaml — into DIR/testdata/real/NODE, and rebuilds DIR/examples from
// bundles of the real incidents.
func captureReal(t *testing.T, dir string) {
	t.Helper()
	raw := map[string]string{
		"kubelet.log":  "logs/kubelet.log",
		"metrics.txt":  "metrics",
		"stats.json":   "stats/summary",
		"configz.json": "configz",
	}
	nodes := []string{"real-healthy", "real-dense"}
	for _, f := range realFaults {
		nodes = append(nodes, f.node)
	}
	for _, node := range nodes {
		out := filepath.Join(dir, "testdata", "real", node)
		os.RemoveAll(out)
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		for file, path := range raw {
			b, err := exec.Command("kubectl", "get", "--raw", "/api/v1/nodes/"+node+"/proxy/"+path, "--kubeconfig", kubeconfig("admin"),
				"--request-timeout", "40s").CombinedOutput()
			if err != nil {
				// What a person gets from kubectl while the runtime hangs
				// is an artifact too, named for what it is.
				file = strings.TrimSuffix(file, filepath.Ext(file)) + ".error.txt"
			}
			if file == "kubelet.log" {
				b = lastLines(b, 2000)
			}
			writeCapture(t, filepath.Join(out, file), b)
		}
		d, _ := exec.Command("kubectl", "describe", "node", node, "--kubeconfig", kubeconfig("admin")).CombinedOutput()
		writeCapture(t, filepath.Join(out, "describe.txt"), d)
		y, _ := exec.Command("kubectl", "get", "node", node, "-o", "yaml", "--kubeconfig", kubeconfig("admin")).CombinedOutput()
		writeCapture(t, filepath.Join(out, "node.yaml"), y)
	}
	for example, node := range realExamples {
		out := filepath.Join(dir, "examples", example)
		os.RemoveAll(out)
		if c := pleg(t, kubeconfig("admin"), "collect", node, "-d", out); c.code != 0 {
			t.Errorf("collect %s into %s: %s", node, out, c.stderr)
		}
	}
	t.Logf("captured %d nodes into %s", len(nodes), filepath.Join(dir, "testdata", "real"))
}

// realExamples are the shipped example bundles, each collected from a real
// incident (examples/README.md).
var realExamples = map[string]string{
	"runtime-hung":     "real-relist-hang",
	"runtime-frozen":   "real-runtime-frozen",
	"cni-not-ready":    "real-cni-off",
	"dense":            "real-dense",
	"healthy":          "real-healthy",
	"docker-hung":      "real-docker-slow",
	"containerd2-hung": "real-cd2-relist-hang",
}

func lastLines(b []byte, n int) []byte {
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return []byte(strings.Join(lines, ""))
}

func writeCapture(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(fmt.Errorf("capturing %s: %w", path, err))
	}
}
