package paste

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// UnitStatus is one unit as `systemctl status` shows it.
type UnitStatus struct {
	Unit        string // "kubelet.service" (the ".service" added when the paste omits it)
	Description string
	// Active and Sub are the Active line's state and sub-state: "active (running)",
	// "inactive (dead)", "failed", "activating (auto-restart)", "deactivating (stop-sigterm)".
	Active, Sub string
	// Result is the Active line's "(Result: exit-code)": "exit-code", "signal", "start-limit-hit", "timeout", "core-dump"...
	Result string
	// Since is the Active line's "since" time; zero when the paste cuts it.
	Since time.Time
	// For is the Active line's age ("; 6s ago", "1 day 4h ago", "16ms ago", "4min 43s ago"); ForKnown false when cut.
	For      time.Duration
	ForKnown bool
	// MainExit is how the main process ended: "status=1/FAILURE", "status=255", "signal=KILL", "signal=TERM"; "" while it runs.
	MainExit string
	// Restarts is the highest "restart counter is at N" in the journal lines (0 when none).
	Restarts int
	// Journal are the journal lines shown under the status, as printed (the unit's own recent log).
	Journal []string
}

const (
	// unitStatusHeadSize is how much of a paste LooksLikeUnitStatus reads.
	unitStatusHeadSize = 64 << 10
	// maxUnitLineSize bounds the memory one line can take; a longer line
	// (a CGroup command line, a runaway journal message) is cut to it.
	maxUnitLineSize = 16 << 10
	// maxUnitJournalLines bounds a unit's Journal; the newest lines are kept,
	// as they are the ones closest to the state the status shows.
	maxUnitJournalLines = 2000
)

// LooksLikeUnitStatus says the start of a paste (its first 64 KiB) is `systemctl status` output.
func LooksLikeUnitStatus(head []byte) bool {
	head = head[:min(len(head), unitStatusHeadSize)]
	units, err := ParseUnitStatus(bytes.NewReader(head))
	return err == nil && len(units) > 0
}

// ParseUnitStatus reads every unit status in r (one paste may show several, e.g. `systemctl status kubelet containerd`). An error only when r holds none; say what was expected.
//
// A unit starts at its header line ("● kubelet.service - …") and counts only
// when its Active: line follows, so that a unit name that merely starts a
// line elsewhere in a ticket is not taken for a status. A read that fails
// (a truncated compressed paste) is an error too, returned with the units
// read before it.
func ParseUnitStatus(r io.Reader) ([]UnitStatus, error) {
	var units []UnitStatus
	var current *unitReading
	finish := func() {
		if current != nil && current.confirmed {
			units = append(units, current.result())
		}
		current = nil
	}
	scanner := bufio.NewScanner(r)
	scanner.Buffer(nil, maxUnitLineSize)
	scanner.Split(scanCutLines(maxUnitLineSize))
	for scanner.Scan() {
		line := scanner.Text()
		if unit, description, ok := parseUnitHeader(line); ok {
			finish()
			current = &unitReading{UnitStatus: UnitStatus{Unit: unit, Description: description}}
			continue
		}
		if current != nil && !current.read(strings.TrimSpace(line)) {
			finish()
		}
	}
	finish()
	if err := scanner.Err(); err != nil {
		return units, fmt.Errorf("reading systemctl status: %w", err)
	}
	if len(units) == 0 {
		return nil, errors.New(`no systemctl status found: expected a unit line such as "● kubelet.service - kubelet: The Kubernetes Node Agent" followed by its "Active:" line`)
	}
	return units, nil
}

// unitReading is a unit whose lines are still being read.
type unitReading struct {
	UnitStatus
	confirmed bool // an Active: line followed the header
	// mainPIDSeen and execStartExit serve pastes without a Main PID line
	// (cut short, or a systemd that drops it once the process is gone): there
	// the ExecStart process's exit is how the main process ended.
	mainPIDSeen   bool
	execStartExit string
}

func (u *unitReading) result() UnitStatus {
	if !u.mainPIDSeen {
		u.MainExit = u.execStartExit
	}
	return u.UnitStatus
}

// read takes one line of the unit (without the paste's indentation) and says
// whether the unit goes on: after a shell prompt the paste shows another
// command's output.
func (u *unitReading) read(line string) bool {
	switch {
	case unitJournalLine.MatchString(line):
		u.addJournal(line)
	case unitShellPrompt.MatchString(line):
		return false
	default:
		u.readField(line)
	}
	return true
}

