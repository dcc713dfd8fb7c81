package paste

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
)

// ControllerEvent is what the node controller concluded about one node at one time.
type ControllerEvent struct {
	// Node is empty when the line names none: master disruption mode is
	// about the whole cluster, and a pod marked not ready names its node
	// only when it is a control-plane mirror pod (see mirrorPodNode).
	Node string
	// Reason is one of the Reason* constants.
	Reason   string
	Message  string    // the line's message, trimmed
	Time     time.Time // zero when the line carries none
	Yearless bool      // the time's year was not in the line (klog)
}

const (
	ReasonNotReady     = "NodeNotReady"      // recorded NodeNotReady, "Node is NotReady", NotReady as of …
	ReasonUnresponsive = "NodeStatusUnknown" // hasn't been updated / unresponsive: the kubelet stopped posting status
	ReasonReady        = "NodeReady"         // recorded NodeReady, healthy again
	ReasonPodsNotReady = "MarkedPodsNotReady"
	ReasonDeleted      = "NodeDeleted"
	ReasonTainted      = "TaintAdded"
)

const (
	// controllerHeadSize is how much of a paste LooksLikeControllerLog reads.
	controllerHeadSize = 64 << 10
	// maxControllerLine bounds one line's memory; a longer line is skipped.
	maxControllerLine = 1 << 20
	// maxControllerEvents bounds what ParseControllerLog keeps: the newest
	// events, the ones closest to the node's state now; maxEventMessage
	// bounds each, so that memory is bounded too.
	maxControllerEvents = 100_000
	maxEventMessage     = 512
	// A conclusion restated within repeatWindow, among the last
	// repeatLookback events, is the same conclusion (see isRepeatedConclusion).
	repeatWindow   = time.Second
	repeatLookback = 64
)

// LooksLikeControllerLog says the start of a paste (first 64 KiB) is a
// controller-manager log that speaks of nodes: a line concludes something
// about a node, and the node controller's lines outnumber the kubelet's (its
// "Recording NodeNotReady event message for node" and "Node became not
// ready" are the kubelet's view of itself, not the control plane's).
func LooksLikeControllerLog(head []byte) bool {
	head = head[:min(len(head), controllerHeadSize)]
	concluded, controller, kubeletLines := 0, 0, 0
	for line := range bytes.Lines(head) {
		for _, rec := range controllerRecords(line) {
			_, _, ok := rec.conclusion()
			switch {
			case strings.HasPrefix(rec.file, "kubelet") || kubeletNodePhrase.MatchString(rec.text):
				kubeletLines++
			case ok:
				concluded++
				controller++
			case nodeControllerFiles[rec.file]:
				controller++
			}
		}
	}
	return concluded > 0 && controller > kubeletLines
}

// ParseControllerLog reads every node event in r, in the order written; ref
// is the capture time for yearless klog times: such a time takes the year that
// puts it at or before ref. The zero ref means the capture time is unknown,
// and the current time stands in for it: a yearless time falls in the year
// before now.
//
// A line longer than 1 MiB is skipped; only the newest 100,000 events are
// kept. A conclusion the controller writes several times at once is kept once
// (see isRepeatedConclusion). The error is r's own; the events read before it come too.
func ParseControllerLog(r io.Reader, ref time.Time) ([]ControllerEvent, error) {
	if ref.IsZero() {
		ref = time.Now()
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxControllerLine)
	sc.Split(linesSkippingLong())
	var events []ControllerEvent
	for sc.Scan() {
		for _, rec := range controllerRecords(sc.Bytes()) {
			node, reason, ok := rec.conclusion()
			if !ok {
				continue
			}
			// Cut at a byte: ToValidUTF8 drops a rune the cut split.
			e := ControllerEvent{Node: node, Reason: reason, Message: strings.ToValidUTF8(rec.message[:min(len(rec.message), maxEventMessage)], "")}
			e.Time, e.Yearless = rec.when(ref)
			if isRepeatedConclusion(events, e) {
				continue
			}
			if events = append(events, e); len(events) == 2*maxControllerEvents {
				events = append(events[:0], events[maxControllerEvents:]...)
			}
		}
	}
	return events[max(0, len(events)-maxControllerEvents):], sc.Err()
}

