// Package docs holds what the README and the runbook say to what the tool
// does: their commands run, their sample output is the tool's output, their
// lists are the repository's. Docs that drift fail here.
package docs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-pleg/kubectl-pleg/internal/alerts"
	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
)

const root = "../.."

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// blockAfter returns the lines of the first fenced code block after the
// line holding marker, without its fences.
func blockAfter(t *testing.T, doc, marker string) []string {
	t.Helper()
	rest := from(t, doc, marker)
	return fenced(rest[strings.Index(rest, "```"):])
}

// blockFrom returns the lines of the code block that marker's line opens
// (marker is its first line, which is left out).
func blockFrom(t *testing.T, doc, marker string) []string {
	t.Helper()
	return fenced(from(t, doc, marker))
}

// from is doc from marker on.
func from(t *testing.T, doc, marker string) string {
	t.Helper()
	i := strings.Index(doc, marker)
	if i < 0 {
		t.Fatalf("no %q", marker)
	}
	return doc[i:]
}

// fenced is the lines after rest's first line, up to the next fence.
func fenced(rest string) []string {
	rest = rest[strings.Index(rest, "\n")+1:]
	return strings.Split(strings.TrimSuffix(rest[:strings.Index(rest, "```")], "\n"), "\n")
}

// plugin builds the binary once per test run.
func plugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kubectl-pleg")
	build := exec.Command("go", "build", "-o", bin, "./cmd/kubectl-pleg")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// The README's first set-up command runs as written and shows a diagnosis
// and its exit code.
func TestReadmeFirstCommand(t *testing.T) {
	line := blockAfter(t, read(t, "README.md"), "## Set up (two commands)")[0]
	if !strings.Contains(line, "bin/kubectl-pleg") {
		t.Fatalf("the first command builds no bin/kubectl-pleg: %s", line)
	}
	// As written, but building into a temporary directory, not the checkout's bin/.
	cmd := exec.Command("bash", "-c", strings.ReplaceAll(line, "bin/kubectl-pleg", filepath.Join(t.TempDir(), "kubectl-pleg")))
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "containerd is not answering") || !strings.HasSuffix(strings.TrimSpace(string(out)), "exit 3") {
		t.Errorf("%s\n→ %v\n%s", line, err, out)
	}
}

// The sample output in the README and in the runbook is what the tool
// prints for the example it names, at 80 columns, up to the "..." that
// shortens it.
func TestSampleOutputs(t *testing.T) {
	bin := plugin(t)
	cmd := exec.Command(bin, "diagnose", "--from-dir", filepath.Join(root, "examples", "runtime-hung"))
	cmd.Env = append(os.Environ(), "COLUMNS=80")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Run()
	real := strings.Split(out.String(), "\n")
	for _, doc := range []struct {
		file   string
		sample []string
	}{
		{"README.md", blockFrom(t, read(t, "README.md"), "$ kubectl pleg diagnose --from-dir examples/runtime-hung")},
		{"docs/runbook.md", blockAfter(t, read(t, "docs/runbook.md"), "## 2. Read the table")},
	} {
		sample := doc.sample
		cut := slices.Index(sample, "   ...")
		if cut < 0 {
			t.Fatalf("%s: the sample has no '   ...' line", doc.file)
		}
		sample = sample[:cut]
		if !slices.Equal(sample, real[:min(len(real), len(sample))]) {
			t.Errorf("%s's sample is not the tool's output; it prints:\n%s", doc.file, strings.Join(real[:min(len(real), len(sample)+2)], "\n"))
		}
	}
}

var backticked = regexp.MustCompile("`([a-z0-9-]+)`")

// The README names every example bundle, and says how many there are.
func TestReadmeNamesTheExamples(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(root, "examples"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	readme := read(t, "README.md")
	i := strings.Index(readme, "`examples/` holds ")
	sentence := readme[i : i+strings.Index(readme[i:], "; see")]
	var named []string
	for _, m := range backticked.FindAllStringSubmatch(sentence, -1) {
		named = append(named, m[1])
	}
	slices.Sort(named)
	words := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
	if !slices.Equal(named, dirs) || !strings.Contains(sentence, " "+words[len(dirs)]+" bundles") {
		t.Errorf("README: %q; examples/ holds %d: %v", sentence, len(dirs), dirs)
	}
	examples := read(t, "examples/README.md")
	for _, d := range dirs {
		if !strings.Contains(examples, "| `"+d+"` |") {
			t.Errorf("examples/README.md has no row for %s", d)
		}
	}
}

// The README's alert table lists exactly the alerts `kubectl pleg alerts`
// generates, with their severities, and states the early-warning line the
// rules use.
func TestReadmeListsTheAlerts(t *testing.T) {
	readme := read(t, "README.md")
	row := regexp.MustCompile("(?m)^\\| `(\\w+)` \\| (\\w+) \\|")
	listed := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(readme, -1) {
		listed[m[1]] = m[2]
	}
	for _, r := range alerts.Rules(alerts.Options{}) {
		if sev, ok := listed[r.Alert]; !ok || sev != r.Labels["severity"] {
			t.Errorf("README alert table: %s is %q, want a row with severity %s", r.Alert, sev, r.Labels["severity"])
		}
		delete(listed, r.Alert)
	}
	for name := range listed {
		t.Errorf("README alert table lists %s, which kubectl pleg alerts does not generate", name)
	}
	late := humanize.Duration(diagnose.RelistLateWarning)
	for _, says := range []string{"the relist not run for **" + late + "** or more", "| `KubeletPLEGRelistLate` | warning | the relist has not run for " + late + ":"} {
		if !strings.Contains(readme, says) {
			t.Errorf("README does not say %q (diagnose.RelistLateWarning is %s)", says, late)
		}
	}
}
