package kubelet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DescribedNode is what `kubectl describe node` prints about one node.
type DescribedNode struct {
	// Node holds what the text shows of the object: name, labels, creation time,
	// taints, unschedulable, conditions, addresses, capacity, allocatable, system
	// info, pod CIDRs and provider ID. Times are in UTC.
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

// LooksLikeDescribeNode reports whether the start of a file is describe-node text.
// A pasted shell prompt or blank lines may come first; "Name:" must then be
// the first line, and something only node descriptions print must follow, so
// a described pod (which also starts with "Name:") is not taken for a node.
func LooksLikeDescribeNode(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	rest := head
	for i := 0; i < 4 && len(rest) > 0; i++ {
		line := rest
		if j := bytes.IndexByte(rest, '\n'); j >= 0 {
			line, rest = rest[:j], rest[j+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 || bytes.Contains(line, []byte("kubectl ")) {
			continue
		}
		if !bytes.HasPrefix(line, []byte("Name:")) {
			return false
		}
		rest = append([]byte("\n"), rest...)
		for _, marker := range []string{"\nRoles:", "\nRole:", "LastHeartbeatTime", "Kubelet Version:", "\nSystem Info:"} {
			if bytes.Contains(rest, []byte(marker)) {
				return true
			}
		}
		return false
	}
	return false
}

// ParseDescribeNode reads `kubectl describe node` text, current (space-aligned)
// or from kubectl 1.5–1.8 (tab-aligned). Only the first node of a `kubectl
// describe nodes` listing is read. Text cut short still gives a result once the
// Name and one more section are in; anything else is an error that says what
// was expected.
func ParseDescribeNode(r io.Reader) (*DescribedNode, error) {
	p := &describeParser{
		out:  &DescribedNode{Node: &corev1.Node{}, PodsTotal: -1},
		seen: map[string]bool{},
	}
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
			if bytes.IndexByte(line, 0) >= 0 && !p.sawName {
				return nil, errors.New("not kubectl describe node output: binary data")
			}
			if lines == 1 {
				line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
			}
			if !p.line(string(bytes.TrimRight(line, "\r\n"))) {
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
	switch {
	case lines == 0:
		return nil, errors.New(`not kubectl describe node output: empty input`)
	case !p.sawName:
		return nil, errors.New(`not kubectl describe node output: no "Name:" line`)
	case p.out.Node.Name == "":
		return nil, errors.New(`not kubectl describe node output: the "Name:" line has no name`)
	case len(p.seen) == 0:
		return nil, fmt.Errorf(`not kubectl describe node output: nothing after "Name: %s" (expected Labels:, Conditions:, Capacity:, System Info:...)`, p.out.Node.Name)
	case !p.nodeish:
		return nil, fmt.Errorf(`not kubectl describe node output: "Name: %s" is followed by none of the sections a node has (Roles:, Conditions:, Capacity:, System Info:...); the description of another kind of object?`, p.out.Node.Name)
	}
	p.finish()
	return p.out, nil
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

type describeParser struct {
	out     *DescribedNode
	sawName bool
	// seen holds the sections that gave at least one value.
	seen    map[string]bool
	section string
	table   *describeTable
	fail    error
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

type eventAges struct {
	last, first time.Duration
	lastOK      bool
	firstOK     bool
}

// line handles one line and reports whether to read on.
func (p *describeParser) line(s string) bool {
	if strings.TrimSpace(s) == "" {
		return true
	}
	if s[0] != ' ' && s[0] != '\t' {
		key, val, ok := describeKey(s)
		if !ok {
			// The second line of a multi-line event message, or a shell
			// prompt pasted after the output: not a section, so the open
			// table goes on.
			return true
		}
		if key == "Name" {
			if p.sawName {
				return false // the next node of `kubectl describe nodes`
			}
			p.sawName = true
			p.out.Node.Name = val
			p.section, p.table = "", nil
			return true
		}
		if !p.sawName {
			return true
		}
		if key == "Namespace" && len(p.seen) == 0 {
			p.fail = fmt.Errorf(`not kubectl describe node output: it has a "Namespace:" line, so it describes a namespaced object (a pod?), not a node`)
			return false
		}
		p.start(key, val)
		return true
	}
	if p.sawName {
		p.sub(s)
	}
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

func (p *describeParser) mark(section string) { p.seen[section] = true }

// start opens a section; values on the section line itself are handled here.
func (p *describeParser) start(key, val string) {
	n := p.out.Node
	p.section, p.table = strings.ToLower(key), nil
	p.nodeish = p.nodeish || describeNodeSections[p.section]
	switch p.section {
	case "labels":
		p.label(val)
	case "taints":
		p.taint(val)
	case "creationtimestamp":
		if t, ok := parseDescribeTime(val); ok {
			n.CreationTimestamp = metav1.NewTime(t)
			p.mark(p.section)
		}
	case "unschedulable":
		if b, err := strconv.ParseBool(val); err == nil {
			n.Spec.Unschedulable = b
			p.mark(p.section)
		}
	case "addresses":
		p.oldAddresses(val)
	case "podcidr":
		n.Spec.PodCIDR = val
		p.mark(p.section)
	case "podcidrs":
		for _, c := range strings.Split(val, ",") {
			if c = strings.TrimSpace(c); c != "" {
				n.Spec.PodCIDRs = append(n.Spec.PodCIDRs, c)
			}
		}
		p.mark(p.section)
	case "providerid":
		n.Spec.ProviderID = val
		p.mark(p.section)
	case "conditions":
		p.table = newDescribeTable(p.section, "type", "status", "lastheartbeattime")
	case "non-terminated pods":
		// "(108 in total)"
		if rest, ok := strings.CutPrefix(val, "("); ok {
			if num, _, ok := strings.Cut(rest, " in total)"); ok {
				if v, err := strconv.Atoi(num); err == nil && v >= 0 {
					p.out.PodsTotal = v
					p.mark(p.section)
				}
			}
		}
		p.table = newDescribeTable(p.section, "namespace", "name")
	case "events":
		if p.out.Events == nil {
			p.out.Events = []DescribedEvent{}
		}
		if val == "<none>" {
			p.mark(p.section)
			return
		}
		p.table = newDescribeTable(p.section, "reason", "message")
	case "role", "roles", "annotations", "phase", "externalid", "lease", "capacity", "allocatable",
		"system info", "allocated resources", "pods":
		// Known; sub-lines or nothing the diagnosis reads.
		if p.section == "role" || p.section == "roles" {
			p.mark(p.section)
		}
	default:
		p.section = "" // unknown: skip it and its sub-lines
	}
}

// sub handles an indented line of the open section.
func (p *describeParser) sub(s string) {
	if p.table != nil {
		p.row(s)
		return
	}
	n := p.out.Node
	val := strings.TrimSpace(s)
	switch p.section {
	case "labels":
		p.label(val)
	case "taints":
		p.taint(val)
	case "addresses":
		typ, addr, ok := describeSubKey(val)
		if !ok {
			p.oldAddresses(val)
			return
		}
		p.address(corev1.NodeAddressType(typ), addr)
	case "capacity", "allocatable":
		name, qty, ok := describeSubKey(val)
		if !ok {
			return
		}
		q, err := resource.ParseQuantity(qty)
		if err != nil {
			return
		}
		list := &n.Status.Capacity
		if p.section == "allocatable" {
			list = &n.Status.Allocatable
		}
		if *list == nil {
			*list = corev1.ResourceList{}
		}
		(*list)[corev1.ResourceName(name)] = q
		p.mark(p.section)
	case "system info":
		key, v, ok := describeSubKey(val)
		if !ok {
			return
		}
		if field := systemInfoField(&n.Status.NodeInfo, key); field != nil {
			*field = v
			p.mark(p.section)
		}
	case "lease":
		key, v, ok := describeSubKey(val)
		if ok && strings.EqualFold(key, "RenewTime") {
			if t, ok := parseDescribeTime(v); ok {
				p.renew = t
				p.mark(p.section)
			}
		}
	}
}

// systemInfoField is the field a "System Info:" line sets, nil for one this
// parser does not know.
func systemInfoField(info *corev1.NodeSystemInfo, key string) *string {
	switch strings.ToLower(key) {
	case "machine id":
		return &info.MachineID
	case "system uuid":
		return &info.SystemUUID
	case "boot id":
		return &info.BootID
	case "kernel version":
		return &info.KernelVersion
	case "os image":
		return &info.OSImage
	case "operating system":
		return &info.OperatingSystem
	case "architecture":
		return &info.Architecture
	case "container runtime version":
		return &info.ContainerRuntimeVersion
	case "kubelet version":
		return &info.KubeletVersion
	case "kube-proxy version":
		return &info.KubeProxyVersion
	}
	return nil
}

// describeSubKey splits "Key:  value" (the value may be empty).
func describeSubKey(s string) (key, val string, ok bool) {
	key, val, ok = strings.Cut(s, ":")
	if !ok || key == "" || strings.ContainsAny(key, "\t") {
		return "", "", false
	}
	if val != "" && val[0] != ' ' && val[0] != '\t' {
		return "", "", false // the colon of "fd00::3" or "aws:///...": a value, not a key
	}
	return strings.TrimSpace(key), strings.TrimSpace(val), true
}

func (p *describeParser) label(s string) {
	if s == "" || s == "<none>" {
		return
	}
	k, v, _ := strings.Cut(s, "=")
	if k == "" {
		return
	}
	n := p.out.Node
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	if len(n.Labels) >= describeRowsMax {
		return
	}
	n.Labels[k] = v
	p.mark(p.section)
}

// taint reads "key[=value]:Effect".
func (p *describeParser) taint(s string) {
	if s == "" || s == "<none>" {
		return
	}
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || len(p.out.Node.Spec.Taints) >= describeRowsMax {
		return
	}
	t := corev1.Taint{Effect: corev1.TaintEffect(s[i+1:])}
	t.Key, t.Value, _ = strings.Cut(s[:i], "=")
	p.out.Node.Spec.Taints = append(p.out.Node.Spec.Taints, t)
	p.mark(p.section)
}

// oldAddresses reads kubectl ≤1.7's "Addresses: 10.0.0.3,10.0.0.3,worker-3",
// which drops the types: an IP is taken for an InternalIP, anything else for
// a Hostname.
func (p *describeParser) oldAddresses(s string) {
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		if a == "" || a == "<none>" {
			continue
		}
		if typ, addr, ok := describeSubKey(a); ok && net.ParseIP(a) == nil {
			p.address(corev1.NodeAddressType(typ), addr)
			continue
		}
		typ := corev1.NodeHostName
		if net.ParseIP(a) != nil {
			typ = corev1.NodeInternalIP
		}
		p.address(typ, a)
	}
}

func (p *describeParser) address(typ corev1.NodeAddressType, addr string) {
	if addr == "" {
		return
	}
	n := p.out.Node
	if len(n.Status.Addresses) >= 64 {
		return // a node has a handful; the check below is quadratic
	}
	for _, a := range n.Status.Addresses {
		if a.Type == typ && a.Address == addr {
			return
		}
	}
	n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: typ, Address: addr})
	p.mark("addresses")
}

// describeTable is one table of the output: a header row, a dashed row, then
// data rows, aligned by kubectl's tabwriter with spaces (current) or tabs (old).
type describeTable struct {
	kind     string
	required []string
	header   string
	dashed   bool
	cols     []describeCell // header cells: names and start columns
	index    map[string]int // column index by describeColumnName
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
		if d[i] != '-' {
			i++
			continue
		}
		j := i
		for j < len(d) && d[j] == '-' {
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

func newDescribeTable(kind string, required ...string) *describeTable {
	return &describeTable{kind: kind, required: required}
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

// row handles one indented line of a table section.
func (p *describeParser) row(s string) {
	t := p.table
	cells := describeCells(s)
	if len(cells) == 0 {
		return
	}
	if t.cols == nil {
		if len(cells) > describeColumnsMax {
			p.table, p.section = nil, ""
			return
		}
		for _, r := range t.required {
			if !strings.Contains(describeColumnName(s), r) {
				// Not the table we know (the old "Allocated resources" or a
				// format of the future): skip the section.
				p.table, p.section = nil, ""
				return
			}
		}
		t.header = s
		t.setColumns(cells)
		return
	}
	if strings.Trim(strings.Join(strings.Fields(s), ""), "-") == "" {
		if !t.dashed {
			t.dashed = true
			t.columnsFromDashes(s)
		}
		return
	}
	vals := t.split(s, cells)
	get := func(name string) string {
		if i, ok := t.index[name]; ok {
			return vals[i]
		}
		return ""
	}
	switch t.kind {
	case "conditions":
		p.condition(get)
	case "non-terminated pods":
		p.pod(get)
	case "events":
		if ti, ok := t.index["type"]; ok && vals[ti] != "Normal" && vals[ti] != "Warning" {
			vals = t.anchorEventType(s, cells, vals)
		}
		p.event(get)
	}
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

func (p *describeParser) condition(get func(string) string) {
	typ := get("type")
	if typ == "" {
		return
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
	n := p.out.Node
	if len(n.Status.Conditions) < describeRowsMax {
		n.Status.Conditions = append(n.Status.Conditions, c)
	}
	p.mark("conditions")
}

func (p *describeParser) pod(get func(string) string) {
	if get("name") == "" || len(p.out.Pods) >= describeRowsMax {
		return
	}
	qty := func(s string) string {
		q, _, _ := strings.Cut(s, " (")
		return q
	}
	p.out.Pods = append(p.out.Pods, DescribedPod{
		Namespace:      get("namespace"),
		Name:           get("name"),
		CPURequests:    qty(get("cpurequests")),
		CPULimits:      qty(get("cpulimits")),
		MemoryRequests: qty(get("memoryrequests")),
		MemoryLimits:   qty(get("memorylimits")),
	})
	p.mark("non-terminated pods")
}

func (p *describeParser) event(get func(string) string) {
	if get("reason") == "" || len(p.out.Events) >= describeRowsMax {
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
	p.out.Events = append(p.out.Events, e)
	p.ages = append(p.ages, a)
	p.mark("events")
}

// finish derives what needs the whole text: the capture time and, from it,
// the event times.
func (p *describeParser) finish() {
	ct := p.renew
	for _, c := range p.out.Node.Status.Conditions {
		for _, t := range []time.Time{c.LastHeartbeatTime.Time, c.LastTransitionTime.Time} {
			if t.After(ct) {
				ct = t
			}
		}
	}
	p.out.CaptureTime = ct
	if ct.IsZero() {
		return
	}
	for i := range p.out.Events {
		e, a := &p.out.Events[i], p.ages[i]
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

// parseDescribeTime reads the RFC 1123 times kubectl prints; kubectl prints
// the zero time as a date in year 1, which stays the zero time.
func parseDescribeTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() <= 1 {
				return time.Time{}, false
			}
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// describeAgeMax is far beyond any real age; it keeps sums from overflowing.
const describeAgeMax = 200 * 365 * 24 * time.Hour

// parseDescribeAge reads kubectl's human durations: "43s", "3m5s", "27h",
// "2d3h", "5y10d" ("<unknown>" and "<invalid>" are not ages).
func parseDescribeAge(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'y': 365 * 24 * time.Hour}
	var d time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 6 {
			return 0, false
		}
		unit, ok := units[s[i]]
		if !ok {
			return 0, false
		}
		v, _ := strconv.Atoi(s[:i])
		if time.Duration(v) > (describeAgeMax-d)/unit {
			return 0, false
		}
		d += time.Duration(v) * unit
		s = s[i+1:]
	}
	return d, true
}
