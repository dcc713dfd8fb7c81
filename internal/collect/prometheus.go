package collect

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/internal/promquery"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// With --prometheus, the kubelet's metrics come from the Prometheus that
// scrapes it rather than from /metrics through the node proxy: no
// nodes/proxy grant is needed for them, and a kubelet whose /metrics no
// longer answers still has its last values there.

// prometheus returns the Getter of the configured Prometheus: a path on the
// API server (its service proxy, with the kubeconfig's credentials) or a
// URL of its own, with PrometheusToken as a bearer token.
func (c *Collector) prometheus() promquery.Getter {
	base := strings.TrimRight(c.opts.Prometheus, "/")
	if strings.HasPrefix(base, "/") {
		return func(ctx context.Context, path string, params url.Values) ([]byte, error) {
			req := c.proxy.Get().AbsPath(base + path)
			for k, vs := range params {
				for _, v := range vs {
					req = req.Param(k, v)
				}
			}
			return req.DoRaw(ctx)
		}
	}
	return promquery.HTTPGetter(base, c.opts.PrometheusToken, &http.Client{Timeout: c.opts.SourceTimeout})
}

// promMetrics reads node's metrics from Prometheus as of now, with the time
// of their scrape and the selector that found them; ip gives the node's
// InternalIP when its series carry no node label.
func (c *Collector) promMetrics(ctx context.Context, node string, ip func() string) (*kubelet.Metrics, time.Time, string, snapshot.Source) {
	m, found, err := promquery.NodeMetrics(ctx, c.prometheus(), node, ip, c.now())
	if err != nil {
		return nil, time.Time{}, "", c.promFailure(err)
	}
	return m, found.ScrapedAt, found.Selector, c.promSource(found)
}

// fromPrometheus reads what Prometheus adds once the node's sources are
// read: when the kubelet's /stats/summary was refused or could not be
// reached, node-exporter's account of the load instead; and the day before,
// under the selector its kubelet's metrics were found by (kubeletSel, ""
// when they were not).
func (c *Collector) fromPrometheus(ctx context.Context, snap *snapshot.Snapshot, kubeletSel string) {
	if i := slices.IndexFunc(snap.Sources, func(s snapshot.Source) bool { return s.Name == snapshot.SourceStats }); i >= 0 &&
		(snap.Sources[i].Status == snapshot.StatusForbidden || snap.Sources[i].Status == snapshot.StatusUnavailable) {
		sctx, cancel := context.WithTimeout(ctx, c.opts.SourceTimeout)
		snap.Sources[i] = c.promStats(sctx, snap, snap.Sources[i])
		cancel()
	}
	if kubeletSel != "" {
		sources := c.newSourceRuns(ctx, snap)
		sources.run(snapshot.SourceHistory, func(ctx context.Context) (src snapshot.Source) {
			snap.History, src = c.promHistory(ctx, snap.NodeName, kubeletSel, snap.CollectedAt)
			return src
		})
		sources.wait()
	}
}

// promStats reads node-exporter's account of the node's load into the
// snapshot, instead of the kubelet's, which failed as kubelet says: that
// record is kept, with what Prometheus answered, when it has none either.
func (c *Collector) promStats(ctx context.Context, snap *snapshot.Snapshot, kubelet snapshot.Source) snapshot.Source {
	ip := ""
	if snap.Node != nil {
		ip = internalIPOf(snap.Node)
	}
	start := time.Now()
	stats, sel, err := promquery.NodeStats(ctx, c.prometheus(), snap.NodeName, ip, c.now())
	if err != nil {
		kubelet.Reason += "; nor from Prometheus: " + oneLine(err)
		return kubelet
	}
	snap.Stats = stats
	src := ok(snapshot.SourceStats, "Prometheus %s, node-exporter series %s (the kubelet's: %s)", c.opts.Prometheus, sel, kubelet.Status)
	src.Fallback, src.ElapsedMillis = true, time.Since(start).Milliseconds()
	return src
}

// promHistory reads what Prometheus remembers of the node's day before at:
// its kubelet's series under sel (the selector its metrics were found by)
// and kube-state-metrics' Ready condition.
func (c *Collector) promHistory(ctx context.Context, node, sel string, at time.Time) (*snapshot.History, snapshot.Source) {
	h, err := promquery.NodeHistory(ctx, c.prometheus(), node, sel, at)
	if err != nil {
		return nil, snapshot.Source{Name: snapshot.SourceHistory, Status: snapshot.StatusError, Reason: "Prometheus " + c.opts.Prometheus + ": " + oneLine(err)}
	}
	ready := "no kube_node_status_condition (no kube-state-metrics): flaps seen by the relist only"
	if len(h.Ready) > 0 {
		ready = "Ready from kube-state-metrics"
	}
	src := ok(snapshot.SourceHistory, "Prometheus %s, the last %s of %s; %s", c.opts.Prometheus, humanize.Duration(promquery.HistoryWindow), sel, ready)
	src.Fallback = true
	return h, src
}

// promFailure is the record of metrics Prometheus could not give.
func (c *Collector) promFailure(err error) snapshot.Source {
	return snapshot.Source{Name: snapshot.SourceMetrics, Status: snapshot.StatusError, Reason: "Prometheus " + c.opts.Prometheus + ": " + oneLine(err),
		Hint: "check --prometheus, and that it scrapes the kubelets' /metrics with a node or instance label"}
}

// promSource is the record of metrics read from Prometheus.
func (c *Collector) promSource(found promquery.Found) snapshot.Source {
	src := ok(snapshot.SourceMetrics, "Prometheus %s, series %s", c.opts.Prometheus, found.Selector)
	src.Fallback = true // not the kubelet answering: reports say how it was read
	if found.Down {
		src.Detail += "; its last scrape of the kubelet failed (up 0): the values are the last it read"
	}
	return src
}

// internalIP is the node's InternalIP, read from the API server; "" when
// it cannot be read.
func (c *Collector) internalIP(ctx context.Context, node string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := c.client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return internalIPOf(n)
}

// internalIPOf is a Node object's InternalIP, "" when it has none.
func internalIPOf(n *corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}
