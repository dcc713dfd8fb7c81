package promquery

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// HistoryWindow is how far back NodeHistory looks (events are kept an hour;
// a node that flapped this morning is seen only here), at HistoryStep: 1,441
// points a series, well under Prometheus's 11,000.
const (
	HistoryWindow = 24 * time.Hour
	HistoryStep   = time.Minute
)

// NodeHistory reads the day before at of the node: its Ready condition by
// kube-state-metrics (series labelled node), and its kubelet's relist age,
// relist p99 and running pods under sel, the selector NodeMetrics found the
// kubelet by. Four range queries; a series Prometheus does not have is
// empty, not an error.
func NodeHistory(ctx context.Context, get Getter, node, sel string, at time.Time) (*snapshot.History, error) {
	// Prometheus keeps milliseconds: the last step is at, not after it.
	at = at.Truncate(time.Millisecond)
	from := at.Add(-HistoryWindow)
	h := &snapshot.History{From: from, Step: HistoryStep}
	q := rangeQuerier{ctx: ctx, get: get, from: from, to: at, step: HistoryStep}
	for _, r := range []struct {
		query string
		into  *[]snapshot.Point
	}{
		{fmt.Sprintf(`min(kube_node_status_condition{node=%q,condition="Ready",status="true"})`, node), &h.Ready},
		// Only at steps Prometheus scraped the node's targets (up, 1 or 0)
		// within two minutes: while Prometheus itself was down the last
		// value would age as if the relist had stalled.
		{fmt.Sprintf("max(time() - last_over_time(kubelet_pleg_last_seen_seconds%s[%s])) and on() (max(count_over_time(up%s[2m])) > 0)", sel, model.Duration(Window), sel), &h.RelistAge},
		{fmt.Sprintf("histogram_quantile(0.99, sum(rate(kubelet_pleg_relist_duration_seconds_bucket%s[%s])) by (le))", sel, model.Duration(RateWindow)), &h.RelistP99},
		{"max(kubelet_running_pods" + sel + ")", &h.RunningPods},
	} {
		points, err := q.series(r.query)
		if err != nil {
			return nil, err
		}
		*r.into = points
	}
	// A kubelet scraped before its first relist exports 0: an age of
	// decades, not a stall.
	h.RelistAge = slices.DeleteFunc(h.RelistAge, func(p snapshot.Point) bool { return p.Value > float64(p.At.Unix())-86400 })
	return h, nil
}

// rangeQuerier runs range queries over one span.
type rangeQuerier struct {
	ctx      context.Context
	get      Getter
	from, to time.Time
	step     time.Duration
}

// series runs a range query whose answer is one series at most (an
// aggregation) and returns its points, leaving out those that are not a
// number (a quantile without observations).
func (q rangeQuerier) series(query string) ([]snapshot.Point, error) {
	params := url.Values{
		"query": {query},
		"start": {unixSeconds(q.from)},
		"end":   {unixSeconds(q.to)},
		"step":  {strconv.FormatFloat(q.step.Seconds(), 'f', -1, 64)},
	}
	m, err := ask[model.Matrix](q.ctx, q.get, "/api/v1/query_range", params, "matrix")
	if err != nil {
		return nil, err
	}
	if len(m) > 1 {
		return nil, fmt.Errorf("Prometheus answered %s with %d series, want one", query, len(m))
	}
	var out []snapshot.Point
	for _, s := range m {
		for _, p := range s.Values {
			if v := float64(p.Value); !isNaNOrInf(v) {
				out = append(out, snapshot.Point{At: p.Timestamp.Time().UTC(), Value: v})
			}
		}
	}
	return out, nil
}
