package kubelet

import (
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The rows of describe-node tables, and the rows a paste has without their
// table, turned into the node's conditions, pods and events.

// row handles one line while a table is open and reports whether it was
// the table's: a header, the dashes, a data row. A line that is not (a
// section line opened a table and a headerless row follows) is not.
func (p *describeParser) row(s string) bool {
	t := p.table
	cells := describeCells(s)
	if len(cells) == 0 {
		return true
	}
	if kind := tableKindOf(cells); kind != "" && (t.cols == nil || kind != t.kind) {
		if kind != t.kind { // a header with no section line of its own
			t = newDescribeTable(kind)
			p.table = t
		}
		t.header = s
		t.setColumns(cells)
		return true
	}
	if t.cols == nil {
		p.table = nil
		return false
	}
	if isDashRow(s) {
		if !t.dashed {
			t.dashed = true
			t.columnsFromDashes(s)
		}
		return true
	}
	vals := t.split(s, cells)
	get := func(name string) string {
		if i, ok := t.index[name]; ok {
			return vals[i]
		}
		return ""
	}
	n := p.node()
	switch t.kind {
	case tableConditions:
		n.condition(get)
	case tablePods:
		n.pod(get)
	case tableEvents:
		if ti, ok := t.index["type"]; ok && !isEventType(vals[ti]) {
			vals = t.anchorEventType(s, cells, vals)
		}
		if about, ok := p.eventNode(get); ok {
			about.event(get)
		}
	}
	return true
}

// eventNode is the node an events row is about: `kubectl get events`
// names its object (OBJECT "node/worker-3"; 2015's KIND and NAME columns),
// describe's rows are the described node's. A row about a pod or any
// other object is no node's (ok false).
func (p *describeParser) eventNode(get func(string) string) (*nodeText, bool) {
	kind, name := get("kind"), get("name")
	if obj := get("object"); obj != "" {
		var found bool
		if kind, name, found = strings.Cut(obj, "/"); !found {
			return p.node(), true
		}
	}
	switch {
	case kind == "":
		return p.node(), true
	case !strings.EqualFold(kind, "node"):
		return nil, false
	}
	for _, n := range p.nodes {
		if n.out.Node.Name == name {
			return n, true
		}
	}
	if len(p.nodes) >= describeNodesMax {
		return nil, false
	}
	n := newNodeText()
	// An event row that names a Node is about a node, whatever its reason.
	n.named, n.nodeish, n.out.Node.Name = true, true, name
	p.nodes = append(p.nodes, n)
	return n, true
}

// fragment reads a line outside any table: a header that opens one, or a
// condition or event row pasted without its header.
func (p *describeParser) fragment(s string) {
	cells := describeCells(s)
	if kind := tableKindOf(cells); kind != "" {
		p.table = newDescribeTable(kind)
		p.table.header = s
		p.table.setColumns(cells)
		return
	}
	switch {
	case headerlessCondition(cells):
		cols := []string{"type", "status", "lastheartbeattime", "lasttransitiontime", "reason", "message"}
		if _, timed := parseDescribeTime(cells[2].text); !timed {
			cols = []string{"type", "status", "reason", "message"} // a narrowed table
		}
		p.node().condition(inOrder(s, cells, cols))
	case headerlessEvent(cells):
		cols := []string{"type", "reason", "age", "from", "message"}
		switch {
		case isEventType(cells[1].text): // kubectl get events: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE
			cols = []string{"age", "type", "reason", "object", "message"}
		case !isEventType(cells[0].text):
			cols = []string{"firstseen", "lastseen", "count", "from", "type", "reason", "message"} // kubectl ≤1.8
			if isEventType(cells[5].text) {
				cols = []string{"firstseen", "lastseen", "count", "from", "subobjectpath", "type", "reason", "message"}
			}
		}
		get := inOrder(s, cells, cols)
		if about, ok := p.eventNode(get); ok {
			about.event(get)
		}
	}
}

// inOrder gives the cells of a headerless row the columns named, in order;
// the last column is the rest of the line.
func inOrder(s string, cells []describeCell, cols []string) func(string) string {
	vals := map[string]string{}
	for i, c := range cells {
		if i == len(cols)-1 {
			vals[cols[i]] = strings.TrimSpace(s[c.off:])
			break
		}
		vals[cols[i]] = c.text
	}
	return func(name string) string { return vals[name] }
}

// conditionStatuses are the values of a condition's Status cell.
var conditionStatuses = map[string]bool{"True": true, "False": true, "Unknown": true}

// headerlessCondition says cells are a condition row on its own: a type
// ("Ready", "MemoryPressure"), a status, then times or a reason.
func headerlessCondition(cells []describeCell) bool {
	if len(cells) < 3 || !isIdentifier(cells[0].text) || !conditionStatuses[cells[1].text] {
		return false
	}
	if _, ok := parseDescribeTime(cells[2].text); ok {
		return true
	}
	return isIdentifier(cells[2].text)
}

// headerlessEvent says cells are an Events row on its own, current
// (Type first) or kubectl ≤1.8's (ages, count and source first).
func headerlessEvent(cells []describeCell) bool {
	if len(cells) >= 4 && isEventType(cells[0].text) && isIdentifier(cells[1].text) {
		return true
	}
	if len(cells) >= 5 && isEventType(cells[1].text) && isIdentifier(cells[2].text) {
		_, aged := parseDescribeAge(cells[0].text)
		return aged // kubectl get events
	}
	if len(cells) < 7 {
		return false
	}
	_, first := parseDescribeAge(cells[0].text)
	_, last := parseDescribeAge(cells[1].text)
	for _, i := range []int{4, 5} {
		if isEventType(cells[i].text) && isIdentifier(cells[i+1].text) {
			return first && last
		}
	}
	return false
}

func isEventType(s string) bool { return s == "Normal" || s == "Warning" }

// headerlessNodeEvent is a headerless event row of an event only nodes get.
func headerlessNodeEvent(cells []describeCell) bool {
	if !headerlessEvent(cells) {
		return false
	}
	for _, c := range cells {
		if nodeEventReasons[c.text] {
			return true
		}
	}
	return false
}

// nodeEventReasons are reasons of events about nodes, not pods: the
// kubelet's and the node controller's.
var nodeEventReasons = map[string]bool{
	"NodeReady": true, "NodeNotReady": true, "NodeNotSchedulable": true, "NodeSchedulable": true,
	"NodeHasSufficientMemory": true, "NodeHasInsufficientMemory": true, "NodeHasNoDiskPressure": true,
	"NodeHasDiskPressure": true, "NodeHasSufficientPID": true, "NodeHasInsufficientPID": true,
	"NodeHasSufficientDisk": true, "NodeOutOfDisk": true, "NodeAllocatableEnforced": true,
	"ContainerGCFailed": true, "ImageGCFailed": true, "FreeDiskSpaceFailed": true, "Rebooted": true,
	"RegisteredNode": true, "RemovingNode": true, "DeletingNode": true, "InvalidDiskCapacity": true,
	"SystemOOM": true, "EvictionThresholdMet": true, "KubeletSetupFailed": true, "CIDRNotAvailable": true,
	"NodeNetworkUnavailable": true, "CgroupV1": true,
	// node-problem-detector's, about the node it runs on.
	"KernelOops": true, "TaskHung": true, "UnregisterNetDevice": true, "KernelDeadlock": true, "DockerHung": true,
	"OOMKilling": true, "FilesystemIsReadOnly": true, "Ext4Error": true, "IOError": true, "CorruptDockerOverlay2": true,
	"KubeletUnhealthy": true, "ContainerRuntimeUnhealthy": true, "KubeletStart": true, "ContainerdStart": true,
	"DockerStart": true, "FrequentKubeletRestart": true, "FrequentContainerdRestart": true, "FrequentDockerRestart": true,
}

// isIdentifier says s is one CamelCase-ish word: a condition type or reason.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		letter := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.')) {
			return false
		}
	}
	return true
}

