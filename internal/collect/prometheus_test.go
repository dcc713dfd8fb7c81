package collect

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// promAnswers is a Prometheus at base that has worker-3's relist at 48s
// before now and its last scrape failed; its history is the relist's age
// over the last two minutes, and no kube-state-metrics.
func promAnswers(t *testing.T, base string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("query")
		if r.URL.Path == base+"/api/v1/query_range" {
			result := ""
			if strings.HasPrefix(q, "max(time() - last_over_time(kubelet_pleg_last_seen_seconds{node=\"worker-3\"}") {
				result = fmt.Sprintf(`{"metric":{},"values":[[%d,"1"],[%d,"48"]]}`, now.Unix()-60, now.Unix())
			}
			fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[%s]}}`, result)
			return
		}
		if r.URL.Path != base+"/api/v1/query" {
			t.Errorf("Prometheus asked at %q, want under %q", r.URL.Path, base)
		}
		result := ""
		switch {
		case strings.HasPrefix(q, `min(up{node="worker-3"}`):
			result = fmt.Sprintf(`{"metric":{},"value":[%d,"0"]}`, now.Unix())
		case strings.HasPrefix(q, `max(last_over_time(kubelet_pleg_last_seen_seconds{node="worker-3"}`):
			result = fmt.Sprintf(`{"metric":{},"value":[%d,"%d"]}`, now.Unix(), now.Unix()-48)
		case strings.HasPrefix(q, `max(last_over_time(timestamp(kubelet_pleg_last_seen_seconds{node="worker-3"})`):
			result = fmt.Sprintf(`{"metric":{},"value":[%d,"%d"]}`, now.Unix(), now.Unix()-20) // scraped 20s ago
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, result)
	}
}

// With --prometheus the metrics come from Prometheus, and nodes/proxy is
// not asked for them: a role without it still gets the relist's age.
func TestCollectReadsMetricsFromPrometheus(t *testing.T) {
	prom := httptest.NewServer(promAnswers(t, ""))
	defer prom.Close()
	forbidden := func(w http.ResponseWriter, r *http.Request) {
		statusError(w, http.StatusForbidden, "Forbidden", `nodes "worker-3" is forbidden: User "viewer" cannot get resource "nodes/proxy" in API group "" at the cluster scope`)
	}
	handlers := map[string]http.HandlerFunc{"/metrics": func(w http.ResponseWriter, r *http.Request) { t.Error("/metrics read through the node proxy") }}
	for _, p := range []string{"/logs/", "/logs/messages", "/logs/syslog", "/logs/kubelet.log", "/stats/summary", "/configz", "/healthz"} {
		handlers[p] = forbidden
	}
	opts := DefaultOptions()
	opts.Prometheus = prom.URL
	snap, _, err := collectWith(t, testClient(t, testNode("containerd://1.7.2")), handlers, opts)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := snap.Source(snapshot.SourceMetrics)
	if src.Status != snapshot.StatusOK || !strings.Contains(src.Detail, `series {node="worker-3"}`) || !strings.Contains(src.Detail, "up 0") {
		t.Errorf("metrics source %+v", src)
	}
	if snap.Metrics == nil || snap.Metrics.PLEGLastSeen == nil || now.Sub(*snap.Metrics.PLEGLastSeen).Seconds() != 48 {
		t.Errorf("metrics %+v, want the relist 48s before now", snap.Metrics)
	}
	// Judged when Prometheus scraped it: 28s stale then, not 48s now.
	if !snap.MetricsAt.Equal(now.Add(-20 * time.Second)) {
		t.Errorf("metrics read at %v, want the scrape's time", snap.MetricsAt)
	}
	// /stats/summary was refused, and this Prometheus has no node-exporter:
	// the refusal stays on record (it says what to grant), with that.
	src, _ = snap.Source(snapshot.SourceStats)
	if src.Status != snapshot.StatusForbidden || !strings.Contains(src.Reason, "nor from Prometheus: no node-exporter series") || src.Hint == "" {
		t.Errorf("stats source %+v", src)
	}
	// The day before, under the selector the metrics were found by.
	src, _ = snap.Source(snapshot.SourceHistory)
	if src.Status != snapshot.StatusOK || !strings.Contains(src.Detail, `{node="worker-3"}`) || !strings.Contains(src.Detail, "no kube-state-metrics") {
		t.Errorf("history source %+v", src)
	}
	if h := snap.History; h == nil || len(h.RelistAge) != 2 || h.RelistAge[1].Value != 48 || len(h.Ready) != 0 || !h.From.Equal(now.Add(-24*time.Hour)) {
		t.Errorf("history %+v", snap.History)
	}
}

// A Prometheus behind the API server's service proxy is reached with the
// kubeconfig's credentials, at its path.
func TestPrometheusThroughTheAPIServer(t *testing.T) {
	const base = "/api/v1/namespaces/monitoring/services/prometheus-k8s:web/proxy"
	srv := httptest.NewServer(promAnswers(t, base))
	defer srv.Close()
	opts := DefaultOptions()
	opts.Prometheus = base + "/"
	c := New(testClient(t), proxyClient(t, srv), opts, func() time.Time { return now })
	m, _, _, src := c.metrics(context.Background(), "worker-3", func() string { return "" })
	if m == nil || m.PLEGLastSeen == nil || src.Status != snapshot.StatusOK {
		t.Errorf("metrics %+v, source %+v", m, src)
	}
}

// A Prometheus that does not have the node says so, and what to check.
func TestPrometheusWithoutTheNode(t *testing.T) {
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
	}))
	defer prom.Close()
	opts := DefaultOptions()
	opts.Prometheus = prom.URL
	c := New(testClient(t, testNode("containerd://1.7.2")), nil, opts, func() time.Time { return now })
	if m, _, _, src := c.metrics(context.Background(), "worker-3", func() string { return "" }); m != nil || src.Status != snapshot.StatusError || !strings.Contains(src.Reason, `{node="worker-3"}`) || src.Hint == "" {
		t.Errorf("metrics %+v, source %+v", m, src)
	}
}

// A scan with --prometheus asks Prometheus once for the whole fleet, not
// once per node, and reads nothing through the node proxy (the EventedPLEG
// gate comes with the metrics); a node Prometheus has no node label for is
// asked for on its own.
func TestScanReadsTheFleetFromPrometheus(t *testing.T) {
	var queries atomic.Int32
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries.Add(1)
		q := r.URL.Query().Get("query")
		result := ""
		switch {
		case strings.HasPrefix(q, `max(last_over_time(kubelet_pleg_last_seen_seconds{node!=""}`):
			result = fmt.Sprintf(`{"metric":{"node":"a"},"value":[%d,"%d"]}`, now.Unix(), now.Unix()-1)
		case strings.HasPrefix(q, `max(kubelet_running_pods{node!=""}`):
			result = fmt.Sprintf(`{"metric":{"node":"a"},"value":[%d,"3"]}`, now.Unix())
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, result)
	}))
	defer prom.Close()
	noProxy := func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("%s read through the node proxy", r.URL.Path)
		kubeletAt("", 0)(w, r)
	}
	srv, _ := newFleetProxy(t, map[string]http.HandlerFunc{"a": noProxy, "b": noProxy})
	opts := DefaultOptions()
	opts.Prometheus = prom.URL
	c := New(scanClient(t, scanNodeObj("a", corev1.ConditionTrue), scanNodeObj("b", corev1.ConditionTrue)), proxyClient(t, srv), opts, func() time.Time { return now })
	snaps := scanAll(t, c, ScanOptions{Concurrency: 2})
	if m := snaps["a"].Metrics; m == nil || m.RunningPods == nil || *m.RunningPods != 3 {
		t.Errorf("a's metrics %+v, want the fleet query's", m)
	}
	if src, _ := snaps["b"].Source(snapshot.SourceMetrics); src.Status != snapshot.StatusError || !strings.Contains(src.Reason, `{node="b"}`) {
		t.Errorf("b's metrics source %+v, want it asked for alone, and not found", src)
	}
	// One fleet set (12 queries), and b's own try (1: no relist time).
	if n := queries.Load(); n != 13 {
		t.Errorf("%d queries to Prometheus, want 13 whatever the fleet's size", n)
	}
}

// A Prometheus that fails the fleet's queries is said on every node, and
// not asked again once per node.
func TestScanWithAFailingPrometheus(t *testing.T) {
	var queries atomic.Int32
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries.Add(1)
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	defer prom.Close()
	srv, _ := newFleetProxy(t, map[string]http.HandlerFunc{"a": kubeletAt("", 0), "b": kubeletAt("", 0)})
	opts := DefaultOptions()
	opts.Prometheus = prom.URL
	c := New(scanClient(t, scanNodeObj("a", corev1.ConditionTrue), scanNodeObj("b", corev1.ConditionTrue)), proxyClient(t, srv), opts, func() time.Time { return now })
	for name, snap := range scanAll(t, c, ScanOptions{Concurrency: 2}) {
		if src, _ := snap.Source(snapshot.SourceMetrics); src.Status != snapshot.StatusError || !strings.Contains(src.Reason, "HTTP 503") {
			t.Errorf("%s metrics source %+v", name, src)
		}
	}
	if n := queries.Load(); n != 1 {
		t.Errorf("%d queries, want the fleet's first one only", n)
	}
}
