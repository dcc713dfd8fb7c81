package snapshot

import "time"

// History is what the Prometheus that scrapes a node remembers of the day
// before the capture: series sampled at a fixed step, which the rules read
// for the episodes and trends that events (kept an hour) and logs (read for
// the log window) no longer show. Each series holds only the steps
// Prometheus had a value for: a gap is no data, never a zero.
type History struct {
	// From and Step bound the series: From is the first step, the last is
	// at the capture.
	From time.Time
	Step time.Duration
	// Ready is kube-state-metrics' kube_node_status_condition for Ready
	// (1 Ready, 0 not); empty when Prometheus has no kube-state-metrics.
	Ready []Point
	// RelistAge is how long before each step the relist last ran, from
	// kubelet_pleg_last_seen_seconds (its last value within the hour, so a
	// kubelet whose /metrics stopped answering still ages), at the steps
	// Prometheus was scraping the node (a Prometheus down is no stall).
	RelistAge []Point
	// RelistP99 is the relist duration's p99 over the 5 minutes before each
	// step, in seconds; steps without a finished relist have none.
	RelistP99 []Point
	// RunningPods is kubelet_running_pods.
	RunningPods []Point
}

// Point is one step of a series.
type Point struct {
	At    time.Time
	Value float64
}
