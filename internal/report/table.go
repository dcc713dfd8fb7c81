package report

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Column widths of the cause table; the details below it carry the full text.
const (
	evidenceWidth = 60
	stepWidth     = 70
)

var causeHeader = []string{"RANK", "CAUSE", "SEVERITY", "CONFIDENCE", "EVIDENCE", "NEXT STEP"}

// CauseRows is the cause table of a diagnosis, one row per cause, as plain text.
func CauseRows(d *diagnose.Diagnosis) [][]string {
	var rows [][]string
	for _, c := range d.Causes {
		rows = append(rows, []string{
			fmt.Sprint(c.Rank), string(c.ID), c.Severity.String(), c.Confidence.String(),
			truncate(clean(firstOr(c.Evidence, "")), evidenceWidth),
			truncate(clean(firstOr(c.Remediation, "")), stepWidth),
		})
	}
	return rows
}

// ChecksLine is the checklist coverage: "A conditions+events ✓  B kubelet log ✓ (...)".
func ChecksLine(d *diagnose.Diagnosis) string {
	var parts []string
	for _, c := range d.Checks {
		mark := "✓"
		switch c.Status {
		case diagnose.CheckPartial:
			mark = "◐"
		case diagnose.CheckMissing:
			mark = "✗"
		}
		p := fmt.Sprintf("%s %s %s", c.ID, c.Name, mark)
		// Gaps always say why; the kubelet log also says how much was read.
		if c.Detail != "" && (c.Status != diagnose.CheckDone || c.ID == "B") {
			p += " (" + clean(c.Detail) + ")"
		}
		parts = append(parts, p)
	}
	return "Checked: " + strings.Join(parts, "  ")
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
	for i, d := range diags {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := renderOneTable(w, d, opts); err != nil {
			return err
		}
	}
	return nil
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

func renderOneTable(w io.Writer, d *diagnose.Diagnosis, opts Options) error {
	fmt.Fprintf(w, "%s\n", clean(d.Summary))
	fmt.Fprintf(w, "Verdict: %s   %s\n\n", d.Verdict, CapturedAt(d))
	rows := CauseRows(d)
	if len(rows) == 0 {
		fmt.Fprintln(w, "No cause found in the data collected.")
	} else {
		if opts.Color {
			for i, c := range d.Causes {
				rows[i][2] = severityColors[c.Severity] + rows[i][2] + "\x1b[0m"
			}
		}
		if err := writeTable(w, causeHeader, rows); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, ChecksLine(d))
	if slow := SlowLine(d); slow != "" {
		fmt.Fprintln(w, slow)
	}
	renderDetails(w, d)
	if len(d.FullerInput) > 0 {
		fmt.Fprintln(w, "\nTo tell more, add:")
		for _, more := range d.FullerInput {
			fmt.Fprintf(w, "   • %s\n", clean(more))
		}
		return nil // the sources not given are what the list above asks for
	}
	renderSourceProblems(w, d.Sources)
	return nil
}

// writeTable prints rows in kubectl's borderless style: headers as given,
// left-aligned columns two spaces apart, no wrapping.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	table := tablewriter.NewTable(w,
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
	table.Header(header)
	if err := table.Bulk(rows); err != nil {
		return err
	}
	return table.Render()
}

// renderDetails lists every cause's full evidence and next steps.
func renderDetails(w io.Writer, d *diagnose.Diagnosis) {
	if len(d.Causes) == 0 {
		return
	}
	fmt.Fprintln(w, "\nDetails:")
	for _, c := range d.Causes {
		fmt.Fprintf(w, "%d. %s — %s (%s, %s confidence, %s)\n", c.Rank, c.ID, c.Title, c.Severity, c.Confidence, c.Role)
		for _, e := range c.Evidence {
			fmt.Fprintf(w, "   • %s\n", clean(e))
		}
		for _, r := range c.Remediation {
			fmt.Fprintf(w, "   → %s\n", clean(r))
		}
	}
}

// renderSourceProblems lists the sources that could not be read, those
// that failed alike (the same status, reason and hint: seven kubelet sources
// forbidden by one missing rule) on one line, each hint once.
func renderSourceProblems(w io.Writer, sources []snapshot.Source) {
	groups := SourceProblems(sources)
	if len(groups) == 0 {
		return
	}
	fmt.Fprintln(w, "\nNot read:")
	for _, g := range groups {
		fmt.Fprintf(w, "   %s: %s — %s\n", strings.Join(g.Names, ", "), g.Status, clean(g.Reason))
		if g.Hint != "" {
			fmt.Fprintf(w, "   → %s\n", clean(g.Hint))
		}
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
