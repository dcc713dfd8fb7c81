package kubelet

import (
	"strconv"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The tables of describe-node output (Conditions, Non-terminated Pods,
// Events): a header row, a dashed row, then data rows, aligned by kubectl's
// tabwriter with spaces (current) or tabs (old) — or, in a paste, some of
// them: rows without their header, a header without its section line.

// Table kinds.
const (
	tableConditions = "conditions"
	tablePods       = "non-terminated pods"
	tableEvents     = "events"
)

// describeTable is one table being read.
type describeTable struct {
	kind   string
	header string
	dashed bool
	cols   []describeCell // header cells: names and start columns
	index  map[string]int // column index by describeColumnName
}

func newDescribeTable(kind string) *describeTable {
	return &describeTable{kind: kind}
}

// tableKindOf tells a header row by its column names, or "".
func tableKindOf(cells []describeCell) string {
	if len(cells) < 2 || len(cells) > describeColumnsMax {
		return ""
	}
	names := map[string]bool{}
	for _, c := range cells {
		names[describeColumnName(c.text)] = true
		// A terminal may glue two header cells with one space.
		for _, w := range strings.Fields(c.text) {
			names[strings.ToLower(w)] = true
		}
	}
	switch {
	case names["type"] && names["status"] && (names["lastheartbeattime"] || names["reason"]):
		return tableConditions
	case names["reason"] && names["message"] && (names["age"] || names["lastseen"]):
		return tableEvents
	case names["namespace"] && names["name"] && (names["cpurequests"] || names["cpu"]):
		return tablePods
	}
	return ""
}

// isDash is a rune of the row under a header: kubectl 1.2 drew it with "─".
func isDash(r rune) bool { return r == '-' || r == '─' }

// isDashRow says a line is the dashed row under a header.
func isDashRow(s string) bool {
	s = strings.Join(strings.Fields(s), "")
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return !isDash(r) }) < 0
}

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
		n.event(get)
	}
	return true
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
	n := p.node()
	switch {
	case headerlessCondition(cells):
		cols := []string{"type", "status", "lastheartbeattime", "lasttransitiontime", "reason", "message"}
		if _, timed := parseDescribeTime(cells[2].text); !timed {
			cols = []string{"type", "status", "reason", "message"} // a narrowed table
		}
		n.condition(inOrder(s, cells, cols))
	case headerlessEvent(cells):
		cols := []string{"type", "reason", "age", "from", "message"}
		switch {
		case isEventType(cells[1].text): // kubectl get events: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE
			cols = []string{"age", "type", "reason", "from", "message"}
		case !isEventType(cells[0].text):
			cols = []string{"firstseen", "lastseen", "count", "from", "type", "reason", "message"} // kubectl ≤1.8
			if isEventType(cells[5].text) {
				cols = []string{"firstseen", "lastseen", "count", "from", "subobjectpath", "type", "reason", "message"}
			}
		}
		n.event(inOrder(s, cells, cols))
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

// describeColumnsMax is more columns than any table of describe output has
// (the old Events table has 8); every row costs one cell per column, so a
// hostile header must not set thousands.
const describeColumnsMax = 16

// describeColumnName folds a header cell to a map key: "CPU Requests" → "cpurequests".
func describeColumnName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), ""))
}

func (t *describeTable) setColumns(cols []describeCell) {
	t.cols = cols
	t.index = map[string]int{}
	for i, c := range cols {
		t.index[describeColumnName(c.text)] = i
	}
}

// columnsFromDashes takes the columns from the dashed row, which kubectl
// writes with one run of dashes per header cell: where a terminal's tab
// expansion left a single space between two header cells ("Memory Requests
// Memory Limits"), the dashes still tell them apart.
func (t *describeTable) columnsFromDashes(dashes string) {
	d, h := describeExpand(dashes), describeExpand(t.header)
	var cols []describeCell
	for i := 0; i < len(d); {
		if !isDash(d[i]) {
			i++
			continue
		}
		j := i
		for j < len(d) && isDash(d[j]) {
			j++
		}
		if j > len(h) || i > 0 && h[i-1] != ' ' || j < len(h) && h[j] != ' ' {
			return // the header is not above the dashes: keep its own cells
		}
		cols = append(cols, describeCell{text: strings.TrimSpace(string(h[i:j])), col: i})
		i = j
	}
	if len(cols) >= len(t.cols) && len(cols) <= describeColumnsMax {
		t.setColumns(cols)
	}
}

