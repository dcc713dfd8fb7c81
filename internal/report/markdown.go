package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// renderMarkdown writes an incident-document section per node, for a ticket:
// the conclusion first with its command in a code span of its own, the
// causes whole (markdown has no width), the time strip with a Mermaid chart
// that GitHub and GitLab draw, every cause's evidence and next steps (each
// command in a fenced block, so it copies alone), the checklist and sources.
func renderMarkdown(w io.Writer, diags []*diagnose.Diagnosis) error {
	if len(diags) > 1 {
		fmt.Fprintf(w, "**%s**\n\n", mdEscape(diagnose.FleetSummary(diags)))
		diags = worstFirst(diags)
	}
	for i, d := range diags {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "## %s", mdEscape(d.Conclusion()))
		if d.Next != nil {
			fmt.Fprintf(w, " → %s%s", mdWhere(*d.Next), codeSpan(d.Next.Run))
		}
		fmt.Fprintf(w, "\n\n%s  \n%s, verdict `%s`, by kubectl-pleg.\n\n", mdEscape(d.Summary), mdEscape(upperFirst(CapturedAt(d))), d.Verdict)
		if len(d.Causes) == 0 {
			fmt.Fprintln(w, "No cause found in the data collected.")
		} else {
			fmt.Fprintln(w, "| Rank | Cause | Severity | Confidence | Evidence | Next step |")
			fmt.Fprintln(w, "|---|---|---|---|---|---|")
			seen := map[string]int{}
			for _, c := range d.Causes {
				next := ""
				if len(c.Steps) > 0 {
					next = mdStep(c.Steps[0], true)
					if first, shared := seen[c.Steps[0].String()]; shared {
						next = fmt.Sprintf("As %d.", first)
					} else {
						seen[c.Steps[0].String()] = c.Rank
					}
				}
				fmt.Fprintf(w, "| %d | `%s` | %s | %s | %s | %s |\n", c.Rank, c.ID, c.Severity, c.Confidence,
					mdCell(mdEvidence(firstOr(c.Evidence, ""))), mdCell(next))
			}
		}
		renderMarkdownTimeline(w, d)
		renderMarkdownDetails(w, d)
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
				fmt.Fprintf(w, "| %s | %s | %s |\n", s.Name, s.Status, mdCell(mdEscape(s.Detail)))
			}
		}
		for _, g := range SourceProblems(d.Sources) {
			fmt.Fprintf(w, "| %s | %s | %s |\n", strings.Join(g.Names, ", "), g.Status, mdCell(mdEscape(g.Reason)))
		}
		for _, g := range SourceProblems(d.Sources) {
			if g.Hint != "" {
				fmt.Fprintf(w, "\n%s: %s\n", strings.Join(g.Names, ", "), mdEscape(g.Hint))
			}
		}
		if len(d.FullerInput) > 0 {
			fmt.Fprintf(w, "\n### To tell more, add\n\n")
			for _, more := range d.FullerInput {
				fmt.Fprintf(w, "- %s\n", mdInline(more))
			}
		}
	}
	return nil
}

// renderMarkdownDetails writes each cause: its evidence, then its steps,
// each in words with its command in a fenced block; a step given under a
// higher cause is named, not repeated.
func renderMarkdownDetails(w io.Writer, d *diagnose.Diagnosis) {
	seen := map[string]int{}
	for _, c := range d.Causes {
		fmt.Fprintf(w, "\n### %d. `%s` — %s (%s, %s confidence)\n\n", c.Rank, c.ID, mdEscape(c.Title), c.Severity, c.Confidence)
		for _, e := range c.Evidence {
			fmt.Fprintf(w, "- %s\n", mdEvidence(e))
		}
		if len(c.Steps) == 0 {
			continue
		}
		fmt.Fprintln(w, "\nNext steps:")
		for i, st := range c.Steps {
			if first, shared := seen[st.String()]; shared {
				fmt.Fprintf(w, "\n%d. As in %d: %s.\n", i+1, first, mdEscape(st.Do))
				continue
			}
			seen[st.String()] = c.Rank
			fmt.Fprintf(w, "\n%d. %s\n", i+1, mdStep(st, false))
			if st.Run != "" {
				fmt.Fprintf(w, "\n   ```sh\n   %s\n   ```\n", clean(st.Run))
			}
		}
	}
}

// mdStep says a step in words: inline (a table cell) with its command as a
// code span, or as a list item whose command follows in a fenced block.
func mdStep(st diagnose.Step, inline bool) string {
	s := upperFirst(mdEscape(st.Do))
	if st.Expect != "" {
		s += " (" + mdEscape(st.Expect) + ")"
	}
	switch {
	case st.Run == "":
		return s + "."
	case inline:
		return s + ": " + mdWhere(st) + codeSpan(st.Run)
	case st.On == diagnose.OnNode:
		return s + ", on the node:"
	}
	return s + ":"
}

