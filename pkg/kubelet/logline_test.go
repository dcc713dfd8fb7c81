package kubelet

import (
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestParseHeader(t *testing.T) {
	ref := utc("2026-11-27T08:30:00Z")
	tests := []struct {
		name      string
		line      string
		ref       time.Time // zero: ref above
		wantTime  string    // RFC 3339; "" means no header
		wantIdent string
	}{
		{
			name:      "journald short",
			line:      `Nov 27 08:10:01 worker-3 kubelet[1234]: E1127 08:10:01.123000    1234 kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: ..."`,
			wantTime:  "2026-11-27T08:10:01Z",
			wantIdent: "kubelet",
		},
		{
			name:      "journald short-precise; journal time wins over klog time",
			line:      `Nov 27 08:10:01.500201 worker-3 kubelet[1234]: E1127 08:09:58.000000    1234 kubelet.go:2412] ...`,
			wantTime:  "2026-11-27T08:10:01.500201Z",
			wantIdent: "kubelet",
		},
		{
			name:      "single-digit day padded with a space",
			line:      `Jun  7 10:31:40 node-7 hyperkube[1432]: I0607 10:31:40.383466    1432 kubelet_node_status.go:410] Node became not ready: {...}`,
			ref:       utc("2017-06-07T11:00:00Z"),
			wantTime:  "2017-06-07T10:31:40Z",
			wantIdent: "hyperkube",
		},
		{
			name:      "kubelet: without pid",
			line:      `Mar 21 16:40:11 ip-10-0-0-12 kubelet: E0321 16:40:11.901123    2712 generic.go:192] GenericPLEG: Unable to retrieve pods: ...`,
			ref:       utc("2016-03-21T17:00:00Z"),
			wantTime:  "2016-03-21T16:40:11Z",
			wantIdent: "kubelet",
		},
		{
			name:      "k3s",
			line:      `Nov 27 08:10:01 edge-1 k3s[812]: E1127 08:10:01.123000     812 kubelet.go:2412] ...`,
			wantTime:  "2026-11-27T08:10:01Z",
			wantIdent: "k3s",
		},
		{
			name:      "kernel",
			line:      `Nov 27 08:03:15 worker-5 kernel: [3456853.001122] Out of memory: Killed process 2345 (python3)`,
			wantTime:  "2026-11-27T08:03:15Z",
			wantIdent: "kernel",
		},
		{
			name:      "RFC 3339 rsyslog, kubenswrapper",
			line:      `2026-11-27T08:10:01.123456+00:00 master-0 kubenswrapper[2890]: E1127 08:10:01.123000    2890 kubelet.go:2412] ...`,
			wantTime:  "2026-11-27T08:10:01.123456Z",
			wantIdent: "kubenswrapper",
		},
		{
			name:      "RFC 3339 with an offset is converted to UTC",
			line:      `2026-11-27T09:10:02.000001+01:00 master-0 kubenswrapper[2890]: E1127 08:10:01.999000 ...`,
			wantTime:  "2026-11-27T08:10:02.000001Z",
			wantIdent: "kubenswrapper",
		},
		{
			name:      "collector prefix in front of journald",
			line:      `10.0.0.3: Nov 27 08:10:01 worker-3 kubelet: E1127 08:10:01.123000    1234 kubelet.go:2412] ...`,
			wantTime:  "2026-11-27T08:10:01Z",
			wantIdent: "kubelet",
		},
		{
			name:     "collector prefix in front of bare klog",
			line:     `10.0.0.4: E1127 08:10:02.000000    1300 kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: ..."`,
			wantTime: "2026-11-27T08:10:02Z",
		},
		{
			name:     "bare klog",
			line:     `E1127 08:10:01.123456    1187 kubelet.go:1845] skipping pod synchronization - PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s`,
			wantTime: "2026-11-27T08:10:01.123456Z",
		},
		{
			name:     "bare klog W level",
			line:     `W1127 08:10:01.000001    1187 reflector.go:462] watch of *v1.Node ended with: ...`,
			wantTime: "2026-11-27T08:10:01.000001Z",
		},
		{
			name:     "JSON logging, epoch milliseconds",
			line:     `{"ts":1795767001123.456,"caller":"kubelet/kubelet.go:2412","msg":"Skipping pod synchronization","v":0,"err":"PLEG is not healthy: ..."}`,
			wantTime: "2026-11-27T08:10:01.123456Z",
		},
		{
			name:     "JSON logging, epoch seconds (older builds)",
			line:     `{"ts":1795767001.5,"msg":"Skipping pod synchronization"}`,
			wantTime: "2026-11-27T08:10:01.5Z",
		},
		{
			name:     "JSON whose message has a colon early in the line",
			line:     `{"ts":1795767002000,"msg":"GenericPLEG: Unable to retrieve pods","err":"rpc error: code = DeadlineExceeded desc = context deadline exceeded"}`,
			wantTime: "2026-11-27T08:10:02Z",
		},
		{
			name:     "collector prefix in front of JSON",
			line:     `node-b: {"ts":1795767001000,"msg":"x"}`,
			wantTime: "2026-11-27T08:10:01Z",
		},
		{
			name:      "year: a December line read on 1 January is last year's",
			line:      `Dec 31 23:58:01 worker-1 kubelet[900]: E1231 23:58:01.000100     900 kubelet.go:2412] ...`,
			ref:       utc("2027-01-01T00:20:00Z"),
			wantTime:  "2026-12-31T23:58:01Z",
			wantIdent: "kubelet",
		},
		{
			name:     "year: klog header crosses New Year too",
			line:     `E1231 23:58:01.000100     900 kubelet.go:2412] ...`,
			ref:      utc("2027-01-01T00:20:00Z"),
			wantTime: "2026-12-31T23:58:01.0001Z",
		},
		{
			name:      "year: a line slightly after ref (clock skew) stays in ref's year",
			line:      `Nov 27 09:00:00 worker-3 kubelet[1]: x`,
			wantTime:  "2026-11-27T09:00:00Z",
			wantIdent: "kubelet",
		},
		{
			name:      "year: a leap day read the next year stays 29 February",
			line:      `Feb 29 12:00:00 worker-3 kubelet[1]: x`,
			ref:       utc("2025-01-10T00:00:00Z"),
			wantTime:  "2024-02-29T12:00:00Z",
			wantIdent: "kubelet",
		},
		{name: "no header", line: `this is not a log line`},
		{name: "month name only", line: `Nov 27 is the day`},
		{name: "bad clock", line: `Nov 27 25:61:00 worker-3 kubelet[1]: x`},
		{name: "klog with bad month", line: `E1327 08:10:01.123456    1187 kubelet.go:1845] x`},
		{name: "JSON without ts", line: `{"msg":"Skipping pod synchronization"}`},
		{name: "JSON with overflowing ts", line: `{"ts":1e400,"msg":"x"}`},
		{name: "empty", line: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.ref
			if r.IsZero() {
				r = ref
			}
			h, ok := parseHeader([]byte(tt.line), r)
			if tt.wantTime == "" {
				if ok {
					t.Fatalf("parseHeader = %v %q, true; want no header", h.time, h.ident)
				}
				return
			}
			if !ok {
				t.Fatalf("parseHeader found no header, want %s", tt.wantTime)
			}
			// JSON "ts" is a float64 of milliseconds: it carries about a
			// quarter of a microsecond of rounding, which no rule can see.
			if want := utc(tt.wantTime); h.time.Sub(want).Abs() > 250*time.Nanosecond {
				t.Errorf("time = %s, want %s", h.time.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
			}
			if h.ident != tt.wantIdent {
				t.Errorf("ident = %q, want %q", h.ident, tt.wantIdent)
			}
		})
	}
}

// TestParseHeaderTimeRange: whatever a line claims, the time it yields must
// stay printable as RFC 3339 (year 0–9999), or JSON output of a report fails.
func TestParseHeaderTimeRange(t *testing.T) {
	ref := utc("2026-11-27T08:30:00Z")
	for _, line := range []string{
		`{"ts":99999999999999999999,"msg":"x"}`,
		`{"ts":9.2233720368547758e18,"msg":"x"}`,
		`{"ts":1e300,"msg":"x"}`,
		`{"ts":0.0000001,"msg":"x"}`,
	} {
		h, ok := parseHeader([]byte(line), ref)
		if !ok {
			continue
		}
		if _, err := h.time.MarshalJSON(); err != nil {
			t.Errorf("parseHeader(%s) = %v, which does not marshal: %v", line, h.time, err)
		}
	}
}

// journalctl under a Chinese or Japanese locale prints the month as "8月".
func TestParseHeaderNumberedMonth(t *testing.T) {
	h, ok := parseHeader([]byte(`8月 31 17:17:53 konvymaster-01 containerd[7959]: time="2020-08-31T17:17:24+08:00" level=info msg="x"`), utc("2020-09-01T00:00:00Z"))
	if !ok || !h.time.Equal(utc("2020-08-31T17:17:53Z")) || h.ident != "containerd" || h.host != "konvymaster-01" {
		t.Errorf("header %+v, %v", h, ok)
	}
	if _, ok := parseHeader([]byte("13月 31 17:17:53 h x: y"), utc("2020-09-01T00:00:00Z")); ok {
		t.Error("13月 is no month")
	}
}

// A journal's or syslog's header names its host; a bare klog or JSON line
// names none.
func TestLineHost(t *testing.T) {
	for line, want := range map[string]string{
		`Nov 27 08:10:01 master-1 kubenswrapper[2234]: E1127 08:10:01.123000 2234 kubelet.go:2412] "Skipping pod synchronization"`: "master-1",
		`Nov 27 08:10:01.123456 ip-10-0-3-17 kubelet[1234]: I1127 08:10:01.123000 1234 kubelet.go:2453] "SyncLoop (probe)"`:        "ip-10-0-3-17",
		`2026-11-27T08:10:01.123456+00:00 worker-3 kubelet[1234]: I1127 08:10:01.123000 1234 kubelet.go:2453] "SyncLoop (probe)"`:  "worker-3",
		`I1127 08:10:01.123000    1234 kubelet.go:2453] "SyncLoop (probe)" probe="readiness"`:                                      "",
		`{"ts":1764230000000,"caller":"kubelet/kubelet.go:2412","msg":"Skipping pod synchronization"}`:                             "",
	} {
		if got := LineHost([]byte(line)); got != want {
			t.Errorf("LineHost(%.40q…) = %q, want %q", line, got, want)
		}
	}
}
