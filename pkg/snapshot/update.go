package snapshot

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
)

// Update is one thing a follower (internal/collect's Follow) saw about a node,
// with when it saw it; internal/watch applies it to the node's state.
type Update struct {
	Time time.Time
	// NodeName is the node the update is about.
	NodeName string
	// Node is a new version of the node.
	Node *corev1.Node
	// Deleted says the node was deleted.
	Deleted bool
	// Event is an event about the node, new or seen again.
	Event *Event
	// Metrics is a scrape of the kubelet's /metrics (nil when the read
	// failed), sent with its Source.
	Metrics *kubelet.Metrics
	// MetricsAt is when Metrics were scraped, when not at Time (read from
	// a Prometheus, they are as old as its last scrape).
	MetricsAt time.Time
	// Source says how a read went: each watch opened or failing (the node's
	// is the API server's), each /metrics read. It repeats itself; the
	// receiver says what changed.
	Source *Source
	// Notice is something the follower says once: a fallback it took
	// ("may not watch nodes: reading the node every 10s instead").
	Notice string
}
