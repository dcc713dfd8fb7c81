package paste

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The column tables of kubectl, crictl and docker are all written by Go's
// tabwriter: a header row of upper-case column names, then one row per
// object, every column starting where its name starts in the header. This
// file reads such tables as people paste them; nodes.go and listing.go say
// which tables they want and what their rows mean.

const (
	// tableHeadSize is how much of a paste LooksLikeNodeTable and LooksLikeListing read.
	tableHeadSize = 64 << 10
	// maxTableLineSize bounds the memory one line can take; a longer line is cut to it.
	maxTableLineSize = 1 << 20
	// maxTableRows bounds the rows a reader keeps from one paste.
	maxTableRows = 100_000
	// maxHeaderLines bounds how many lines a terminal may have wrapped a header onto.
	maxHeaderLines = 8
	// maxTableColumns bounds the columns of one header line, so that every
	// row costs time in proportion to its length. kubectl's widest tables
	// have a dozen, a few more with -L label columns.
	maxTableColumns = 64
)

// eachTableLine calls read with every line of r, cleaned by cleanTableLine.
// A line longer than maxTableLineSize is cut to it rather than failing the read.
func eachTableLine(r io.Reader, read func(line []rune)) error {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(nil, maxTableLineSize)
	scanner.Split(scanCutLines(maxTableLineSize))
	for scanner.Scan() {
		read(cleanTableLine(scanner.Text()))
	}
	return scanner.Err()
}

var (
	// terminalEscape is a colour or cursor sequence copied along with the
	// text (kubecolor, a coloured prompt); it takes no room on the screen.
	terminalEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)
	// pasteDecoration is what a paste puts before a line of output: e-mail
	// or markdown quoting ("> "), and the "* " minikube puts before the first
	// line of a `minikube logs` section.
	pasteDecoration = regexp.MustCompile(`^(?:(?:> ?)+|\* )`)
)

// cleanTableLine returns a line as runes (tabwriter aligns columns by
// counting runes), without what the paste added to it: terminal escapes,
// quoting, non-breaking spaces from a web page, trailing spaces.
func cleanTableLine(line string) []rune {
	if strings.Contains(line, "\x1b") {
		line = terminalEscape.ReplaceAllString(line, "")
	}
	line = pasteDecoration.ReplaceAllString(line, "")
	line = strings.ReplaceAll(line, "\u00a0", " ")
	return []rune(strings.TrimRightFunc(line, unicode.IsSpace))
}

// field is a piece of a line between column gaps, and the rune offset it starts at.
type field struct {
	text  string
	start int
}

