package offline

import (
	"fmt"
	"io"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// The kubelet's own data: its logs, scanned once the capture time is
// known, and its metrics, stats, configuration and health.

type pendingLog struct {
	name string
	kind kubelet.LogKind
	r    io.Reader
}

// scan summarizes the whole log once per options.
func (l pendingLog) scan(opts ...kubelet.ScanOptions) ([]*kubelet.LogSummary, error) {
	return kubelet.ScanLogTail(l.r, 0, opts...)
}

// scanLogs reads the logs once the capture time is known, then moves the
// capture time to the newest log line if that is later.
func (o *offline) scanLogs(ref time.Time) *kubeletData {
	k := &kubeletData{metrics: o.metrics, stats: o.stats, config: o.config, healthz: o.healthz, units: o.units, listed: o.listed, sources: map[snapshot.SourceName]string{}}
	for name, file := range o.sources {
		k.sources[name] = file
	}
	var haveKubelet bool
	for _, l := range o.logs {
		haveKubelet = haveKubelet || l.kind == kubelet.KubeletLog
	}
	for _, l := range o.logs {
		opts := kubelet.ScanOptions{Ref: ref}
		kopts := opts
		kopts.Idents = kubelet.KubeletIdents
		var sum, kubeletPart *kubelet.LogSummary
		var err error
		var sums []*kubelet.LogSummary
		switch {
		case l.kind == kubelet.SystemLog && !haveKubelet:
			// A syslog is also where the kubelet's lines are when it has no log of its own.
			if sums, err = l.scan(opts, kopts); err == nil {
				sum, kubeletPart = sums[0], sums[1]
			}
		case l.kind == kubelet.KubeletLog:
			// A kubelet's own log is all the kubelet's, whatever its lines
			// are tagged with (a wrapper, "docker[641]").
			if sums, err = l.scan(opts); err == nil {
				kubeletPart = sums[0]
			}
		default:
			if sums, err = l.scan(opts); err == nil {
				sum = sums[0]
			}
		}
		if err != nil {
			o.problem(l.name, err)
			continue
		}
		// A syslog in which the kubelet says nothing (dmesg) is no kubelet
		// log. The scanner reads the identifier of signal lines only, for
		// speed: a kubelet that spoke only of routine there is passed over.
		if kubeletPart != nil && (len(kubeletPart.Signals) > 0 || l.kind == kubelet.KubeletLog) {
			o.keepLog(k, &k.kubeletLog, snapshot.SourceKubeletLog, kubeletPart, l.name)
		}
		if sum != nil {
			target, source := &k.systemLog, snapshot.SourceSystemLog
			if l.kind == kubelet.RuntimeLog {
				target, source = &k.runtimeLog, snapshot.SourceRuntimeLog
			}
			o.keepLog(k, target, source, sum, l.name)
		}
	}
	return k
}

// keepLog keeps one log per source: a second log of the same kind is refused
// rather than merged, since the same lines in two dumps would count twice.
func (o *offline) keepLog(k *kubeletData, target **kubelet.LogSummary, source snapshot.SourceName, sum *kubelet.LogSummary, file string) {
	if *target != nil {
		o.problem(file, fmt.Errorf("a second %s; only %s was used (give one log per kind)", source, k.sources[source]))
		return
	}
	*target, k.sources[source] = sum, file
	o.extendCapture(sum.Last, sum.LastYearless)
}

// kubeletData is what the kubelet and its node produced: logs, metrics,
// stats, configuration, health.
type kubeletData struct {
	kubeletLog, runtimeLog, systemLog *kubelet.LogSummary
	metrics                           *kubelet.Metrics
	stats                             *kubelet.NodeStats
	config                            *kubelet.Config
	healthz                           *snapshot.Healthz
	units                             []snapshot.Unit
	listed                            []snapshot.Listed
	sources                           map[snapshot.SourceName]string
}

func (k *kubeletData) empty() bool { return len(k.sources) == 0 }

// fill gives the snapshot the kubelet's data.
func (k *kubeletData) fill(snap *snapshot.Snapshot, sources map[snapshot.SourceName]string) {
	snap.KubeletLog, snap.RuntimeLog, snap.SystemLog = k.kubeletLog, k.runtimeLog, k.systemLog
	snap.Metrics, snap.Stats, snap.Config, snap.Healthz = k.metrics, k.stats, k.config, k.healthz
	snap.Units, snap.Listed = k.units, k.listed
	for name, file := range k.sources {
		sources[name] = file
	}
}

// name is the node the data names itself: the stats summary's node, the
// metrics' kubelet_node_name, the node="…" of the kubelet's own lines (the
// Node's full name), or the host of the log lines (often shortened: an EKS
// node ip-10-0-3-17.eu-west-1.compute.internal logs as ip-10-0-3-17); ""
// when it names none.
func (k *kubeletData) name() string {
	if k.stats != nil && k.stats.NodeName != "" {
		return k.stats.NodeName
	}
	if k.metrics != nil && k.metrics.NodeName != "" {
		return k.metrics.NodeName
	}
	for _, l := range []*kubelet.LogSummary{k.kubeletLog, k.systemLog, k.runtimeLog} {
		if l != nil && l.NodeName != "" {
			return l.NodeName
		}
	}
	for _, l := range []*kubelet.LogSummary{k.kubeletLog, k.systemLog, k.runtimeLog} {
		if l != nil && l.Host != "" {
			return l.Host
		}
	}
	return ""
}

func (k *kubeletData) files() []string {
	var out []string
	for _, name := range snapshot.SourceOrder {
		if f, ok := k.sources[name]; ok {
			out = append(out, f)
		}
	}
	return out
}

// sourceRecords says, per source, which file fed it or that none did.
func sourceRecords(sources map[snapshot.SourceName]string) []snapshot.Source {
	var out []snapshot.Source
	for _, name := range snapshot.SourceOrder {
		if file, ok := sources[name]; ok {
			out = append(out, snapshot.Source{Name: name, Status: snapshot.StatusOK, Detail: "file " + file})
		} else if !snapshot.Optional(name) {
			out = append(out, snapshot.Source{Name: name, Status: snapshot.StatusNotFound, Reason: "not in the files given"})
		}
	}
	return out
}
