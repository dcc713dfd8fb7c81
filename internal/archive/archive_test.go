package archive

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tree writes files (path → content) under a new directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// kept is each kept file as "rel@node".
func kept(tr *Tree) []string {
	var out []string
	for _, f := range tr.Files {
		out = append(out, f.Rel+"@"+f.Node)
	}
	slices.Sort(out)
	return out
}

func TestWalkMustGather(t *testing.T) {
	root := tree(t, map[string]string{
		"cluster-scoped-resources/core/nodes/worker-1.yaml":                "kind: Node",
		"namespaces/openshift-etcd/core/events.yaml":                       "kind: EventList",
		"namespaces/openshift-etcd/core/configmaps.yaml":                   "kind: ConfigMapList",
		"namespaces/openshift-etcd/pods/etcd-0/etcd/etcd/logs/current.log": "etcd",
		"host_service_logs/masters/kubelet_service.log":                    "journal",
		"nodes/master-0/master-0_logs_kubelet.gz":                          "gz",
		"nodes/skipped_nodes.txt":                                          "worker-1\n\n",
		"timestamp":                                                        "now",
		"quay-io-image/.hidden/secret":                                     "x",
	})
	tr, err := Walk(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"cluster-scoped-resources/core/nodes/worker-1.yaml@",
		"host_service_logs/masters/kubelet_service.log@",
		"namespaces/openshift-etcd/core/events.yaml@",
		"nodes/master-0/master-0_logs_kubelet.gz@master-0",
	}
	for _, f := range tr.Files {
		if f.ByHost != strings.HasPrefix(f.Rel, "host_service_logs/") {
			t.Errorf("%s: ByHost %v; only host_service_logs interleave several hosts", f.Rel, f.ByHost)
		}
	}
	if tr.Layout != MustGather || !slices.Equal(kept(tr), want) {
		t.Errorf("layout %s, kept %q\nwant %q", tr.Layout, kept(tr), want)
	}
	if tr.Skipped != 4 { // configmaps, etcd's log, skipped_nodes.txt itself, timestamp
		t.Errorf("skipped %d, want 4", tr.Skipped)
	}
	if why := tr.Missing["worker-1"]; !strings.Contains(why, "skipped_nodes.txt") || len(tr.Missing) != 1 {
		t.Errorf("missing %v, want worker-1 named with why", tr.Missing)
	}
	if len(tr.Notes) != 1 || !strings.Contains(tr.Notes[0], "control-plane nodes only") {
		t.Errorf("notes %q, want the workers' journals said missing", tr.Notes)
	}
	if got := tr.Nodes(); !slices.Equal(got, []string{"master-0"}) {
		t.Errorf("nodes %v", got)
	}
}

func TestWalkSOSReport(t *testing.T) {
	root := tree(t, map[string]string{
		"sos_commands/crio/crictl_ps_-a":                         "CONTAINER",
		"sos_commands/kernel/dmesg":                              "[0.0] x",
		"sos_commands/kernel/lsmod":                              "mods",
		"sos_commands/logs/journalctl_--no-pager_--unit_kubelet": "log",
		"var/log/messages":                                       "log",
		"etc/hostname":                                           "worker-7.example.com\n",
	})
	tr, err := Walk(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"sos_commands/crio/crictl_ps_-a@worker-7.example.com",
		"sos_commands/kernel/dmesg@worker-7.example.com",
		"sos_commands/logs/journalctl_--no-pager_--unit_kubelet@worker-7.example.com",
		"var/log/messages@worker-7.example.com",
	}
	if tr.Layout != SOSReport || !slices.Equal(kept(tr), want) {
		t.Errorf("layout %s, kept %q\nwant %q", tr.Layout, kept(tr), want)
	}
}

func TestWalkKindLogs(t *testing.T) {
	root := tree(t, map[string]string{
		"kind-version.txt":                            "kind v0.23.0",
		"docker-info.txt":                             "info",
		"c1-control-plane/kubelet.log":                "log",
		"c1-control-plane/containerd.log":             "log",
		"c1-control-plane/pods/kube-system_x/c/0.log": "log",
		"c1-worker/journal.log":                       "log",
		"c1-worker/inspect.json":                      "{}",
	})
	tr, err := Walk(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"c1-control-plane/containerd.log@c1-control-plane", "c1-control-plane/kubelet.log@c1-control-plane", "c1-worker/journal.log@c1-worker"}
	if tr.Layout != KindLogs || !slices.Equal(kept(tr), want) {
		t.Errorf("layout %s, kept %q\nwant %q", tr.Layout, kept(tr), want)
	}
}

// A plain directory is read whole, nested files too, every file for no
// node in particular.
func TestWalkPlain(t *testing.T) {
	root := tree(t, map[string]string{"describe.txt": "Name: x", "logs/kubelet.log": "log", ".git/config": "x"})
	tr, err := Walk(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"describe.txt@", "logs/kubelet.log@"}; tr.Layout != Plain || !slices.Equal(kept(tr), want) {
		t.Errorf("layout %s, kept %q, want %q", tr.Layout, kept(tr), want)
	}
}

// The real trees of the corpus: each layout is told, each kept file named.
func TestWalkCorpusTrees(t *testing.T) {
	dir := "../../test/corpus/artifacts"
	cases := map[string]struct {
		layout Layout
		files  int
	}{
		"tree-mg-rhqe-infd-vrf-418t2-openstack-2nodes-ready":       {MustGather, 2},
		"tree-mg-mgclean-aws-4.8-kubesystem-events-etcd-log":       {MustGather, 1},
		"tree-sos-jds2001-coreos-master1-localhost-crio-etcd-only": {SOSReport, 5},
		"tree-kind-export-rockycookie-mg-cluster-worker3-ready":    {KindLogs, 2},
	}
	for name, want := range cases {
		tr, err := Walk(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if tr.Layout != want.layout || len(tr.Files) != want.files {
			t.Errorf("%s: layout %s with %d files %q, want %s with %d", name, tr.Layout, len(tr.Files), kept(tr), want.layout, want.files)
		}
	}
}
