package promquery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
)

// NodeStats reads what node-exporter says of the node's load, as the
// kubelet's /stats/summary would: CPU in use, memory, the root file system
// and the kernel's pressure stall information. node-exporter's series are
// found by a node label, else by instance = the node's name (as
// kube-prometheus relabels them), else by instance = ip and a port; no
// series is an error that says which were tried. The selector found is
// returned.
func NodeStats(ctx context.Context, get Getter, node, ip string, at time.Time) (*kubelet.NodeStats, string, error) {
	q := querier{ctx: ctx, get: get, at: at}
	tried := []string{fmt.Sprintf("{node=%q}", node), fmt.Sprintf("{instance=%q}", node)}
	if ip != "" {
		tried = append(tried, instanceSelector(ip))
	}
	for _, sel := range tried {
		v, err := q.vector("max(node_memory_MemTotal_bytes" + sel + ")")
		if err != nil {
			return nil, "", err
		}
		if len(v) == 0 {
			continue
		}
		st, err := q.nodeStats(sel, float64(v[0].Value))
		return st, sel, err
	}
	return nil, "", fmt.Errorf("no node-exporter series (node_memory_MemTotal_bytes) for %s (tried %s): does Prometheus scrape node-exporter, and under which labels?",
		node, strings.Join(tried, ", "))
}

// nodeStats reads the node-exporter series under sel, of a node with
// memTotal bytes of memory.
func (q querier) nodeStats(sel string, memTotal float64) (*kubelet.NodeStats, error) {
	st := &kubelet.NodeStats{Time: q.at}
	with := func(matchers string) string { return strings.TrimSuffix(sel, "}") + "," + matchers + "}" }
	rate := model.Duration(RateWindow).String()
	for _, r := range []struct {
		query string
		use   func(v float64)
	}{
		{fmt.Sprintf(`sum(rate(node_cpu_seconds_total%s[%s]))`, with(`mode!~"idle|iowait|steal"`), rate), func(v float64) { st.CPUUsageCores = &v }},
		{"max(node_memory_MemAvailable_bytes" + sel + ")", func(v float64) {
			avail, used := uint64(v), uint64(max(memTotal-v, 0))
			st.MemoryAvailable, st.MemoryWorkingSet = &avail, &used
		}},
		{"max(node_filesystem_avail_bytes" + with(`mountpoint="/"`) + ")", func(v float64) { b := uint64(v); st.FSAvailable = &b }},
		{"max(node_filesystem_size_bytes" + with(`mountpoint="/"`) + ")", func(v float64) { b := uint64(v); st.FSCapacity = &b }},
		// The kernel's "some" stall time as a share of the last minutes,
		// as the avg60 the kubelet's summary reports: two minutes, so that
		// a scrape every minute (Prometheus's default) still gives a rate.
		{"100 * max(rate(node_pressure_cpu_waiting_seconds_total" + sel + "[2m]))", func(v float64) { st.CPUPressure = &v }},
		{"100 * max(rate(node_pressure_memory_waiting_seconds_total" + sel + "[2m]))", func(v float64) { st.MemoryPressure = &v }},
		{"100 * max(rate(node_pressure_io_waiting_seconds_total" + sel + "[2m]))", func(v float64) { st.IOPressure = &v }},
	} {
		v, err := q.vector(r.query)
		if err != nil {
			return nil, err
		}
		if len(v) == 1 && !isNaNOrInf(float64(v[0].Value)) {
			r.use(float64(v[0].Value))
		}
	}
	return st, nil
}
