package kubelet

import (
	"bytes"
	"math"
	"strconv"
	"time"
)

// lineHeader is what the prefixes of one log line tell: when it was written and
// which program wrote it (the syslog identifier: "kubelet", "k3s", "kernel"...).
type lineHeader struct {
	time time.Time
	// yearless says the line's time carries no year (BSD syslog, klog): it
	// was given the one that puts it at or before the reference time.
	yearless bool
	host     string
	ident    string
}

// parseHeader reads the time and identifier of a log line in any of the forms
// nodes produce (../shared/SIGNALS.md §2):
//
//	Nov 27 08:10:01.123456 worker-3 kubelet[1234]: E1127 08:10:01.123000 ...   journald (short-precise, short)
//	2026-11-27T08:10:01.123456+00:00 worker-3 kubelet[1234]: ...              rsyslog high precision
//	10.0.0.3: Nov 27 08:10:01 worker-3 kubelet: ...                           collector prefix
//	E1127 08:10:01.123000    1234 kubelet.go:2412] ...                        bare klog
//	{"ts":1795766401123.4,"caller":"...","msg":"..."}                         JSON logging
//
// The outermost time wins: it is the one the journal filters on, and journal and
// klog times can differ by minutes when journald lags. Times without a year take
// the year that puts them at or before ref (the collection time).
func parseHeader(line []byte, ref time.Time) (lineHeader, bool) {
	if h, ok := parseStamped(line, ref); ok {
		return h, true
	}
	// What a paste puts in front: a mail quote or minikube's bullet, a
	// collector's source ("10.0.0.3: "), grep's file name and line number
	// ("messages-20240402.gz:7612:").
	rest := line
	for _, quote := range [][]byte{[]byte("> "), []byte("* ")} {
		if r, ok := bytes.CutPrefix(rest, quote); ok {
			rest = r
			if h, ok := parseStamped(rest, ref); ok {
				return h, true
			}
		}
	}
	if i := bytes.Index(rest, []byte(": ")); i > 0 && i < 64 && bytes.IndexByte(rest[:i], ' ') < 0 {
		if h, ok := parseStamped(rest[i+2:], ref); ok {
			return h, true
		}
	}
	if after, ok := cutGrepPrefix(rest); ok {
		if h, ok := parseStamped(after, ref); ok {
			return h, true
		}
	}
	// A program's name before its klog line: `kubectl logs --prefix`
	// ("[pod/npd-x/npd] I0830 …"), a log shipper's tag ("node-problem-detector F0830 …").
	if i := bytes.IndexByte(rest, ' '); i > 0 && i < 64 {
		if t, ok := parseKlogTime(rest[i+1:], ref); ok {
			return lineHeader{time: t, yearless: true, ident: string(bytes.Trim(rest[:i], "[]"))}, true
		}
	}
	return lineHeader{}, false
}

// parseStamped reads a line that starts with its time, in any of the forms.
func parseStamped(line []byte, ref time.Time) (lineHeader, bool) {
	if h, ok := parseSyslogHeader(line, ref); ok {
		return h, true
	}
	if t, ok := parseJSONTime(line); ok {
		return lineHeader{time: t}, true
	}
	if t, ok := parseLogrusTime(line); ok {
		return lineHeader{time: t, ident: logrusIdent}, true
	}
	if h, ok := parseTalosHeader(line); ok {
		return h, true
	}
	if t, ok := parseDmesgTime(line); ok {
		return lineHeader{time: t, ident: "kernel"}, true
	}
	if t, ok := parseKlogTime(line, ref); ok {
		return lineHeader{time: t, yearless: true}, true
	}
	if t, ok := parseISOSpaceTime(line); ok {
		return lineHeader{time: t}, true
	}
	return lineHeader{}, false
}

// cutGrepPrefix cuts "FILE:" or "FILE:LINE:" that grep puts before a match
// when it searched several files (or was asked for line numbers).
func cutGrepPrefix(line []byte) ([]byte, bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 || i > 128 || bytes.IndexByte(line[:i], ' ') >= 0 {
		return nil, false
	}
	rest := line[i+1:]
	if n, k := atoi(rest, 10); k > 0 && k < len(rest) && rest[k] == ':' && n >= 0 {
		rest = rest[k+1:]
	}
	return rest, true
}

// logrusIdent stands for the program of a logrus line read without a
// syslog header: containerd, dockerd and cri-o run in the foreground (a
// container's log, `containerd -l debug` in a terminal) write them, the
// kubelet never does.
const logrusIdent = "logrus"

