package kubelet

import (
	"strings"
	"unicode/utf8"
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
