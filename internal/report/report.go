// Package report renders diagnoses as a table, JSON, YAML or Markdown. It
// never fetches anything: its input is the Diagnosis values alone.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
)

// Formats lists the output formats, for flag help and validation.
var Formats = []string{"table", "wide", "json", "yaml", "markdown"}

// Options tune the human-readable formats.
type Options struct {
	// Color adds ANSI colors to severities; only for terminals, never with NO_COLOR.
	Color bool
	// NoHeaders leaves out a table's header (and scan's summary line).
	NoHeaders bool
	// Width is how many columns the table fits, wrapping text at word
	// boundaries (commands are never wrapped: they stand on lines of their
	// own); 0 is -o wide: one line per cause, nothing wrapped.
	Width int
}

// Render writes the diagnoses in format. One diagnosis renders as a Diagnosis,
// several as a DiagnosisList.
func Render(w io.Writer, format string, diags []*diagnose.Diagnosis, opts Options) error {
	switch format {
	case "table":
		return renderTable(w, diags, opts)
	case "wide":
		opts.Width = 0
		return renderTable(w, diags, opts)
	case "json":
		b, err := json.MarshalIndent(document(diags), "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(document(diags))
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case "markdown":
		return renderMarkdown(w, diags)
	default:
		return fmt.Errorf("unknown output format %q (use one of: %s)", format, strings.Join(Formats, ", "))
	}
}

func document(diags []*diagnose.Diagnosis) any {
	if len(diags) == 1 {
		return diags[0]
	}
	return diagnose.NewList(diags)
}

// clean makes text that came from a node safe to print on a terminal: control
// characters (escape sequences, carriage returns) become spaces.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func firstOr(list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return list[0]
}
