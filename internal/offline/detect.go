package offline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-pleg/kubectl-pleg/internal/bundle"
	"github.com/kubectl-pleg/kubectl-pleg/internal/paste"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
)

// fileKind is what a file given to diagnose -f holds, told by its content.
type fileKind int

const (
	kindUnknown       fileKind = iota
	kindObjects                // Kubernetes objects: Node, Pod, Event or lists of them (JSON or YAML)
	kindDescribe               // kubectl describe node text
	kindMetrics                // kubelet /metrics (Prometheus text)
	kindStats                  // kubelet /stats/summary JSON
	kindConfigz                // kubelet /configz JSON
	kindHealthz                // kubelet /healthz answer
	kindManifest               // a bundle's manifest.json
	kindLog                    // a log; which one is told by kubelet.SniffLog
	kindConditions             // node conditions outside any object (YAML or JSON fragments)
	kindUnits                  // systemctl status of the node's units
	kindNodeTable              // kubectl get nodes
	kindListing                // crictl ps, crictl pods, docker ps
	kindControllerLog          // kube-controller-manager's log of nodes
)

var kindNames = map[fileKind]string{
	kindObjects: "Kubernetes objects", kindDescribe: "kubectl describe node output", kindMetrics: "kubelet metrics",
	kindStats: "kubelet stats summary", kindConfigz: "kubelet configz", kindHealthz: "kubelet healthz",
	kindManifest: "bundle manifest", kindLog: "log", kindConditions: "node conditions",
	kindUnits: "systemctl status", kindNodeTable: "kubectl get nodes", kindListing: "runtime listing",
	kindControllerLog: "controller-manager log",
}

func (k fileKind) String() string { return kindNames[k] }

// unreadable is a file read as none of the kinds -f takes; the list of
// what it takes (accepted) is said once, after every such file.
type unreadable string

func (u unreadable) Error() string { return string(u) }

// accepted lists what -f reads, said once after the files it could not.
const accepted = "diagnose -f reads a Node, Pods or Events (JSON or YAML, as kubectl get -o json|yaml prints), " +
	"kubectl describe node output, a kubelet/runtime/system log, kubelet /metrics text, /stats/summary or /configz JSON, " +
	"systemctl status of the kubelet or runtime, kubectl get nodes, crictl ps or pods, docker ps, a kube-controller-manager log"

// detection is what a file holds, told by content.
type detection struct {
	kind fileKind
	log  kubelet.LogKind
	// skip is how many bytes of a pasted command line (and curl's progress
	// meter) come before the content itself.
	skip int
}

// detect tells a file's kind from its first bytes. What people paste often
// starts with the command that printed it: when the start is no kind, the
// content is looked for after such lines.
func detect(head []byte) (detection, error) {
	trimmed := bytes.TrimSpace(head)
	switch {
	case len(trimmed) == 0:
		return detection{}, unreadable("empty file")
	case bytes.IndexByte(head, 0) >= 0 || !isMostlyText(head):
		return detection{}, unreadable("binary data, not text")
	}
	if d, ok := detectFrom(head); ok {
		return d, nil
	}
	for _, start := range contentStarts(head) {
		if d, ok := detectFrom(head[start:]); ok && d.kind != kindLog {
			d.skip = start
			return d, nil
		}
	}
	// kubectl's error, saved in place of the data it failed to get, may
	// follow a command line naming that data (proxy/configz): it is said as
	// the error before a fragment reader takes the command for the data.
	if msg, ok := kubectlError(head); ok {
		return detection{}, fmt.Errorf("kubectl's error, not data: %s (its command failed: run it again, or leave the file out)", msg)
	}
	// Text that no reader knows may still be a piece of a Node (its
	// conditions) or carry the kubelet's words without any timestamps.
	if looksLikeConditions(head) {
		return detection{kind: kindConditions}, nil
	}
	if lk := kubelet.SniffUntimedLog(head); lk != kubelet.NotALog {
		return detection{kind: kindLog, log: lk}, nil
	}
	// A piece of the kubelet's own JSON, cut anywhere, is still told by the
	// keys only it writes.
	if k, ok := kubeletFragment(head); ok {
		return detection{kind: k}, nil
	}
	return detection{}, unreadable("unrecognized content")
}