// readField reads the status lines that matter here. Other lines are let
// pass: other fields, lines continuing a field (a Drop-In list, a CGroup
// tree, a wrapped command line), a journal message the terminal wrapped,
// systemctl's "Warning: …", the pager's "lines 1-20/20 (END)".
func (u *unitReading) readField(line string) {
	key, value, _ := strings.Cut(line, ":")
	value = strings.TrimSpace(value)
	switch key {
	case "Active":
		u.confirmed = true
		u.readActive(value)
	case "Main PID":
		u.mainPIDSeen = true
		u.MainExit = unitProcessExit(value)
	case "Process":
		// "1219 ExecStart=/usr/local/bin/k3s server (code=exited, status=1/FAILURE)"
		if _, command, _ := strings.Cut(value, " "); strings.HasPrefix(command, "ExecStart=") {
			u.execStartExit = unitProcessExit(value)
		}
	}
}

var (
	// unitActiveValue is the Active line after "Active:": a state, its
	// sub-state, the result of the last run and when the state began:
	// "activating (auto-restart) (Result: exit-code) since Thu 2021-08-05 12:02:02 CEST; 2s ago".
	unitActiveValue = regexp.MustCompile(`^(\S+)(?: \(([^():]+)\))?(?: \(Result: ([^()]+)\))?(?: since (.*))?`)
	// unitSince is the time after "since": the weekday is in the node's
	// locale ("Thu", "Di", "三") and not needed, and a pager may cut
	// anything after the clock ("… 17:01:55 CST;>").
	unitSince = regexp.MustCompile(`^(?:\S+ )?(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?: ([^;\s]+))?(?:; *(.*))?`)
)

func (u *unitReading) readActive(value string) {
	m := unitActiveValue.FindStringSubmatch(value)
	if m == nil {
		return
	}
	u.Active, u.Sub, u.Result = m[1], m[2], m[3]
	since := unitSince.FindStringSubmatch(m[4])
	if since == nil {
		return
	}
	u.Since = parseUnitSince(since[1], since[2])
	u.For, u.ForKnown = parseUnitAge(since[3])
}

// unitRestartCounter is systemd's note each time Restart= brings the unit
// back: "kubelet.service: Scheduled restart job, restart counter is at 305."
var unitRestartCounter = regexp.MustCompile(`restart counter is at (\d+)`)

func (u *unitReading) addJournal(line string) {
	if m := unitRestartCounter.FindStringSubmatch(line); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			u.Restarts = max(u.Restarts, n)
		}
	}
	if len(u.Journal) == maxUnitJournalLines {
		u.Journal = u.Journal[1:]
	}
	u.Journal = append(u.Journal, line)
}

var (
	// unitHeader is a unit's first line: "● kubelet.service - kubelet: The
	// Kubernetes Node Agent". The bullet is whatever the terminal and the
	// paste made of it: ●, ○, ×, "*" without UTF-8, mojibake such as "ΓùÅ",
	// markdown bold around the line.
	unitHeader = regexp.MustCompile(`^(\s*)(?:\*\*)?(?:([^\x00-\x7f]{1,6}|\*)\s+)?([A-Za-z][A-Za-z0-9:_.@\\-]*)(?:\s+-\s+(.*?))?\s*(?:\*\*)?$`)
	unitType   = regexp.MustCompile(`\.(?:service|socket|target|device|mount|automount|swap|timer|path|slice|scope)$`)
)

// parseUnitHeader reads a unit's first line, which systemctl starts at the
// left edge: a bullet further in lists another unit among the status lines
// ("TriggeredBy: ● docker.socket" and the triggers under it), and a paste
// indents a whole block by 4 spaces at most (markdown code). Without its
// bullet the line is no more than a word or two, so it must name the unit's
// type.
func parseUnitHeader(line string) (unit, description string, ok bool) {
	m := unitHeader.FindStringSubmatch(line)
	if m == nil {
		return "", "", false
	}
	indent, bullet, unit, description := m[1], m[2], m[3], m[4]
	typed := unitType.MatchString(unit)
	if len(indent) > 4 || (bullet == "" && !typed) {
		return "", "", false
	}
	if !typed {
		unit += ".service"
	}
	return unit, description, true
}

// unitExit is how a process ended, in a Main PID or Process line:
// "(code=exited, status=1/FAILURE)", "(code=killed, signal=TERM)".
var unitExit = regexp.MustCompile(`\(code=\w+, ((?:status|signal)=[^)\s]+)\)`)

