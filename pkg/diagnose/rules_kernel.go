package diagnose

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// The node's storage and kernel, from the kernel's own lines (in the system
// log or any log given) and from node-problem-detector's conditions.

// storageSignals are what the kernel says of storage that hangs or fails,
// each with how a finding words it.
var storageSignals = []struct {
	sig          kubelet.Signal
	what, answer string
}{
	{kubelet.StorageHang, "network filesystem not responding (processes on it hang in D state)", "a network filesystem's server is not responding, and processes on it hang"},
	{kubelet.FSReadOnly, "filesystem remounted read-only or its journal aborted", "a filesystem went read-only after errors"},
	{kubelet.DiskError, "disk or filesystem I/O error", "a disk or filesystem reports I/O errors"},
	{kubelet.DiskTimeout, "disk controller command timeout", "a disk controller times out commands"},
}

// kernelLogs are the logs kernel lines turn up in.
func kernelLogs(s *snapshot.Snapshot) []struct {
	name string
	sum  *kubelet.LogSummary
} {
	return []struct {
		name string
		sum  *kubelet.LogSummary
	}{{"system log", s.SystemLog}, {"kubelet log", s.KubeletLog}, {"runtime log", s.RuntimeLog}}
}

// storageHung: processes stuck on storage stall whatever touches it — the
// runtime's and the kubelet's calls first. The kernel says so: an NFS
// server not responding, I/O errors, a disk timing out, a filesystem gone
// read-only; hung tasks along them are the processes stuck there.
// node-problem-detector says ReadonlyFilesystem or CorruptDockerOverlay2.
func storageHung(s *snapshot.Snapshot) *Finding {
	f := &Finding{Answer: "storage hangs or fails under the node", Steps: []Step{
		nodeStep("see which mounts are network filesystems or read-only", "grep -E ' (nfs|nfs4|cifs|glusterfs|ceph)| ro,' /proc/mounts"),
		nodeStep("read the kernel's complaints about storage", "dmesg -T | grep -iE 'nfs|i/o error|read-only|timeout|blocked for more' | tail -50"),
		dStateStep,
		nodeStep("if an NFS server is gone for good, detach its hung mount (lazily, by force)", "umount -f -l MOUNTPOINT").expecting("MOUNTPOINT from /proc/mounts"),
		drainStep(s, "a failing disk needs the node drained and the disk replaced"),
	}}
	for _, lg := range kernelLogs(s) {
		for _, ss := range storageSignals {
			st := weighStorage(lg.sum, ss.sig)
			if st.Count == 0 || st.noise() {
				continue
			}
			sev := Info
			if storageAlarm(st, ss.sig) {
				sev = Warning
			}
			f.Severity = severityMax(f.Severity, sev)
			f.Confidence = max(f.Confidence, st.confidence())
			f.Evidence = append(f.Evidence, signalEvidence(ss.what, st.SignalStats, lg.name, s.CollectedAt)+"; "+st.ending())
			f.Evidence = append(f.Evidence, sampleEvidence(st.SignalStats)...)
			if f.Answer == "storage hangs or fails under the node" && sev >= Warning {
				f.Answer = ss.answer
			}
		}
	}
	for _, t := range []corev1.NodeConditionType{"ReadonlyFilesystem", "CorruptDockerOverlay2"} {
		if c := s.Condition(t); c != nil && c.Status == corev1.ConditionTrue {
			f.Severity, f.Confidence = severityMax(f.Severity, Warning), max(f.Confidence, High)
			f.Evidence = append(f.Evidence, fmt.Sprintf("node-problem-detector: %s=True (%s: %s)", t, c.Reason, c.Message))
		}
	}
	if f.Severity == 0 {
		return nil
	}
	// Hung tasks with failing storage are the processes stuck on it.
	if hung := kernelReports(s.SystemLog, kubelet.HungTask, kubelet.HungTaskNote); hung.Count > 0 && f.Severity >= Warning {
		f.Evidence = append(f.Evidence, signalEvidence("hung task (blocked for more than 120 seconds)", hung, "system log", s.CollectedAt))
		f.Severity, f.Confidence = Critical, max(f.Confidence, High)
	}
	if f.Severity >= Warning && (plegStaleNow(s) || notReadyNow(s)) {
		f.Severity = Critical
	}
	return f
}

// storageTrouble says the kernel reports failing storage (so hung tasks
// are storage-hung's evidence, not node-overload's).
func storageTrouble(s *snapshot.Snapshot) bool {
	for _, lg := range kernelLogs(s) {
		for _, ss := range storageSignals {
			if st := weighStorage(lg.sum, ss.sig); st.Count > 0 && !st.noise() && storageAlarm(st, ss.sig) {
				return true
			}
		}
	}
	return false
}