// parseLogrusTime reads the time of the forms logrus writes, without any
// syslog header:
//
//	INFO[2021-04-25T21:50:42.843750222+02:00] shim disconnected        text, to a terminal
//	time="2023-08-25T15:57:08.444Z" level=info msg="..."                 text, to a file
//	{"level":"info","msg":"loading plugin","time":"2024-09-24T20:39:48Z"} JSON
func parseLogrusTime(b []byte) (time.Time, bool) {
	switch {
	case len(b) > 6 && b[4] == '[' && bytes.IndexByte(b[:4], ' ') < 0:
		return rfc3339Until(b[5:], ']')
	case bytes.HasPrefix(b, []byte(`time="`)):
		if t, ok := rfc3339Until(b[6:], '"'); ok {
			return t, true
		}
		return parseISOSpaceTime(b[6:]) // cri-o's "2023-08-25 15:57:08.444000125+08:00"
	case len(b) > 0 && b[0] == '{' && bytes.Contains(b, []byte(`"level":`)) && bytes.Contains(b, []byte(`"msg":`)) && !bytes.Contains(b, []byte(`"log":`)):
		if i := bytes.Index(b, []byte(`"time":"`)); i >= 0 {
			return rfc3339Until(b[i+8:], '"')
		}
	}
	return time.Time{}, false
}

// parseTalosHeader reads `talosctl dmesg` and `talosctl logs` lines once
// their node prefix is cut: "kern:    info: [2022-01-25T10:19:41.226Z]:
// msg" — the kernel's for the kern facility, Talos's own otherwise.
func parseTalosHeader(b []byte) (lineHeader, bool) {
	facility, rest, ok := bytes.Cut(b, []byte(":"))
	if !ok || len(facility) == 0 || len(facility) > 8 || bytes.IndexByte(facility, ' ') >= 0 {
		return lineHeader{}, false
	}
	rest = bytes.TrimLeft(rest, " ")
	level, rest, ok := bytes.Cut(rest, []byte(": ["))
	if !ok || len(level) == 0 || len(level) > 8 || bytes.IndexByte(level, ' ') >= 0 {
		return lineHeader{}, false
	}
	t, ok := rfc3339Until(rest, ']')
	if !ok {
		return lineHeader{}, false
	}
	ident := "talos"
	if string(facility) == "kern" {
		ident = "kernel"
	}
	return lineHeader{time: t, ident: ident}, true
}

// parseDmesgTime reads `dmesg -T`'s time: "[Tue Nov 27 08:10:01 2026] …",
// local time as the node printed it, taken as UTC.
func parseDmesgTime(b []byte) (time.Time, bool) {
	if len(b) < 26 || b[0] != '[' {
		return time.Time{}, false
	}
	end := bytes.IndexByte(b, ']')
	if end < 20 || end > 30 {
		return time.Time{}, false
	}
	t, err := time.Parse("Mon Jan _2 15:04:05 2006", string(b[1:end]))
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// rfc3339Until parses the RFC 3339 time b holds up to end.
func rfc3339Until(b []byte, end byte) (time.Time, bool) {
	i := bytes.IndexByte(b, end)
	if i < 20 || i > 40 {
		return time.Time{}, false
	}
	t, _, ok := parseRFC3339Prefix(b[:i])
	return t, ok
}

// parseISOSpaceTime parses "2016-08-10 00:33:18,448" and "2016-08-10
// 00:33:18.448" (Python logging, supervisord, many daemons), as UTC.
func parseISOSpaceTime(b []byte) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[10] != ' ' {
		return time.Time{}, false
	}
	y, n1 := atoi(b, 4)
	mo, n2 := atoi(b[5:], 2)
	d, n3 := atoi(b[8:], 2)
	if n1 != 4 || n2 != 2 || n3 != 2 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	clock := b[11:]
	if i := bytes.IndexByte(clock, ','); i == 8 {
		clock = append(append([]byte{}, clock[:8]...), append([]byte{'.'}, clock[9:]...)...)
	}
	hh, mm, ss, nanos, _, ok := parseClock(clock)
	if !ok {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, hh, mm, ss, nanos, time.UTC), true
}

