package kubelet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// DescribedNode is what `kubectl describe node` prints about one node — or
// what a person pasted of it: the whole output, the Conditions block alone, a
// single condition row, the Events table.
type DescribedNode struct {
	// Node holds what the text shows of the object: name, labels, creation time,
	// taints, unschedulable, conditions, addresses, capacity, allocatable, system
	// info, pod CIDRs and provider ID. Times are in UTC. The name is empty for a
	// fragment that does not show it.
	Node *corev1.Node
	// Events is empty for "Events: <none>" and nil when the text has no
	// Events section (cut short before it): no events is not unknown events.
	Events []DescribedEvent
	Pods   []DescribedPod
	// PodsTotal is the "(N in total)" of the Non-terminated Pods section (-1 when absent).
	PodsTotal int
	// CaptureTime is the newest time the text carries (condition heartbeats and
	// transitions, lease renewal): describe output has no clock of its own, and
	// these are the closest thing to "when this was printed". Transitions count
	// because on a Ready=Unknown node the controller stamps the transition while
	// the heartbeat stays at the kubelet's last post; the lease because with node
	// leases the kubelet refreshes the heartbeat only every 5 minutes.
	CaptureTime time.Time
}

// DescribedEvent is one row of the Events table. kubectl prints ages, not
// times, so Last and First are CaptureTime minus those ages (zero when
// CaptureTime or the age is unknown); they are late by up to the gap between
// the newest heartbeat and the moment kubectl ran.
type DescribedEvent struct {
	Type, Reason, From, Message string
	Count                       int32     // from "(x14 over 27h)", 1 when absent
	Last, First                 time.Time // CaptureTime − age; First = CaptureTime − "over" duration when given, else = Last
	// Ago is the row's age as printed — how long before kubectl ran it was
	// last seen — kept for a paste with no time to anchor it to (AgoKnown
	// false when the row has no age).
	Ago      time.Duration
	AgoKnown bool
}

// DescribedPod is one row of the Non-terminated Pods table.
type DescribedPod struct {
	Namespace, Name                                      string
	CPURequests, CPULimits, MemoryRequests, MemoryLimits string // the quantity without the "(1%)" part, e.g. "100m", "0"
}

// describeLineMax bounds the memory one line may take: annotation values are
// the only long lines and they are skipped, so a longer line is cut.
const describeLineMax = 64 << 10

// describeRowsMax bounds the rows kept per table (and labels, taints), so a
// hostile file cannot grow the result without bound.
const describeRowsMax = 20000

// describeNodesMax bounds the nodes of one `kubectl describe nodes` text.
const describeNodesMax = 5000

// sniffDescribeLines is how many lines of a file's start LooksLikeDescribeNode reads.
const sniffDescribeLines = 60

// LooksLikeDescribeNode reports whether the start of a file is describe-node
// text, whole or in part: a "Name:" line followed by a section only nodes
// have, a Conditions table (or one of its rows alone), or an Events table
// (or its rows) with events only nodes get. A described pod, which also
// starts with "Name:", is not a node; a log line is never a table row.
func LooksLikeDescribeNode(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	var named, nodeish bool
	for i := 0; i < sniffDescribeLines && len(head) > 0; i++ {
		line := head
		if j := bytes.IndexByte(head, '\n'); j >= 0 {
			line, head = head[:j], head[j+1:]
		} else {
			head = nil
		}
		s := unquote(strings.TrimRight(string(line), "\r"))
		trimmed := strings.TrimSpace(s)
		if key, val, ok := describeKey(trimmed); ok && key[0] >= 'A' && key[0] <= 'Z' {
			switch low := strings.ToLower(key); {
			case low == "name" && val != "":
				named = true
			case low == "namespace" && named && !nodeish:
				return false // a pod, or another namespaced object
			case describeNodeSections[low] && named:
				nodeish = true
			}
			if nodeish {
				return true
			}
			continue
		}
		cells := describeCells(s)
		if tableKindOf(cells) != "" || headerlessCondition(cells) || headerlessNodeEvent(cells) {
			return true
		}
	}
	return false
}

