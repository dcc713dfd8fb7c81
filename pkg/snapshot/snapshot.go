// Package snapshot holds everything known about one node at one moment: plain
// data, built by internal/collect and read by pkg/diagnose. Nothing here talks to a
// cluster or reads the clock.
package snapshot

import (
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
)

// Snapshot is the input of every rule.
type Snapshot struct {
	NodeName string
	// CollectedAt is the collection time: the "now" of every rule. Offline
	// it is the newest time the data carries, zero when none does.
	CollectedAt time.Time
	// CaptureYearGuessed says CollectedAt's year was not in the data (it
	// came from year-less syslog or klog times): reports show it without.
	CaptureYearGuessed bool

	Node *corev1.Node
	// NodeAge is how old the node was at the capture when the data gives an
	// age but no time to reckon it from (a `kubectl get nodes` row pasted
	// alone); zero otherwise, when the Node's creation time tells it.
	NodeAge time.Duration
	Events  []Event
	Pods    []Pod

	KubeletLog *kubelet.LogSummary
	RuntimeLog *kubelet.LogSummary
	SystemLog  *kubelet.LogSummary
	Metrics    *kubelet.Metrics
	// History is what a Prometheus that scrapes the node remembers of the
	// day before the capture (diagnose --prometheus); nil otherwise.
	History *History
	Stats   *kubelet.NodeStats
	Config  *kubelet.Config
	Healthz *Healthz
	// MetricsAt is when Metrics were read, when that is not CollectedAt (a
	// watch's last scrape, ticks ago); zero means at CollectedAt.
	MetricsAt time.Time

	// Units and Listed come from pastes only (no API reads them): the
	// node's systemd units as `systemctl status` showed them, and the
	// runtime's containers and sandboxes as crictl or docker listed them.
	Units  []Unit
	Listed []Listed

	// Offline says the snapshot was read from files given by hand, not
	// collected: a source missing from it was not given, not unreadable.
	Offline bool

	// LogWindow is how far back the logs were asked for.
	LogWindow time.Duration
	Sources   []Source
}

// Event is a Kubernetes Event about the node, reduced to what rules read.
type Event struct {
	Type    string
	Reason  string
	Message string
	Count   int32
	First   time.Time
	Last    time.Time
	Source  string
	// Ago is how long before the capture it was last seen, for a pasted
	// events table whose ages have no time to anchor them (AgoKnown false
	// otherwise; Last says it when known).
	Ago      time.Duration
	AgoKnown bool
}

// Pod is a pod bound to the node, reduced as it streams in so that memory grows
// with the number of pods, not with the size of their specs.
type Pod struct {
	Namespace, Name string
	Phase           corev1.PodPhase
	QOSClass        corev1.PodQOSClass
	Containers      int
	// ContainersWithoutLimits counts containers that set no memory limit.
	ContainersWithoutLimits int
	Restarts                int32
	// ContainerIDs are the runtime IDs of the pod's containers, without the
	// "containerd://" scheme, so a stuck container ID names its pod.
	ContainerIDs []string
	// App is the pod's app label (app.kubernetes.io/name, app or k8s-app).
	App    string
	Images []string
}

// Terminated reports whether the pod no longer occupies the node.
func (p Pod) Terminated() bool {
	return p.Phase == corev1.PodSucceeded || p.Phase == corev1.PodFailed
}

// Unit is one systemd unit of the node (the kubelet's, the runtime's) as
// `systemctl status` showed it.
type Unit struct {
	Name string // "kubelet.service"
	// Active and Sub are its state: "failed", "activating" (auto-restart)…
	Active, Sub string
	// Result is why it last stopped ("exit-code", "signal", "start-limit-hit").
	Result string
	// For is how long it had been in that state; ForKnown false when not shown.
	For      time.Duration
	ForKnown bool
	// MainExit is how its main process ended ("status=1/FAILURE", "signal=KILL").
	MainExit string
	// Restarts is systemd's restart counter, from the lines shown under it.
	Restarts int
}

// Running says the unit's process runs.
func (u Unit) Running() bool { return u.Active == "active" && (u.Sub == "running" || u.Sub == "") }

// UnitRole is what a unit runs for the node.
type UnitRole int

// Unit roles.
const (
	OtherUnit UnitRole = iota
	// KubeletUnit runs the kubelet: its own unit, or the distribution's
	// that runs it inside (k3s, rke2, k0s, microk8s' kubelite).
	KubeletUnit
	// RuntimeUnit runs the container runtime.
	RuntimeUnit
)

// Role says what the unit runs, by its name.
func (u Unit) Role() UnitRole {
	name := strings.TrimSuffix(u.Name, ".service")
	switch {
	case name == "kubelet" || strings.HasPrefix(name, "k3s") || strings.HasPrefix(name, "rke2-") ||
		strings.HasPrefix(name, "k0s") || strings.HasSuffix(name, "kubelite") || strings.HasSuffix(name, ".kubelet"):
		return KubeletUnit
	case name == "containerd" || name == "docker" || name == "crio" || name == "cri-o" || name == "cri-docker":
		return RuntimeUnit
	}
	return OtherUnit
}