func unitProcessExit(value string) string {
	if m := unitExit.FindStringSubmatch(value); m != nil {
		return m[1]
	}
	return ""
}

var (
	// unitJournalLine is journalctl's short format that systemctl prints
	// under the status, the month in the node's locale:
	// "Oct 13 02:49:07 minikube-m02 systemd[1]: …", "Mai 22 …", "10月 25 …".
	unitJournalLine = regexp.MustCompile(`^\S+ +\d{1,2} \d{2}:\d{2}:\d{2} +\S+ +[^\s:]+:`)
	// unitShellPrompt is a prompt with a command after it: "[root@master1 ~]# systemctl status kubelet",
	// "docker@minikube-m02:~$ sudo …", "$ journalctl -u kubelet".
	unitShellPrompt = regexp.MustCompile(`(?:^|[\w\]~/:)])[$#] +\S`)
)

// unitZoneOffsets are zone abbreviations that name one UTC offset only. CST
// (China or US Central), IST (India, Israel or Ireland) and BST are left out
// on purpose: their times are read as UTC rather than guessed, as are UTC's
// own and any other.
var unitZoneOffsets = map[string]int{
	"WET": 0, "WEST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "MSK": 3,
	"HKT": 8, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
	"HST": -10, "AKST": -9, "AKDT": -8, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6,
	"CDT": -5, "EST": -5, "EDT": -4,
}

// parseUnitSince reads "2021-01-07 14:24:42" in the zone the abbreviation
// names, or as UTC when it is unknown, ambiguous or cut.
func parseUnitSince(clock, zone string) time.Time {
	location := time.UTC
	if hours, ok := unitZoneOffsets[zone]; ok {
		location = time.FixedZone(zone, hours*3600)
	}
	t, err := time.ParseInLocation(time.DateTime, clock, location)
	if err != nil {
		return time.Time{}
	}
	return t
}

// unitTimespans are the units of systemd's relative times ("1 day 4h ago",
// "2 months 3 days ago", "4min 43s ago"); systemd's month and year are
// 30.44 and 365.25 days.
var unitTimespans = map[string]time.Duration{
	"us": time.Microsecond, "µs": time.Microsecond, "ms": time.Millisecond, "s": time.Second,
	"min": time.Minute, "h": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
	"month": 2629800 * time.Second, "months": 2629800 * time.Second,
	"y": 31557600 * time.Second, "year": 31557600 * time.Second, "years": 31557600 * time.Second,
}

// maxUnitAge keeps sums of absurd ages ("999999 years ago") from overflowing.
const maxUnitAge = 100 * 31557600 * time.Second

// parseUnitAge reads an age such as "1 day 4h ago": each number is followed
// by its unit, joined to it ("4h") or after a space ("1 day").
func parseUnitAge(text string) (time.Duration, bool) {
	text, ago := strings.CutSuffix(strings.TrimSpace(text), " ago")
	fields := strings.Fields(text)
	if !ago || len(fields) == 0 {
		return 0, false
	}
	var age time.Duration
	for i := 0; i < len(fields); i++ {
		digits := fields[i]
		if end := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); end >= 0 {
			digits = digits[:end]
		}
		name := fields[i][len(digits):]
		if name == "" && i+1 < len(fields) {
			i++
			name = fields[i]
		}
		unit, known := unitTimespans[name]
		n, err := strconv.Atoi(digits)
		if !known || err != nil || time.Duration(n) > maxUnitAge/unit {
			return 0, false
		}
		if age += time.Duration(n) * unit; age > maxUnitAge {
			return 0, false
		}
	}
	return age, true
}

// scanCutLines is bufio.ScanLines for text whose lines may be longer than
// size: such a line yields its first size bytes and the rest of it is
// dropped, where bufio.ScanLines would fail the whole read.
func scanCutLines(size int) bufio.SplitFunc {
	dropping := false // inside the rest of a line already cut
	return func(data []byte, atEOF bool) (int, []byte, error) {
		if dropping {
			end := bytes.IndexByte(data, '\n')
			if end < 0 {
				return len(data), nil, nil
			}
			dropping = false
			return end + 1, nil, nil
		}
		if len(data) >= size && bytes.IndexByte(data[:size], '\n') < 0 {
			dropping = true
			return size, data[:size], nil
		}
		return bufio.ScanLines(data, atEOF)
	}
}
