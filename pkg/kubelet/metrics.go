package kubelet

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics is what the rules read from the kubelet's /metrics. Every field is
// optional: kubelets of different eras expose different names (SIGNALS.md §3),
// and a nil pointer or empty map means "this kubelet did not say".
type Metrics struct {
	// PLEGLastSeen is kubelet_pleg_last_seen_seconds (1.18+): the time of the last successful relist.
	PLEGLastSeen *time.Time
	// RelistP99 is the 99th percentile relist duration, from the ≥1.14 histogram
	// or the ≤1.13 summary in microseconds.
	RelistP99 *time.Duration
	// RelistCount is how many relists the histogram has seen.
	RelistCount float64
	// DiscardedEvents is kubelet_pleg_discard_events.
	DiscardedEvents *float64
	RunningPods     *int
	// Containers counts containers by state ("running", "exited", "created", "unknown").
	Containers map[string]int
	// Operations holds per-operation runtime call statistics.
	Operations map[string]*RuntimeOperation
	// GitVersion is kubernetes_build_info's version label.
	GitVersion string
	// NodeName is kubelet_node_name's node label (1.16+).
	NodeName string
	// FeatureGates are kubernetes_feature_enabled (1.26+): every gate's
	// effective state, defaults included (configz lists only those set).
	FeatureGates map[string]bool
}

// RuntimeOperation is the kubelet's account of one CRI (or docker) operation type.
type RuntimeOperation struct {
	Total, Errors, Timeouts float64
	P99                     *time.Duration
}

// ParseMetrics reads Prometheus text exposition from a kubelet, or as a
// person pasted it: without a final newline it reads whole, and a last
// sample cut short is dropped alone. A body broken elsewhere still yields
// what was read before the break, together with an error that says where
// parsing stopped.
func ParseMetrics(r io.Reader) (*Metrics, error) {
	body, rerr := io.ReadAll(r)
	if rerr != nil && len(body) == 0 {
		return nil, fmt.Errorf("reading metrics: %w", rerr)
	}
	families, perr := parseFamilies(body)
	if perr != nil {
		// A paste that stops mid-line: the cut sample alone is lost.
		if last := bytes.LastIndexByte(bytes.TrimRight(body, "\n"), '\n'); last > 0 {
			if fams, err := parseFamilies(body[:last+1]); err == nil {
				families, perr = fams, fmt.Errorf("the last line is cut short and was dropped: %w", perr)
			}
		}
	}
	if len(families) == 0 {
		if perr == nil {
			return nil, fmt.Errorf("no metrics in the input")
		}
		return nil, fmt.Errorf("not Prometheus text: %w", perr)
	}
	m := &Metrics{Containers: map[string]int{}, Operations: map[string]*RuntimeOperation{}}
	for name, fam := range families {
		m.add(name, fam)
	}
	if rerr != nil {
		perr = fmt.Errorf("reading stopped: %w", rerr)
	}
	if perr != nil {
		return m, fmt.Errorf("metrics parsed only in part: %w", perr)
	}
	return m, nil
}