// linesSkippingLong splits like bufio.ScanLines but drops a line longer than
// maxControllerLine instead of failing the scan: a paste may hold a binary
// blob or a megabyte of flattened text, and the lines after it still count.
func linesSkippingLong() bufio.SplitFunc {
	skipping := false
	return func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			if skipping { // the end of a long line
				skipping = false
				return i + 1, nil, nil
			}
			return i + 1, data[:i], nil
		}
		if len(data) >= maxControllerLine || atEOF && skipping {
			skipping = !atEOF
			return len(data), nil, nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	}
}

// isRepeatedConclusion says e restates a conclusion kept within a second before it: the
// controller writes "hasn't been updated" once per node condition, and its
// event broadcaster echoes every status change it records ("Event(…)").
func isRepeatedConclusion(events []ControllerEvent, e ControllerEvent) bool {
	for i := len(events) - 1; i >= max(0, len(events)-repeatLookback); i-- {
		p := events[i]
		if p.Node == e.Node && p.Reason == e.Reason && e.Time.Sub(p.Time).Abs() <= repeatWindow {
			return true
		}
	}
	return false
}

// controllerRecord is one log entry cut from a pasted line.
type controllerRecord struct {
	file    string // klog's source file ("node_lifecycle_controller.go"), "" when unknown
	text    string // what the rules read: the printf message, or a structured entry's msg
	message string // the entry as written after its header, for ControllerEvent.Message
	// value is the structured value under a key ("node"), "" when absent.
	value func(key string) string
	// line is the whole pasted line (first entry only), entry the entry:
	// kubelet.LineTime reads the outermost time from them, in that order.
	line, entry []byte
	// stamp is the time docker's json-file wrapper gives the line; it is
	// the outermost time, and has a year.
	stamp time.Time
}

func noLogValues(string) string { return "" }

// when is the record's time, zero when the line carries none.
func (rec controllerRecord) when(ref time.Time) (time.Time, bool) {
	if !rec.stamp.IsZero() {
		return rec.stamp, false
	}
	for _, b := range [][]byte{rec.line, rec.entry} {
		if t, yearless, ok := kubelet.LineTime(b, ref); ok {
			return t, yearless
		}
	}
	return time.Time{}, false
}

var (
	// klogEntryHeader is "I0418 10:05:12.123456   1 file.go:123] "; a paste
	// may collapse its spaces, and crictl output may lack the "]".
	klogEntryHeader = regexp.MustCompile(`^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6}\s+\d+ ([\w.-]+\.go):\d+\]?`)

	// kubeletNodePhrase is the kubelet's wording for its own node's status.
	kubeletNodePhrase = regexp.MustCompile(`^(?:Recording \w+ event message for node |Node became not ready)`)

	// nodeControllerFiles wrote the node controller's lines, 1.1 to 1.34.
	nodeControllerFiles = map[string]bool{
		"nodecontroller.go": true, "node_controller.go": true, "node_lifecycle_controller.go": true,
		"controller_utils.go": true, "taint_manager.go": true, "taint_eviction.go": true,
	}
)

// controllerRecords cuts a pasted line into log entries: a docker json-file
// wrapper is opened first, then klog entries are found by their headers; a
// line with none is a JSON log entry or, failing that, a bare message.
func controllerRecords(line []byte) []controllerRecord {
	line = bytes.TrimSpace(line)
	if i := bytes.Index(line, []byte(`{"log":`)); i >= 0 {
		var wrapper struct {
			Log  *string
			Time string
		}
		if json.NewDecoder(bytes.NewReader(line[i:])).Decode(&wrapper) == nil && wrapper.Log != nil {
			recs := textLogRecords(bytes.TrimSpace([]byte(*wrapper.Log)))
			// Keep to the years a report can print, as kubelet.LineTime does.
			if t, err := time.Parse(time.RFC3339Nano, wrapper.Time); err == nil && t.UTC().Year() >= 1 {
				for k := range recs {
					recs[k].stamp = t.UTC()
				}
			}
			return recs
		}
	}
	return textLogRecords(line)
}

