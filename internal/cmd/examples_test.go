package cmd

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
)

// The shipped example bundles are the README's first command: each must keep
// diagnosing to the incident it was collected to show.
func TestExampleBundles(t *testing.T) {
	tests := []struct {
		bundle   string
		code     int
		verdict  string
		topCause string
	}{
		{"runtime-hung", 3, "pleg-unhealthy", "runtime-unresponsive"},
		{"runtime-frozen", 3, "runtime-down", "runtime-down"},
		// The same relist hang under Docker's dockershim and containerd 2.x.
		{"docker-hung", 3, "pleg-unhealthy", "runtime-unresponsive"},
		{"containerd2-hung", 3, "pleg-unhealthy", "runtime-unresponsive"},
		// The NFS server not answering is why the container is stuck.
		{"stuck-container", 3, "pleg-unhealthy", "storage-hung"},
		{"cni-not-ready", 3, "network-not-ready", "cni-not-ready"},
		{"dense", 2, "healthy", "pod-density"},
		// Risks only, as info: a healthy kubeadm-like node is no alarm.
		{"healthy", 0, "healthy", "missing-reservations"},
	}
	for _, tc := range tests {
		t.Run(tc.bundle, func(t *testing.T) {
			code, out, errOut := run(t, "diagnose", "--from-dir", "../../examples/"+tc.bundle, "-o", "json")
			var d struct {
				Verdict string `json:"verdict"`
				Causes  []struct {
					ID string `json:"id"`
				} `json:"causes"`
			}
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatalf("exit %d, stderr %q: %v", code, errOut, err)
			}
			if errOut != "" {
				t.Errorf("the bundle reads with problems: %s", errOut)
			}
			if code != tc.code || d.Verdict != tc.verdict || len(d.Causes) == 0 || d.Causes[0].ID != tc.topCause {
				t.Errorf("exit %d verdict %s causes %v, want %d %s %s first", code, d.Verdict, d.Causes, tc.code, tc.verdict, tc.topCause)
			}
		})
	}
}

var updateExamples = flag.Bool("update", false, "rewrite the example outputs under testdata/examples")

// exampleBundles are the directories of examples/, each a bundle.
func exampleBundles(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// Every example as a person reads it: the table at 80 and 120 columns, -o
// wide and markdown, held to golden files that were read by eye (go test
// ./internal/cmd -update rewrites them: read the diff). Whatever the
// layout, every command of every step appears whole on one line, and
// markdown cuts nothing short.
func TestExampleOutputs(t *testing.T) {
	for _, bundle := range exampleBundles(t) {
		_, js, _ := run(t, "diagnose", "--from-dir", "../../examples/"+bundle, "-o", "json")
		var d diagnose.Diagnosis
		if err := json.Unmarshal([]byte(js), &d); err != nil {
			t.Fatal(err)
		}
		for _, out := range []struct{ name, columns, format string }{
			{"80.txt", "80", "table"}, {"120.txt", "120", "table"}, {"wide.txt", "80", "wide"}, {"md", "80", "markdown"},
		} {
			t.Run(bundle+"."+out.name, func(t *testing.T) {
				t.Setenv("COLUMNS", out.columns)
				_, text, errOut := run(t, "diagnose", "--from-dir", "../../examples/"+bundle, "-o", out.format)
				if errOut != "" {
					t.Errorf("stderr: %s", errOut)
				}
				for _, c := range d.Causes {
					for _, st := range c.Steps {
						if st.Run != "" && !strings.Contains(text, st.Run) {
							t.Errorf("%s's command %q is not whole on one line", c.ID, st.Run)
						}
					}
				}
				if out.format == "markdown" && strings.Contains(text, "…") {
					t.Errorf("markdown cut something short with …")
				}
				if out.format == "table" {
					width, _ := strconv.Atoi(out.columns)
					for line := range strings.Lines(text) {
						line = strings.TrimRight(line, "\n")
						if utf8.RuneCountInString(line) > width && !isCommandLine(line, d) {
							t.Errorf("line longer than %d columns, and no command: %q", width, line)
						}
					}
				}
				golden := filepath.Join("testdata", "examples", bundle+"."+out.name)
				if *updateExamples {
					if err := os.WriteFile(golden, []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (go test ./internal/cmd -update writes it; read it before committing)", err)
				}
				if text != string(want) {
					t.Errorf("%s differs from %s:\n%s", out.format, golden, text)
				}
			})
		}
	}
}

// isCommandLine says a line carries a command of the diagnosis whole, which
// may be longer than the width, or a word longer than the width (a log
// line's token), which wrapping keeps whole.
func isCommandLine(line string, d diagnose.Diagnosis) bool {
	for _, c := range d.Causes {
		for _, st := range c.Steps {
			if st.Run != "" && strings.Contains(line, st.Run) {
				return true
			}
		}
	}
	return !strings.Contains(strings.TrimSpace(line), " ")
}
