package report

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
)

// wideStripCells is the strip's length when the output has no width limit.
const wideStripCells = 60

// stripLines draws the incident's tracks as a time strip within width
// runes (0: no limit): a header with the window's ends, then one row per
// track — a state as █ (on) and ▁ (off), a signal as marks whose height
// grows with how often it occurred in that stretch:
//
//	Timeline 15:01:43Z → 16:01:43Z (1h; one mark is 1m30s)
//	Ready             ████████████████████████████▁▁▁▁▁▁
//	PLEG not healthy                              ▂▄▆███
//
// Nothing is drawn without tracks or without a window.
func stripLines(d *diagnose.Diagnosis, width int) []string {
	start, end := d.WindowStart, d.CollectedAt
	if len(d.Tracks) == 0 || start.IsZero() || !end.After(start) {
		return nil
	}
	label := 0
	for _, t := range d.Tracks {
		label = max(label, utf8.RuneCountInString(t.Name))
	}
	cells := wideStripCells
	if width > 0 {
		cells = min(wideStripCells, width-label-2)
	}
	if cells < 10 {
		return nil
	}
	step := end.Sub(start) / time.Duration(cells)
	lines := []string{fmt.Sprintf("Timeline %s → %s (%s; one mark is %s)",
		humanize.Clock(start, end), humanize.Clock(end, end), humanize.Duration(end.Sub(start)), humanize.Duration(step))}
	for _, t := range d.Tracks {
		row := make([]rune, cells)
		if len(t.Changes) > 0 {
			drawState(row, t.Changes, start, step)
		} else {
			drawTimes(row, t.Times, start, step)
		}
		lines = append(lines, cell(t.Name, label)+"  "+strings.TrimRight(string(row), " "))
	}
	return lines
}

// drawState fills row with a state: on (█) or off (▁) at the end of each
// stretch. Before the first change the state was its opposite when the
// change turned it off (a node turns NotReady from Ready); a first change
// that turned it on may be the node's start, so nothing is drawn before it.
func drawState(row []rune, changes []diagnose.TrackChange, start time.Time, step time.Duration) {
	for i := range row {
		at := start.Add(time.Duration(i+1) * step)
		if changes[0].On && changes[0].Time.After(at) {
			row[i] = ' '
			continue
		}
		on := !changes[0].On
		for _, c := range changes {
			if c.Time.After(at) {
				break
			}
			on = c.On
		}
		row[i] = '▁'
		if on {
			row[i] = '█'
		}
	}
}

// drawTimes marks each stretch by how many times fall in it.
func drawTimes(row []rune, times []time.Time, start time.Time, step time.Duration) {
	counts := make([]int, len(row))
	for _, t := range times {
		i := int(t.Sub(start) / step)
		if i == len(row) && t.Equal(start.Add(time.Duration(len(row))*step)) {
			i-- // the capture moment belongs to the last stretch
		}
		if i >= 0 && i < len(row) {
			counts[i]++
		}
	}
	for i, n := range counts {
		switch {
		case n == 0:
			row[i] = ' '
		case n == 1:
			row[i] = '▂'
		case n < 4:
			row[i] = '▄'
		case n < 10:
			row[i] = '▆'
		default:
			row[i] = '█'
		}
	}
}
