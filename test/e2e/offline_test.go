package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// planted are the secrets of the secrets-planted scenario (kubelet log,
// syslog, pod env and annotations) and its addresses.
var planted = []string{
	"pleg-planted-0123456789abcdef", "eyJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ", "AKIAPLANTED000000001",
	"plantedSecretKey/0123456789abcdefABCDEF", "123456789012", "pleg-planted-registry-pass",
	"MIIEplantedPRIVATEkeyMATERIAL", "pleg-planted-db-password", "pleg-planted-mysql",
	"pleg-planted-env-password", "pleg-planted-annotation-token",
	"10.20.30.40", "10.20.0.1", "0a:1b:2c:3d:4e:5f",
}

// TestRedactedBundle: collect --redact --redact-ips on a node whose logs
// and pods carry secrets leaves none of them in any file of the bundle, and
// the bundle diagnoses as the unredacted one and as live; diagnose --redact
// prints none either.
func TestRedactedBundle(t *testing.T) {
	needPlugin(t)
	const node = "secrets-planted"
	admin := kubeconfig("admin")
	plain, red := filepath.Join(t.TempDir(), "plain"), filepath.Join(t.TempDir(), "redacted")
	if r := pleg(t, admin, "collect", node, "-d", plain); r.code != 0 {
		r.dump(t)
		t.Fatal("collect")
	}
	r := pleg(t, admin, "collect", node, "-d", red, "--redact", "--redact-ips")
	if r.code != 0 || !strings.Contains(r.stdout, "redacted as it was written") {
		r.dump(t)
		t.Fatal("collect --redact")
	}
	found := func(dir string) map[string]string {
		hits := map[string]string{}
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, _ := os.ReadFile(p)
			for _, s := range planted {
				if strings.Contains(string(b), s) {
					hits[s] = filepath.Base(p)
				}
			}
			return nil
		})
		return hits
	}
	// The unredacted bundle holds what was planted (env values excepted:
	// collect always drops them), so the check below can fail.
	if hits := found(plain); len(hits) < len(planted)-2 {
		t.Fatalf("the unredacted bundle holds only %d of the %d planted values: %v", len(hits), len(planted), hits)
	}
	if hits := found(red); len(hits) > 0 {
		t.Errorf("the redacted bundle still holds: %v", hits)
	}
	live := pleg(t, admin, "diagnose", node, "-o", "json")
	for _, dir := range []string{plain, red} {
		off := runPlugin(t, "kubectl", "pleg", "diagnose", "--from-dir", dir, "-o", "json", "--kubeconfig", "/nonexistent")
		if off.code != live.code || off.diag.Verdict != live.diag.Verdict || !slices.Equal(off.diag.causeIDs(), live.diag.causeIDs()) {
			t.Errorf("%s: %d %s %v, live %d %s %v", filepath.Base(dir), off.code, off.diag.Verdict, off.diag.causeIDs(), live.code, live.diag.Verdict, live.diag.causeIDs())
		}
	}
	for _, format := range []string{"table", "json", "markdown"} {
		out := pleg(t, admin, "diagnose", node, "-o", format, "--redact", "--redact-ips").stdout
		for _, s := range planted {
			if strings.Contains(out, s) {
				t.Errorf("diagnose --redact -o %s prints %q", format, s)
			}
		}
	}
}
