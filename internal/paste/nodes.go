package paste

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
)

// NodeRow is one node's row of `kubectl get nodes`.
type NodeRow struct {
	Name string
	// Ready is the STATUS cell's readiness: "Ready", "NotReady" or "Unknown";
	// Flags are the rest of the cell ("SchedulingDisabled").
	Ready string
	Flags []string
	// Roles and the `-o wide` columns are "" where the table has no such
	// column or prints "<none>".
	Roles    string
	Age      time.Duration // AgeKnown false when the table has no AGE or it is <invalid>
	AgeKnown bool

	Version, InternalIP, OSImage, KernelVersion, ContainerRuntime string
}

// NodeTable is what a paste of node tables shows: each node's last row, in the order first seen.
type NodeTable struct {
	Rows []NodeRow
	// Taken is when the last table was taken, from the `watch` header above
	// it (the clock of the machine watch ran on, read as UTC); zero when none says.
	Taken time.Time
}

// LooksLikeNodeTable says the start of a paste (its first 64 KiB) holds a node table.
// `kubectl describe node` output is not one, even when a node table was pasted above it.
func LooksLikeNodeTable(head []byte) bool {
	head = head[:min(len(head), tableHeadSize)]
	if kubelet.LooksLikeDescribeNode(head) {
		return false
	}
	_, err := ParseNodeTable(bytes.NewReader(head))
	return err == nil
}

// ParseNodeTable reads every node table in r. An error only when r holds no
// node row at all, or fails to read (then with the rows read before).
//
// A table is a `kubectl get nodes` or `oc get nodes` header (NAME and STATUS
// with ROLES, AGE, VERSION, LABELS or EXTERNAL-IP) and the rows under it
// whose STATUS is a node's; 2015's rows without their header are read too.
// Everything else (prompts, commands, other output) is passed over.
func ParseNodeTable(r io.Reader) (*NodeTable, error) {
	p := nodeReading{index: map[string]int{}, table: noTableYet}
	tables := tableReader{kind: nodeTables, emit: func(row tableRow) { p.add(nodeRowOf(row), row.table) }}
	err := eachTableLine(r, func(line []rune) {
		if !tables.read(line) {
			p.readOther(strings.TrimSpace(string(line)))
		}
	})
	tables.close()
	if err != nil {
		return &p.result, fmt.Errorf("reading node table: %w", err)
	}
	if len(p.result.Rows) == 0 {
		return nil, errors.New(`no node table found: expected a "kubectl get nodes" header such as "NAME STATUS ROLES AGE VERSION" followed by rows such as "node1   NotReady   <none>   5d   v1.30.0"`)
	}
	return &p.result, nil
}

var nodeTables = tableKind{accepts: isNodeHeader, startsRow: isNodeRow}

// nodeTableColumns are the columns of which a node table has at least one
// besides NAME and STATUS, in every kubectl and oc release: NAME STATUS AGE
// alone would also be namespaces or volume claims.
var nodeTableColumns = []string{"ROLES", "AGE", "VERSION", "LABELS", "EXTERNAL-IP"}

func isNodeHeader(columns []string) bool {
	hasAny := func(names ...string) bool {
		return slices.ContainsFunc(columns, func(c string) bool { return slices.Contains(names, c) })
	}
	// READY and RESTARTS are `kubectl get pods` (NAME READY STATUS RESTARTS AGE).
	return columns[0] == "NAME" && slices.Contains(columns, "STATUS") &&
		hasAny(nodeTableColumns...) && !hasAny("READY", "RESTARTS")
}

func isNodeRow(row tableRow) bool {
	_, _, ok := parseNodeStatus(row.cell("STATUS"))
	return ok && isNodeName(row.cell("NAME"))
}

// parseNodeStatus reads a node's STATUS cell: its readiness, then the flags
// kubectl joins to it with commas ("Ready,SchedulingDisabled").
func parseNodeStatus(cell string) (ready string, flags []string, ok bool) {
	parts := strings.Split(cell, ",")
	if !slices.Contains([]string{"Ready", "NotReady", "Unknown"}, parts[0]) {
		return "", nil, false
	}
	for _, flag := range parts[1:] {
		if !isStatusFlag.MatchString(flag) {
			return "", nil, false
		}
		flags = append(flags, flag)
	}
	return parts[0], flags, true
}

var isStatusFlag = regexp.MustCompile(`^[A-Za-z]+$`)

