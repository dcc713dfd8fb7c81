package diagnose

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// CauseID names a cause; scripts, runbooks, alerts and corpus labels key on
// it, so it never changes once released.
type CauseID string

// The causes, one per rule.
const (
	CauseKubeletDown         CauseID = "kubelet-down"
	CauseRuntimeDown         CauseID = "runtime-down"
	CauseRuntimeUnresponsive CauseID = "runtime-unresponsive"
	CauseStuckContainer      CauseID = "stuck-container"
	CauseCNINotReady         CauseID = "cni-not-ready"
	CausePLEGRelistStalled   CauseID = "pleg-relist-stalled"
	CauseStartupTransient    CauseID = "startup-transient"
	CauseNodeNotReady        CauseID = "node-not-ready"
	CauseFlapping            CauseID = "flapping"
	CauseNodeOverload        CauseID = "node-overload"
	CauseStorageHung         CauseID = "storage-hung"
	CauseKernelTrouble       CauseID = "kernel-trouble"
	CausePodDensity          CauseID = "pod-density"
	CauseUnboundedPods       CauseID = "unbounded-pods"
	CauseMissingReservations CauseID = "missing-reservations"
	CauseKnownBugVersion     CauseID = "known-bug-version"
	CauseNoNodeMonitoring    CauseID = "no-node-monitoring"
)

// Rules is the checklist, one entry per cause. Its order is the order of the
// checklist (A–E, then prevention) for readers; ranking ignores it.
var Rules = []Rule{
	{ID: CauseKubeletDown, Title: "Kubelet down or unreachable", Role: RootCause, Check: kubeletDown},
	{ID: CauseRuntimeDown, Title: "Container runtime down or not ready", Role: RootCause, Check: runtimeDown},
	{ID: CauseRuntimeUnresponsive, Title: "Container runtime calls time out", Role: RootCause, Check: runtimeUnresponsive},
	{ID: CauseStuckContainer, Title: "One container or sandbox blocks the runtime", Role: RootCause, Check: stuckContainer},
	{ID: CauseCNINotReady, Title: "Network plugin (CNI) not ready", Role: RootCause, Check: cniNotReady},
	{ID: CausePLEGRelistStalled, Title: "PLEG relist stalled", Role: Symptom, Check: plegRelistStalled},
	{ID: CauseStartupTransient, Title: "Kubelet still starting", Role: Symptom, Check: startupTransient},
	{ID: CauseNodeNotReady, Title: "Node NotReady for a reason no rule knows", Role: Symptom, Check: unexplainedNotReady},
	{ID: CauseFlapping, Title: "Node flaps between Ready and NotReady", Role: Symptom, Check: flapping},
	{ID: CauseStorageHung, Title: "Storage hangs or fails under the node", Role: RootCause, Check: storageHung},
	{ID: CauseKernelTrouble, Title: "Kernel lockups, oopses or a leaked network device", Role: RootCause, Check: kernelTrouble},
	{ID: CauseNodeOverload, Title: "Node CPU, memory, PID or disk saturated", Role: Load, Check: nodeOverload},
	{ID: CausePodDensity, Title: "Too many pods or containers on the node", Role: Load, Check: podDensity},
	{ID: CauseUnboundedPods, Title: "Pods without requests or limits", Role: Risk, Check: unboundedPods},
	{ID: CauseMissingReservations, Title: "No resources reserved for system daemons", Role: Risk, Check: missingReservations},
	{ID: CauseKnownBugVersion, Title: "Kubernetes or runtime version with known PLEG hangs", Role: Risk, Check: knownBugVersion},
	{ID: CauseNoNodeMonitoring, Title: "No node problem detection on the node", Role: Risk, Check: noNodeMonitoring},
}

