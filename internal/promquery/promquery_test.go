package promquery

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

var at = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// fakeProm answers each query with the vector of the entry whose key the
// query starts with, and an empty vector otherwise.
func fakeProm(t *testing.T, answers map[string]string) Getter {
	return func(ctx context.Context, path string, params url.Values) ([]byte, error) {
		if path != "/api/v1/query" {
			t.Errorf("path %q", path)
		}
		if ts := params.Get("time"); ts != fmt.Sprintf("%d.000", at.Unix()) {
			t.Errorf("time %q, want the collection time", ts)
		}
		q := params.Get("query")
		for key, result := range answers {
			if strings.HasPrefix(q, key) {
				return []byte(`{"status":"success","data":{"resultType":"vector","result":[` + result + `]}}`), nil
			}
		}
		return []byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`), nil
	}
}

func sample(labels string, v string) string {
	return fmt.Sprintf(`{"metric":{%s},"value":[%d,%q]}`, labels, at.Unix(), v)
}

func TestNodeMetricsByNodeLabel(t *testing.T) {
	lastSeen := at.Add(-48 * time.Second)
	get := fakeProm(t, map[string]string{
		`max(last_over_time(kubelet_pleg_last_seen_seconds{node="worker-3"}[1h]))`:      sample(``, fmt.Sprint(lastSeen.Unix())),
		`min(up{node="worker-3"} and `:                                                  sample(``, "0"),
		`histogram_quantile(0.99, sum(rate(kubelet_pleg_relist_duration_seconds_bucket`: sample(``, "NaN"),
		`sum(kubelet_pleg_relist_duration_seconds_count`:                                sample(``, "250000"),
		`max(kubelet_running_pods`:                                                      sample(``, "87"),
		`sum(kubelet_running_containers`:                                                sample(`"container_state":"running"`, "120") + "," + sample(`"container_state":"exited"`, "140"),
		`sum(kubelet_runtime_operations_total`:                                          sample(`"operation_type":"list_containers"`, "5000"),
		`sum(kubelet_runtime_operations_errors_total`:                                   sample(`"operation_type":"list_containers"`, "41"),
		`max(kubernetes_build_info`:                                                     sample(`"git_version":"v1.36.3"`, "1"),
	})
	m, found, err := NodeMetrics(context.Background(), get, "worker-3", func() string { t.Error("the IP asked although the node label found the series"); return "" }, at)
	if err != nil {
		t.Fatal(err)
	}
	if found.Selector != `{node="worker-3"}` || !found.Down {
		t.Errorf("found %+v, want by node label and down", found)
	}
	lc := m.Operations["list_containers"]
	switch {
	case m.PLEGLastSeen == nil || !m.PLEGLastSeen.Equal(lastSeen):
		t.Errorf("PLEG last seen %v, want %v", m.PLEGLastSeen, lastSeen)
	case m.RelistP99 != nil:
		t.Errorf("relist p99 %v from NaN (no relist in the window), want none", *m.RelistP99)
	case m.RelistCount != 250000 || m.RunningPods == nil || *m.RunningPods != 87:
		t.Errorf("relists %v, pods %v", m.RelistCount, m.RunningPods)
	case m.Containers["running"] != 120 || m.Containers["exited"] != 140:
		t.Errorf("containers %v", m.Containers)
	case lc == nil || lc.Total != 5000 || lc.Errors != 41:
		t.Errorf("list_containers %+v", lc)
	case m.GitVersion != "v1.36.3":
		t.Errorf("git version %q", m.GitVersion)
	}
}

// Without a node label, the kubelet's series are found by its address.
func TestNodeMetricsByInstance(t *testing.T) {
	get := fakeProm(t, map[string]string{
		`max(last_over_time(kubelet_pleg_last_seen_seconds{instance=~"10\\.0\\.0\\.3(:[0-9]+)?"}[1h]))`: sample(``, fmt.Sprint(at.Add(-time.Second).Unix())),
		`min(up{instance=~"10\\.0\\.0\\.3(:[0-9]+)?"} and `:                                             sample(``, "1"),
	})
	m, found, err := NodeMetrics(context.Background(), get, "ip-10-0-0-3.ec2.internal", func() string { return "10.0.0.3" }, at)
	if err != nil || m.PLEGLastSeen == nil || found.Down || !strings.Contains(found.Selector, "instance") {
		t.Fatalf("metrics %+v, found %+v, err %v", m, found, err)
	}
}

// No series: the error says which matchers were tried.
func TestNodeMetricsNotScraped(t *testing.T) {
	_, _, err := NodeMetrics(context.Background(), fakeProm(t, nil), "worker-9", func() string { return "10.0.0.9" }, at)
	if err == nil || !strings.Contains(err.Error(), `{node="worker-9"}`) || !strings.Contains(err.Error(), "instance=~") {
		t.Errorf("err %v, want the matchers tried", err)
	}
}

// Prometheus's own errors and non-API answers are said as such.
func TestHTTPGetterErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		switch r.URL.Query().Get("query") {
		case "bad":
			w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"parse error"}`))
		default:
			w.Write([]byte(`<html>a login page</html>`))
		}
	}))
	defer srv.Close()
	q := querier{ctx: context.Background(), get: HTTPGetter(srv.URL, "tok", srv.Client())}
	if _, err := q.vector("bad"); err == nil || !strings.Contains(err.Error(), "bad_data: parse error") {
		t.Errorf("refused query: %v", err)
	}
	if _, err := q.vector("up"); err == nil || !strings.Contains(err.Error(), "a login page") {
		t.Errorf("HTML answer: %v", err)
	}
	q.get = HTTPGetter(srv.URL, "", srv.Client())
	if _, err := q.vector("up"); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("no token: %v", err)
	}
}

// The whole fleet in one set of queries, by node label; a node with no
// relist time in the window is no kubelet Prometheus knows.
func TestFleetMetrics(t *testing.T) {
	get := fakeProm(t, map[string]string{
		`max(last_over_time(kubelet_pleg_last_seen_seconds{node!=""}[1h])) by (node)`: sample(`"node":"a"`, fmt.Sprint(at.Add(-time.Second).Unix())) + "," + sample(`"node":"b"`, fmt.Sprint(at.Add(-40*time.Second).Unix())),
		`min(up{node!=""} and `:             sample(`"node":"a"`, "1") + "," + sample(`"node":"b"`, "0"),
		`max(kubelet_running_pods{node!=""`: sample(`"node":"a"`, "12") + "," + sample(`"node":"b"`, "87") + "," + sample(`"node":"gone"`, "3"),
		`max(kubernetes_feature_enabled{node!="",name="EventedPLEG"}) by (node, name)`: sample(`"node":"b","name":"EventedPLEG"`, "1"),
	})
	fleet, err := FleetMetrics(context.Background(), get, at)
	if err != nil {
		t.Fatal(err)
	}
	a, b := fleet["a"], fleet["b"]
	switch {
	case len(fleet) != 2 || a == nil || b == nil:
		t.Fatalf("fleet %v, want a and b", fleet)
	case *a.Metrics.RunningPods != 12 || *b.Metrics.RunningPods != 87:
		t.Errorf("pods a %d, b %d", *a.Metrics.RunningPods, *b.Metrics.RunningPods)
	case a.Found.Down || !b.Found.Down || b.Found.Selector != `{node="b"}`:
		t.Errorf("found a %+v, b %+v", a.Found, b.Found)
	case !b.Metrics.PLEGLastSeen.Equal(at.Add(-40 * time.Second)):
		t.Errorf("b's relist %v", b.Metrics.PLEGLastSeen)
	case a.Metrics.FeatureGates["EventedPLEG"] || !b.Metrics.FeatureGates["EventedPLEG"]:
		t.Errorf("EventedPLEG a %v, b %v: want b's on", a.Metrics.FeatureGates, b.Metrics.FeatureGates)
	}
}

// The scrape's time comes with the values; an address several kubelets'
// series share (an API server proxy's) names none of them.
func TestNodeMetricsScrapeTimeAndAmbiguousAddress(t *testing.T) {
	get := fakeProm(t, map[string]string{
		`max(last_over_time(kubelet_pleg_last_seen_seconds{node="w"}[1h]))`:                         sample(``, fmt.Sprint(at.Add(-50*time.Second).Unix())),
		`max(last_over_time(timestamp(kubelet_pleg_last_seen_seconds{node="w"})[1h:1m]))`:           sample(``, fmt.Sprint(at.Add(-30*time.Second).Unix())),
		`max(last_over_time(kubelet_pleg_last_seen_seconds{instance=~"10\\.0\\.0\\.1(:[0-9]+)?"}`:   sample(``, fmt.Sprint(at.Unix())),
		`count(last_over_time(kubelet_pleg_last_seen_seconds{instance=~"10\\.0\\.0\\.1(:[0-9]+)?"}`: sample(``, "3"),
	})
	_, found, err := NodeMetrics(context.Background(), get, "w", func() string { return "" }, at)
	if err != nil || !found.ScrapedAt.Equal(at.Add(-30*time.Second)) {
		t.Errorf("found %+v, err %v: want the scrape 30s before the query", found, err)
	}
	if _, _, err := NodeMetrics(context.Background(), get, "master-0", func() string { return "10.0.0.1" }, at); err == nil || !strings.Contains(err.Error(), "3 kubelets' series match") {
		t.Errorf("err %v, want the address called ambiguous", err)
	}
	if sel := instanceSelector("fd00::3"); sel != `{instance=~"\\[fd00::3\\](:[0-9]+)?"}` {
		t.Errorf("IPv6 selector %s", sel)
	}
}
