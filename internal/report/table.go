package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// confidenceColumnWidth is the width from which the narrow table has room
// for a CONFIDENCE column.
const confidenceColumnWidth = 100

// ChecksLine is the checklist coverage in a few words, "Checked: A ✓
// conditions+events  B ✓ kubelet log  C ✗ system log ..."; why a gap is a
// gap is in the sources below it and in -o json.
func ChecksLine(d *diagnose.Diagnosis) string {
	return "Checked: " + strings.Join(checkItems(d), "  ")
}

func checkItems(d *diagnose.Diagnosis) []string {
	var parts []string
	for _, c := range d.Checks {
		mark := "✓"
		switch c.Status {
		case diagnose.CheckPartial:
			mark = "◐"
		case diagnose.CheckMissing:
			mark = "✗"
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", c.ID, mark, c.Name))
	}
	return parts
}

// SlowLine names the sources that took SlowSource or longer to read, slowest
// first: "Slow: metrics 15.2s, stats 15.1s"; "" when none did.
func SlowLine(d *diagnose.Diagnosis) string {
	var slow []snapshot.Source
	for _, s := range d.Sources {
		if s.Elapsed() >= diagnose.SlowSource {
			slow = append(slow, s)
		}
	}
	if len(slow) == 0 {
		return ""
	}
	sort.SliceStable(slow, func(i, j int) bool { return slow[i].ElapsedMillis > slow[j].ElapsedMillis })
	var parts []string
	for _, s := range slow {
		parts = append(parts, fmt.Sprintf("%s %s", s.Name, humanize.Duration(s.Elapsed())))
	}
	return "Slow: " + strings.Join(parts, ", ")
}

var severityColors = map[diagnose.Severity]string{
	diagnose.Critical: "\x1b[31;1m", diagnose.Warning: "\x1b[33m", diagnose.Info: "\x1b[36m",
}

func renderTable(w io.Writer, diags []*diagnose.Diagnosis, opts Options) error {
	if len(diags) == 1 {
		return renderOneTable(w, diags[0], opts)
	}
	// A fleet: the summary, the nodes in trouble worst first, each in
	// full, then one line for each node with nothing to say.
	fmt.Fprintln(w, indented("", diagnose.FleetSummary(diags), opts.Width))
	var quiet []*diagnose.Diagnosis
	for _, d := range worstFirst(diags) {
		if d.Alarm() == diagnose.NoAlarm && len(d.Causes) == 0 {
			quiet = append(quiet, d)
			continue
		}
		fmt.Fprintln(w)
		if err := renderOneTable(w, d, opts); err != nil {
			return err
		}
	}
	if len(quiet) > 0 {
		fmt.Fprintln(w)
		for _, d := range quiet {
			fmt.Fprintln(w, indented("", clean(d.Conclusion()), opts.Width))
		}
	}
	return nil
}

// worstFirst orders diagnoses by how loud they are, the input's order
// within the same.
func worstFirst(diags []*diagnose.Diagnosis) []*diagnose.Diagnosis {
	out := slices.Clone(diags)
	slices.SortStableFunc(out, func(a, b *diagnose.Diagnosis) int { return cmp.Compare(b.Alarm(), a.Alarm()) })
	return out
}

// CapturedAt says when the data was captured, never printing a time the
// data does not hold: no year when its times carry none, nothing made up
// when it carries no time at all.
func CapturedAt(d *diagnose.Diagnosis) string {
	switch {
	case d.CollectedAt.IsZero():
		return "capture time unknown (nothing in the data carries a time)"
	case d.CollectedAtYearGuessed:
		return "collected " + d.CollectedAt.Format("Jan 2 15:04:05Z07:00") + " (the data gives no year)"
	}
	return "collected " + d.CollectedAt.Format("2006-01-02T15:04:05Z07:00")
}

// renderOneTable writes one diagnosis for a terminal: the headline, the
// symptom and verdict, the causes (wrapped to opts.Width, or one line each
// when it is 0), the commands to run next on lines of their own, the time
// strip, the checklist, the details, and what could not be read.
func renderOneTable(w io.Writer, d *diagnose.Diagnosis, opts Options) error {
	width := opts.Width
	fmt.Fprintln(w, headlineText(d, width))
	fmt.Fprintln(w, indented("", clean(d.Summary), width))
	fmt.Fprintf(w, "Verdict: %s   %s\n\n", d.Verdict, CapturedAt(d))
	if len(d.Causes) == 0 {
		fmt.Fprintln(w, "No cause found in the data collected.")
	} else if width == 0 {
		if err := writeWideCauses(w, d, opts.Color); err != nil {
			return err
		}
	} else {
		writeCauses(w, d, opts.Color, width)
		writeNext(w, d, width)
	}
	if strip := stripLines(d, width); strip != nil {
		fmt.Fprintln(w)
		fmt.Fprintln(w, strings.Join(strip, "\n"))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, wrapItems("Checked: ", checkItems(d), width))
	if slow := SlowLine(d); slow != "" {
		fmt.Fprintln(w, slow)
	}
	renderDetails(w, d, width)
	if len(d.FullerInput) > 0 {
		fmt.Fprintln(w, "\nTo tell more, add:")
		for _, more := range d.FullerInput {
			fmt.Fprintln(w, indented("   • ", clean(more), width))
		}
		return nil // the sources not given are what the list above asks for
	}
	renderSourceProblems(w, d.Sources, width)
	renderFallbacks(w, d.Sources, width)
	return nil
}

// headlineText is the headline within width: its words wrapped, and its
// command whole on a line of its own when the line would be longer.
func headlineText(d *diagnose.Diagnosis, width int) string {
	line := clean(d.Headline)
	if width == 0 || utf8.RuneCountInString(line) <= width || d.Next == nil {
		return indentedRest(line, width)
	}
	return indentedRest(clean(d.Conclusion()), width) + "\n  → " + clean(d.Next.Commandline())
}

// indentedRest wraps text to width, its further lines indented by two.
func indentedRest(text string, width int) string {
	lines := wrap(text, width)
	if len(lines) == 1 {
		return lines[0]
	}
	rest := strings.Join(lines[1:], " ")
	return lines[0] + "\n" + indented("  ", rest, width)
}

// writeCauses is the cause table within width: the evidence column takes
// what the others leave, wrapped at word boundaries.
func writeCauses(w io.Writer, d *diagnose.Diagnosis, color bool, width int) {
	header := []string{"RANK", "CAUSE", "SEVERITY"}
	if width >= confidenceColumnWidth {
		header = append(header, "CONFIDENCE")
	}
	rows := make([][]string, len(d.Causes))
	for i, c := range d.Causes {
		sev := c.Severity.String()
		if color {
			sev = severityColors[c.Severity] + sev + "\x1b[0m"
		}
		rows[i] = []string{fmt.Sprint(c.Rank), string(c.ID), sev}
		if width >= confidenceColumnWidth {
			rows[i] = append(rows[i], c.Confidence.String())
		}
	}
	widths := make([]int, len(header))
	for j, h := range header {
		widths[j] = utf8.RuneCountInString(h)
		for _, r := range rows {
			widths[j] = max(widths[j], utf8.RuneCountInString(stripColor(r[j])))
		}
	}
	fixed := 0
	for _, wd := range widths {
		fixed += wd + 2
	}
	evidenceWidth := max(20, width-fixed)
	line := func(cells []string, evidence string) string {
		var b strings.Builder
		for j, c := range cells {
			b.WriteString(cell(c, widths[j]) + "  ")
		}
		return strings.TrimRight(b.String()+evidence, " ")
	}
	fmt.Fprintln(w, line(header, "EVIDENCE"))
	blank := make([]string, len(header))
	for i, c := range d.Causes {
		for k, ev := range wrap(clean(firstOr(c.Evidence, "")), evidenceWidth) {
			if k == 0 {
				fmt.Fprintln(w, line(rows[i], ev))
			} else {
				fmt.Fprintln(w, line(blank, ev))
			}
		}
	}
}

// writeNext lists, under the table, each cause's first step: its words
// wrapped, its command whole on a line of its own, said once even when two
// causes share it.
func writeNext(w io.Writer, d *diagnose.Diagnosis, width int) {
	seen := map[string]int{}
	fmt.Fprintln(w, "\nNext (the Details below have every step):")
	for _, c := range d.Causes {
		if len(c.Steps) == 0 {
			continue
		}
		st := c.Steps[0]
		prefix := fmt.Sprintf("%3d  ", c.Rank)
		if first, shared := seen[st.Run]; shared && st.Run != "" {
			fmt.Fprintln(w, indented(prefix, fmt.Sprintf("%s: the same as %d", c.ID, first), width))
			continue
		}
		seen[st.Run] = c.Rank
		fmt.Fprintln(w, indented(prefix, string(c.ID)+": "+stepWords(st), width))
		if st.Run != "" {
			fmt.Fprintln(w, "       "+clean(st.Run))
		}
	}
}

// stepWords is a step in words, ending with a colon when its command follows:
// "see whether the runtime answers, on the node (a hang confirms it):".
func stepWords(st diagnose.Step) string {
	s := clean(st.Do)
	if st.On == diagnose.OnNode {
		s += ", on the node"
	}
	if st.Expect != "" {
		s += " (" + clean(st.Expect) + ")"
	}
	if st.Run != "" {
		s += ":"
	}
	return s
}

// writeWideCauses is -o wide: one line per cause with its first evidence
// and first step whole.
func writeWideCauses(w io.Writer, d *diagnose.Diagnosis, color bool) error {
	rows := make([][]string, len(d.Causes))
	for i, c := range d.Causes {
		sev := c.Severity.String()
		if color {
			sev = severityColors[c.Severity] + sev + "\x1b[0m"
		}
		next := ""
		if len(c.Steps) > 0 {
			next = c.Steps[0].String()
		}
		rows[i] = []string{fmt.Sprint(c.Rank), string(c.ID), sev, c.Confidence.String(), clean(firstOr(c.Evidence, "")), clean(next)}
	}
	return writeTable(w, []string{"RANK", "CAUSE", "SEVERITY", "CONFIDENCE", "EVIDENCE", "NEXT STEP"}, rows)
}

// writeTable prints rows in kubectl's borderless style: headers as given,
// left-aligned columns two spaces apart, no wrapping, no trailing spaces.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	var buf bytes.Buffer
	table := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithPadding(tw.Padding{Right: "  ", Overwrite: true}),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoFormat(tw.Off),
	)
	if header != nil {
		table.Header(header)
	}
	if err := table.Bulk(rows); err != nil {
		return err
	}
	if err := table.Render(); err != nil {
		return err
	}
	for line := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// renderDetails lists every cause's evidence and next steps, each step's
