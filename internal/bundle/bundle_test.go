package bundle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

func writeManifest(t *testing.T, dir string, m Manifest) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), b, FileMode); err != nil {
		t.Fatal(err)
	}
}

func manifest(files map[snapshot.SourceName]string) Manifest {
	return Manifest{APIVersion: APIVersion, Kind: Kind, Node: "worker-3", Since: "1h",
		CollectedAt: time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC), Files: files}
}

// A manifest cannot send the reader out of the bundle: every file it names
// must be its source's own file, and a regular file, not a link.
func TestReadManifestRefusesWhatLeavesTheBundle(t *testing.T) {
	dir := t.TempDir()
	writeManifest(t, dir, manifest(map[snapshot.SourceName]string{snapshot.SourceKubeletLog: "../../etc/passwd"}))
	if _, err := ReadManifest(dir); err == nil || !strings.Contains(err.Error(), `"../../etc/passwd", which is not its file`) {
		t.Errorf("traversal in the manifest: err = %v", err)
	}

	os.Symlink("/etc/passwd", filepath.Join(dir, "kubelet.log"))
	writeManifest(t, dir, manifest(map[snapshot.SourceName]string{snapshot.SourceKubeletLog: "kubelet.log"}))
	if _, err := ReadManifest(dir); err == nil || !strings.Contains(err.Error(), "kubelet.log is not a regular file") {
		t.Errorf("a link as a bundle file: err = %v", err)
	}

	if _, err := ReadManifest(t.TempDir()); err != ErrNoManifest {
		t.Errorf("no manifest: err = %v, want ErrNoManifest", err)
	}
}

// What collect writes, Archive packs and Extract unpacks reads back the
// same: the manifest round trips through the archive.
func TestManifestRoundTripsThroughTheArchive(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "node.json"), []byte(`{"kind":"Node"}`), FileMode); err != nil {
		t.Fatal(err)
	}
	want := manifest(map[snapshot.SourceName]string{snapshot.SourceNode: "node.json"})
	want.Sources = []snapshot.Source{{Name: snapshot.SourceNode, Status: snapshot.StatusOK, Detail: "kubectl get node worker-3", ElapsedMillis: 12}}
	writeManifest(t, src, want)
	archive := filepath.Join(t.TempDir(), "pleg-worker-3.tar.gz")
	if err := Archive(src, archive, filepath.Base(archive)); err != nil {
		t.Fatal(err)
	}
	dir, cleanup, err := Extract(archive, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	root := Root(dir)
	if filepath.Base(root) != "pleg-worker-3" {
		t.Errorf("the archive's top directory is %s, want pleg-worker-3", filepath.Base(root))
	}
	got, err := ReadManifest(root)
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Errorf("manifest after the round trip:\n%s\nwant\n%s", gb, wb)
	}
}

// A manifest from another version of the plugin: fields it does not know
// are ignored, and the ones it knows are read; another kind is refused.
func TestReadManifestAcrossVersions(t *testing.T) {
	dir := t.TempDir()
	newer := `{"apiVersion":"pleg.kubectl.io/v1beta1","kind":"Bundle","pluginVersion":"v9.0.0","node":"worker-3",
"collectedAt":"2026-11-27T08:30:00Z","since":"1h","maxLogBytes":1024,"fromTheFuture":true,"sources":[],"files":{}}`
	os.WriteFile(filepath.Join(dir, ManifestFile), []byte(newer), FileMode)
	m, err := ReadManifest(dir)
	if err != nil || m.Node != "worker-3" || m.MaxLogBytes != 1024 {
		t.Errorf("a newer manifest: %+v, %v", m, err)
	}
	older := `{"apiVersion":"pleg.kubectl.io/v1alpha1","kind":"Bundle","node":"worker-3","collectedAt":"2026-11-27T08:30:00Z","since":"1h","sources":[],"files":{}}`
	os.WriteFile(filepath.Join(dir, ManifestFile), []byte(older), FileMode)
	if m, err := ReadManifest(dir); err != nil || m.MaxLogBytes != 0 {
		t.Errorf("an older manifest without maxLogBytes: %+v, %v", m, err)
	}
	os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"kind":"ConfigMap"}`), FileMode)
	if _, err := ReadManifest(dir); err == nil {
		t.Error("a manifest of another kind was read")
	}
}