// ParseDescribeNodes reads `kubectl describe node(s)` text, current
// (space-aligned) or from kubectl 1.2–1.8 (tab-aligned), whole or in the
// pieces people paste: one node per "Name:" line, and a node without a name
// for a fragment before any (the Conditions block or one of its rows, the
// Events table). Shell prompts, "[...]" elisions, e-mail quoting, extra
// indentation and lines cut or wrapped by a terminal are read through. Text
// cut short still gives what it holds; text with nothing of a node in it is
// an error that says what was expected.
func ParseDescribeNodes(r io.Reader) ([]*DescribedNode, error) {
	p := &describeParser{base: -1}
	br := bufio.NewReaderSize(r, 32<<10)
	var (
		lines int
		err   error
	)
	for {
		var line []byte
		line, err = readBoundedLine(br)
		if len(line) > 0 || err == nil {
			lines++
			if bytes.IndexByte(line, 0) >= 0 && len(p.nodes) == 0 {
				return nil, errors.New("not kubectl describe node output: binary data")
			}
			if lines == 1 {
				line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
			}
			if !p.line(unquote(string(bytes.TrimRight(line, "\r\n")))) {
				break
			}
		}
		if err != nil {
			break
		}
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("reading kubectl describe node output: %w", err)
	}
	if p.fail != nil {
		return nil, p.fail
	}
	if lines == 0 {
		return nil, errors.New(`not kubectl describe node output: empty input`)
	}
	var out []*DescribedNode
	var named []string
	for _, n := range p.nodes {
		if n.named {
			named = append(named, n.out.Node.Name)
		}
		if len(n.seen) == 0 || !n.nodeish {
			continue // nothing read, or nothing only a node has (a pod's events)
		}
		n.finish()
		out = append(out, n.out)
	}
	if len(out) == 0 {
		switch {
		case len(named) == 0:
			return nil, errors.New(`not kubectl describe node output: no "Name:" line, Conditions table or node Events in it`)
		case named[0] == "":
			return nil, errors.New(`not kubectl describe node output: the "Name:" line has no name`)
		}
		return nil, fmt.Errorf(`not kubectl describe node output: "Name: %s" is followed by none of the sections a node has (Roles:, Conditions:, Capacity:, System Info:...); the description of another kind of object?`, named[0])
	}
	return out, nil
}

// unquote drops the "> " an e-mail reply or a markdown quote puts in front of
// a pasted line; describe output never starts a line with ">".
func unquote(s string) string {
	if strings.HasPrefix(s, ">") {
		return strings.TrimPrefix(strings.TrimPrefix(s, ">"), " ")
	}
	return s
}

// readBoundedLine returns the next line, cut to describeLineMax bytes.
func readBoundedLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line) < describeLineMax {
			room := describeLineMax - len(line)
			if len(chunk) > room {
				chunk = chunk[:room]
			}
			line = append(line, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, err
	}
}

// describeParser reads the text line by line into one nodeText per node.
type describeParser struct {
	nodes []*nodeText
	// base is the indentation of section lines ("Name:", "Conditions:"),
	// learnt from the first one: a paste indented as a whole keeps its shape.
	base    int
	section string
	// skipping says the open section is one this parser does not read, so
	// its sub-lines are not taken for tables or rows.
	skipping bool
	table    *describeTable
	fail     error
}

// nodeText is what the text shows of one node.
type nodeText struct {
	out *DescribedNode
	// named says the node has a "Name:" line (a fragment may not).
	named bool
	// seen holds the sections that gave at least one value.
	seen map[string]bool
	// ages of the events, resolved once CaptureTime is known.
	ages []eventAges
	// lease renewal, one more lower bound of the print time.
	renew time.Time
	// nodeish is set by a section only node descriptions have: a described
	// namespace or volume also has Name, Labels and Events.
	nodeish bool
}

var describeNodeSections = map[string]bool{
	"role": true, "roles": true, "taints": true, "unschedulable": true, "lease": true, "conditions": true,
	"addresses": true, "capacity": true, "allocatable": true, "system info": true, "podcidr": true,
	"podcidrs": true, "providerid": true, "externalid": true, "non-terminated pods": true,
}

// knownSections are the section lines the parser recognizes as such
// wherever a paste's indentation put them.
var knownSections = map[string]bool{
	"name": true, "labels": true, "annotations": true, "creationtimestamp": true, "phase": true,
	"events": true, "allocated resources": true, "pods": true,
}

type eventAges struct {
	last, first time.Duration
	lastOK      bool
	firstOK     bool
}