// command whole on a line of its own; a step already given under a higher
// cause is named, not repeated.
func renderDetails(w io.Writer, d *diagnose.Diagnosis, width int) {
	if len(d.Causes) == 0 {
		return
	}
	fmt.Fprintln(w, "\nDetails:")
	seen := map[string]int{}
	for _, c := range d.Causes {
		fmt.Fprintln(w, indented(fmt.Sprintf("%d. ", c.Rank), fmt.Sprintf("%s — %s (%s, %s confidence, %s)", c.ID, c.Title, c.Severity, c.Confidence, c.Role), width))
		for _, e := range c.Evidence {
			fmt.Fprintln(w, indented("   • ", clean(e), width))
		}
		for _, st := range c.Steps {
			if first, shared := seen[st.String()]; shared {
				fmt.Fprintln(w, indented("   → ", fmt.Sprintf("as in %d: %s", first, clean(st.Do)), width))
				continue
			}
			seen[st.String()] = c.Rank
			fmt.Fprintln(w, indented("   → ", stepWords(st), width))
			if st.Run != "" {
				fmt.Fprintln(w, "       "+clean(st.Run))
			}
		}
	}
}

// renderSourceProblems lists the sources that could not be read, those
// that failed alike on one line, each hint once.
func renderSourceProblems(w io.Writer, sources []snapshot.Source, width int) {
	groups := SourceProblems(sources)
	if len(groups) == 0 {
		return
	}
	fmt.Fprintln(w, "\nNot read:")
	for _, g := range groups {
		fmt.Fprintln(w, indented("   ", fmt.Sprintf("%s: %s — %s", strings.Join(g.Names, ", "), g.Status, clean(g.Reason)), width))
		if g.Hint != "" {
			fmt.Fprintln(w, indented("   → ", clean(g.Hint), width))
		}
	}
}