func nodeRowOf(row tableRow) NodeRow {
	ready, flags, _ := parseNodeStatus(row.cell("STATUS"))
	age, ageKnown := parseAge(row.cell("AGE"))
	printed := func(column string) string {
		if cell := row.cell(column); cell != "<none>" && cell != "<unknown>" {
			return cell
		}
		return ""
	}
	return NodeRow{
		Name: row.cell("NAME"), Ready: ready, Flags: flags, Roles: printed("ROLES"),
		Age: age, AgeKnown: ageKnown,
		Version: printed("VERSION"), InternalIP: printed("INTERNAL-IP"), OSImage: printed("OS-IMAGE"),
		KernelVersion: printed("KERNEL-VERSION"), ContainerRuntime: printed("CONTAINER-RUNTIME"),
	}
}

const (
	// noTableYet is nodeReading.table before any row.
	noTableYet = -1
	// headerlessTable is the table of the rows read without a header; the
	// tables with one are counted from 1.
	headerlessTable = 0
)

// nodeReading is a node table paste being read.
type nodeReading struct {
	result NodeTable
	index  map[string]int // a node's place in result.Rows
	table  int            // the table the last row came from
	// clock is the time of the last `watch` header, for the next table;
	// clockNext says the header had none: a narrow terminal wrapped it onto the next line.
	clock     time.Time
	clockNext bool
}

// add keeps a node's row, replacing an earlier row of the same node.
func (p *nodeReading) add(row NodeRow, table int) {
	if table != p.table {
		// The first row of another table: the watch header above it, if
		// any, says when it was taken.
		p.table, p.result.Taken, p.clock = table, p.clock, time.Time{}
	}
	if i, seen := p.index[row.Name]; seen {
		p.result.Rows[i] = row
		return
	}
	if len(p.result.Rows) < maxTableRows {
		p.index[row.Name] = len(p.result.Rows)
		p.result.Rows = append(p.result.Rows, row)
	}
}

const watchDate = `(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{2}:\d{2}:\d{2} \d{4}`

var (
	// watchTitle is the first line of a `watch` screen: "Every 2.0s: kubectl
	// get nodes   host: Sun Sep 26 01:50:14 2021". Pastes lose the "E" with
	// the terminal's first column.
	watchTitle = regexp.MustCompile(`^E?very +\d+(?:[.,]\d+)?s: +(.*)$`)
	// watchClock is the end of a watch title: the time, after the host on newer watch.
	watchClock = regexp.MustCompile(`(?:^|\s)(?:\S+: +)?(` + watchDate + `)$`)
	// wrappedWatchClock is the line a narrow terminal wrapped a watch title's time onto.
	wrappedWatchClock = regexp.MustCompile(`^(?:\S+: +)?(` + watchDate + `)$`)
	// getNodesCommand is a command that printed a node table.
	getNodesCommand = regexp.MustCompile(`\bget +(?:nodes?|no)\b`)
)

// readOther reads a line outside the node tables: a `watch` title, or a
// headerless row of 2015. Any other line is passed over.
func (p *nodeReading) readOther(line string) {
	clockNext := p.clockNext
	p.clockNext = false
	if m := wrappedWatchClock.FindStringSubmatch(line); m != nil && clockNext {
		p.setClock(m[1])
		return
	}
	if m := watchTitle.FindStringSubmatch(line); m != nil {
		if clock := watchClock.FindStringSubmatch(m[1]); clock != nil {
			p.setClock(clock[1])
		} else {
			p.clockNext = true
		}
		return
	}
	if getNodesCommand.MatchString(line) {
		// A watch title that lost its "Every 2s:" ("kubectl get nodes    Mon
		// May 18 16:55:23 2015"), or a command without a time.
		if clock := watchClock.FindStringSubmatch(line); clock != nil {
			p.setClock(clock[1])
		}
		return
	}
	if row, ok := headerlessNodeRow(line); ok {
		p.add(row, headerlessTable)
	}
}

func (p *nodeReading) setClock(date string) {
	// watch prints the day space-padded ("Sep  5"); fields make it one space.
	if t, err := time.Parse("Mon Jan 2 15:04:05 2006", strings.Join(strings.Fields(date), " ")); err == nil {
		p.clock = t
	}
}

// headerlessNodeRow reads a row of 2015's `kubectl get nodes` (NAME LABELS
// STATUS) pasted without its header: "10.10.103.162
// kubernetes.io/hostname=10.10.103.162   NotReady". The hostname label is
// what says it is a node.
func headerlessNodeRow(line string) (NodeRow, bool) {
	fields := strings.Fields(line)
	if len(fields) != 3 || !isNodeName(fields[0]) || !strings.Contains(fields[1], "kubernetes.io/hostname=") {
		return NodeRow{}, false
	}
	ready, flags, ok := parseNodeStatus(fields[2])
	return NodeRow{Name: fields[0], Ready: ready, Flags: flags}, ok
}
