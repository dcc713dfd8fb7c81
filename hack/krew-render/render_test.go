package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var platforms = []string{
	"linux_amd64.tar.gz", "linux_arm64.tar.gz", "darwin_amd64.tar.gz",
	"darwin_arm64.tar.gz", "windows_amd64.zip", "windows_arm64.zip",
}

// fakeDist writes one small distinct archive per platform and returns the
// directory and each file's sha256.
func fakeDist(t *testing.T, tag string) (string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	sums := map[string]string{}
	for _, p := range platforms {
		name := "kubectl-pleg_" + tag + "_" + p
		data := []byte("archive " + name)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		sums[name] = hex.EncodeToString(sum[:])
	}
	return dir, sums
}

type manifest struct {
	Metadata struct{ Name string }
	Spec     struct {
		Version   string
		Platforms []struct {
			Selector struct{ MatchLabels map[string]string }
			URI      string
			Sha256   string
			Bin      string
			Files    []struct{ From, To string }
		}
	}
}

// TestRenderPluginManifest renders the real krew/plugin.yaml and checks
// that every platform points at its own archive with that archive's sha256,
// and ships both executables and the LICENSE.
func TestRenderPluginManifest(t *testing.T) {
	src, err := os.ReadFile("../../krew/plugin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const tag = "v1.2.3"
	dist, sums := fakeDist(t, tag)
	for _, prefix := range []string{"", "http://127.0.0.1:8000/"} {
		out, err := render("plugin.yaml", string(src), tag, dist, prefix)
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		if strings.Contains(string(out), "{{") {
			t.Fatalf("unrendered template action left:\n%s", out)
		}
		var m manifest
		// The schema is krew's to judge (make krew-validate); this reads
		// what the archives need.
		if err := yaml.Unmarshal(out, &m); err != nil {
			t.Fatalf("rendered manifest is not YAML: %v\n%s", err, out)
		}
		if m.Metadata.Name != "pleg" || m.Spec.Version != tag {
			t.Errorf("name %q version %q, want pleg %s", m.Metadata.Name, m.Spec.Version, tag)
		}
		if len(m.Spec.Platforms) != len(platforms) {
			t.Fatalf("%d platforms, want %d", len(m.Spec.Platforms), len(platforms))
		}
		for _, p := range m.Spec.Platforms {
			osArch := p.Selector.MatchLabels["os"] + "_" + p.Selector.MatchLabels["arch"]
			file := filepath.Base(p.URI)
			if !strings.HasPrefix(file, "kubectl-pleg_"+tag+"_"+osArch+".") {
				t.Errorf("%s: uri %s is not its own archive", osArch, p.URI)
			}
			wantPrefix := "https://github.com/kubectl-pleg/kubectl-pleg/releases/download/" + tag + "/"
			if prefix != "" {
				wantPrefix = prefix
			}
			if p.URI != wantPrefix+file {
				t.Errorf("%s: uri %s, want %s%s", osArch, p.URI, wantPrefix, file)
			}
			if p.Sha256 != sums[file] {
				t.Errorf("%s: sha256 %q, want %q", osArch, p.Sha256, sums[file])
			}
			exe := ""
			if p.Selector.MatchLabels["os"] == "windows" {
				exe = ".exe"
			}
			if p.Bin != "kubectl-pleg"+exe {
				t.Errorf("%s: bin %q", osArch, p.Bin)
			}
			var from []string
			for _, f := range p.Files {
				from = append(from, f.From)
			}
			if got, want := strings.Join(from, " "), "kubectl-pleg"+exe+" kubectl_complete-pleg"+exe+" LICENSE"; got != want {
				t.Errorf("%s: files %q, want %q", osArch, got, want)
			}
		}
	}
}

func TestRenderMissingArchive(t *testing.T) {
	src := `{{addURIAndSha "https://example.com/{{ .TagName }}/a_{{ .TagName }}.tar.gz" .TagName }}`
	_, err := render("t", src, "v1", t.TempDir(), "")
	if err == nil || !strings.Contains(err.Error(), "https://example.com/v1/a_v1.tar.gz") {
		t.Fatalf("err = %v, want one naming the missing archive's URL", err)
	}
}

func TestGoreleaserTag(t *testing.T) {
	dir := t.TempDir()
	if _, err := goreleaserTag(dir); err == nil {
		t.Error("no metadata.json: want an error")
	}
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), []byte(`{"project_name":"kubectl-pleg","tag":"v0.0.0","version":"0.0.0-SNAPSHOT-abc"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if tag, err := goreleaserTag(dir); err != nil || tag != "v0.0.0" {
		t.Errorf("goreleaserTag = %q, %v; want v0.0.0", tag, err)
	}
}

// The bot's helpers, as its own tests pin them.
func TestBotHelpers(t *testing.T) {
	if got, want := indent(6, "uri: u\n    sha256: s"), "uri: u\n      sha256: s"; got != want {
		t.Errorf("indent(6) = %q, want %q", got, want)
	}
	if got, want := indent(4, "uri: u\nsha256: s"), "uri: u\n    sha256: s"; got != want {
		t.Errorf("indent(4) = %q, want %q", got, want)
	}
	for tag, want := range map[string]string{"v0.0.2": "0.0.2", "no-version": "no-version"} {
		if got := versionFromTag(tag); got != want {
			t.Errorf("versionFromTag(%q) = %q, want %q", tag, got, want)
		}
	}
}

// TestServe renders for a loopback server, runs a command while it serves
// and passes the command's exit status through; the command downloads one
// archive with the URI and checks it against the rendered sha256.
func TestServe(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("needs sh")
	}
	const tag = "v0.0.0"
	dist, _ := fakeDist(t, tag)
	manifest := filepath.Join(t.TempDir(), "pleg.yaml")
	o := options{template: "../../krew/plugin.yaml", dist: dist, tag: tag, out: manifest, serve: true,
		command: []string{os.Args[0], "-test.run=^TestHelperFetch$"}}
	t.Setenv("KREW_RENDER_HELPER_MANIFEST", manifest)
	code, err := o.run()
	if err != nil || code != 0 {
		t.Fatalf("run = %d, %v; want the helper to fetch and verify the archive", code, err)
	}
	o.command = []string{"sh", "-c", "exit 7"}
	if code, err := o.run(); err != nil || code != 7 {
		t.Errorf("run = %d, %v; want the command's status 7", code, err)
	}
	o.command = nil
	if _, err := o.run(); err == nil {
		t.Error("-serve without a command: want an error")
	}
}

// TestHelperFetch runs inside TestServe's command: it downloads the linux
// amd64 archive from the served URI and compares its sha256.
func TestHelperFetch(t *testing.T) {
	name := os.Getenv("KREW_RENDER_HELPER_MANIFEST")
	if name == "" {
		t.Skip("helper for TestServe")
	}
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	p := m.Spec.Platforms[0]
	if !strings.HasPrefix(p.URI, "http://127.0.0.1:") {
		t.Fatalf("uri %s is not the loopback server", p.URI)
	}
	resp, err := http.Get(p.URI)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	sum := sha256.Sum256(body)
	if resp.StatusCode != http.StatusOK || hex.EncodeToString(sum[:]) != p.Sha256 {
		t.Fatalf("GET %s: %s, sha256 %x, want %s", p.URI, resp.Status, sum, p.Sha256)
	}
}
