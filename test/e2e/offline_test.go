package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCollectThenDiagnoseOffline collects bundles from the real API server
// and checks that diagnosing them offline, from a directory and from a
// .tar.gz, gives the live verdict and causes; and that `kubectl describe
// node` output plus the kubelet journal, fed with -f, reach the same top cause.
func TestCollectThenDiagnoseOffline(t *testing.T) {
	needLab(t)
	needPlugin(t)
	admin := kubeconfig("admin")
	for _, node := range []string{"runtime-hung", "stuck-container", "dense"} {
		t.Run(node, func(t *testing.T) {
			live := pleg(t, admin, "diagnose", node, "-o", "json")
			dir := filepath.Join(t.TempDir(), "bundle")
			archive := filepath.Join(t.TempDir(), "bundle.tar.gz")
			for _, dest := range [][]string{{"-d", dir}, {"--archive", archive}} {
				if r := pleg(t, admin, append([]string{"collect", node}, dest...)...); r.code != 0 {
					r.dump(t)
					t.Fatalf("collect %v: exit %d", dest, r.code)
				}
			}
			manifest, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
			if err != nil || !strings.Contains(string(manifest), `"kind": "Bundle"`) {
				t.Fatalf("bundle has no manifest: %v", err)
			}
			for _, from := range []string{dir, archive} {
				// No kubeconfig at all: offline needs no cluster.
				off := runPlugin(t, "kubectl", "pleg", "diagnose", "--from-dir", from, "-o", "json", "--kubeconfig", "/nonexistent")
				if off.code != live.code || off.diag.Verdict != live.diag.Verdict {
					t.Errorf("%s: offline exit %d verdict %s, live %d %s", from, off.code, off.diag.Verdict, live.code, live.diag.Verdict)
				}
				if got, want := strings.Join(off.diag.causeIDs(), ","), strings.Join(live.diag.causeIDs(), ","); got != want {
					t.Errorf("%s: offline causes %s, live %s", from, got, want)
				}
			}
		})
	}
}

func TestDiagnoseFromDescribeAndJournal(t *testing.T) {
	needLab(t)
	needPlugin(t)
	admin := kubeconfig("admin")
	work := t.TempDir()
	describe, err := exec.Command("kubectl", "--kubeconfig", admin, "describe", "node", "runtime-hung").Output()
	if err != nil {
		t.Fatalf("kubectl describe node: %v", err)
	}
	journal, err := exec.Command("kubectl", "--kubeconfig", admin, "get", "--raw", "/api/v1/nodes/runtime-hung/proxy/logs/?query=kubelet").Output()
	if err != nil {
		t.Fatalf("kubectl get --raw logs: %v", err)
	}
	for name, data := range map[string][]byte{"node.txt": describe, "kubelet.log": journal} {
		if err := os.WriteFile(filepath.Join(work, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := runPlugin(t, "kubectl", "pleg", "diagnose", "-f", filepath.Join(work, "node.txt"), "-f", filepath.Join(work, "kubelet.log"), "-o", "json")
	if r.code != 3 || r.diag.Verdict != "pleg-unhealthy" || len(r.diag.Causes) == 0 || r.diag.Causes[0].ID != "runtime-unresponsive" {
		r.dump(t)
		t.Errorf("exit %d verdict %s causes %v, want 3 pleg-unhealthy runtime-unresponsive first", r.code, r.diag.Verdict, r.diag.causeIDs())
	}
}
