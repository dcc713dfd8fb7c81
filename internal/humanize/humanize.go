// Package humanize formats durations, counts and sizes the way the reports
// print them, so every package says "16m6s" and "12,345" alike.
package humanize

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration prints d rounded to a precision that suits its size, without
// trailing zero units: 1h, 16m6s, 3m, 2.5s, 120ms.
func Duration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + Duration(-d)
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < 24*time.Hour:
		d = d.Round(time.Second)
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
	default: // "12d3h": minutes no longer matter
		d = d.Round(time.Hour)
		days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if hours == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd%dh", days, hours)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Count prints n with thousands separators: 12,345.
func Count[T ~int | ~int32 | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Bytes prints a size in binary units: 512B, 3.2MiB, 1.0GiB.
func Bytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Ago prints how long before now t was: "3m ago". A time after now (clock
// skew between node and client) prints as "just now"; without either time
// it says so rather than print year 1.
func Ago(t, now time.Time) string {
	if t.IsZero() || now.IsZero() {
		return "at a time the data does not give"
	}
	if !t.Before(now) {
		return "just now"
	}
	return Duration(now.Sub(t)) + " ago"
}

// Clock prints t in UTC to the second, with the date only when it is not
// now's date: "08:10:01Z" or "Nov 25 08:10:01Z"; "?" for a time not known.
func Clock(t, now time.Time) string {
	if t.IsZero() {
		return "?"
	}
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05Z")
	}
	return t.Format("Jan 2 15:04:05Z")
}
