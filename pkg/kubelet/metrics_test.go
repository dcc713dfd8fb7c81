package kubelet

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func ptrDur(d time.Duration) *time.Duration { return &d }

func durString(d *time.Duration) string {
	if d == nil {
		return "nil"
	}
	return d.String()
}

func TestParseMetrics(t *testing.T) {
	type op struct {
		total, errors, timeouts float64
		p99                     *time.Duration
	}
	tests := []struct {
		file            string
		wantLastSeen    string // "" means nil
		wantRelistP99   *time.Duration
		wantRelistCount float64
		wantDiscarded   *float64
		wantPods        *int
		wantContainers  map[string]int
		wantOps         map[string]op
		wantVersion     string
	}{
		{
			file:            "kubelet-1.28.txt",
			wantLastSeen:    "2026-11-27T07:53:21.5Z",
			wantRelistP99:   ptrDur(250 * time.Millisecond), // rank 1980 of 2000 falls in le="0.25"
			wantRelistCount: 2000,
			wantDiscarded:   new(float64(17)),
			wantPods:        new(87),
			wantContainers:  map[string]int{"created": 2, "exited": 143, "running": 171, "unknown": 0},
			wantOps: map[string]op{
				// The stuck ContainerStatus calls ran into the 2m runtime-request-timeout.
				"container_status": {total: 48211, errors: 37, p99: ptrDur(119209289550 * time.Nanosecond)},
				"list_containers":  {total: 98112, errors: 12, p99: ptrDur(5 * time.Millisecond)}, // rank 97131 falls in le="0.005"
				"list_podsandbox":  {total: 98100},
			},
			wantVersion: "v1.28.15",
		},
		{
			file:            "kubelet-1.13.txt",
			wantRelistP99:   ptrDur(186123456 * time.Microsecond),
			wantRelistCount: 98123,
			wantPods:        new(42),
			wantContainers:  map[string]int{"running": 97},
			wantOps: map[string]op{
				"container_status":  {total: 12000, errors: 41, p99: ptrDur(120 * time.Second)},
				"list_images":       {total: 310}, // NaN quantiles: no p99
				"inspect_container": {total: 30123, errors: 45, timeouts: 44},
				"list_containers":   {total: 91234},
			},
			wantVersion: "v1.13.12",
		},
		{
			file:           "kubelet-1.13-nan.txt",
			wantPods:       new(110),
			wantContainers: map[string]int{},
			wantOps:        map[string]op{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m, err := ParseMetrics(bytes.NewReader(openTestdata(t, filepath.Join("metrics", tt.file))))
			if err != nil {
				t.Fatalf("ParseMetrics: %v", err)
			}
			switch {
			case tt.wantLastSeen == "" && m.PLEGLastSeen != nil:
				t.Errorf("PLEGLastSeen = %v, want nil", m.PLEGLastSeen)
			case tt.wantLastSeen != "" && (m.PLEGLastSeen == nil || m.PLEGLastSeen.Sub(utc(tt.wantLastSeen)).Abs() > time.Microsecond):
				t.Errorf("PLEGLastSeen = %v, want %s", m.PLEGLastSeen, tt.wantLastSeen)
			}
			if durString(m.RelistP99) != durString(tt.wantRelistP99) || m.RelistCount != tt.wantRelistCount {
				t.Errorf("relist p99, count = %s, %v; want %s, %v", durString(m.RelistP99), m.RelistCount, durString(tt.wantRelistP99), tt.wantRelistCount)
			}
			if (m.DiscardedEvents == nil) != (tt.wantDiscarded == nil) || m.DiscardedEvents != nil && *m.DiscardedEvents != *tt.wantDiscarded {
				t.Errorf("DiscardedEvents = %v, want %v", m.DiscardedEvents, tt.wantDiscarded)
			}
			if (m.RunningPods == nil) != (tt.wantPods == nil) || m.RunningPods != nil && *m.RunningPods != *tt.wantPods {
				t.Errorf("RunningPods = %v, want %v", m.RunningPods, tt.wantPods)
			}
			if !equalCounts(m.Containers, tt.wantContainers) {
				t.Errorf("Containers = %v, want %v", m.Containers, tt.wantContainers)
			}
			if got, want := strings.Join(sortedKeys(m.Operations), ","), strings.Join(sortedKeys(tt.wantOps), ","); got != want {
				t.Errorf("operations = %s, want %s", got, want)
			}
			for name, w := range tt.wantOps {
				g := m.Operations[name]
				if g == nil {
					continue
				}
				if g.Total != w.total || g.Errors != w.errors || g.Timeouts != w.timeouts || durString(g.P99) != durString(w.p99) {
					t.Errorf("%s = {%v %v %v %s}, want {%v %v %v %s}", name, g.Total, g.Errors, g.Timeouts, durString(g.P99), w.total, w.errors, w.timeouts, durString(w.p99))
				}
			}
			if m.GitVersion != tt.wantVersion {
				t.Errorf("GitVersion = %q, want %q", m.GitVersion, tt.wantVersion)
			}
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

func TestParseMetricsTruncated(t *testing.T) {
	body := openTestdata(t, "metrics/kubelet-1.28.txt")
	// Cut in the middle of a kubelet_runtime_operations_duration_seconds sample,
	// as a proxied response dropped half way does.
	cut := bytes.Index(body, []byte(`kubelet_runtime_operations_duration_seconds_bucket{operation_type="container_status",le="0.0125"}`)) + 60
	m, err := ParseMetrics(bytes.NewReader(body[:cut]))
	if err == nil {
		t.Fatal("no error for a truncated body")
	}
	if !strings.Contains(err.Error(), "in part") {
		t.Errorf("error %q does not say the result is partial", err)
	}
	if m == nil {
		t.Fatal("no partial result")
	}
	if m.RunningPods == nil || *m.RunningPods != 87 {
		t.Errorf("RunningPods = %v, want 87 from before the cut", m.RunningPods)
	}
	if m.RelistP99 == nil || *m.RelistP99 != 250*time.Millisecond {
		t.Errorf("RelistP99 = %s, want 250ms from before the cut", durString(m.RelistP99))
	}
	if m.GitVersion != "" {
		t.Errorf("GitVersion = %q read from after the cut", m.GitVersion)
	}
}

func TestParseMetricsErrors(t *testing.T) {
	tests := []struct {
		name    string
		body    io.Reader
		wantErr string
	}{
		{"empty", strings.NewReader(""), "no metrics"},
		{"only comments", strings.NewReader("# HELP x y\n# TYPE x gauge\n"), "no metrics"},
		{"HTML listing", strings.NewReader("<pre>\n<a href=\"messages\">messages</a>\n</pre>\n"), "not Prometheus text"},
		{"JSON", strings.NewReader(`{"kind":"Status","message":"forbidden"}`), "not Prometheus text"},
		{"read error", iotest.ErrReader(errors.New("connection reset by peer")), "reading metrics: connection reset by peer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMetrics(tt.body)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
			if m != nil {
				t.Errorf("result = %+v, want nil", m)
			}
		})
	}
}

func TestParseMetricsEdgeCases(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, m *Metrics)
	}{
		{
			name: "feature gates, defaults included",
			body: "# TYPE kubernetes_feature_enabled gauge\n" +
				"kubernetes_feature_enabled{name=\"EventedPLEG\",stage=\"BETA\"} 1\n" +
				"kubernetes_feature_enabled{name=\"KubeletTracing\",stage=\"\"} 0\n",
			check: func(t *testing.T, m *Metrics) {
				if !m.FeatureGates["EventedPLEG"] || m.FeatureGates["KubeletTracing"] || len(m.FeatureGates) != 2 {
					t.Errorf("gates %v", m.FeatureGates)
				}
			},
		},
		{
			name: "relist histogram with nothing beyond +Inf keeps the last finite bound",
			body: "# TYPE kubelet_pleg_relist_duration_seconds histogram\n" +
				"kubelet_pleg_relist_duration_seconds_bucket{le=\"1\"} 0\n" +
				"kubelet_pleg_relist_duration_seconds_bucket{le=\"10\"} 0\n" +
				"kubelet_pleg_relist_duration_seconds_bucket{le=\"+Inf\"} 5\n" +
				"kubelet_pleg_relist_duration_seconds_sum 1500\n" +
				"kubelet_pleg_relist_duration_seconds_count 5\n",
			check: func(t *testing.T, m *Metrics) {
				if m.RelistP99 == nil || *m.RelistP99 != 10*time.Second || m.RelistCount != 5 {
					t.Errorf("RelistP99, count = %s, %v; want 10s, 5", durString(m.RelistP99), m.RelistCount)
				}
			},
		},
		{
			name: "empty relist histogram says nothing",
			body: "# TYPE kubelet_pleg_relist_duration_seconds histogram\n" +
				"kubelet_pleg_relist_duration_seconds_bucket{le=\"+Inf\"} 0\n" +
				"kubelet_pleg_relist_duration_seconds_sum 0\n" +
				"kubelet_pleg_relist_duration_seconds_count 0\n",
			check: func(t *testing.T, m *Metrics) {
				if m.RelistP99 != nil {
					t.Errorf("RelistP99 = %s, want nil", durString(m.RelistP99))
				}
			},
		},
		{
			name: "last seen zero or NaN is no answer",
			body: "# TYPE kubelet_pleg_last_seen_seconds gauge\nkubelet_pleg_last_seen_seconds NaN\n",
			check: func(t *testing.T, m *Metrics) {
				if m.PLEGLastSeen != nil {
					t.Errorf("PLEGLastSeen = %v, want nil", m.PLEGLastSeen)
				}
			},
		},
		{
			name: "untyped exposition (no TYPE lines)",
			body: "kubelet_running_pods 12\nkubelet_running_containers{container_state=\"running\"} 30\n",
			check: func(t *testing.T, m *Metrics) {
				if m.RunningPods == nil || *m.RunningPods != 12 || m.Containers["running"] != 30 {
					t.Errorf("RunningPods, running = %v, %d; want 12, 30", m.RunningPods, m.Containers["running"])
				}
			},
		},
		{
			name: "discard events counter with _total suffix",
			body: "# TYPE kubelet_pleg_discard_events_total counter\nkubelet_pleg_discard_events_total 3\n",
			check: func(t *testing.T, m *Metrics) {
				if m.DiscardedEvents == nil || *m.DiscardedEvents != 3 {
					t.Errorf("DiscardedEvents = %v, want 3", m.DiscardedEvents)
				}
			},
		},
		{
			name: "docker 1.14+ names",
			body: "# TYPE kubelet_docker_operations_total counter\nkubelet_docker_operations_total{operation_type=\"list_containers\"} 9\n" +
				"# TYPE kubelet_docker_operations_timeout_total counter\nkubelet_docker_operations_timeout_total{operation_type=\"list_containers\"} 4\n" +
				"# TYPE kubelet_docker_operations_errors_total counter\nkubelet_docker_operations_errors_total{operation_type=\"list_containers\"} 5\n",
			check: func(t *testing.T, m *Metrics) {
				o := m.Operations["list_containers"]
				if o == nil || o.Total != 9 || o.Errors != 5 || o.Timeouts != 4 {
					t.Errorf("list_containers = %+v, want 9 total, 5 errors, 4 timeouts", o)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMetrics(strings.NewReader(tt.body))
			if err != nil {
				t.Fatalf("ParseMetrics: %v", err)
			}
			tt.check(t, m)
		})
	}
}

// Pasted metrics often lack their final newline or stop mid-line: the text
// reads whole, and a cut last sample is dropped alone.
func TestParseMetricsPasted(t *testing.T) {
	const text = "# TYPE kubelet_running_pods gauge\nkubelet_running_pods 12\n" +
		"# TYPE kubelet_pleg_last_seen_seconds gauge\nkubelet_pleg_last_seen_seconds 1.7e+09"
	m, err := ParseMetrics(strings.NewReader(text))
	if err != nil || m.PLEGLastSeen == nil || m.RunningPods == nil || *m.RunningPods != 12 {
		t.Fatalf("without a final newline: %+v, %v", m, err)
	}
	m, err = ParseMetrics(strings.NewReader(text + "\nkubelet_running_containers{container_state=\"runn"))
	if m == nil || m.PLEGLastSeen == nil || m.RunningPods == nil {
		t.Fatalf("cut last sample: everything before it must read: %+v", m)
	}
	if err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("cut last sample: error %v, want one that says so", err)
	}
}
