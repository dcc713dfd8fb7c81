package report

import (
	"strings"
	"unicode/utf8"
)

// wrap breaks text into lines of at most width runes at spaces; a word
// longer than width keeps a line of its own, whole (a log line's long token
// is still copyable). width <= 0 keeps one line.
func wrap(text string, width int) []string {
	text = strings.Join(strings.Fields(text), " ")
	if width <= 0 || utf8.RuneCountInString(text) <= width {
		return []string{text}
	}
	var lines []string
	line := ""
	for _, word := range strings.Split(text, " ") {
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}

// indented wraps text to width with first as the first line's prefix and
// the same width of spaces before each further line.
func indented(first, text string, width int) string {
	pad := strings.Repeat(" ", utf8.RuneCountInString(first))
	lines := wrap(text, width-utf8.RuneCountInString(first))
	for i := range lines {
		if i == 0 {
			lines[i] = first + lines[i]
		} else {
			lines[i] = pad + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// wrapItems lays items out after prefix, two spaces apart, breaking lines
// only between items (each stays whole), further lines under the first item.
func wrapItems(prefix string, items []string, width int) string {
	pad := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	var b strings.Builder
	line := prefix
	for i, it := range items {
		switch {
		case i == 0:
			line += it
		case width > 0 && utf8.RuneCountInString(line)+2+utf8.RuneCountInString(it) > width:
			b.WriteString(line + "\n")
			line = pad + it
		default:
			line += "  " + it
		}
	}
	return b.String() + line
}

// cell pads s (which may carry an invisible color escape) to width runes.
func cell(s string, width int) string {
	visible := utf8.RuneCountInString(stripColor(s))
	if visible >= width {
		return s
	}
	return s + strings.Repeat(" ", width-visible)
}

// stripColor removes ANSI color escapes, which take no room on a terminal.
func stripColor(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