// parseFamilies parses Prometheus text, ending its last line if the text
// does not.
func parseFamilies(body []byte) (map[string]*dto.MetricFamily, error) {
	if len(body) > 0 && body[len(body)-1] != '\n' {
		body = append(body[:len(body):len(body)], '\n')
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(bytes.NewReader(body))
}

func (m *Metrics) add(name string, fam *dto.MetricFamily) {
	for _, metric := range fam.GetMetric() {
		switch name {
		case "kubelet_pleg_last_seen_seconds":
			if v := value(metric); v > 0 {
				t := time.Unix(0, int64(v*float64(time.Second))).UTC()
				m.PLEGLastSeen = &t
			}
		case "kubelet_pleg_relist_duration_seconds":
			if p, n, ok := histogramQuantile(metric.GetHistogram(), 0.99); ok {
				d := seconds(p)
				m.RelistP99, m.RelistCount = &d, n
			}
		case "kubelet_pleg_relist_latency_microseconds": // ≤1.13 summary
			if p, ok := summaryQuantile(metric.GetSummary(), 0.99); ok {
				d := time.Duration(p * float64(time.Microsecond))
				m.RelistP99, m.RelistCount = &d, float64(metric.GetSummary().GetSampleCount())
			}
		case "kubelet_pleg_discard_events", "kubelet_pleg_discard_events_total":
			v := value(metric)
			m.DiscardedEvents = &v
		case "kubelet_running_pods", "kubelet_running_pod_count":
			n := int(value(metric))
			m.RunningPods = &n
		case "kubelet_running_containers":
			m.Containers[label(metric, "container_state")] += int(value(metric))
		case "kubelet_running_container_count": // before 1.19: running only
			m.Containers["running"] += int(value(metric))
		case "kubelet_runtime_operations_total", "kubelet_runtime_operations", "kubelet_docker_operations_total", "kubelet_docker_operations":
			m.op(metric).Total += value(metric)
		case "kubelet_runtime_operations_errors_total", "kubelet_runtime_operations_errors", "kubelet_docker_operations_errors_total", "kubelet_docker_operations_errors":
			m.op(metric).Errors += value(metric)
		case "kubelet_docker_operations_timeout_total", "kubelet_docker_operations_timeout":
			m.op(metric).Timeouts += value(metric)
		case "kubelet_runtime_operations_duration_seconds":
			if p, _, ok := histogramQuantile(metric.GetHistogram(), 0.99); ok {
				d := seconds(p)
				m.op(metric).P99 = &d
			}
		case "kubelet_runtime_operations_latency_microseconds":
			if p, ok := summaryQuantile(metric.GetSummary(), 0.99); ok {
				d := time.Duration(p * float64(time.Microsecond))
				m.op(metric).P99 = &d
			}
		case "kubelet_node_name":
			m.NodeName = label(metric, "node")
		case "kubernetes_feature_enabled":
			if m.FeatureGates == nil {
				m.FeatureGates = map[string]bool{}
			}
			m.FeatureGates[label(metric, "name")] = value(metric) == 1
		case "kubernetes_build_info":
			if v := label(metric, "git_version"); v != "" {
				m.GitVersion = v
			} else if v := label(metric, "gitVersion"); v != "" {
				m.GitVersion = v
			}
		}
	}
}

func (m *Metrics) op(metric *dto.Metric) *RuntimeOperation {
	name := label(metric, "operation_type")
	o, ok := m.Operations[name]
	if !ok {
		o = &RuntimeOperation{}
		m.Operations[name] = o
	}
	return o
}

func value(metric *dto.Metric) float64 {
	var v float64
	switch {
	case metric.Gauge != nil:
		v = metric.GetGauge().GetValue()
	case metric.Counter != nil:
		v = metric.GetCounter().GetValue()
	case metric.Untyped != nil:
		v = metric.GetUntyped().GetValue()
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func label(metric *dto.Metric, name string) string {
	for _, lp := range metric.GetLabel() {
		if lp.GetName() == name {
			return lp.GetValue()
		}
	}
	return ""
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// histogramQuantile returns the upper bound of the bucket holding quantile q,
// and the sample count. A quantile beyond the last finite bucket returns that
// bucket's bound: the histogram cannot tell more.
func histogramQuantile(h *dto.Histogram, q float64) (float64, float64, bool) {
	total := float64(h.GetSampleCount())
	if h == nil || total == 0 {
		return 0, 0, false
	}
	rank := q * total
	var last float64
	for _, b := range h.GetBucket() {
		if math.IsInf(b.GetUpperBound(), 1) {
			break
		}
		last = b.GetUpperBound()
		if float64(b.GetCumulativeCount()) >= rank {
			return last, total, true
		}
	}
	return last, total, true
}

// summaryQuantile returns quantile q of a summary; NaN (no observations in
// the window) is no answer.
func summaryQuantile(s *dto.Summary, q float64) (float64, bool) {
	for _, qq := range s.GetQuantile() {
		if qq.GetQuantile() == q && !math.IsNaN(qq.GetValue()) {
			return qq.GetValue(), true
		}
	}
	return 0, false
}
