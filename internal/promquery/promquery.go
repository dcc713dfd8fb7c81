// Package promquery reads a node's kubelet metrics from a Prometheus that
// scrapes the kubelets, instead of from the kubelet: the same values the
// rules read from /metrics (kubelet.Metrics), at a given time, with rates and
// percentiles over the last minutes rather than since the kubelet started.
// It needs no nodes/proxy grant, and it still has the last values of a
// kubelet whose /metrics no longer answers (a hung runtime holds it). It
// also reads the day before (NodeHistory): what events and logs no longer
// hold.
package promquery

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
)

// Getter GETs path (relative to the Prometheus base) with query parameters
// and returns the body: directly over HTTP, or through the API server's
// service proxy.
type Getter func(ctx context.Context, path string, params url.Values) ([]byte, error)

// maxBody bounds one answer: a node's handful of series is a few KiB.
const maxBody = 8 << 20

// HTTPGetter talks to base (http://prometheus:9090) directly, with token as
// a bearer token when set.
func HTTPGetter(base, token string, client *http.Client) Getter {
	base = strings.TrimRight(base, "/")
	return func(ctx context.Context, path string, params url.Values) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path+"?"+params.Encode(), nil)
		if err != nil {
			return nil, err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := readLimited(resp.Body)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: HTTP %d: %s", base+path, resp.StatusCode, firstLine(body))
		}
		return body, nil
	}
}

// Window is how far back the last relist time is looked for (a kubelet
// that stopped answering keeps its last value) and RateWindow the window of
// rates and percentiles.
const (
	Window     = time.Hour
	RateWindow = 5 * time.Minute
)

// Found says how the node's series were found, and what Prometheus knew of
// its last scrape.
type Found struct {
	// Selector is the label matcher that found the node's series:
	// {node="worker-3"}, or {instance=~"10.0.0.3:.*"} by its InternalIP.
	Selector string
	// Down says Prometheus's last scrape of the kubelet failed (up 0): the
	// values are the last it read.
	Down bool
	// ScrapedAt is when the values were scraped: what the relist's age is
	// judged at, not the time of the query (a scrape interval, or a
	// kubelet that stopped answering, earlier).
	ScrapedAt time.Time
}

// NodeMetrics reads node's kubelet metrics as Prometheus had them at at.
// The series are found by a node label, else by instance=IP:port, the IP
// from ip (asked only then); no series at all is an error that says which
// matchers were tried.
func NodeMetrics(ctx context.Context, get Getter, node string, ip func() string, at time.Time) (*kubelet.Metrics, Found, error) {
	q := querier{ctx: ctx, get: get, at: at}
	sel := fmt.Sprintf("{node=%q}", node)
	tried := []string{sel}
	got, err := q.metrics(sel, "")
	if err == nil && got[""] == nil {
		if addr := ip(); addr != "" {
			sel = instanceSelector(addr)
			tried = append(tried, sel)
			got, err = q.metrics(sel, "")
			if err == nil && got[""] != nil && got[""].kubelets > 1 {
				// Behind an API server proxy every kubelet has the API
				// server's address: this one cannot be told apart.
				return nil, Found{}, fmt.Errorf("%d kubelets' series match %s, the address of %s: give them a node label in Prometheus", got[""].kubelets, sel, node)
			}
		}
	}
	switch {
	case err != nil:
		return nil, Found{}, err
	case got[""] == nil:
		return nil, Found{}, fmt.Errorf("no kubelet_pleg_last_seen_seconds series for %s in the last %s (tried %s): is the kubelet scraped, and under which labels?",
			node, model.Duration(Window), strings.Join(tried, ", "))
	}
	got[""].Found.Selector = sel
	return got[""].Metrics, got[""].Found, nil
}

// instanceSelector matches the instance label of a target at addr on any
// port ("10.0.0.3:10250", "[fd00::3]:10250").
func instanceSelector(addr string) string {
	host := regexp.QuoteMeta(addr)
	if strings.Contains(addr, ":") {
		host = `\[` + host + `\]`
	}
	return fmt.Sprintf("{instance=~%q}", host+"(:[0-9]+)?")
}

