package promquery

import (
	"context"
	"strings"
	"testing"
)

// node-exporter's series, labelled as kube-prometheus labels them
// (instance = the node's name), give the load the kubelet's summary would.
func TestNodeStatsByInstanceName(t *testing.T) {
	st, sel, err := NodeStats(context.Background(), fakeProm(t, map[string]string{
		`max(node_memory_MemTotal_bytes{instance="worker-3"})`:                                 sample(``, "1000"),
		`sum(rate(node_cpu_seconds_total{instance="worker-3",mode!~"idle|iowait|steal"}[5m]))`: sample(``, "3.5"),
		`max(node_memory_MemAvailable_bytes{instance="worker-3"})`:                             sample(``, "250"),
		`max(node_filesystem_avail_bytes{instance="worker-3",mountpoint="/"})`:                 sample(``, "10"),
		`100 * max(rate(node_pressure_io_waiting_seconds_total{instance="worker-3"}[2m]))`:     sample(``, "42.5"),
		`100 * max(rate(node_pressure_cpu_waiting_seconds_total{instance="worker-3"}[2m]))`:    sample(``, "NaN"),
	}), "worker-3", "10.0.0.3", at)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case sel != `{instance="worker-3"}`:
		t.Errorf("selector %s", sel)
	case st.CPUUsageCores == nil || *st.CPUUsageCores != 3.5:
		t.Errorf("CPU %v", st.CPUUsageCores)
	case st.MemoryWorkingSet == nil || *st.MemoryWorkingSet != 750 || *st.MemoryAvailable != 250:
		t.Errorf("memory %v %v", st.MemoryWorkingSet, st.MemoryAvailable)
	case st.FSAvailable == nil || *st.FSAvailable != 10 || st.FSCapacity != nil:
		t.Errorf("fs %v %v, want the available bytes and no capacity", st.FSAvailable, st.FSCapacity)
	case st.IOPressure == nil || *st.IOPressure != 42.5 || st.CPUPressure != nil:
		t.Errorf("pressure io %v cpu %v, want io and no NaN", st.IOPressure, st.CPUPressure)
	}
}

func TestNodeStatsWithoutNodeExporter(t *testing.T) {
	_, _, err := NodeStats(context.Background(), fakeProm(t, nil), "worker-3", "10.0.0.3", at)
	if err == nil || !strings.Contains(err.Error(), `{node="worker-3"}, {instance="worker-3"}, {instance=~"10\\.0\\.0\\.3(:[0-9]+)?"}`) {
		t.Errorf("err %v, want the selectors tried", err)
	}
}