func (n *nodeText) condition(get func(string) string) {
	typ := get("type")
	if !isIdentifier(typ) || !conditionStatuses[get("status")] {
		return // the rest of a message a terminal wrapped onto the next line
	}
	c := corev1.NodeCondition{
		Type:    corev1.NodeConditionType(typ),
		Status:  corev1.ConditionStatus(get("status")),
		Reason:  get("reason"),
		Message: get("message"),
	}
	if t, ok := parseDescribeTime(get("lastheartbeattime")); ok {
		c.LastHeartbeatTime = metav1.NewTime(t)
	}
	if t, ok := parseDescribeTime(get("lasttransitiontime")); ok {
		c.LastTransitionTime = metav1.NewTime(t)
	}
	node := n.out.Node
	if len(node.Status.Conditions) < describeRowsMax {
		node.Status.Conditions = append(node.Status.Conditions, c)
	}
	n.nodeish = true
	n.mark("conditions")
}

func (n *nodeText) pod(get func(string) string) {
	if get("name") == "" || len(n.out.Pods) >= describeRowsMax {
		return
	}
	qty := func(s string) string {
		q, _, _ := strings.Cut(s, " (")
		return q
	}
	n.out.Pods = append(n.out.Pods, DescribedPod{
		Namespace:      get("namespace"),
		Name:           get("name"),
		CPURequests:    qty(get("cpurequests")),
		CPULimits:      qty(get("cpulimits")),
		MemoryRequests: qty(get("memoryrequests")),
		MemoryLimits:   qty(get("memorylimits")),
	})
	n.mark("non-terminated pods")
}

