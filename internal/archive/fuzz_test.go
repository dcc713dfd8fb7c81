package archive

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzWalk walks trees built from the input — lines "path=content", any
// layout's marker files among them — and holds the walk to what callers
// rely on: no panic, every file kept is inside the tree and named by its
// path there, nodes sorted and named.
func FuzzWalk(f *testing.F) {
	for _, seed := range []string{
		"cluster-scoped-resources/core/nodes/worker-1.yaml=kind: Node\nhost_service_logs/masters/kubelet_service.log=journal\nnodes/skipped_nodes.txt=worker-1\n",
		"sos_commands/kubernetes/kubectl_get_nodes=NAME STATUS\nvar/log/messages=Nov 27 kernel: x\nsos_commands/host/hostname=worker-3\n",
		"kind-version.txt=v0.20\nkind-worker/kubelet.log=I1127\nkind-worker/containerd.log=x\n",
		"a/b/c.log=x\nnodes/n/n_logs_kubelet.gz=gz\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		root := t.TempDir()
		made := 0
		for _, line := range strings.Split(spec, "\n") {
			rel, content, _ := strings.Cut(line, "=")
			rel = filepath.Clean("/" + rel)[1:] // no way out of root
			if rel == "" || made >= 64 || strings.ContainsRune(rel, 0) {
				continue
			}
			p := filepath.Join(root, rel)
			if os.MkdirAll(filepath.Dir(p), 0o755) != nil || os.WriteFile(p, []byte(content), 0o644) != nil {
				continue // a path that is a file elsewhere in the spec
			}
			made++
		}
		tr, err := Walk(root)
		if err != nil {
			return
		}
		for _, file := range tr.Files {
			if rel, err := filepath.Rel(root, file.Path); err != nil || strings.HasPrefix(rel, "..") || filepath.ToSlash(rel) != file.Rel {
				t.Errorf("file %q (rel %q) is not the tree's %q", file.Path, file.Rel, rel)
			}
		}
		nodes := tr.Nodes()
		if !slices.IsSorted(nodes) || slices.Contains(nodes, "") {
			t.Errorf("nodes %q: want sorted and named", nodes)
		}
	})
}
