package scenario

import (
	"bufio"
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Log lines carry their time in a few fixed-width layouts. The syslog /
// journal prefix has no year, so the scenario's capture year is assumed.
var (
	// journalctl --output=short-precise ("Nov 27 08:10:01.123456") and
	// traditional syslog ("Nov  7 08:10:01") at the start of a line.
	reSyslog = regexp.MustCompile(`^([A-Z][a-z]{2}) ([ 0-9]\d) (\d\d:\d\d:\d\d)(\.\d{6})?`)
	// ISO timestamps at the start of a line (rsyslog's default on Debian 12).
	reISO = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	// klog header "E1127 08:10:01.123000" at line start or after "]: ".
	reKlog = regexp.MustCompile(`(^|\]: |: )([IWEF])(\d{4}) (\d\d:\d\d:\d\d\.\d{6})`)
	// containerd's logrus field: time="2026-11-27T08:10:01.123456789Z".
	reLogrus = regexp.MustCompile(`time="([^"]+)"`)
)

// LineTime returns the time at the start of a (journal or syslog) line.
func LineTime(line string, year int) (time.Time, bool) {
	if m := reSyslog.FindStringSubmatch(line); m != nil {
		layout := "Jan _2 15:04:05"
		if m[4] != "" {
			layout += ".000000"
		}
		t, err := time.Parse(layout, m[1]+" "+m[2]+" "+m[3]+m[4])
		if err != nil {
			return time.Time{}, false
		}
		return t.AddDate(year, 0, 0), true
	}
	if m := reISO.FindString(line); m != "" {
		t, err := time.Parse(time.RFC3339Nano, m)
		return t, err == nil
	}
	return time.Time{}, false
}

// ShiftLine moves the line's leading timestamp and its klog header by d,
// keeping the original layouts (and so the line length).
func ShiftLine(line string, d time.Duration, year int) string {
	if m := reSyslog.FindStringSubmatch(line); m != nil {
		if t, ok := LineTime(line, year); ok {
			layout := "Jan 02 15:04:05"
			if m[2][0] == ' ' {
				layout = "Jan _2 15:04:05"
			}
			if m[4] != "" {
				layout += ".000000"
			}
			line = t.Add(d).UTC().Format(layout) + line[len(m[0]):]
		}
	} else if m := reISO.FindStringSubmatchIndex(line); m != nil {
		if t, ok := LineTime(line, year); ok {
			layout := "2006-01-02T15:04:05"
			if m[2] >= 0 {
				layout += "." + strings.Repeat("0", m[3]-m[2]-1)
			}
			layout += "Z07:00"
			line = t.Add(d).UTC().Format(layout) + line[m[1]:]
		}
	}
	if m := reKlog.FindStringSubmatchIndex(line); m != nil {
		t, err := time.Parse("0102 15:04:05.000000", line[m[6]:m[7]]+" "+line[m[8]:m[9]])
		if err == nil {
			t = t.AddDate(year, 0, 0).Add(d).UTC()
			line = line[:m[6]] + t.Format("0102 15:04:05.000000") + line[m[9]:]
		}
	}
	if m := reLogrus.FindStringSubmatchIndex(line); m != nil {
		if t, err := time.Parse(time.RFC3339Nano, line[m[2]:m[3]]); err == nil {
			line = line[:m[2]] + t.Add(d).UTC().Format(time.RFC3339Nano) + line[m[3]:]
		}
	}
	return line
}

// ShiftText shifts every line of a log file.
func ShiftText(b []byte, d time.Duration, year int) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		out.WriteString(ShiftLine(sc.Text(), d, year))
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// metricTimestamps are gauges whose value is a Unix time and must move too.
var metricTimestamps = []string{
	"kubelet_pleg_last_seen_seconds",
	"process_start_time_seconds",
	"kubelet_node_startup_duration_seconds_timestamp",
}

// ShiftMetrics moves Unix-time gauges in Prometheus text by d.
func ShiftMetrics(b []byte, d time.Duration) []byte {
	var out bytes.Buffer
	for line := range strings.Lines(string(b)) {
		for _, name := range metricTimestamps {
			if !strings.HasPrefix(line, name+" ") && !strings.HasPrefix(line, name+"{") {
				continue
			}
			i := strings.LastIndexByte(strings.TrimRight(line, "\n"), ' ')
			v, err := strconv.ParseFloat(strings.TrimSpace(line[i+1:]), 64)
			if err == nil {
				v += d.Seconds()
				line = line[:i+1] + strconv.FormatFloat(v, 'f', 3, 64) + "\n"
			}
		}
		out.WriteString(line)
	}
	return out.Bytes()
}