func textLogRecords(line []byte) []controllerRecord {
	heads := klogHeaders(line)
	if len(heads) == 0 {
		if rec, ok := jsonLogRecord(line); ok {
			return []controllerRecord{rec}
		}
		return []controllerRecord{{text: string(line), message: string(line), value: noLogValues, line: line}}
	}
	recs := make([]controllerRecord, 0, len(heads))
	for k, h := range heads {
		end := len(line)
		if k+1 < len(heads) {
			end = heads[k+1][0]
		}
		rec := klogRecord(string(bytes.TrimSpace(line[h[1]:end])))
		rec.file, rec.entry = string(line[h[2]:h[3]]), line[h[0]:end]
		if k == 0 {
			rec.line = line
		}
		recs = append(recs, rec)
	}
	return recs
}

// klogHeaders finds klog headers anywhere in a line: after journald's or
// kubectl's prefixes, and several in one line when a paste lost its
// newlines. The anchored regexp is tried only where a level letter has a
// space five bytes on, over no more than a header's length (160 bytes):
// an unanchored search costs three times more.
func klogHeaders(line []byte) (heads [][]int) {
	for i := 0; i+5 < len(line); i++ {
		if line[i+5] != ' ' || !strings.ContainsRune("IWEF", rune(line[i])) {
			continue
		}
		if m := klogEntryHeader.FindSubmatchIndex(line[i:min(len(line), i+160)]); m != nil {
			for k := range m {
				m[k] += i
			}
			heads = append(heads, m)
			i = m[1] - 1
		}
	}
	return heads
}

// klogRecord reads a klog message: printf text, or a structured entry
// (`"Node is NotReady" node="worker-1" …`) whose quoted msg the rules read.
func klogRecord(msg string) controllerRecord {
	rec := controllerRecord{text: msg, message: msg, value: noLogValues}
	if quoted, err := strconv.QuotedPrefix(msg); err == nil {
		rec.text, _ = strconv.Unquote(quoted)
		pairs := msg[len(quoted):]
		rec.value = func(key string) string { return klogValue(pairs, key) }
	}
	return rec
}

// klogValue reads ` key="quoted"` or ` key=bare` from klog's key/value pairs.
// Other values may hold spaces ("taint=[&Taint{…TimeAdded:2023-04-18
// 10:05:12 +0000 UTC,}]"), so the key is searched for, not tokenised.
func klogValue(pairs, key string) string {
	i := strings.Index(pairs, " "+key+"=")
	if i < 0 {
		return ""
	}
	v := pairs[i+len(key)+2:]
	if quoted, err := strconv.QuotedPrefix(v); err == nil {
		s, _ := strconv.Unquote(quoted)
		return s
	}
	v, _, _ = strings.Cut(v, " ")
	return v
}

// jsonLogRecord reads a JSON log entry ({"ts":…,"caller":…,"msg":…,"node":…}),
// alone or after a prefix such as journald's.
func jsonLogRecord(line []byte) (controllerRecord, bool) {
	i := bytes.Index(line, []byte(`{"`))
	if i < 0 {
		return controllerRecord{}, false
	}
	var fields map[string]json.RawMessage
	var msg string
	if json.NewDecoder(bytes.NewReader(line[i:])).Decode(&fields) != nil || json.Unmarshal(fields["msg"], &msg) != nil {
		return controllerRecord{}, false
	}
	file, _, _ := strings.Cut(path.Base(jsonLogValue(fields["caller"])), ":")
	return controllerRecord{
		file: file, text: msg, message: msg, line: line, entry: line[i:],
		value: func(key string) string { return jsonLogValue(fields[key]) },
	}, true
}

// jsonLogValue reads a JSON log value: a string; an object reference as klog.KObj
// writes it ({"name":…,"namespace":…}) as "namespace/name"; else its JSON text.
func jsonLogValue(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var ref struct{ Name, Namespace string }
	if json.Unmarshal(raw, &ref) == nil && ref.Name != "" {
		return path.Join(ref.Namespace, ref.Name)
	}
	return string(raw)
}