// Node is one node's metrics as Prometheus has them.
type Node struct {
	Metrics *kubelet.Metrics
	Found   Found
	// kubelets counts the scrape targets whose series were merged.
	kubelets int
}

// FleetMetrics reads every kubelet's metrics that carry a node label, by
// node name, in as many queries as NodeMetrics makes for one node: a scan
// of thousands of nodes asks Prometheus a handful of times.
func FleetMetrics(ctx context.Context, get Getter, at time.Time) (map[string]*Node, error) {
	got, err := querier{ctx: ctx, get: get, at: at}.metrics(`{node!=""}`, "node")
	for name, n := range got {
		n.Found.Selector = fmt.Sprintf("{node=%q}", name)
	}
	return got, err
}

// metrics reads the kubelet series under sel, grouped by the label by (""
// for one node, under key ""). A group with no relist time in Window is no
// kubelet Prometheus knows, and is left out.
func (q querier) metrics(sel, by string) (map[string]*Node, error) {
	out := map[string]*Node{}
	group := func(labels ...string) string {
		if by != "" {
			labels = append([]string{by}, labels...)
		}
		if len(labels) == 0 {
			return ""
		}
		return " by (" + strings.Join(labels, ", ") + ")"
	}
	// each gives fn the node of a sample, created only by the relist time.
	each := func(v model.Vector, create bool, fn func(n *Node, s *model.Sample)) {
		for _, s := range v {
			key := string(s.Metric[model.LabelName(by)])
			if by == "" {
				key = ""
			}
			n := out[key]
			if n == nil && !create {
				continue
			}
			if n == nil {
				n = &Node{Metrics: &kubelet.Metrics{Containers: map[string]int{}, Operations: map[string]*kubelet.RuntimeOperation{}}}
				out[key] = n
			}
			fn(n, s)
		}
	}
	op := func(n *Node, s *model.Sample) *kubelet.RuntimeOperation {
		name := string(s.Metric["operation_type"])
		if n.Metrics.Operations[name] == nil {
			n.Metrics.Operations[name] = &kubelet.RuntimeOperation{}
		}
		return n.Metrics.Operations[name]
	}
	rate := model.Duration(RateWindow).String()
	lastSeen := fmt.Sprintf("last_over_time(kubelet_pleg_last_seen_seconds%s[%s])", sel, model.Duration(Window))
	for i, r := range []struct {
		query string
		use   func(n *Node, s *model.Sample)
	}{
		// First: the relist time says which kubelets there are.
		{"max(" + lastSeen + ")" + group(), func(n *Node, s *model.Sample) { n.Metrics.PLEGLastSeen = timeOf(float64(s.Value)) }},
		{"count(" + lastSeen + ")" + group(), func(n *Node, s *model.Sample) { n.kubelets = int(s.Value) }},
		// When it was scraped: timestamp() of the sample, remembered over
		// the window by a subquery once the series has gone stale.
		{fmt.Sprintf("max(last_over_time(timestamp(kubelet_pleg_last_seen_seconds%s)[%s:%s]))%s", sel, model.Duration(Window), model.Duration(time.Minute), group()), func(n *Node, s *model.Sample) {
			if t := timeOf(float64(s.Value)); t != nil {
				n.Found.ScrapedAt = *t
			}
		}},
		// up of the very targets that export the relist time (up has
		// their labels): not node-exporter's, not cAdvisor's path.
		{"min(up" + sel + " and " + lastSeen + ")" + group(), func(n *Node, s *model.Sample) { n.Found.Down = s.Value == 0 }},
		{fmt.Sprintf("histogram_quantile(0.99, sum(rate(kubelet_pleg_relist_duration_seconds_bucket%s[%s]))%s)", sel, rate, group("le")), func(n *Node, s *model.Sample) {
			n.Metrics.RelistP99 = duration(float64(s.Value))
		}},
		{"sum(kubelet_pleg_relist_duration_seconds_count" + sel + ")" + group(), func(n *Node, s *model.Sample) { n.Metrics.RelistCount = float64(s.Value) }},
		{"max(kubelet_running_pods" + sel + ")" + group(), func(n *Node, s *model.Sample) { n.Metrics.RunningPods = intPtr(float64(s.Value)) }},
		{"sum(kubelet_running_containers" + sel + ")" + group("container_state"), func(n *Node, s *model.Sample) {
			n.Metrics.Containers[string(s.Metric["container_state"])] = int(s.Value)
		}},
		{"sum(kubelet_runtime_operations_total" + sel + ")" + group("operation_type"), func(n *Node, s *model.Sample) { op(n, s).Total = float64(s.Value) }},
		{"sum(kubelet_runtime_operations_errors_total" + sel + ")" + group("operation_type"), func(n *Node, s *model.Sample) { op(n, s).Errors = float64(s.Value) }},
		// No p99 of each runtime call: no rule reads it, and over 5,000
		// kubelets its histograms were the one query that took seconds.
		{"max(kubernetes_build_info" + sel + ")" + group("git_version"), func(n *Node, s *model.Sample) { n.Metrics.GitVersion = string(s.Metric["git_version"]) }},
		// The one gate the rules read: EventedPLEG's threshold is 10m.
		{"max(kubernetes_feature_enabled" + strings.TrimSuffix(sel, "}") + `,name="EventedPLEG"})` + group("name"), func(n *Node, s *model.Sample) {
			if n.Metrics.FeatureGates == nil {
				n.Metrics.FeatureGates = map[string]bool{}
			}
			n.Metrics.FeatureGates[string(s.Metric["name"])] = s.Value == 1
		}},
	} {
		v, err := q.vector(r.query)
		if err != nil {
			return nil, err
		}
		each(v, i == 0, r.use)
		if len(out) == 0 {
			return out, nil // no kubelet here: nothing more to ask
		}
	}
	return out, nil
}