// isDmesgLine says a line is the kernel's ring buffer as dmesg prints it:
// "[11859608.510084] nfs: server ..." — seconds since boot, no clock time.
func isDmesgLine(line []byte) bool {
	if len(line) < 4 || line[0] != '[' {
		return false
	}
	end := bytes.IndexByte(line, ']')
	if end < 2 {
		return false
	}
	stamp := bytes.TrimSpace(line[1:end])
	dot := bytes.IndexByte(stamp, '.')
	if dot <= 0 {
		return false
	}
	_, whole := atoi(stamp, 12)
	_, frac := atoi(stamp[dot+1:], 9)
	return whole == dot && frac == len(stamp)-dot-1 && frac > 0
}

// parseSyslogHeader parses "TIME HOST IDENT[PID]: MSG" with a journald/BSD
// syslog time ("Nov 27 08:10:01[.123456]", "Nov  7 ...") or an RFC 3339 one.
// When the message itself starts with a klog header, the syslog time still wins.
func parseSyslogHeader(line []byte, ref time.Time) (lineHeader, bool) {
	t, rest, ok := parseBSDTime(line, ref)
	h := lineHeader{time: t, yearless: ok}
	if !ok {
		h.time, rest, ok = parseRFC3339Prefix(line)
	}
	if !ok {
		return lineHeader{}, false
	}
	// HOST
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return h, true
	}
	host := rest[:sp]
	if bytes.ContainsAny(host, "[:") {
		// No host field: "Mar 10 12:00:00 kubelet[7981]: ..." (some
		// journal exports drop it), so this is the identifier.
		h.ident = string(host[:bytes.IndexAny(host, "[:")])
		return h, true
	}
	rest = rest[sp+1:]
	// IDENT[PID]: or IDENT:
	end := bytes.IndexAny(rest, "[: ")
	if end <= 0 {
		return h, true
	}
	h.host, h.ident = string(host), string(rest[:end])
	return h, true
}

// numberedMonth reads "8月" or "11月".
func numberedMonth(b []byte) (time.Month, bool) {
	n, k := atoi(b, 2)
	if k == 0 || n < 1 || n > 12 || string(b[k:]) != "月" {
		return 0, false
	}
	return time.Month(n), true
}

var months = map[string]time.Month{
	"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
	"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}

// parseBSDTime parses "Mon DD HH:MM:SS[.frac] " and returns the rest after
// the space. The month is English ("Nov") or, from journalctl under a CJK
// locale, a number and 月 ("11月").
func parseBSDTime(b []byte, ref time.Time) (time.Time, []byte, bool) {
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 || len(b) < 13+sp {
		return time.Time{}, nil, false
	}
	mon, ok := months[string(b[:sp])]
	if !ok {
		mon, ok = numberedMonth(b[:sp])
	}
	if !ok {
		return time.Time{}, nil, false
	}
	i := sp + 1
	if b[i] == ' ' { // "Nov  7"
		i++
	}
	day, n := atoi(b[i:], 2)
	if n == 0 || i+n >= len(b) || b[i+n] != ' ' {
		return time.Time{}, nil, false
	}
	i += n + 1
	hh, mm, ss, nanos, n, ok := parseClock(b[i:])
	if !ok || i+n >= len(b) || b[i+n] != ' ' {
		return time.Time{}, nil, false
	}
	t := inferYear(ref, mon, day, hh, mm, ss, nanos)
	return t, b[i+n+1:], true
}

// parseRFC3339Prefix parses a leading RFC 3339 time and returns the rest after the space.
func parseRFC3339Prefix(b []byte) (time.Time, []byte, bool) {
	if len(b) < 20 || b[4] != '-' || b[10] != 'T' {
		return time.Time{}, nil, false
	}
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 {
		sp = len(b)
	}
	t, err := time.Parse(time.RFC3339Nano, string(b[:sp]))
	if err != nil {
		return time.Time{}, nil, false
	}
	// "0000-01-01T00:00:00+01:00" is the year -1 in UTC, and no JSON time:
	// keep to the years a report can print.
	if t = t.UTC(); t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, nil, false
	}
	if sp < len(b) {
		sp++
	}
	return t, b[sp:], true
}