// node returns the node being read, starting one without a name for a
// fragment that comes before any "Name:" line.
func (p *describeParser) node() *nodeText {
	if len(p.nodes) == 0 {
		p.nodes = append(p.nodes, newNodeText())
	}
	return p.nodes[len(p.nodes)-1]
}

func newNodeText() *nodeText {
	return &nodeText{out: &DescribedNode{Node: &corev1.Node{}, PodsTotal: -1}, seen: map[string]bool{}}
}

// indentOf counts the leading blanks of s.
func indentOf(s string) int {
	return len(s) - len(strings.TrimLeft(s, " \t"))
}

// line handles one line and reports whether to read on.
func (p *describeParser) line(s string) bool {
	trimmed := strings.TrimSpace(s)
	if trimmed == "" {
		return true
	}
	indent := indentOf(s)
	if key, val, ok := describeKey(trimmed); ok && p.isSectionLine(key, indent) {
		return p.sectionLine(key, val, indent)
	}
	if p.base >= 0 && indent <= p.base {
		// A line at the sections' depth that is no section: a shell
		// prompt, "[...]", the second line of a wrapped message. The open
		// section goes on.
		return true
	}
	if p.skipping {
		return true
	}
	p.sub(s)
	return true
}

// isSectionLine says whether a "Key: value" line opens a section: at the
// sections' depth (or shallower), or, before that depth is known, when it is
// a section a node description has.
func (p *describeParser) isSectionLine(key string, indent int) bool {
	if key[0] < 'A' || key[0] > 'Z' {
		return false // kubectl capitalizes sections; "name:" is YAML
	}
	low := strings.ToLower(key)
	if p.base < 0 {
		return knownSections[low] || describeNodeSections[low]
	}
	return indent <= p.base
}

// sectionLine handles a "Key: value" line at the sections' depth.
func (p *describeParser) sectionLine(key, val string, indent int) bool {
	if p.base < 0 {
		p.base = indent
	}
	if strings.EqualFold(key, "Name") {
		if len(p.nodes) >= describeNodesMax {
			return false
		}
		cur := p.node()
		if cur.named || len(cur.seen) > 0 {
			cur = newNodeText()
			p.nodes = append(p.nodes, cur)
		}
		cur.named = true
		cur.out.Node.Name = val
		p.section, p.table, p.skipping = "", nil, false
		return true
	}
	n := p.node()
	if strings.EqualFold(key, "Namespace") && n.named && !n.nodeish && len(n.seen) == 0 {
		p.fail = fmt.Errorf(`not kubectl describe node output: it has a "Namespace:" line, so it describes a namespaced object (a pod?), not a node`)
		return false
	}
	p.start(key, val)
	return true
}

// describeKey splits a section line "Key:<tab or spaces>value".
func describeKey(s string) (key, val string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i <= 0 || i > 40 {
		return "", "", false
	}
	key = s[:i]
	for j, c := range key {
		letter := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if j == 0 && !letter || !letter && !(c >= '0' && c <= '9') && !strings.ContainsRune(" -_./", c) {
			return "", "", false
		}
	}
	rest := s[i+1:]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return "", "", false
	}
	return key, strings.TrimSpace(rest), true
}

func (n *nodeText) mark(section string) { n.seen[section] = true }

// start opens a section; values on the section line itself are handled here.
func (p *describeParser) start(key, val string) {
	cur := p.node()
	n := cur.out.Node
	p.section, p.table, p.skipping = strings.ToLower(key), nil, false
	cur.nodeish = cur.nodeish || describeNodeSections[p.section]
	switch p.section {
	case "labels":
		cur.label(val)
	case "taints":
		cur.taint(val)
	case "creationtimestamp":
		if t, ok := parseDescribeTime(val); ok {
			n.CreationTimestamp.Time = t
			cur.mark(p.section)
		}
	case "unschedulable":
		if b, ok := parseBool(val); ok {
			n.Spec.Unschedulable = b
			cur.mark(p.section)
		}
	case "addresses":
		cur.oldAddresses(val)
	case "podcidr":
		n.Spec.PodCIDR = val
		cur.mark(p.section)
	case "podcidrs":
		for _, c := range strings.Split(val, ",") {
			if c = strings.TrimSpace(c); c != "" {
				n.Spec.PodCIDRs = append(n.Spec.PodCIDRs, c)
			}
		}
		cur.mark(p.section)
	case "providerid":
		n.Spec.ProviderID = val
		cur.mark(p.section)
	case "conditions":
		p.table = newDescribeTable(tableConditions)
	case "non-terminated pods":
		if total, ok := parsePodsTotal(val); ok {
			cur.out.PodsTotal = total
			cur.mark(p.section)
		}
		p.table = newDescribeTable(tablePods)
	case "events":
		if cur.out.Events == nil {
			cur.out.Events = []DescribedEvent{}
		}
		if val == "<none>" {
			cur.mark(p.section)
			return
		}
		p.table = newDescribeTable(tableEvents)
	case "role", "roles", "annotations", "phase", "externalid", "lease", "capacity", "allocatable",
		"system info", "allocated resources", "pods":
		// Known; sub-lines or nothing the diagnosis reads.
		if p.section == "role" || p.section == "roles" {
			cur.mark(p.section)
		}
	default:
		p.section, p.skipping = "", true // unknown: skip it and its sub-lines
	}
}

