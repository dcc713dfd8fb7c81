//go:build tools

// Package nodeexporter pins Prometheus's node_exporter, which the lab runs
// on the host of its real nodes (they share its kernel) so that the lab's
// Prometheus has the node metrics a cluster's node-exporter gives it:
// load, memory and the kernel's pressure stall information.
package nodeexporter

import _ "github.com/prometheus/node_exporter"