// kubectlErrorStarts open what kubectl prints instead of data when a get
// fails; saved to a file (as a capture script's 2>&1 does) it is the answer
// to why the data is missing, not a kind of data to read.
var kubectlErrorStarts = []string{"Error from server", "error: ", "Unable to connect to the server", "The connection to the server "}

// kubectlError finds kubectl's error message in the first lines of a file
// (after the command line, when it was pasted too) and returns its first
// line.
func kubectlError(head []byte) (string, bool) {
	for i, line := range strings.SplitN(string(head), "\n", 4) {
		line = strings.TrimSpace(line)
		for _, start := range kubectlErrorStarts {
			if strings.HasPrefix(line, start) {
				return line, true
			}
		}
		if i == 0 && line != "" && !strings.HasPrefix(line, "$") && !strings.HasPrefix(line, "kubectl ") {
			return "", false // text that is not a command line comes before: not kubectl's error
		}
	}
	return "", false
}

// Keys only the kubelet's /stats/summary and /configz write.
var (
	statsKeys = []string{"usageNanoCores", "usageCoreNanoSeconds", "workingSetBytes", "availableBytes",
		"rssBytes", "majorPageFaults", "podRef", "inodesFree", "capacityBytes", "userDefinedMetrics"}
	configzKeys = []string{"kubeletconfig", "syncFrequency", "fileCheckFrequency", "httpCheckFrequency",
		"staticPodPath", "maxPods", "systemReserved", "kubeReserved", "evictionHard", "cgroupDriver",
		"cpuManagerPolicy", "topologyManagerPolicy", "runtimeRequestTimeout", "registryPullQPS", "failSwapOn"}
)

// kubeletFragment tells a piece of /stats/summary or /configz by naming
// two of their keys (a paste that fetched /configz names it in its command).
func kubeletFragment(head []byte) (fileKind, bool) {
	count := func(keys []string) int {
		n := 0
		for _, k := range keys {
			if bytes.Contains(head, []byte(`"`+k+`"`)) || bytes.Contains(head, []byte(k+":")) || bytes.Contains(head, []byte("."+k)) {
				n++
			}
		}
		return n
	}
	stats, configz := count(statsKeys), count(configzKeys)
	if bytes.Contains(head, []byte("proxy/configz")) {
		configz += 2
	}
	switch {
	case configz >= 2 && configz >= stats:
		return kindConfigz, true
	case stats >= 2:
		return kindStats, true
	}
	return kindUnknown, false
}

// detectFrom tells the kind of content that starts at head.
func detectFrom(head []byte) (detection, bool) {
	trimmed := bytes.TrimSpace(head)
	if len(trimmed) == 0 {
		return detection{}, false
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		if k, ok := detectJSON(trimmed); ok {
			if k == kindLog { // JSON logging lines
				return detection{kind: kindLog, log: kubelet.KubeletLog}, true
			}
			return detection{kind: k}, true
		}
	}
	// Pastes of command output come first: a unit's status holds journal
	// lines a log sniffer would take it for.
	switch {
	case paste.LooksLikeUnitStatus(head):
		return detection{kind: kindUnits}, true
	case paste.LooksLikeNodeTable(head):
		return detection{kind: kindNodeTable}, true
	case paste.LooksLikeListing(head):
		return detection{kind: kindListing}, true
	case paste.LooksLikeControllerLog(head):
		return detection{kind: kindControllerLog}, true
	}
	if kubelet.LooksLikeDescribeNode(head) {
		return detection{kind: kindDescribe}, true
	}
	if lk := kubelet.SniffLog(head); lk != kubelet.NotALog {
		return detection{kind: kindLog, log: lk}, true
	}
	if looksLikeHealthz(trimmed) {
		return detection{kind: kindHealthz}, true
	}
	if looksLikePrometheus(head) {
		return detection{kind: kindMetrics}, true
	}
	if looksLikeYAMLObjects(head) {
		return detection{kind: kindObjects}, true
	}
	return detection{}, false
}

