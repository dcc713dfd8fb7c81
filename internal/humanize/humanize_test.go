package humanize

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		120 * time.Millisecond:                        "120ms",
		2500 * time.Millisecond:                       "2.5s",
		3 * time.Minute:                               "3m",
		16*time.Minute + 6200*time.Millisecond:        "16m6s",
		time.Hour:                                     "1h",
		90*time.Hour + 19*time.Minute:                 "3d18h",
		48 * time.Hour:                                "2d",
		30*time.Hour + 5*time.Minute + 10*time.Second: "30h5m",
		-(3 * time.Minute):                            "-3m",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestCountAndBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 12345: "12,345", 1234567: "1,234,567", -4321: "-4,321"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[uint64]string{512: "512B", 3 << 20: "3.0MiB", 1536: "1.5KiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestClockAndAgo(t *testing.T) {
	now := time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)
	if got := Clock(now.Add(-time.Hour), now); got != "07:30:00Z" {
		t.Errorf("same day: %q", got)
	}
	if got := Clock(now.Add(-48*time.Hour), now); got != "Nov 25 08:30:00Z" {
		t.Errorf("other day: %q", got)
	}
	if got := Ago(now.Add(-3*time.Minute), now); got != "3m ago" {
		t.Errorf("Ago = %q", got)
	}
	if got := Ago(now.Add(time.Minute), now); got != "just now" {
		t.Errorf("skewed clock: %q", got)
	}
}