// sub handles an indented line: a row of the open table, a sub-line of the
// open section, or — in a fragment with no section line — a table header or
// a row that tells its table by its cells.
func (p *describeParser) sub(s string) {
	if p.table != nil && p.row(s) {
		return
	}
	cur := p.node()
	n := cur.out.Node
	val := strings.TrimSpace(s)
	switch p.section {
	case "labels":
		cur.label(val)
		return
	case "taints":
		cur.taint(val)
		return
	case "addresses":
		typ, addr, ok := describeSubKey(val)
		if !ok {
			cur.oldAddresses(val)
			return
		}
		cur.address(corev1.NodeAddressType(typ), addr)
		return
	case "capacity", "allocatable":
		cur.quantity(p.section, val)
		return
	case "system info":
		key, v, ok := describeSubKey(val)
		if !ok {
			return
		}
		if field := systemInfoField(&n.Status.NodeInfo, key); field != nil {
			*field = v
			cur.mark(p.section)
		}
		return
	case "lease":
		key, v, ok := describeSubKey(val)
		if ok && strings.EqualFold(key, "RenewTime") {
			if t, ok := parseDescribeTime(v); ok {
				cur.renew = t
				cur.mark(p.section)
			}
		}
		return
	}
	p.fragment(s)
}

// finish derives what needs the whole text: the capture time and, from it,
// the event times; and a name for a fragment whose events name their node.
func (n *nodeText) finish() {
	out := n.out
	if out.Node.Name == "" {
		out.Node.Name = eventsNodeName(out.Events)
	}
	ct := n.renew
	for _, c := range out.Node.Status.Conditions {
		for _, t := range []time.Time{c.LastHeartbeatTime.Time, c.LastTransitionTime.Time} {
			if t.After(ct) {
				ct = t
			}
		}
	}
	out.CaptureTime = ct
	for i := range out.Events {
		out.Events[i].Ago, out.Events[i].AgoKnown = n.ages[i].last, n.ages[i].lastOK
	}
	if ct.IsZero() {
		// No time to anchor the ages to: the ages still order the events
		// (kubectl get events does not sort them unless asked), so the
		// newest readiness event is the newest.
		n.orderByAge()
		return
	}
	for i := range out.Events {
		e, a := &out.Events[i], n.ages[i]
		if a.lastOK {
			e.Last = ct.Add(-a.last)
		}
		if a.firstOK {
			e.First = ct.Add(-a.first)
		}
		if !e.Last.IsZero() && (e.First.IsZero() || e.First.After(e.Last)) {
			// An age without "over", or over < age, which kubectl never prints.
			e.First = e.Last
		}
	}
}

// eventsNodeName is the node the kubelet's events come from ("kubelet,
// worker-3", "{kubelet worker-3}") or are about ("node/worker-3"), or "".
func eventsNodeName(events []DescribedEvent) string {
	for _, e := range events {
		if name, ok := strings.CutPrefix(e.From, "node/"); ok && name != "" { // kubectl get events' OBJECT
			return name
		}
		from := strings.Trim(e.From, "{}")
		if rest, ok := strings.CutPrefix(from, "kubelet"); ok {
			if name := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ",")); name != "" && !strings.ContainsAny(name, " ,") {
				return name
			}
		}
	}
	return ""
}