// Listed is one container or sandbox of a runtime listing.
type Listed struct {
	ID      string
	Sandbox bool
	// Name is the container's, or the pod's for a sandbox; Pod and
	// Namespace are "" when the listing does not give them.
	Name, Pod, Namespace string
	// State is "running", "created", "exited", "unknown", "ready" or "notready".
	State string
	// For is how long it has been in its state (or since created, when
	// that is all the listing gives); ForKnown false when not shown.
	For      time.Duration
	ForKnown bool
}

// Healthz is the kubelet's /healthz answer.
type Healthz struct {
	OK   bool
	Body string
}

// SourceName names one thing the collector reads.
type SourceName string

// The sources of a snapshot, in report order.
const (
	SourceNode       SourceName = "node"
	SourceEvents     SourceName = "events"
	SourcePods       SourceName = "pods"
	SourceKubeletLog SourceName = "kubelet-log"
	SourceRuntimeLog SourceName = "runtime-log"
	SourceSystemLog  SourceName = "system-log"
	SourceMetrics    SourceName = "metrics"
	SourceStats      SourceName = "stats"
	SourceConfigz    SourceName = "configz"
	SourceHealthz    SourceName = "healthz"
	// Read from pastes only.
	SourceUnits   SourceName = "units"
	SourceListing SourceName = "runtime-listing"
	// Read with --prometheus only: what Prometheus remembers of the node.
	SourceHistory SourceName = "history"
)

// CollectedSources are the sources a live collection reads, in report order.
var CollectedSources = []SourceName{
	SourceNode, SourceEvents, SourcePods,
	SourceKubeletLog, SourceRuntimeLog, SourceSystemLog,
	SourceMetrics, SourceStats, SourceConfigz, SourceHealthz,
}

// SourceOrder is the order sources appear in a report: the collected ones,
// then those read only when given or asked for.
var SourceOrder = append(slices.Clone(CollectedSources), SourceUnits, SourceListing, SourceHistory)

// Optional says a source is read only when given (a paste) or asked for
// (history, with --prometheus): one not given is not worth saying.
func Optional(name SourceName) bool {
	return name == SourceUnits || name == SourceListing || name == SourceHistory
}

// SortSources puts source records in report order.
func SortSources(srcs []Source) {
	pos := map[SourceName]int{}
	for i, n := range SourceOrder {
		pos[n] = i
	}
	for i := 1; i < len(srcs); i++ {
		for j := i; j > 0 && pos[srcs[j].Name] < pos[srcs[j-1].Name]; j-- {
			srcs[j], srcs[j-1] = srcs[j-1], srcs[j]
		}
	}
}

// SourceStatus is how reading one source ended.
type SourceStatus string

// Source outcomes. Missing data is its own outcome and never reads as healthy.
const (
	StatusOK          SourceStatus = "ok"
	StatusForbidden   SourceStatus = "forbidden"
	StatusUnavailable SourceStatus = "unavailable"
	StatusNotFound    SourceStatus = "not-found"
	StatusTimeout     SourceStatus = "timeout"
	StatusError       SourceStatus = "error"
)

// Source records how one source was read.
type Source struct {
	Name   SourceName   `json:"name"`
	Status SourceStatus `json:"status"`
	// Reason says what failed; empty when ok.
	Reason string `json:"reason,omitempty"`
	// Hint says what to do about it, when there is something to do: the
	// RBAC rule to add for a forbidden read. Sources failing alike share it,
	// so a report says it once.
	Hint string `json:"hint,omitempty"`
	// Detail says what was read when ok ("node log query, 1h, 12,345 lines").
	Detail string `json:"detail,omitempty"`
	// Fallback is set when an ok source was read another way than the usual
	// one (a log file because the journal query was refused); Detail says
	// which and why, and a report shows it, since it bounds what was seen.
	Fallback bool `json:"fallback,omitempty"`
	// ElapsedMillis is how long reading it took, live (0 offline).
	ElapsedMillis int64 `json:"elapsedMs,omitempty"`
}

// Elapsed is how long reading the source took.
func (s Source) Elapsed() time.Duration { return time.Duration(s.ElapsedMillis) * time.Millisecond }

// Source returns the record of name, and whether there is one.
func (s *Snapshot) Source(name SourceName) (Source, bool) {
	for _, src := range s.Sources {
		if src.Name == name {
			return src, true
		}
	}
	return Source{}, false
}

// Ready returns the node's Ready condition, or nil without a node or condition.
func (s *Snapshot) Ready() *corev1.NodeCondition {
	return s.Condition(corev1.NodeReady)
}

// Condition returns the node condition of type t, or nil.
func (s *Snapshot) Condition(t corev1.NodeConditionType) *corev1.NodeCondition {
	if s.Node == nil {
		return nil
	}
	for i := range s.Node.Status.Conditions {
		if s.Node.Status.Conditions[i].Type == t {
			return &s.Node.Status.Conditions[i]
		}
	}
	return nil
}

// RunningPods returns the pods that still occupy the node.
func (s *Snapshot) RunningPods() []Pod {
	var out []Pod
	for _, p := range s.Pods {
		if !p.Terminated() {
			out = append(out, p)
		}
	}
	return out
}

// Has reports whether source name was read successfully.
func (s *Snapshot) Has(name SourceName) bool {
	src, ok := s.Source(name)
	return ok && src.Status == StatusOK
}
