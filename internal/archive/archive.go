// Package archive walks a support archive's tree — an OpenShift/OKD
// must-gather, a sosreport, `kind export logs`, or any directory of files —
// and says which files to read, for which node, and what the layout is known
// to leave out. It reads paths and a few small marker files only; what each
// file holds is told later, by its content (internal/offline).
package archive

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Layout names the kind of tree.
type Layout string

// The layouts the walker knows; any other tree is Plain.
const (
	MustGather Layout = "must-gather"
	SOSReport  Layout = "sosreport"
	KindLogs   Layout = "kind export logs"
	Plain      Layout = "directory"
)

// File is one file to read.
type File struct {
	// Path is the file's path on disk; Rel its path inside the tree, the
	// name reports use.
	Path, Rel string
	// Node is the node the layout says the file belongs to, "" when the
	// path does not say (cluster-wide files, or a plain directory).
	Node string
	// ByHost says the file interleaves several nodes' journals, each line
	// naming its host (a must-gather's host_service_logs): it is read per
	// host, not as one node's.
	ByHost bool
}

// Tree is what a walk found.
type Tree struct {
	Layout Layout
	Files  []File
	// Missing says, per node, what the layout left out of this archive and
	// why: the node a must-gather skipped is often the one in trouble.
	Missing map[string]string
	// Notes are what the layout leaves out for every node (a must-gather
	// holds control-plane kubelet journals only, by default).
	Notes []string
	// Skipped counts files the layout says hold nothing of a node's health
	// (etcd's logs, pod logs, sosreport's thousand other commands).
	Skipped int
}

// maxFiles bounds how many files one tree may offer for reading: a
// must-gather of a large cluster holds tens of thousands, of which the
// ones kept here are a few per node.
const maxFiles = 20_000

// Walk reads the tree at root. Symbolic links and hidden files are not
// followed; unreadable directories fail the walk.
func Walk(root string) (*Tree, error) {
	t := &Tree{Layout: layoutOf(root), Missing: map[string]string{}}
	host := ""
	if t.Layout == SOSReport {
		host = sosHostname(root)
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		node, keep := t.place(rel, host)
		if !keep {
			t.Skipped++
			return nil
		}
		if len(t.Files) >= maxFiles {
			return fmt.Errorf("more than %d files to read in %s: give the node's own directory", maxFiles, root)
		}
		t.Files = append(t.Files, File{Path: p, Rel: rel, Node: node, ByHost: t.Layout == MustGather && strings.HasPrefix(rel, "host_service_logs/")})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if t.Layout == MustGather {
		t.mustGatherGaps(root)
	}
	return t, nil
}

// layoutOf tells the layout by the marker files and directories each tool
// writes at its top.
func layoutOf(root string) Layout {
	has := func(rel string) bool {
		_, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
		return err == nil
	}
	switch {
	case has("cluster-scoped-resources") || has("namespaces") || has("host_service_logs") || has("nodes/skipped_nodes.txt"):
		return MustGather
	case has("sos_commands"):
		return SOSReport
	case has("kind-version.txt"):
		return KindLogs
	}
	return Plain
}

// place says which node a file belongs to and whether it is worth reading.
func (t *Tree) place(rel, sosHost string) (node string, keep bool) {
	switch t.Layout {
	case MustGather:
		return mustGatherPlace(rel)
	case SOSReport:
		return sosHost, sosKeep(rel)
	case KindLogs:
		return kindPlace(rel)
	}
	return "", true
}

// mustGatherPlace keeps the files of a must-gather that speak of nodes:
// Node objects, events and pods, the control plane's service journals,
// and the per-node data under nodes/NODE/.
func mustGatherPlace(rel string) (string, bool) {
	parts := strings.Split(rel, "/")
	switch {
	case len(parts) >= 3 && parts[0] == "cluster-scoped-resources" && parts[1] == "core" && parts[2] == "nodes":
		return "", true
	case len(parts) == 4 && parts[0] == "namespaces" && parts[2] == "core" && (parts[3] == "events.yaml" || parts[3] == "pods.yaml"):
		return "", true
	case parts[0] == "host_service_logs":
		return "", true // every control-plane node's journal in one file (File.ByHost)
	case len(parts) >= 3 && parts[0] == "nodes":
		// nodes/NODE/NODE_logs_kubelet(.gz), dmesg, …: the gather pod's view
		// of its own node.
		return parts[1], true
	}
	return "", false
}

// sosKeep keeps the sosreport files that speak of the node's kubelet,
// runtime and kernel.
func sosKeep(rel string) bool {
	switch {
	case strings.HasPrefix(rel, "sos_commands/kubernetes/"),
		strings.HasPrefix(rel, "sos_commands/crio/"),
		strings.HasPrefix(rel, "sos_commands/containerd/"),
		strings.HasPrefix(rel, "sos_commands/docker/"),
		strings.HasPrefix(rel, "sos_commands/openshift/"):
		return true
	case rel == "sos_commands/kernel/dmesg",
		strings.HasPrefix(rel, "sos_commands/logs/journalctl_"),
		strings.HasPrefix(rel, "sos_commands/systemd/systemctl_status"),
		rel == "var/log/messages", rel == "var/log/syslog", rel == "var/log/kubelet.log":
		return true
	}
	return false
}

// kindPlace keeps what `kind export logs` writes per node container:
// NODE/kubelet.log, containerd.log, journal.log, serial.log (its console).
func kindPlace(rel string) (string, bool) {
	dir, file := path.Split(rel)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" || strings.Contains(dir, "/") {
		return "", false // kind-version.txt, docker-info.txt, pods/ and containers/ logs
	}
	switch file {
	case "kubelet.log", "containerd.log", "journal.log", "serial.log":
		return dir, true
	}
	return "", false
}

// sosHostname is the host a sosreport was taken on, from the files it
// writes the name to; "" when none does.
func sosHostname(root string) string {
	for _, rel := range []string{"hostname", "sos_commands/general/hostname", "sos_commands/host/hostname", "etc/hostname"} {
		if b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel))); err == nil {
			if name := strings.TrimSpace(string(b)); name != "" && !strings.ContainsAny(name, " \n") && len(name) < 254 {
				return name
			}
		}
	}
	return ""
}

// mustGatherGaps says what a must-gather leaves out: the nodes its gather
// DaemonSet skipped (it cannot run on a NotReady node), and workers'
// journals, which it collects only when asked.
func (t *Tree) mustGatherGaps(root string) {
	if f, err := os.Open(filepath.Join(root, "nodes", "skipped_nodes.txt")); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if name := strings.TrimSpace(sc.Text()); name != "" && !strings.ContainsAny(name, " \t") {
				t.Missing[name] = "the must-gather skipped this node (nodes/skipped_nodes.txt): its gather pod could not run there, as happens on a NotReady node, so its kubelet log and kernel messages are not in the archive; read them on the node (journalctl -u kubelet; dmesg -T) or with oc adm node-logs " + name + " -u kubelet"
			}
		}
		f.Close()
	}
	if _, err := os.Stat(filepath.Join(root, "host_service_logs", "masters")); err == nil {
		if _, err := os.Stat(filepath.Join(root, "host_service_logs", "workers")); err != nil {
			t.Notes = append(t.Notes, "this must-gather holds the kubelet and runtime journals of control-plane nodes only (host_service_logs/masters); a worker's are read with oc adm node-logs NODE -u kubelet")
		}
	}
}

// Nodes are the nodes the tree's paths name, sorted.
func (t *Tree) Nodes() []string {
	seen := map[string]bool{}
	for _, f := range t.Files {
		if f.Node != "" {
			seen[f.Node] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