func mdWhere(st diagnose.Step) string {
	if st.On == diagnose.OnNode {
		return "on the node, "
	}
	return ""
}

// mdEvidence renders an evidence line; a quoted log line ("latest: …")
// stays as the node wrote it, in a code span.
func mdEvidence(e string) string {
	if line, ok := strings.CutPrefix(e, "latest: "); ok {
		return "latest: " + codeSpan(line)
	}
	return mdEscape(e)
}

// codeSpan puts s in a code span that holds it whatever backticks it has.
func codeSpan(s string) string {
	s = clean(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdCell keeps a table cell in its cell: a pipe, even in a code span, is
// escaped (GitHub and GitLab unescape it there), and a newline is a space.
func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

// mdInline renders text of the tool's own that may hold `code spans`:
// they stay code spans, the rest is escaped.
func mdInline(s string) string {
	parts := strings.Split(s, "`")
	for i := range parts {
		if i%2 == 0 {
			parts[i] = mdEscape(parts[i])
		} else {
			parts[i] = codeSpan(parts[i])
		}
	}
	return strings.Join(parts, "")
}

// mdEscape keeps node text from being read as Markdown or HTML.
func mdEscape(s string) string {
	r := strings.NewReplacer("<", "&lt;", ">", "&gt;", "`", "'", "|", "\\|", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]")
	return r.Replace(clean(s))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// renderMarkdownTimeline draws the time strip in a text block, and the same
// tracks as a Mermaid gantt chart, which GitHub and GitLab render in issues
// and comments.
func renderMarkdownTimeline(w io.Writer, d *diagnose.Diagnosis) {
	strip := stripLines(d, 0)
	if strip == nil {
		return
	}
	fmt.Fprintf(w, "\n### Timeline\n\n```text\n%s\n```\n\n", strings.Join(strip, "\n"))
	fmt.Fprintln(w, "```mermaid")
	fmt.Fprintln(w, "gantt")
	fmt.Fprintf(w, "    title %s, %s → %s UTC\n", mermaidText(d.Node), d.WindowStart.UTC().Format("15:04"), d.CollectedAt.UTC().Format("15:04"))
	fmt.Fprintln(w, "    dateFormat YYYY-MM-DD HH:mm:ss")
	fmt.Fprintln(w, "    axisFormat %H:%M")
	for _, t := range d.Tracks {
		fmt.Fprintf(w, "    section %s\n", mermaidText(t.Name))
		for _, bar := range trackBars(t, d.WindowStart, d.CollectedAt) {
			fmt.Fprintf(w, "    %s :%s, %s, %s\n", bar.label, bar.tag, mermaidTime(bar.from), mermaidTime(bar.to))
		}
	}
	fmt.Fprintln(w, "```")
}

// bar is one task of the gantt chart.
type bar struct {
	label, tag string
	from, to   time.Time
}

// trackBars turns a track into bars over [start, end]: a state into its
// Ready and NotReady spans; a signal into its bursts (times closer than a
// twentieth of the window are one burst; a lone time gets a minimal span,
// as a chart cannot draw a bar of no length).
func trackBars(t diagnose.Track, start, end time.Time) []bar {
	var out []bar
	if len(t.Changes) > 0 {
		on := !t.Changes[0].On
		from := start
		if t.Changes[0].On && t.Changes[0].Time.After(start) {
			from = t.Changes[0].Time // before a first Ready, nothing is known
		}
		for _, c := range t.Changes {
			if !c.Time.After(from) {
				on = c.On
				continue
			}
			if c.Time.After(end) {
				break
			}
			if c.On != on {
				out = append(out, stateBar(t.Name, on, from, c.Time))
				from, on = c.Time, c.On
			}
		}
		return append(out, stateBar(t.Name, on, from, end))
	}
	gap, minimal := end.Sub(start)/20, max(end.Sub(start)/100, time.Second)
	for _, ts := range t.Times {
		if ts.Before(start) || ts.After(end) {
			continue
		}
		if n := len(out); n > 0 && ts.Sub(out[n-1].to) <= gap {
			out[n-1].to = later(out[n-1].to, ts)
			continue
		}
		out = append(out, bar{label: "seen", tag: "crit", from: ts, to: ts})
	}
	for i := range out {
		if out[i].to.Sub(out[i].from) < minimal {
			out[i].to = out[i].from.Add(minimal)
		}
	}
	return out
}

func stateBar(name string, on bool, from, to time.Time) bar {
	if on {
		return bar{label: name, tag: "done", from: from, to: to}
	}
	return bar{label: "Not" + name, tag: "crit", from: from, to: to}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func mermaidTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// mermaidText keeps a name from breaking the chart's syntax.
func mermaidText(s string) string {
	return strings.NewReplacer(":", " ", "#", " ", ";", " ", "\n", " ").Replace(clean(s))
}
