package promquery

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fakeRange answers each range query with the matrix of the entry whose key
// the query starts with, and an empty matrix otherwise; it checks the span.
func fakeRange(t *testing.T, answers map[string]string) Getter {
	return func(ctx context.Context, path string, params url.Values) ([]byte, error) {
		if path != "/api/v1/query_range" {
			t.Errorf("path %q", path)
		}
		if params.Get("start") != fmt.Sprintf("%d.000", at.Add(-HistoryWindow).Unix()) || params.Get("end") != fmt.Sprintf("%d.000", at.Unix()) || params.Get("step") != "60" {
			t.Errorf("span %v, want the day before the capture by the minute", params)
		}
		q := params.Get("query")
		for key, result := range answers {
			if strings.HasPrefix(q, key) {
				return []byte(`{"status":"success","data":{"resultType":"matrix","result":[` + result + `]}}`), nil
			}
		}
		return []byte(`{"status":"success","data":{"resultType":"matrix","result":[]}}`), nil
	}
}

func TestNodeHistory(t *testing.T) {
	t0 := at.Unix() - 120
	h, err := NodeHistory(context.Background(), fakeRange(t, map[string]string{
		`min(kube_node_status_condition{node="worker-3",condition="Ready",status="true"})`: fmt.Sprintf(`{"metric":{},"values":[[%d,"1"],[%d,"0"]]}`, t0, t0+60),
		// A Prometheus that was down is no stall: only steps it scraped.
		`max(time() - last_over_time(kubelet_pleg_last_seen_seconds{instance=~"10\\.0\\.0\\.3(:[0-9]+)?"}[1h])) and on() (max(count_over_time(up{instance=~"10\\.0\\.0\\.3(:[0-9]+)?"}[2m])) > 0)`: fmt.Sprintf(`{"metric":{},"values":[[%d,"1.5"],[%d,"%d"]]}`, t0, t0+60, t0+60), // then the 0 of a kubelet before its first relist
		// A quantile without observations is NaN: no point, not a zero.
		`histogram_quantile(0.99, sum(rate(kubelet_pleg_relist_duration_seconds_bucket{instance=~`: fmt.Sprintf(`{"metric":{},"values":[[%d,"NaN"],[%d,"0.25"]]}`, t0, t0+60),
	}), "worker-3", `{instance=~"10\\.0\\.0\\.3(:[0-9]+)?"}`, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Ready) != 2 || h.Ready[1].Value != 0 || !h.Ready[1].At.Equal(time.Unix(t0+60, 0).UTC()) {
		t.Errorf("Ready %+v", h.Ready)
	}
	if len(h.RelistAge) != 1 || h.RelistAge[0].Value != 1.5 {
		t.Errorf("RelistAge %+v, want the age of a 0 left out", h.RelistAge)
	}
	if len(h.RelistP99) != 1 || h.RelistP99[0].Value != 0.25 {
		t.Errorf("RelistP99 %+v, want the NaN left out", h.RelistP99)
	}
	if len(h.RunningPods) != 0 || !h.From.Equal(at.Add(-HistoryWindow)) || h.Step != time.Minute {
		t.Errorf("history %+v", h)
	}
}

// An aggregation answers one series; more is a Prometheus this code does
// not understand, said rather than merged.
func TestNodeHistoryRefusesManySeries(t *testing.T) {
	two := fmt.Sprintf(`{"metric":{"a":"1"},"values":[[%d,"1"]]},{"metric":{"a":"2"},"values":[[%d,"1"]]}`, at.Unix(), at.Unix())
	_, err := NodeHistory(context.Background(), fakeRange(t, map[string]string{"max(kubelet_running_pods": two}), "worker-3", `{node="worker-3"}`, at)
	if err == nil || !strings.Contains(err.Error(), "2 series") {
		t.Errorf("err %v", err)
	}
}