// parseKlogTime parses klog's "Lmmdd hh:mm:ss.uuuuuu" header, at the start of
// the line or after a syslog identifier ("kubelet[12]: I1127 ...").
func parseKlogTime(b []byte, ref time.Time) (time.Time, bool) {
	if len(b) < 21 || bytes.IndexByte([]byte("IWEF"), b[0]) < 0 || b[5] != ' ' {
		return time.Time{}, false
	}
	mon, n1 := atoi(b[1:], 2)
	day, n2 := atoi(b[3:], 2)
	if n1 != 2 || n2 != 2 || mon < 1 || mon > 12 {
		return time.Time{}, false
	}
	hh, mm, ss, nanos, _, ok := parseClock(b[6:])
	if !ok {
		return time.Time{}, false
	}
	return inferYear(ref, time.Month(mon), day, hh, mm, ss, nanos), true
}

// parseJSONTime reads the "ts" field of a JSON log line: Unix milliseconds as
// component-base writes it (older builds wrote seconds; both are accepted).
func parseJSONTime(b []byte) (time.Time, bool) {
	if len(b) == 0 || b[0] != '{' {
		return time.Time{}, false
	}
	i := bytes.Index(b, []byte(`"ts":`))
	if i < 0 {
		return time.Time{}, false
	}
	v := b[i+5:]
	end := 0
	for end < len(v) && (v[end] == '.' || v[end] >= '0' && v[end] <= '9' || v[end] == 'e' || v[end] == '+') {
		end++
	}
	f, err := strconv.ParseFloat(string(v[:end]), 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	if f < 1e11 { // seconds: 1e11 s is the year 5138, 1e11 ms is 1973
		f *= 1000
	}
	// Past the year 9999 int64(f) overflows (a garbage "ts" gave the year
	// -292277022) and time.Time stops marshalling to JSON, which would break
	// the report of the whole log: treat such a line as having no time.
	if f > maxJSONMillis {
		return time.Time{}, false
	}
	ms := int64(f)
	return time.UnixMilli(ms).Add(time.Duration((f - float64(ms)) * float64(time.Millisecond))).UTC(), true
}

// maxJSONMillis is 9999-12-31T23:59:59.999Z in Unix milliseconds.
const maxJSONMillis = 253402300799999

// parseClock parses "hh:mm:ss[.frac]" and returns how many bytes it used.
func parseClock(b []byte) (hh, mm, ss, nanos, n int, ok bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return
	}
	var k int
	if hh, k = atoi(b, 2); k != 2 || hh > 23 {
		return
	}
	if mm, k = atoi(b[3:], 2); k != 2 || mm > 59 {
		return
	}
	if ss, k = atoi(b[6:], 2); k != 2 || ss > 60 {
		return
	}
	n = 8
	if n < len(b) && b[n] == '.' {
		frac, k := atoi(b[n+1:], 9)
		for d := k; d < 9; d++ {
			frac *= 10
		}
		nanos = frac
		n += 1 + k
	}
	return hh, mm, ss, nanos, n, true
}

// atoi parses up to max leading ASCII digits and returns the value and how many it read.
func atoi(b []byte, max int) (v, n int) {
	for n < len(b) && n < max && b[n] >= '0' && b[n] <= '9' {
		v = v*10 + int(b[n]-'0')
		n++
	}
	return v, n
}

// inferYear places a year-less time in ref's year, or the year before when that
// would put it more than a day after ref (a December line read in January).
func inferYear(ref time.Time, mon time.Month, day, hh, mm, ss, nanos int) time.Time {
	ref = ref.UTC()
	t := time.Date(ref.Year(), mon, day, hh, mm, ss, nanos, time.UTC)
	if t.After(ref.Add(24 * time.Hour)) {
		// Rebuilt in the previous year rather than t.AddDate(-1, 0, 0): a
		// "Feb 29" line read in a common year normalises to 1 March, and
		// AddDate would keep that wrong date in the leap year before.
		t = time.Date(ref.Year()-1, mon, day, hh, mm, ss, nanos, time.UTC)
	}
	return t
}

// LineTime is when a log line in any of the forms parseHeader reads was
// written, for readers of other programs' logs (a controller's) that need
// each line's time; yearless says the form carries no year, and the one
// placing it at or before ref was given.
func LineTime(line []byte, ref time.Time) (t time.Time, yearless, ok bool) {
	h, ok := parseHeader(line, ref)
	return h.time, h.yearless, ok
}

// LineHost is the host name a syslog or journal line's header gives
// ("worker-3" in "Nov 27 08:10:01 worker-3 kubelet[1234]: …"), "" when its
// form names none: for splitting a journal of several hosts by host.
func LineHost(line []byte) string {
	h, _ := parseHeader(line, time.Time{})
	return h.host
}