// splitFields cuts a line at its column gaps: tabs, and runs of two or more
// spaces. tabwriter pads columns with three spaces, so a single space is
// inside a cell ("Ubuntu 16.04.6 LTS", "About a minute ago").
func splitFields(line []rune) []field {
	var fields []field
	start := -1
	for i := 0; i <= len(line); i++ {
		gap := i == len(line) || line[i] == '\t' ||
			line[i] == ' ' && (i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\t')
		switch {
		case gap && start >= 0:
			fields = append(fields, field{text: string(line[start:i]), start: start})
			start = -1
		case !gap && start < 0 && line[i] != ' ':
			start = i
		}
	}
	return fields
}

// columnName is a header cell: upper case, one inner space at most ("CONTAINER ID", "POD ID").
var columnName = regexp.MustCompile(`^[A-Z][A-Z0-9_./-]*(?: [A-Z][A-Z0-9_./-]*)?$`)

// columnNames says whether every field of a line is a column name, as in a header.
func columnNames(fields []field) ([]string, bool) {
	if len(fields) > maxTableColumns {
		return nil, false
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		if !columnName.MatchString(f.text) {
			return nil, false
		}
		names[i] = f.text
	}
	return names, len(names) > 0
}

// headerLine is one line of a table's header; a header a terminal wrapped has several,
// and each row then has as many lines.
type headerLine struct {
	// names are the columns of the line. On a wrapped line the first name may
	// be "": the unnamed start of the line holds the end of the cell the wrap cut.
	names  []string
	starts []int // where each column starts, in runes
	tabbed bool  // the columns were separated by tabs, so their positions say nothing
}

// newHeaderLine reads a header line; above is the header's first line when
// this one is a wrapped continuation of it.
func newHeaderLine(line []rune, fields []field, above *headerLine) headerLine {
	h := headerLine{tabbed: slices.Contains(line, '\t')}
	if above != nil && !h.tabbed && fields[0].start > above.starts[0] {
		// Indented further than the header itself: the wrap left the end of
		// the previous line's last column here.
		h.names, h.starts = []string{""}, []int{0}
	}
	for _, f := range fields {
		h.names = append(h.names, f.text)
		h.starts = append(h.starts, f.start)
	}
	return h
}

// carries says the lines under h start with the end of the cell the wrap cut.
func (h headerLine) carries() bool { return h.names[0] == "" }

// split cuts a line of the table into the cells of h's columns.
func (h headerLine) split(line []rune, fields []field) []string {
	if h.tabbed || slices.Contains(line, '\t') || len(fields) == len(h.names) {
		// Every cell is there, or positions are lost to tabs: the cells come
		// in order. This also reads rows that drift from the header, as
		// `kubectl get -w` and hand-edited pastes print them.
		return cellsInOrder(line, fields, len(h.names))
	}
	// Some cell is empty (EXTERNAL-IP, PORTS): only positions tell which.
	cells := make([]string, len(h.starts))
	from := 0
	for i := range h.starts {
		to := len(line)
		if i+1 < len(h.starts) {
			to = cellBoundary(line, h.starts[i+1], from)
		}
		cells[i] = strings.TrimSpace(string(line[from:to]))
		from = to
	}
	return cells
}

// cellsInOrder gives the fields of a line to n columns in order; the fields
// beyond the last column are the rest of the last cell, as printed.
func cellsInOrder(line []rune, fields []field, n int) []string {
	cells := make([]string, n)
	for i, f := range fields[:min(len(fields), n)] {
		cells[i] = f.text
	}
	if len(fields) > n {
		cells[n-1] = string(line[fields[n-1].start:])
	}
	return cells
}

// cellBoundary is where a column whose header starts at `at` starts in a row
// line, given the previous column starts at floor. In an aligned row that is
// `at` itself. When `at` falls inside a word, the row does not line up (a
// misaligned paste): the word is this column's cell when a column gap comes
// before it (the row is shifted left), and the previous column's when it
// continues that cell (a value overflowing its column).
func cellBoundary(line []rune, at, floor int) int {
	at = max(min(at, len(line)), floor)
	if at == floor || at == len(line) || line[at-1] == ' ' || line[at] == ' ' {
		return at
	}
	start := at
	for start > floor && line[start-1] != ' ' {
		start--
	}
	if start-2 >= floor && line[start-2] == ' ' {
		return start
	}
	end := at
	for end < len(line) && line[end] != ' ' {
		end++
	}
	return end
}

// tableRow is one data row of a table: its cells under their column names.
type tableRow struct {
	table   int // which table of the paste the row is in, counting from 1
	columns []string
	cells   []string
}

// cell is the row's cell in the named column; "" when the table has no such column.
func (r tableRow) cell(column string) string {
	if i := slices.Index(r.columns, column); i >= 0 {
		return r.cells[i]
	}
	return ""
}

// extend adds the cells of a wrapped row's next line.
func (r *tableRow) extend(h headerLine, cells []string) {
	names := h.names
	if h.carries() {
		last := len(r.cells) - 1
		r.cells[last] = strings.TrimSpace(r.cells[last] + " " + cells[0])
		names, cells = names[1:], cells[1:]
	}
	r.columns = append(r.columns, names...)
	r.cells = append(r.cells, cells...)
}

// tableKind is what one reader wants from the tables in a paste.
type tableKind struct {
	// accepts says whether the column names of a header start a table of this kind.
	accepts func(columns []string) bool
	// startsRow says whether a line, cut into the cells of the header's first
	// line, begins a data row. A line that does not is the next line of a
	// wrapped row, or else the end of the table.
	startsRow func(row tableRow) bool
}

// tableReader reads the tables of one kind in a paste, a line at a time,
// and hands each data row to emit once its last wrapped line is read.
type tableReader struct {
	kind tableKind
	emit func(tableRow)

	tables  int          // the tables begun so far
	header  []headerLine // the current table's header; nil outside a table
	hasRows bool         // a row has followed the header, so the header is complete
	row     *tableRow    // a row whose wrapped lines may still follow
	filled  int          // how many of the header's lines row has
}

// read takes a line of the paste and says whether it belongs to a table:
// a header, a data row or a line of one, or a blank line inside a table.
func (t *tableReader) read(line []rune) bool {
	fields := splitFields(line)
	if len(fields) == 0 {
		// A blank line ends a wrapped row but not the table: some pastes
		// double-space their rows.
		t.finishRow()
		return t.header != nil
	}
	if names, ok := columnNames(fields); ok {
		if t.kind.accepts(names) {
			t.finishRow()
			t.tables++
			t.header, t.hasRows = []headerLine{newHeaderLine(line, fields, nil)}, false
			return true
		}
		if t.header != nil && !t.hasRows && len(t.header) < maxHeaderLines {
			t.header = append(t.header, newHeaderLine(line, fields, &t.header[0]))
			return true
		}
	}
	if t.header == nil {
		return false
	}
	first := t.header[0]
	// Clipped, the header's names are copied, not overwritten, when a wrapped row extends them.
	row := tableRow{table: t.tables, columns: slices.Clip(first.names), cells: first.split(line, fields)}
	if t.kind.startsRow(row) {
		t.finishRow()
		t.row, t.filled, t.hasRows = &row, 1, true
		t.finishRowIfWhole()
		return true
	}
	if t.row != nil && t.filled < len(t.header) {
		next := t.header[t.filled]
		t.row.extend(next, next.split(line, fields))
		t.filled++
		t.finishRowIfWhole()
		return true
	}
	t.finishRow()
	t.header = nil
	return false
}

// close hands over the row still being read at the end of the paste.
func (t *tableReader) close() { t.finishRow() }

func (t *tableReader) finishRowIfWhole() {
	if t.filled == len(t.header) {
		t.finishRow()
	}
}

func (t *tableReader) finishRow() {
	if t.row != nil {
		t.emit(*t.row)
		t.row = nil
	}
}

// maxTableAge keeps absurd ages ("99999999 years ago") from overflowing a Duration.
const maxTableAge = 200 * 365 * 24 * time.Hour

// compactAge is kubectl's age: "55s", "7m32s", "3h43m", "5d6h", "2y3d".
var compactAge = regexp.MustCompile(`^(?:(\d+)y)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$`)

// compactAgeUnits are the units of compactAge's groups; kubectl's year is 365 days.
var compactAgeUnits = []time.Duration{365 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second}

var (
	// runtimeStatusWords are what docker's STATUS says before its age: "Up 5
	// minutes", "Exited (0) 3 hours ago", "Restarting (1) 5 seconds ago".
	runtimeStatusWords = regexp.MustCompile(`^(?:Up|(?:Exited|Restarting) \(-?\d+\)) +`)
	// runtimeStatusNote is docker's note after the age: "(healthy)", "(Paused)".
	runtimeStatusNote = regexp.MustCompile(` *\([^()]*\)$`)
	// relativeAge is the go-units HumanDuration crictl and docker print: "36 seconds", "2 days".
	relativeAge = regexp.MustCompile(`^(\d+) (second|minute|hour|day|week|month|year)s?$`)
)

// relativeAgeUnits are relativeAge's units; go-units' month is 30 days, its year 365.
var relativeAgeUnits = map[string]time.Duration{
	"second": time.Second, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour,
	"week": 7 * 24 * time.Hour, "month": 30 * 24 * time.Hour, "year": 365 * 24 * time.Hour,
}

// parseAge reads how long ago a table cell says something happened:
// kubectl's ages ("55s", "5d6h", "2y3d") and crictl's and docker's relative
// times ("4 minutes ago", "About a minute ago", "Less than a second ago",
// "Up 2 hours (healthy)", "Exited (0) 3 hours ago"). The words go-units uses
// for "about" one minute or hour are read as that minute or hour. The age is
// unknown for "<invalid>" (a clock skewed into the future), "Created" and
// anything else it cannot read.
func parseAge(cell string) (time.Duration, bool) {
	text := strings.TrimSpace(cell)
	if m := compactAge.FindStringSubmatch(text); m != nil && text != "" {
		return sumAge(m[1:], compactAgeUnits)
	}
	text = runtimeStatusWords.ReplaceAllString(text, "")
	text = runtimeStatusNote.ReplaceAllString(text, "")
	text = strings.TrimSuffix(text, " ago")
	switch text {
	case "Less than a second":
		return 0, true
	case "About a minute":
		return time.Minute, true
	case "About an hour":
		return time.Hour, true
	}
	if m := relativeAge.FindStringSubmatch(text); m != nil {
		return sumAge(m[1:2], []time.Duration{relativeAgeUnits[m[2]]})
	}
	return 0, false
}

// sumAge adds counts of units; an empty count is none of its unit.
func sumAge(counts []string, units []time.Duration) (time.Duration, bool) {
	var age time.Duration
	for i, count := range counts {
		if count == "" {
			continue
		}
		n, err := strconv.Atoi(count)
		if err != nil || time.Duration(n) > maxTableAge/units[i] {
			return 0, false
		}
		if age += time.Duration(n) * units[i]; age > maxTableAge {
			return 0, false
		}
	}
	return age, true
}
