package offline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/bundle"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
)

// fileKind is what a file given to diagnose -f holds, told by its content.
type fileKind int

const (
	kindUnknown  fileKind = iota
	kindObjects           // Kubernetes objects: Node, Pod, Event or lists of them (JSON or YAML)
	kindDescribe          // kubectl describe node text
	kindMetrics           // kubelet /metrics (Prometheus text)
	kindStats             // kubelet /stats/summary JSON
	kindConfigz           // kubelet /configz JSON
	kindHealthz           // kubelet /healthz answer
	kindManifest          // a bundle's manifest.json
	kindLog               // a log; which one is told by kubelet.SniffLog
)

var kindNames = map[fileKind]string{
	kindObjects: "Kubernetes objects", kindDescribe: "kubectl describe node output", kindMetrics: "kubelet metrics",
	kindStats: "kubelet stats summary", kindConfigz: "kubelet configz", kindHealthz: "kubelet healthz",
	kindManifest: "bundle manifest", kindLog: "log",
}

func (k fileKind) String() string { return kindNames[k] }

// expected lists what -f accepts, for error messages.
const expected = "expected a Node, Pods or Events (JSON or YAML, as kubectl get -o json|yaml prints), " +
	"kubectl describe node output, a kubelet/runtime/system log, kubelet /metrics text, /stats/summary or /configz JSON"

// detect tells a file's kind from its first bytes.
func detect(head []byte) (fileKind, kubelet.LogKind, error) {
	trimmed := bytes.TrimSpace(head)
	switch {
	case len(trimmed) == 0:
		return kindUnknown, 0, fmt.Errorf("empty file; %s", expected)
	case bytes.IndexByte(head, 0) >= 0 || !isMostlyText(head):
		return kindUnknown, 0, fmt.Errorf("binary data, not text; %s", expected)
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		if k, ok := detectJSON(trimmed); ok {
			return k, 0, nil
		}
	}
	if kubelet.LooksLikeDescribeNode(head) {
		return kindDescribe, 0, nil
	}
	if lk := kubelet.SniffLog(head); lk != kubelet.NotALog {
		return kindLog, lk, nil
	}
	if looksLikeHealthz(trimmed) {
		return kindHealthz, 0, nil
	}
	if looksLikePrometheus(head) {
		return kindMetrics, 0, nil
	}
	if looksLikeYAMLObjects(head) {
		return kindObjects, 0, nil
	}
	return kindUnknown, 0, fmt.Errorf("unrecognized content; %s", expected)
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
	// A head cut mid-file may not parse as YAML; the two keys still show.
	s := string(head)
	return (strings.HasPrefix(s, "apiVersion:") || strings.Contains(s, "\napiVersion:")) &&
		(strings.HasPrefix(s, "kind:") || strings.Contains(s, "\nkind:"))
}