// querier runs instant queries at one time.
type querier struct {
	ctx context.Context
	get Getter
	at  time.Time
}

// vector runs an instant query and returns its vector.
func (q querier) vector(query string) (model.Vector, error) {
	params := url.Values{"query": {query}}
	if !q.at.IsZero() {
		params.Set("time", unixSeconds(q.at))
	}
	return ask[model.Vector](q.ctx, q.get, "/api/v1/query", params, "vector")
}

// ask runs the query in params at path and returns its result, which must
// be of resultType want and decode into T.
func ask[T any](ctx context.Context, get Getter, path string, params url.Values, want string) (T, error) {
	var result T
	query := params.Get("query")
	body, err := get(ctx, path, params)
	if err != nil {
		return result, err
	}
	raw, err := decode(body, query, want)
	if err != nil {
		return result, err
	}
	if err := json.Unmarshal(raw, &result); err != nil {
		return result, fmt.Errorf("Prometheus's answer to %s: %v", query, err)
	}
	return result, nil
}

// decode checks a query API answer and returns its result, which must be
// of resultType want.
func decode(body []byte, query, want string) (json.RawMessage, error) {
	var resp struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("Prometheus answered what is not its API's JSON (%v): %s", err, firstLine(body))
	}
	if resp.Status != "success" {
		return nil, fmt.Errorf("Prometheus refused %s: %s: %s", query, resp.ErrorType, resp.Error)
	}
	if resp.Data.ResultType != want {
		return nil, fmt.Errorf("Prometheus answered %s with a %s, not a %s", query, resp.Data.ResultType, want)
	}
	return resp.Data.Result, nil
}

// unixSeconds is t as the API's time parameters take it.
func unixSeconds(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', 3, 64)
}

func isNaNOrInf(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// timeOf is a Unix time in seconds.
func timeOf(sec float64) *time.Time {
	if isNaNOrInf(sec) || sec <= 0 {
		return nil
	}
	t := time.Unix(0, int64(sec*1e9)).UTC()
	return &t
}

// duration is seconds as a Duration; nil for what histogram_quantile gives
// without observations (NaN) or past its last bucket (+Inf).
func duration(sec float64) *time.Duration {
	if isNaNOrInf(sec) || sec < 0 {
		return nil
	}
	d := time.Duration(sec * float64(time.Second))
	return &d
}

func intPtr(v float64) *int {
	if isNaNOrInf(v) {
		return nil
	}
	n := int(v)
	return &n
}

func readLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err == nil && len(b) > maxBody {
		err = fmt.Errorf("answer larger than %d bytes", maxBody)
	}
	return b, err
}

// firstLine is the start of a body, for an error message.
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
