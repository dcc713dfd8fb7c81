// Package e2e runs the kubectl-pleg plugin, exactly as a user does
// (`kubectl pleg diagnose NODE`), against a real kube-apiserver whose nodes
// are served by the kubelet simulator (see lab.sh and scenarios/).
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	labDir    string // state dir of the running lab; "" when -short
	pluginErr error  // why the plugin could not be built, reported per test
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if testing.Short() {
		return m.Run() // only the simulator's unit tests make sense
	}
	labDir = os.Getenv("PLEG_LAB_DIR")
	if labDir == "" {
		labDir = "/tmp/pleg-lab"
	}
	// Reuse a running lab (lab.sh up by hand), refreshing its timestamps;
	// otherwise bring one up for this run only.
	if lab("status") == nil {
		if err := lab("register"); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: lab register:", err)
			return 1
		}
	} else {
		if err := lab("up"); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: lab up:", err)
			lab("down")
			return 1
		}
		if os.Getenv("PLEG_LAB_KEEP") == "" {
			defer func() {
				if err := lab("down"); err != nil {
					fmt.Fprintln(os.Stderr, "e2e: lab down:", err, "(run test/e2e/lab.sh down)")
				}
			}()
		}
	}

	bin, err := os.MkdirTemp("", "kubectl-pleg-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(bin)
	// Built from the repository root; a build failure fails each plugin
	// test with the compiler output instead of hiding the lab tests.
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "kubectl-pleg"), "./cmd/kubectl-pleg")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		pluginErr = fmt.Errorf("go build ./cmd/kubectl-pleg: %v\n%s", err, out)
	}
	// kubectl finds plugins on PATH, as for any user.
	os.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return m.Run()
}

// lab runs lab.sh with the test's state dir. A lab the tests bring up has
// the real nodes (PLEG_LAB_REAL=0 leaves them out, and their tests skip).
func lab(verb string, args ...string) error {
	cmd := exec.Command("./lab.sh", append([]string{verb}, args...)...)
	cmd.Env = append(os.Environ(), "PLEG_LAB_DIR="+labDir)
	cmd.Stderr = os.Stderr
	if verb == "status" {
		cmd.Stderr = nil
	}
	return cmd.Run()
}

func needLab(t *testing.T) {
	t.Helper()
	if labDir == "" {
		t.Skip("-short: no lab")
	}
}

func needPlugin(t *testing.T) {
	t.Helper()
	needLab(t)
	if pluginErr != nil {
		t.Fatal(pluginErr)
	}
}

func kubeconfig(user string) string { return filepath.Join(labDir, user+".kubeconfig") }

// Diagnosis is the part of the plugin's -o json output the tests rely on.
type Diagnosis struct {
	APIVersion  string   `json:"apiVersion"`
	Kind        string   `json:"kind"`
	Node        string   `json:"node"`
	CollectedAt string   `json:"collectedAt"`
	Verdict     string   `json:"verdict"`
	Summary     string   `json:"summary"`
	Causes      []Cause  `json:"causes"`
	Sources     []Source `json:"sources"`
	Timeline    []struct {
		Source string `json:"source"`
		Event  string `json:"event"`
	} `json:"timeline"`
	Items []Diagnosis `json:"items"`
}

type Cause struct {
	Rank     int      `json:"rank"`
	ID       string   `json:"id"`
	Severity string   `json:"severity"`
	Evidence []string `json:"evidence"`
	Steps    []struct {
		Run string `json:"run"`
	} `json:"steps"`
}

type Source struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Reason string `json:"reason"`
	Hint   string `json:"hint"`
}

// serious are the causes that drive the exit code (2 or 3).
func (d Diagnosis) serious() []Cause {
	var out []Cause
	for _, c := range d.Causes {
		if c.Severity == "warning" || c.Severity == "critical" {
			out = append(out, c)
		}
	}
	return out
}

func (d Diagnosis) source(name string) *Source {
	for i := range d.Sources {
		if d.Sources[i].Name == name {
			return &d.Sources[i]
		}
	}
	return nil
}

// cause is the cause with id, or an empty one when the diagnosis has none.
func (d Diagnosis) cause(id string) Cause {
	for _, c := range d.Causes {
		if c.ID == id {
			return c
		}
	}
	return Cause{}
}

func (d Diagnosis) causeIDs() []string {
	var ids []string
	for _, c := range d.Causes {
		ids = append(ids, c.ID)
	}
	return ids
}

// kubeletSources are fetched through nodes/proxy.
var kubeletSources = []string{"kubelet-log", "runtime-log", "system-log", "metrics", "stats", "configz", "healthz"}

type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
	maxRSSKiB      int64
	diag           Diagnosis
}

// pleg runs `kubectl pleg ARGS... --kubeconfig KC` and decodes JSON output
// when there is some.
func pleg(t *testing.T, kc string, args ...string) result {
	t.Helper()
	return runPlugin(t, "kubectl", append(append([]string{"pleg"}, args...), "--kubeconfig", kc)...)
}

func runPlugin(t *testing.T, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if cmd.ProcessState == nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	r.code = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSSKiB = ru.Maxrss // KiB on Linux
	}
	t.Logf("%s %s → exit %d in %v", name, strings.Join(args, " "), r.code, r.took.Round(time.Millisecond))
	if strings.TrimSpace(r.stdout) != "" {
		if err := json.Unmarshal(out.Bytes(), &r.diag); err != nil && strings.Contains(strings.Join(args, " "), "-o json") {
			t.Errorf("stdout is not JSON: %v\n%s", err, r.stdout)
		}
	}
	return r
}

func (r result) dump(t *testing.T) {
	t.Helper()
	t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
}