// nodeNamePattern is a node name as the rules capture it: an RFC 1123
// subdomain, upper case allowed, so that a sentence's full stop is left out.
const nodeNamePattern = `[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?`

var nodeNameExact = regexp.MustCompile(`^` + nodeNamePattern + `$`)

// isNodeName says s can name a node: nodeNamePattern, at most 253 bytes.
func isNodeName(s string) bool { return len(s) <= 253 && nodeNameExact.MatchString(s) }

// conclusionRule turns one of the node controller's messages into a conclusion.
// The node is the "node" group, else the structured "node" value, or none
// for a cluster rule; the reason is fixed, or else read by nodeStatusReason from
// the "status" group or else the structured value under statusKey.
type conclusionRule struct {
	re        *regexp.Regexp
	reason    string
	statusKey string
	cluster   bool
}

func conclusionPattern(p string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(p, "NAME", nodeNamePattern))
}

// conclusionRules hold the wording of 1.1 to 1.34: printf messages name the node in
// the text, structured ones (1.21 on) in a value, hence the optional groups.
var conclusionRules = []conclusionRule{
	// RecordNodeStatusChange (controller_utils.go, nodecontroller.go).
	{re: conclusionPattern(`^Recording status change (?:(?P<status>\w+) )?event message for node(?: (?P<node>NAME))?`), statusKey: "status"},
	// The kubelet stopped posting status, or never did: one line per condition.
	{re: conclusionPattern(`(?i)^node (?:(?P<node>NAME) )?hasn't been updated`), reason: ReasonUnresponsive},
	{re: conclusionPattern(`(?i)^(?:(?:out of disk )?condition (?:\w+ )?of )?node (?:(?P<node>NAME) )?(?:is|was) never updated by kubelet`), reason: ReasonUnresponsive},
	// monitorNodeHealth queueing the node for taints or its pods for eviction.
	{re: conclusionPattern(`^Node (?P<node>NAME) is unresponsive as of `), reason: ReasonUnresponsive},
	{re: conclusionPattern(`^Node is unresponsive(?:\. Adding Pods on Node (?P<node>NAME) to eviction queue)?`), reason: ReasonUnresponsive},
	{re: conclusionPattern(`^Node (?P<node>NAME) is NotReady as of `), reason: ReasonNotReady},
	{re: conclusionPattern(`^Node is NotReady(?:\. Adding Pods on Node (?P<node>NAME) to eviction queue)?`), reason: ReasonNotReady},
	{re: conclusionPattern(`^Node (?:(?P<node>NAME) )?is (?:healthy|ready) again`), reason: ReasonReady},
	{re: conclusionPattern(`^Node (?:(?P<node>NAME) )?was in a taint queue, but it's ready now`), reason: ReasonReady},
	// The Ready condition the kubelet posts changed (V(3)); the new one is last.
	{re: conclusionPattern(`^ReadyCondition for Node (?:(?P<node>NAME) )?transitioned from (?P<status>.*)`), statusKey: "currentReadyCondition"},
	{re: conclusionPattern(`^Update ready status of pods on node(?: \[(?P<node>NAME)\])?$`), reason: ReasonPodsNotReady},
	{re: conclusionPattern(`(?i)^deleting node (?:\(no longer present in cloud provider\)|since it is no longer present in cloud provider)(?:: (?P<node>NAME))?`), reason: ReasonDeleted},
	{re: conclusionPattern(`^(?:Node)?Controller observed a Node deletion(?:: (?P<node>NAME))?`), reason: ReasonDeleted},
	{re: conclusionPattern(`^Added (?:taint to node$|.* Taint to Node (?P<node>NAME))`), reason: ReasonTainted},
	// Master disruption mode: every zone fully disrupted (no node Ready), or not any more.
	{re: conclusionPattern(`^(?:Node)?Controller detected that all Nodes are not-Ready`), reason: ReasonNotReady, cluster: true},
	{re: conclusionPattern(`^(?:Node)?Controller detected that some Nodes are Ready`), reason: ReasonReady, cluster: true},
}

