package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestCompleteArgs(t *testing.T) {
	tests := []struct{ in, want []string }{
		{in: []string{"diagnose", ""}, want: []string{"__complete", "diagnose", ""}},
		{in: []string{""}, want: []string{"__complete", ""}},
		{in: nil, want: []string{"__complete"}},
		{in: []string{"__complete", "diagnose", "w"}, want: []string{"__complete", "diagnose", "w"}},
		{in: []string{"__completeNoDesc", "diagnose", ""}, want: []string{"__completeNoDesc", "diagnose", ""}},
	}
	for _, tt := range tests {
		if got := completeArgs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("completeArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCompletesThroughSymlinkedInstall builds both executables as an archive
// ships them, links only the completer into another directory (as krew and
// package managers do) and runs it the way kubectl does, with nothing on PATH:
// it must find kubectl-pleg next to its resolved path and print cobra's
// completions for the plugin's subcommands.
func TestCompletesThroughSymlinkedInstall(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	store, bin := t.TempDir(), t.TempDir()
	for _, pkg := range []string{"../kubectl-pleg", "."} {
		build := exec.Command("go", "build", "-o", store+string(filepath.Separator), pkg)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	link := filepath.Join(bin, "kubectl_complete-pleg")
	if err := os.Symlink(filepath.Join(store, "kubectl_complete-pleg"), link); err != nil {
		t.Fatal(err)
	}

	complete := func(args ...string) (string, error) {
		c := exec.Command(link, args...)
		c.Env = []string{"PATH=", "HOME=" + t.TempDir(), "KUBECONFIG=" + filepath.Join(t.TempDir(), "none")}
		out, err := c.Output()
		return string(out), err
	}
	for _, args := range [][]string{{""}, {"__complete", ""}} {
		out, err := complete(args...)
		if err != nil {
			t.Fatalf("kubectl_complete-pleg %q: %v", args, err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		for _, want := range []string{"diagnose", "version", "completion"} {
			if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, want+"\t") || l == want }) {
				t.Errorf("kubectl_complete-pleg %q: no %q in\n%s", args, want, out)
			}
		}
		if last := lines[len(lines)-1]; !strings.HasPrefix(last, ":") {
			t.Errorf("kubectl_complete-pleg %q: last line %q is not cobra's :directive", args, last)
		}
	}

	// Alone, with no kubectl-pleg anywhere: a clear error, exit 1.
	alone := filepath.Join(t.TempDir(), "kubectl_complete-pleg")
	data, err := os.ReadFile(filepath.Join(store, "kubectl_complete-pleg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	c := exec.Command(alone, "diagnose", "")
	c.Env = []string{"PATH="}
	out, err := c.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 || !strings.Contains(string(out), "kubectl-pleg is neither next to this program nor on PATH") {
		t.Errorf("alone: err %v, output %q; want exit 1 naming the missing kubectl-pleg", err, out)
	}
}