// Thresholds shared by the rules (and, later, by alerting rules).
const (
	// PLEGThreshold is the kubelet's generic PLEG relist threshold.
	PLEGThreshold = 3 * time.Minute
	// EventedPLEGThreshold applies when the EventedPLEG feature gate is on.
	EventedPLEGThreshold = 10 * time.Minute
	// RelistP99Warning is the relist p99 duration that signals trouble ahead
	// (kubernetes-mixin's KubeletPlegDurationHigh uses the same 10s).
	RelistP99Warning = 10 * time.Second
	// RelistLateWarning is how long without a relist (by
	// kubelet_pleg_last_seen_seconds) warns while the node is still Ready:
	// the generic relist runs every second, and the lab's real kubelets
	// (v1.36.3) measured at most 2.6s stale, healthy or packed, on a busy
	// machine; one relist at the 10s p99 warning line stays well under it.
	// Past it, the kubelet declares PLEG unhealthy at PLEGThreshold unless
	// the relist comes back: at 30s that is 2m30s of warning.
	RelistLateWarning = 30 * time.Second
	// StartupGrace is how long after a kubelet start "pleg has yet to be successful" is normal.
	StartupGrace = 5 * time.Minute
	// RuntimeTimeoutsWarning and RuntimeTimeoutsCritical count timed-out runtime calls in the window.
	RuntimeTimeoutsWarning  = 3
	RuntimeTimeoutsCritical = 10
	// StuckCreatedAfter is how long a container may sit created, never
	// started, before a listing shows it stuck.
	StuckCreatedAfter = 10 * time.Minute
	// StuckObjectMin is how often one container must time out to be called stuck.
	StuckObjectMin = 3
	// DominantShare is the share of all runtime timeouts above which one
	// container is the cause rather than the runtime.
	DominantShare = 0.5
	// RuntimeErrorsMin counts runtime connection errors worth a finding.
	RuntimeErrorsMin = 3
	// StorageLinesWarning is how many kernel storage errors make an alarm
	// rather than a note.
	StorageLinesWarning = 3
	// RuntimeRestartsWarning is how many runtime starts in the data make a
	// runtime that keeps dying.
	RuntimeRestartsWarning = 3
	// FlapsWarning counts NotReady transitions in the window.
	FlapsWarning = 3
	// DensityPodsWarning is the article's pods-per-node danger line; density also
	// warns at DensityRatioWarning of allocatable pods and is critical at the max.
	DensityPodsWarning  = 70
	DensityRatioWarning = 0.8
	// ExitedContainersWarning is the pile of exited containers that slows every relist.
	ExitedContainersWarning = 100
	// SaturationRatio is the used share of CPU, memory, disk or PIDs called saturated.
	SaturationRatio = 0.9
	// IOPressureWarning is the PSI io "some" 60s average (percent) called I/O saturation.
	IOPressureWarning = 20.0
	// BestEffortWarning is the share of BestEffort pods that warns (info below it).
	BestEffortWarning = 0.1
)

// nodeInCommand names the node in a command to run: "NODE" when the data
// never names it.
func nodeInCommand(s *snapshot.Snapshot) string {
	if s.NodeName == "" {
		return "NODE"
	}
	return s.NodeName
}

// signalEvidence describes a log signal: "412× in kubelet log (first 08:01:02Z, last 08:16:03Z, 2m ago)".
func signalEvidence(what string, st *kubelet.SignalStats, logName string, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s× %s in %s", humanize.Count(st.Count), what, logName)
	switch {
	case st.First.IsZero():
	case st.First.Equal(st.Last):
		fmt.Fprintf(&b, " (at %s, %s)", humanize.Clock(st.First, now), humanize.Ago(st.Last, now))
	default:
		fmt.Fprintf(&b, " (first %s, last %s, %s)", humanize.Clock(st.First, now), humanize.Clock(st.Last, now), humanize.Ago(st.Last, now))
	}
	return b.String()
}

// sampleEvidence quotes the newest sample line of a signal, whole (the
// scanner keeps lines up to 2 KiB).
func sampleEvidence(st *kubelet.SignalStats) []string {
	if len(st.Samples) == 0 {
		return nil
	}
	return []string{"latest: " + st.Samples[len(st.Samples)-1]}
}

// countsByName prints a count map largest first: "ListContainers 300,
// ContainerStatus 112"; past limit names, the rest is summed ("others 12"),
// so the parts always add up to the whole.
func countsByName(counts map[string]int, limit int) string {
	type kv struct {
		k string
		v int
	}
	var list []kv
	for k, v := range counts {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].v != list[j].v {
			return list[i].v > list[j].v
		}
		return list[i].k < list[j].k
	})
	var parts []string
	for i, e := range list {
		if i == limit {
			rest := 0
			for _, r := range list[limit:] {
				rest += r.v
			}
			parts = append(parts, fmt.Sprintf("others %s", humanize.Count(rest)))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %s", e.k, humanize.Count(e.v)))
	}
	return strings.Join(parts, ", ")
}

// eventsMatching sums the counts of node events whose reason is one of reasons
// (or whose message carries sig when sig is non-zero), within the log window.
func eventsMatching(s *snapshot.Snapshot, sig kubelet.Signal, reasons ...string) (count int, first, last time.Time) {
	for _, e := range s.Events {
		matched := len(reasons) == 0
		for _, r := range reasons {
			matched = matched || e.Reason == r
		}
		if !matched || (sig != 0 && !kubelet.ClassifyString(e.Message).Has(sig)) {
			continue
		}
		if s.LogWindow > 0 && !e.Last.IsZero() && e.Last.Before(s.CollectedAt.Add(-s.LogWindow)) {
			continue
		}
		count += int(e.Count)
		if first.IsZero() || (!e.First.IsZero() && e.First.Before(first)) {
			first = e.First
		}
		if e.Last.After(last) {
			last = e.Last
		}
	}
	return count, first, last
}

// age prints how long before the collection t was: "16m".
func age(s *snapshot.Snapshot, t time.Time) string {
	if t.IsZero() || s.CollectedAt.IsZero() {
		return "a time the data does not give"
	}
	return humanize.Duration(s.CollectedAt.Sub(t))
}

func severityMax(a, b Severity) Severity {
	if a > b {
		return a
	}
	return b
}

// spanOf says over how long a signal occurred: " in 6m", or "" when its
// times are not known or it occurred once.
func spanOf(st *kubelet.SignalStats) string {
	if st.First.IsZero() || !st.Last.After(st.First) {
		return ""
	}
	return " in " + humanize.Duration(st.Last.Sub(st.First))
}