// nodeStatusReasons reads the words the controller uses for a node's new state:
// a recorded status change, a node event's reason, a Ready condition's status.
var nodeStatusReasons = map[string]string{
	"NodeNotReady": ReasonNotReady, "NodeReady": ReasonReady,
	"RemovingNode": ReasonDeleted, "DeletingNode": ReasonDeleted,
	"False": ReasonNotReady, "True": ReasonReady, "Unknown": ReasonUnresponsive,
}

// readyConditionStatus finds a condition's status as %v, %+v or JSON print it.
var readyConditionStatus = regexp.MustCompile(`(?:Status:|"status":"|\{Ready )(True|False|Unknown)\b`)

// nodeStatusReason reads a status word, or the last condition status in a
// printed condition ("from Unknown to &{Ready True …}": the new one).
func nodeStatusReason(s string) string {
	if reason, ok := nodeStatusReasons[s]; ok {
		return reason
	}
	if m := readyConditionStatus.FindAllStringSubmatch(s, -1); m != nil {
		return nodeStatusReasons[m[len(m)-1][1]]
	}
	return ""
}

// conclusion is what the record says the controller concluded about a node.
func (rec controllerRecord) conclusion() (node, reason string, ok bool) {
	if !strings.Contains(rec.text, "ode") { // every rule's text says "node"
		return rec.eventConclusion()
	}
	for _, r := range conclusionRules {
		m := r.re.FindStringSubmatch(rec.text)
		if m == nil {
			continue
		}
		if r.cluster {
			return "", r.reason, true
		}
		node, reason = rec.value("node"), r.reason
		if i := r.re.SubexpIndex("node"); i > 0 && m[i] != "" {
			node = m[i]
		}
		if i := r.re.SubexpIndex("status"); reason == "" && i > 0 {
			reason = nodeStatusReason(m[i])
		}
		if reason == "" && r.statusKey != "" {
			reason = nodeStatusReason(rec.value(r.statusKey))
		}
		return node, reason, reason != "" && isNodeName(node)
	}
	return rec.eventConclusion()
}

// printfEventLine is the event broadcaster's line before 1.20: Event(v1.ObjectReference{…}): type: 'Normal' reason: 'NodeNotReady' …
var printfEventLine = regexp.MustCompile(`^Event\(\w+\.ObjectReference\{Kind:"(\w+)", Namespace:"([^"]*)", Name:"([^"]*)".*\): type: '\w+' reason: '(\w+)'`)

// eventConclusion reads the event broadcaster's echo of an event the
// controller recorded: a node's status change (a repeat of the line that
// recorded it, when that is pasted too), or a pod marked not ready because
// its node is ("NodeNotReady" on a Pod, MarkPodsNotReady).
func (rec controllerRecord) eventConclusion() (node, reason string, ok bool) {
	var kind, object, why string
	if m := printfEventLine.FindStringSubmatch(rec.text); m != nil {
		kind, object, why = m[1], path.Join(m[2], m[3]), m[4]
	} else if rec.text == "Event occurred" {
		kind, object, why = rec.value("kind"), rec.value("object"), rec.value("reason")
	}
	switch {
	case kind == "Node" && nodeStatusReasons[why] != "" && isNodeName(object):
		return object, nodeStatusReasons[why], true
	case kind == "Pod" && why == "NodeNotReady":
		return mirrorPodNode(object), ReasonPodsNotReady, true
	}
	return "", "", false
}

// mirrorPodNode is the node of a control-plane static pod: kubeadm, kind and
// minikube name its mirror pod "<component>-<node>" in kube-system. Other
// pods do not say where they run.
func mirrorPodNode(pod string) string {
	name, ok := strings.CutPrefix(pod, "kube-system/")
	if !ok {
		return ""
	}
	for _, component := range []string{"etcd-", "kube-apiserver-", "kube-controller-manager-", "kube-scheduler-"} {
		if node, ok := strings.CutPrefix(name, component); ok && isNodeName(node) {
			return node
		}
	}
	return ""
}
