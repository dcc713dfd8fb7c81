package scenario

import (
	"testing"
	"time"
)

func TestShiftLine(t *testing.T) {
	d := 9*time.Minute + 30*time.Second
	for _, c := range []struct{ in, want string }{
		{
			`Nov 27 08:29:37.800000 n kubelet[2211]: E1127 08:29:37.799959    2211 kubelet.go:2646] "Skipping pod synchronization"`,
			`Nov 27 08:39:07.800000 n kubelet[2211]: E1127 08:39:07.799959    2211 kubelet.go:2646] "Skipping pod synchronization"`,
		},
		{`Nov  7 23:55:00 n kernel: [1.0] x`, `Nov  8 00:04:30 n kernel: [1.0] x`},
		{`2026-11-27T08:00:00.123+00:00 n kernel: x`, `2026-11-27T08:09:30.123Z n kernel: x`},
		{`E1127 08:29:37.799959    2211 kubelet.go:2646] x`, `E1127 08:39:07.799959    2211 kubelet.go:2646] x`},
		{`Nov 27 08:00:00.000001 n containerd[1]: time="2026-11-27T08:00:00.5Z" level=info`, `Nov 27 08:09:30.000001 n containerd[1]: time="2026-11-27T08:09:30.5Z" level=info`},
	} {
		if got := ShiftLine(c.in, d, 2026); got != c.want {
			t.Errorf("ShiftLine(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	if ts, ok := LineTime("Nov 27 08:29:37.800000 n kubelet[1]: x", 2026); !ok || !ts.Equal(time.Date(2026, 11, 27, 8, 29, 37, 8e8, time.UTC)) {
		t.Errorf("LineTime = %v, %v", ts, ok)
	}
}

func TestShiftMetrics(t *testing.T) {
	got := string(ShiftMetrics([]byte("kubelet_pleg_last_seen_seconds 100.000\nkubelet_running_pods 3\n"), 10*time.Second))
	if want := "kubelet_pleg_last_seen_seconds 110.000\nkubelet_running_pods 3\n"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
}