func (n *nodeText) event(get func(string) string) {
	if get("reason") == "" || len(n.out.Events) >= describeRowsMax {
		return
	}
	e := DescribedEvent{Type: get("type"), Reason: get("reason"), From: get("from"), Message: get("message"), Count: 1}
	var a eventAges
	if age := get("age"); age != "" {
		// "3m", "3m (x14 over 27h)"
		last, rest, _ := strings.Cut(age, " ")
		a.last, a.lastOK = parseDescribeAge(last)
		a.first, a.firstOK = a.last, a.lastOK
		if rest, ok := strings.CutPrefix(rest, "(x"); ok {
			num, over, _ := strings.Cut(strings.TrimSuffix(rest, ")"), " over ")
			if v, err := strconv.ParseInt(num, 10, 32); err == nil && v > 0 {
				e.Count = int32(v)
			}
			a.first, a.firstOK = parseDescribeAge(over)
		}
	} else {
		// kubectl ≤1.8: FirstSeen, LastSeen, Count
		a.last, a.lastOK = parseDescribeAge(get("lastseen"))
		a.first, a.firstOK = parseDescribeAge(get("firstseen"))
		if !a.firstOK {
			a.first, a.firstOK = a.last, a.lastOK
		}
		if v, err := strconv.ParseInt(get("count"), 10, 32); err == nil && v > 0 {
			e.Count = int32(v)
		}
	}
	n.out.Events = append(n.out.Events, e)
	n.ages = append(n.ages, a)
	n.nodeish = n.nodeish || nodeEventReasons[e.Reason]
	n.mark("events")
}

// orderByAge puts the events oldest first by their ages, when every one
// has an age; equal ages keep their order.
func (n *nodeText) orderByAge() {
	idx := make([]int, len(n.out.Events))
	for i := range idx {
		if !n.ages[i].lastOK {
			return
		}
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return n.ages[idx[a]].last > n.ages[idx[b]].last })
	events, ages := make([]DescribedEvent, len(idx)), make([]eventAges, len(idx))
	for to, from := range idx {
		events[to], ages[to] = n.out.Events[from], n.ages[from]
	}
	n.out.Events, n.ages = events, ages
}