// weighStorage is weigh, but an NFS server's hang is ended only by that
// server answering again: "server A not responding" then "server B OK"
// leaves A hung. (The newest line of each names its server.)
func weighStorage(sum *kubelet.LogSummary, sig kubelet.Signal) logSignal {
	st := weigh(sum, sig)
	if sig != kubelet.StorageHang || st.recoveredBy != kubelet.StorageRecovered {
		return st
	}
	hung, back := nfsServer(newestSample(st.SignalStats)), nfsServer(newestSample(sum.Signal(kubelet.StorageRecovered)))
	if hung != "" && back != "" && hung != back {
		st.current, st.held, st.recoveredBy = true, true, 0
	}
	return st
}

// nfsServer is the server an sunrpc line names ("filer-01" in "nfs:
// server filer-01 not responding, still trying"), "" when none.
func nfsServer(line string) string {
	_, rest, ok := strings.Cut(line, ": server ")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, " ")
	return name
}

// newestSample is the newest line kept of a signal, "" when none.
func newestSample(st *kubelet.SignalStats) string {
	if st == nil || len(st.Samples) == 0 {
		return ""
	}
	return st.Samples[len(st.Samples)-1]
}

// storageAlarm says a storage signal is trouble, not a note: a network
// filesystem whose server has not answered again, a filesystem gone
// read-only (it stays so until remounted), or repeated errors. A stray I/O
// error (a CD drive, a USB stick) on a working node is worth knowing, not
// an alarm; an NFS server that came back is history.
func storageAlarm(st logSignal, sig kubelet.Signal) bool {
	switch sig {
	case kubelet.StorageHang:
		return st.current
	case kubelet.FSReadOnly:
		return true
	}
	return st.substantial(StorageLinesWarning)
}

// kernelTrouble: a kernel in trouble stalls the node — CPUs stuck in soft or
// hard lockups and RCU stalls (the kubelet and runtime starve), a network
// device it cannot release (pod teardown hangs), an oops. One such line on
// a working node is no alarm; repeated, or with the node NotReady, it is.
// node-problem-detector says KernelDeadlock.
func kernelTrouble(s *snapshot.Snapshot) *Finding {
	f := &Finding{Answer: "the kernel is in trouble", Steps: []Step{
		nodeStep("read what the kernel reported", "dmesg -T | grep -iE 'lockup|stall|unregister_netdevice|BUG|oops|panic' | tail -50"),
		nodeStep("see the kernel version (lockups and netdevice leaks are fixed in later kernels)", "uname -r"),
		drainStep(s, "reboot the node after draining it; upgrade its kernel if it recurs"),
	}}
	for _, lg := range kernelLogs(s) {
		for _, ks := range []struct {
			sig  kubelet.Signal
			what string
			min  int
		}{
			{kubelet.KernelLockup, "CPU lockup or RCU stall", 1},
			{kubelet.KernelOops, "kernel BUG, oops or panic", 1},
			{kubelet.NetdevLeak, "unregister_netdevice waiting for a device to become free", 3},
		} {
			st := weigh(lg.sum, ks.sig)
			if st.Count == 0 || st.noise() {
				continue
			}
			sev := Info
			if st.Count >= ks.min {
				sev = Warning
			}
			f.Severity = severityMax(f.Severity, sev)
			f.Confidence = max(f.Confidence, st.confidence())
			f.Evidence = append(f.Evidence, signalEvidence(ks.what, st.SignalStats, lg.name, s.CollectedAt)+"; "+st.ending())
			f.Evidence = append(f.Evidence, sampleEvidence(st.SignalStats)...)
			if sev >= Warning && f.Answer == "the kernel is in trouble" {
				f.Answer = "the kernel is in trouble: " + ks.what
			}
		}
	}
	if c := s.Condition("KernelDeadlock"); c != nil && c.Status == corev1.ConditionTrue {
		f.Severity, f.Confidence = severityMax(f.Severity, Warning), High
		f.Evidence = append(f.Evidence, fmt.Sprintf("node-problem-detector: KernelDeadlock=True (%s: %s)", c.Reason, c.Message))
	}
	n, first, last := eventsMatching(s, 0, "KernelOops", "TaskHung", "UnregisterNetDevice", "KernelDeadlock")
	if n > 0 {
		f.Severity, f.Confidence = severityMax(f.Severity, Warning), max(f.Confidence, Medium)
		f.Evidence = append(f.Evidence, fmt.Sprintf("%d× node-problem-detector kernel events (KernelOops, TaskHung, UnregisterNetDevice) (first %s, last %s)",
			n, first.Format("15:04:05Z07:00"), last.Format("15:04:05Z07:00")))
	}
	if f.Severity == 0 {
		return nil
	}
	if f.Severity >= Warning && (plegStaleNow(s) || notReadyNow(s)) {
		f.Severity = Critical
	}
	return f
}

// kernelReports counts the kernel's reports of one kind (hung tasks, OOM
// kills) by their first line or their companion, whichever more of the
// excerpt kept: each report writes both.
func kernelReports(sum *kubelet.LogSummary, first, companion kubelet.Signal) *kubelet.SignalStats {
	a, b := sum.Signal(first), sum.Signal(companion)
	if b.Count > a.Count {
		return b
	}
	return a
}

// notReadyNow says the data shows the node NotReady at capture time.
func notReadyNow(s *snapshot.Snapshot) bool {
	return stateOf(s).notReady
}