// contentStarts are the offsets of the lines after which content may start:
// each of the first few lines that opens JSON, YAML, a health check or
// Prometheus text.
func contentStarts(head []byte) []int {
	var out []int
	off := 0
	for i := 0; i < 20 && off < len(head); i++ {
		line := head[off:]
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line = line[:j+1]
		}
		t := bytes.TrimSpace(line)
		if off > 0 && len(t) > 0 && (t[0] == '{' || t[0] == '[' || t[0] == '#' ||
			bytes.HasPrefix(t, []byte("apiVersion:")) || bytes.HasPrefix(t, []byte("kind:")) || isSample(string(t))) {
			out = append(out, off)
		}
		off += len(line)
	}
	return out
}

// detectJSON looks at the keys of the first JSON object. A file cut short
// still has its first keys, so only the head is decoded, token by token.
func detectJSON(head []byte) (fileKind, bool) {
	dec := json.NewDecoder(bytes.NewReader(head))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return kindUnknown, false
	}
	for depth := 1; depth == 1; {
		tok, err := dec.Token()
		if err != nil {
			return kindUnknown, false
		}
		key, isKey := tok.(string)
		if !isKey {
			return kindUnknown, false
		}
		switch key {
		case "kubeletconfig":
			return kindConfigz, true
		case "items":
			return kindObjects, true
		case "kind":
			var kind string
			if err := dec.Decode(&kind); err != nil {
				return kindUnknown, false
			}
			if kind == bundle.Kind {
				return kindManifest, true
			}
			return kindObjects, true
		case "node", "pods":
			return kindStats, true
		case "metadata":
			return kindObjects, true // an object without kind, told by its shape later
		case "ts", "msg", "caller", "v":
			return kindLog, true
		}
		// Skip this key's value, whatever it is.
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return kindUnknown, false
		}
	}
	return kindUnknown, false
}

func isMostlyText(b []byte) bool {
	ctrl := 0
	for _, c := range b {
		if c < 0x09 || (c > 0x0d && c < 0x20) {
			ctrl++
		}
	}
	return ctrl*100 <= len(b)
}

func looksLikePrometheus(head []byte) bool {
	samples := 0
	for _, line := range strings.Split(string(head), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE "):
			return true
		case strings.HasPrefix(line, "#"):
		case !isSample(line):
			return false
		default:
			if samples++; samples >= 3 {
				return true
			}
		}
	}
	return samples > 0
}

// isSample reports whether line reads as `name{labels} value [timestamp]`.
func isSample(line string) bool {
	name := line
	if i := strings.IndexAny(line, "{ "); i > 0 {
		name = line[:i]
	}
	for i, r := range name {
		if !(r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	rest := line[len(name):]
	if strings.HasPrefix(rest, "{") {
		end := strings.LastIndexByte(rest, '}')
		if end < 0 {
			return false
		}
		rest = rest[end+1:]
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 || len(fields) > 2 {
		return false
	}
	_, err := strconv.ParseFloat(fields[0], 64)
	return err == nil
}

// looksLikeHealthz accepts the kubelet's "ok" and its verbose check list.
func looksLikeHealthz(b []byte) bool {
	if string(b) == "ok" {
		return true
	}
	return bytes.HasPrefix(b, []byte("[+]")) || bytes.HasPrefix(b, []byte("[-]"))
}

func looksLikeYAMLObjects(head []byte) bool {
	doc := head
	if i := bytes.Index(doc, []byte("\n---")); i >= 0 {
		doc = doc[:i]
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &meta); err == nil && meta.Kind != "" {
		return true
	}
	// A head cut mid-file may not parse as YAML; its first key still shows.
	t := bytes.TrimSpace(head)
	return bytes.HasPrefix(t, []byte("apiVersion:")) || bytes.HasPrefix(t, []byte("kind:"))
}
