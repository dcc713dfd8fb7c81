package collect

import (
	"bytes"
	"context"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Size limits of the small kubelet answers: far above what real kubelets
// serve, low enough that a broken one cannot exhaust memory.
const (
	maxMetricsBytes = 64 << 20
	maxJSONBytes    = 32 << 20
)

// metrics reads /metrics (or the Prometheus that scrapes it, then with the
// time of the scrape read, zero meaning now, and the selector that found the
// kubelet's series; ip gives the node's address if Prometheus must find its
// series by it). A body that parses only in part keeps what was read and is
// recorded as an error.
func (c *Collector) metrics(ctx context.Context, node string, ip func() string) (*kubelet.Metrics, time.Time, string, snapshot.Source) {
	if c.opts.Prometheus != "" {
		return c.promMetrics(ctx, node, ip)
	}
	m, src := c.kubeletMetrics(ctx, node)
	return m, time.Time{}, "", src
}

// kubeletMetrics reads the kubelet's own /metrics.
func (c *Collector) kubeletMetrics(ctx context.Context, node string) (*kubelet.Metrics, snapshot.Source) {
	name := snapshot.SourceMetrics
	body, err := c.proxyBody(ctx, node, "metrics", maxMetricsBytes)
	if err != nil {
		return nil, proxyFailure(name, "metrics", err)
	}
	c.save(name, bytes.NewReader(body))
	m, err := kubelet.ParseMetrics(bytes.NewReader(body))
	if err != nil {
		return m, snapshot.Source{Name: name, Status: snapshot.StatusError, Reason: "kubelet /metrics: " + err.Error()}
	}
	return m, ok(name, "%s of Prometheus text", humanize.Bytes(uint64(len(body))))
}

func (c *Collector) stats(ctx context.Context, node string) (*kubelet.NodeStats, snapshot.Source) {
	name := snapshot.SourceStats
	body, err := c.proxyBody(ctx, node, "stats/summary", maxJSONBytes)
	if err != nil {
		return nil, proxyFailure(name, "stats/summary", err)
	}
	c.save(name, bytes.NewReader(body))
	st, err := kubelet.ParseStatsSummary(bytes.NewReader(body))
	if err != nil {
		return nil, snapshot.Source{Name: name, Status: snapshot.StatusError, Reason: "kubelet /stats/summary: " + err.Error()}
	}
	return st, ok(name, "%d pods, %d containers", st.Pods, st.Containers)
}

func (c *Collector) configz(ctx context.Context, node string) (*kubelet.Config, snapshot.Source) {
	name := snapshot.SourceConfigz
	body, err := c.proxyBody(ctx, node, "configz", maxJSONBytes)
	if err != nil {
		return nil, proxyFailure(name, "configz", err)
	}
	c.save(name, bytes.NewReader(body))
	cfg, err := kubelet.ParseConfigz(bytes.NewReader(body))
	if err != nil {
		return nil, snapshot.Source{Name: name, Status: snapshot.StatusError, Reason: "kubelet /configz: " + err.Error()}
	}
	return cfg, ok(name, "maxPods %d", cfg.MaxPods)
}

// healthz reads /healthz. A failing kubelet health check (HTTP 500 with the
// failed checks listed) is data about the node, not a failed source.
func (c *Collector) healthz(ctx context.Context, node string) (*snapshot.Healthz, snapshot.Source) {
	name := snapshot.SourceHealthz
	body, err := c.proxyBody(ctx, node, "healthz", 64<<10)
	if err == nil {
		c.save(name, bytes.NewReader(body))
		h := &snapshot.Healthz{OK: bytes.Equal(bytes.TrimSpace(body), []byte("ok")), Body: string(bytes.TrimSpace(body))}
		return h, ok(name, "%q", h.Body)
	}
	if apierrors.IsInternalError(err) || isStatusCode(err, 500) {
		h := &snapshot.Healthz{OK: false, Body: oneLine(err)}
		c.save(name, strings.NewReader(h.Body))
		return h, ok(name, "failing: %s", h.Body)
	}
	return nil, proxyFailure(name, "healthz", err)
}

func isStatusCode(err error, code int32) bool {
	if status, isStatus := err.(apierrors.APIStatus); isStatus {
		return status.Status().Code == code
	}
	return false
}