// describeExpand expands tabs to 8-column stops, as tabwriter assumes.
func describeExpand(s string) []rune {
	var out []rune
	for _, r := range s {
		if r == '\t' {
			for {
				out = append(out, ' ')
				if len(out)%8 == 0 {
					break
				}
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// describeCell is one cell of a table line: its text, where it starts once
// tabs are expanded to 8-column stops, and its byte offset in the line.
type describeCell struct {
	text string
	col  int
	off  int
}

// describeCells splits a table line at tabs and at runs of two or more spaces
// (single spaces sit inside cells: "100m (1%)", "Mon, 02 Jan 2024 ...").
func describeCells(s string) []describeCell {
	var (
		cells []describeCell
		cur   *describeCell
		col   int
		last  int // byte offset just past the last non-space rune of cur
	)
	end := func() {
		if cur != nil {
			cur.text = s[cur.off:last]
			cells = append(cells, *cur)
			cur = nil
		}
	}
	for i, r := range s {
		switch {
		case r == '\t':
			end()
			col = (col/8 + 1) * 8
			continue
		case r == ' ':
			if cur != nil && i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t') {
				end()
			}
		default:
			if cur == nil {
				cur = &describeCell{col: col, off: i}
			}
			_, size := utf8.DecodeRuneInString(s[i:])
			last = i + size
		}
		col++
	}
	end()
	return cells
}

// split assigns the cells of a data row to the header's columns. Aligned
// output puts every cell exactly under its header, which finds empty cells
// (an old event's SubObjectPath) and cells that a terminal's tab expansion
// glued together with one space; text realigned by hand (pasted into an
// issue, say) falls back to taking cells in order. The last column (Message)
// is the rest of the line, verbatim.
func (t *describeTable) split(s string, cells []describeCell) []string {
	if vals, ok := t.splitAligned(s, cells); ok {
		return vals
	}
	n := len(t.cols)
	vals := make([]string, n)
	for i, c := range cells {
		if i == n-1 {
			vals[i] = strings.TrimSpace(s[c.off:])
			break
		}
		vals[i] = c.text
	}
	return vals
}

func (t *describeTable) splitAligned(s string, cells []describeCell) ([]string, bool) {
	n := len(t.cols)
	vals := make([]string, n)
	j := -1
	for _, c := range cells {
		// Cut a cell that runs over a column start after a single space.
		for c.text != "" {
			k := t.column(c.col)
			if k < 0 || k <= j {
				return nil, false
			}
			if k == n-1 {
				vals[k] = strings.TrimSpace(s[c.off:])
				return vals, true
			}
			j = k
			next := t.cols[k+1].col - c.col // runes from the cell start to the next column
			head, tail, cut := cutRunes(c.text, next)
			if !cut {
				vals[k] = c.text
				break
			}
			if !strings.HasSuffix(head, " ") || strings.HasPrefix(tail, " ") {
				return nil, false
			}
			vals[k] = strings.TrimSpace(head)
			c = describeCell{text: tail, col: c.col + next, off: c.off + len(head)}
		}
	}
	return vals, true
}

// column is the index of the column starting exactly at col, or -1.
func (t *describeTable) column(col int) int {
	for i, c := range t.cols {
		if c.col == col {
			return i
		}
	}
	return -1
}

// cutRunes cuts s after n runes; cut is false when s is no longer than that.
func cutRunes(s string, n int) (head, tail string, cut bool) {
	if n <= 0 {
		return "", s, true
	}
	i := 0
	for off := range s {
		if i == n {
			return s[:off], s[off:], true
		}
		i++
	}
	return s, "", false
}

// anchorEventType re-reads an old event row whose cells went in order past an
// empty SubObjectPath: the Type cell ("Normal"/"Warning") is the anchor;
// cells before it fill the columns before Type from the left, and Reason and
// Message follow it.
func (t *describeTable) anchorEventType(s string, cells []describeCell, vals []string) []string {
	ti := t.index["type"]
	for i, c := range cells {
		if c.text != "Normal" && c.text != "Warning" || i > ti {
			continue
		}
		out := make([]string, len(t.cols))
		for k := 0; k < i && k < ti; k++ {
			out[k] = cells[k].text
		}
		out[ti] = c.text
		for k := ti + 1; k < len(out) && i+k-ti < len(cells); k++ {
			if k == len(out)-1 {
				out[k] = strings.TrimSpace(s[cells[i+k-ti].off:])
				break
			}
			out[k] = cells[i+k-ti].text
		}
		return out
	}
	return vals
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
