package offline

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
)

// Whatever a person pastes, offline diagnosis answers with snapshots or an
// error that names the file — never a panic — and every snapshot diagnoses.
func FuzzFromFiles(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "test", "corpus", "artifacts", "*"))
	for i, p := range seeds {
		if i%8 != 0 { // a spread of every kind, not all 162
			continue
		}
		if b, err := os.ReadFile(p); err == nil && len(b) < 16<<10 {
			f.Add(b)
		}
	}
	// Compressed logs and archives: what is inside is read, whatever it is.
	packed, _ := filepath.Glob(filepath.Join("..", "..", "test", "corpus", "artifacts", "gz-*"))
	for _, p := range packed {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"kind":"Node","metadata":{"name":"w"},"status":{"conditions":[{"type":"Ready","status":"Fa`))
	f.Add([]byte("  Ready  False  Mon, 03 Jun 2019 13:54:18 +0000  Sun, 02 Jun 2019 21:39:37 +0000  KubeletNotReady  PLEG is not healthy\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		snaps, err := FromFiles([]Input{{Name: "paste", R: bytes.NewReader(data)}}, "", far)
		if len(snaps) == 0 && err == nil {
			t.Fatal("no snapshot and no error")
		}
		for _, s := range snaps {
			diagnose.Diagnose(s)
		}
	})
}