// renderFallbacks names the sources read another way than the usual one,
// and why: a kubelet log read from a file may cover less than the journal.
func renderFallbacks(w io.Writer, sources []snapshot.Source, width int) {
	header := false
	for _, s := range sources {
		if s.Status != snapshot.StatusOK || !s.Fallback {
			continue
		}
		if !header {
			fmt.Fprintln(w, "\nRead another way:")
			header = true
		}
		fmt.Fprintln(w, indented("   ", fmt.Sprintf("%s: %s", s.Name, clean(s.Detail)), width))
	}
}

// SourceProblem is a set of sources that failed alike.
type SourceProblem struct {
	Names        []string
	Status       snapshot.SourceStatus
	Reason, Hint string
}

// SourceProblems groups the sources that could not be read by how they
// failed, in source order.
func SourceProblems(sources []snapshot.Source) []SourceProblem {
	var out []SourceProblem
	for _, s := range sources {
		if s.Status == snapshot.StatusOK {
			continue
		}
		i := slices.IndexFunc(out, func(g SourceProblem) bool { return g.Status == s.Status && g.Reason == s.Reason && g.Hint == s.Hint })
		if i < 0 {
			out = append(out, SourceProblem{Status: s.Status, Reason: s.Reason, Hint: s.Hint})
			i = len(out) - 1
		}
		out[i].Names = append(out[i].Names, string(s.Name))
	}
	return out
}
