package collect

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// promAnswers is a Prometheus that has worker-3's relist at 48s before
// now and its last scrape failed.
func promAnswers(t *testing.T, wantPath string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != wantPath {
			t.Errorf("Prometheus asked at %q, want %q", r.URL.Path, wantPath)
		}
		q := r.URL.Query().Get("query")
		result := ""
		switch {
		case strings.Contains(q, `kubelet_pleg_last_seen_seconds{node="worker-3"}`):
			result = fmt.Sprintf(`{"metric":{},"value":[%d,"%d"]}`, now.Unix(), now.Unix()-48)
		case strings.HasPrefix(q, "max(up"):
			result = fmt.Sprintf(`{"metric":{},"value":[%d,"0"]}`, now.Unix())
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, result)
	}
}

// With --prometheus the metrics come from Prometheus, and nodes/proxy is
// not asked for them: a role without it still gets the relist's age.
func TestCollectReadsMetricsFromPrometheus(t *testing.T) {
	prom := httptest.NewServer(promAnswers(t, "/api/v1/query"))
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
}

// A Prometheus behind the API server's service proxy is reached with the
// kubeconfig's credentials, at its path.
func TestPrometheusThroughTheAPIServer(t *testing.T) {
	const base = "/api/v1/namespaces/monitoring/services/prometheus-k8s:web/proxy"
	srv := httptest.NewServer(promAnswers(t, base+"/api/v1/query"))
	defer srv.Close()
	opts := DefaultOptions()
	opts.Prometheus = base + "/"
	c := New(testClient(t), proxyClient(t, srv), opts, func() time.Time { return now })
	m, src := c.metrics(context.Background(), "worker-3")
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
	if m, src := c.metrics(context.Background(), "worker-3"); m != nil || src.Status != snapshot.StatusError || !strings.Contains(src.Reason, `{node="worker-3"}`) || src.Hint == "" {
		t.Errorf("metrics %+v, source %+v", m, src)
	}
}
