package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// renderMarkdown writes an incident-document section per node: the verdict,
// the ranked causes with evidence and next steps, coverage and sources.
func renderMarkdown(w io.Writer, diags []*diagnose.Diagnosis) error {
	for i, d := range diags {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "## Node %s: %s\n\n", mdEscape(d.Node), d.Verdict)
		fmt.Fprintf(w, "%s  \n%s, by kubectl-pleg.\n\n", mdEscape(d.Summary), mdEscape(upperFirst(CapturedAt(d))))
		if len(d.Causes) == 0 {
			fmt.Fprintln(w, "No cause found in the data collected.")
		} else {
			fmt.Fprintln(w, "| Rank | Cause | Severity | Confidence | Evidence | Next step |")
			fmt.Fprintln(w, "|---|---|---|---|---|---|")
			for _, row := range CauseRows(d) {
				for j := range row {
					row[j] = mdEscape(row[j])
				}
				fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
			}
			for _, c := range d.Causes {
				fmt.Fprintf(w, "\n### %d. `%s` — %s (%s, %s confidence)\n\n", c.Rank, c.ID, mdEscape(c.Title), c.Severity, c.Confidence)
				for _, e := range c.Evidence {
					fmt.Fprintf(w, "- %s\n", mdEscape(e))
				}
				if len(c.Remediation) > 0 {
					fmt.Fprintln(w, "\nNext steps:")
					for _, r := range c.Remediation {
						fmt.Fprintf(w, "- `%s`\n", strings.ReplaceAll(clean(r), "`", "'"))
					}
				}
			}
		}
		fmt.Fprintf(w, "\n### Checklist\n\n")
		for _, c := range d.Checks {
			fmt.Fprintf(w, "- **%s** %s: %s", c.ID, c.Name, c.Status)
			if c.Detail != "" {
				fmt.Fprintf(w, " (%s)", mdEscape(c.Detail))
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "\n### Sources\n\n| Source | Status | Detail |\n|---|---|---|\n")
		for _, s := range d.Sources {
			if s.Status == snapshot.StatusOK {
				fmt.Fprintf(w, "| %s | %s | %s |\n", s.Name, s.Status, mdEscape(s.Detail))
			}
		}
		for _, g := range SourceProblems(d.Sources) {
			fmt.Fprintf(w, "| %s | %s | %s |\n", strings.Join(g.Names, ", "), g.Status, mdEscape(g.Reason))
		}
		for _, g := range SourceProblems(d.Sources) {
			if g.Hint != "" {
				fmt.Fprintf(w, "\n%s: %s\n", strings.Join(g.Names, ", "), mdEscape(g.Hint))
			}
		}
	}
	return nil
}

// mdEscape keeps node text from being read as Markdown or HTML.
func mdEscape(s string) string {
	r := strings.NewReplacer("<", "&lt;", ">", "&gt;", "`", "'", "|", "\\|", "*", "\\*", "_", "\\_")
	return r.Replace(clean(s))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
