package diagnose

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// capacityOf returns the node's capacity of r, or nil.
func capacityOf(s *snapshot.Snapshot, r corev1.ResourceName) *resource.Quantity {
	if s.Node == nil {
		return nil
	}
	if q, ok := s.Node.Status.Capacity[r]; ok {
		return &q
	}
	return nil
}

func allocatableOf(s *snapshot.Snapshot, r corev1.ResourceName) *resource.Quantity {
	if s.Node == nil {
		return nil
	}
	if q, ok := s.Node.Status.Allocatable[r]; ok {
		return &q
	}
	return nil
}

func nodeOverload(s *snapshot.Snapshot) *Finding {
	f := &Finding{Confidence: High, Answer: "the node is saturated", Steps: []Step{
		clusterStep("find the heaviest pods", fmt.Sprintf("kubectl top pods -A --sort-by=memory | head; kubectl describe node %s | grep -A20 'Allocated resources'", nodeInCommand(s))),
		nodeStep("see what the node spends its time on", "top -b -n1 -o %MEM | head -20; vmstat 1 5; dmesg -T | grep -iE 'oom|blocked for more' | tail").expecting("wa in vmstat is I/O wait"),
		advice("set requests and limits on the heavy pods, move some elsewhere, or add capacity"),
	}}
	// busyOnly stays true while the only evidence is a busy CPU: one
	// sample of a CPU at 100% is a node at work, a risk that matters when
	// it compounds a problem, not a problem of its own.
	busyOnly := true
	add := func(sev Severity, ev string) {
		f.Severity = severityMax(f.Severity, sev)
		f.Evidence = append(f.Evidence, ev)
		busyOnly = false
	}
	for _, t := range []corev1.NodeConditionType{corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure} {
		if c := s.Condition(t); c != nil && c.Status == corev1.ConditionTrue {
			add(Critical, fmt.Sprintf("%s=True for %s (%s)", t, age(s, c.LastTransitionTime.Time), c.Message))
		}
	}
	if st := s.Stats; st != nil {
		if cpu := capacityOf(s, corev1.ResourceCPU); cpu != nil && st.CPUUsageCores != nil && cpu.AsApproximateFloat64() > 0 {
			if r := *st.CPUUsageCores / cpu.AsApproximateFloat64(); r >= SaturationRatio {
				f.Severity = severityMax(f.Severity, Warning)
				f.Evidence = append(f.Evidence, fmt.Sprintf("CPU %.1f of %s cores in use (%d%%)", *st.CPUUsageCores, cpu.String(), int(r*100)))
			}
		}
		if mem := capacityOf(s, corev1.ResourceMemory); mem != nil && st.MemoryWorkingSet != nil && mem.Value() > 0 {
			if r := float64(*st.MemoryWorkingSet) / float64(mem.Value()); r >= SaturationRatio {
				add(Warning, fmt.Sprintf("memory working set %s of %s (%d%%)", humanize.Bytes(*st.MemoryWorkingSet), humanize.Bytes(uint64(mem.Value())), int(r*100)))
			}
		}
		if usedShare(st.FSAvailable, st.FSCapacity) >= SaturationRatio {
			add(Warning, fmt.Sprintf("node filesystem %s free of %s", humanize.Bytes(*st.FSAvailable), humanize.Bytes(*st.FSCapacity)))
		}
		if usedShare(st.ImageFSAvailable, st.ImageFSCapacity) >= SaturationRatio {
			add(Warning, fmt.Sprintf("image filesystem %s free of %s", humanize.Bytes(*st.ImageFSAvailable), humanize.Bytes(*st.ImageFSCapacity)))
		}
		if st.PIDsRunning != nil && st.PIDsMax != nil && *st.PIDsMax > 0 {
			if r := float64(*st.PIDsRunning) / float64(*st.PIDsMax); r >= SaturationRatio {
				add(Warning, fmt.Sprintf("%d of %d PIDs in use (%d%%)", *st.PIDsRunning, *st.PIDsMax, int(r*100)))
			}
		}
		if st.IOPressure != nil && *st.IOPressure >= IOPressureWarning {
			add(Warning, fmt.Sprintf("I/O pressure: tasks stalled on I/O %.0f%% of the last minute (PSI)", *st.IOPressure))
		}
	}
	if st := kernelReports(s.SystemLog, kubelet.OOMKill, kubelet.OOMInvoked); st.Count > 0 {
		add(Warning, signalEvidence("OOM kill", st, "system log", s.CollectedAt))
	}
	// Hung tasks on failing storage are storage-hung's; without it, they are
	// the node's load.
	if st := kernelReports(s.SystemLog, kubelet.HungTask, kubelet.HungTaskNote); st.Count > 0 && !storageTrouble(s) {
		add(Critical, signalEvidence("hung task (blocked for more than 120 seconds)", st, "system log", s.CollectedAt))
		f.Evidence = append(f.Evidence, sampleEvidence(st)...)
	}
	if n, first, last := eventsMatching(s, 0, diskEvents...); n > 0 {
		add(Warning, fmt.Sprintf("%s× image GC could not free enough disk or eviction thresholds met, in events (first %s, last %s)",
			humanize.Count(n), humanize.Clock(first, s.CollectedAt), humanize.Clock(last, s.CollectedAt)))
	}
	if st := s.KubeletLog.Signal(kubelet.SlowDiskUsage); st.Count > 0 {
		add(Warning, signalEvidence("slow disk usage scan", st, "kubelet log", s.CollectedAt))
	}
	if f.Severity == 0 {
		return nil
	}
	if busyOnly {
		f.Role = Risk
	}
	f.Answer += ": " + f.Evidence[0]
	return f
}

// diskEvents are the kubelet's events of a node short of disk.
var diskEvents = []string{"FreeDiskSpaceFailed", "EvictionThresholdMet"}

// usedShare returns the used share of a filesystem, or 0 when unknown.
func usedShare(avail, capacity *uint64) float64 {
	if avail == nil || capacity == nil || *capacity == 0 {
		return 0
	}
	return 1 - float64(*avail)/float64(*capacity)
}

func podDensity(s *snapshot.Snapshot) *Finding {
	pods, podsKnown := 0, false
	if s.Has(snapshot.SourcePods) {
		pods, podsKnown = len(s.RunningPods()), true
	} else if s.Metrics != nil && s.Metrics.RunningPods != nil {
		pods, podsKnown = *s.Metrics.RunningPods, true
	}
	maxPods := 0
	if q := allocatableOf(s, corev1.ResourcePods); q != nil {
		maxPods = int(q.Value())
	} else if s.Config != nil {
		maxPods = s.Config.MaxPods
	}
	spread := advice(fmt.Sprintf("spread the pods: add nodes, or lower maxPods (kubelet --max-pods) to about %d on this node", DensityPodsWarning))
	if maxPods > 0 && maxPods <= DensityPodsWarning {
		// A small maxPods is already below the danger line: more room is the fix.
		spread = advice(fmt.Sprintf("spread the pods: add nodes (this node's maxPods is %d and nearly used), or set requests so the scheduler places fewer pods here", maxPods))
	}
	f := &Finding{Confidence: High, Answer: "the node runs too many pods or containers", Steps: []Step{
		spread,
		drainStep(s, "move its pods elsewhere now (uncordon it after)"),
	}}
	if podsKnown {
		ev := fmt.Sprintf("%d running pods", pods)
		if maxPods > 0 {
			ev = fmt.Sprintf("%d/%d pods (%d%% of allocatable)", pods, maxPods, pods*100/maxPods)
		}
		if cpu := capacityOf(s, corev1.ResourceCPU); cpu != nil && cpu.AsApproximateFloat64() > 0 {
			ev += fmt.Sprintf(", %.1f per core on %s cores", float64(pods)/cpu.AsApproximateFloat64(), cpu.String())
		}
		switch {
		case maxPods > 0 && pods >= maxPods:
			f.Severity = Critical
		case pods > DensityPodsWarning || (maxPods > 0 && float64(pods) >= DensityRatioWarning*float64(maxPods)):
			f.Severity = Warning
		}
		if f.Severity != 0 {
			f.Evidence = append(f.Evidence, ev)
			f.Answer = "the node runs too many pods: " + ev
		}
	}
	if s.Metrics != nil && len(s.Metrics.Containers) > 0 {
		total := 0
		for _, n := range s.Metrics.Containers {
			total += n
		}
		exited := s.Metrics.Containers["exited"]
		ev := fmt.Sprintf("%s containers (%s exited)", humanize.Count(total), humanize.Count(exited))
		if exited >= ExitedContainersWarning {
			f.Severity = severityMax(f.Severity, Warning)
			f.Steps = append(f.Steps, runtimeOf(s).removeExitedStep())
		}
		if f.Severity != 0 {
			f.Evidence = append(f.Evidence, ev)
		}
	}
	if f.Severity == 0 {
		return nil
	}
	return f
}

func unboundedPods(s *snapshot.Snapshot) *Finding {
	if !s.Has(snapshot.SourcePods) {
		return nil
	}
	running := s.RunningPods()
	var bestEffort []string
	noLimit := 0
	for _, p := range running {
		if p.QOSClass == corev1.PodQOSBestEffort {
			bestEffort = append(bestEffort, p.Namespace+"/"+p.Name)
		} else if p.ContainersWithoutLimits > 0 {
			noLimit++
		}
	}
	if len(bestEffort) == 0 {
		return nil
	}
	f := &Finding{Severity: Info, Confidence: High, Answer: "pods run without requests or limits", Steps: []Step{
		advice("set requests and limits on these pods, or a LimitRange with defaults in their namespaces"),
		advice("reserve resources for system daemons too (see missing-reservations) so that pods cannot starve the runtime"),
	}}
	if len(bestEffort) >= 5 || float64(len(bestEffort)) >= BestEffortWarning*float64(len(running)) {
		f.Severity = Warning
	}
	names := bestEffort
	if len(names) > 5 {
		names = append(names[:5:5], fmt.Sprintf("+%d more", len(bestEffort)-5))
	}
	f.Evidence = append(f.Evidence, fmt.Sprintf("%d/%d running pods have no requests or limits (BestEffort): %s",
		len(bestEffort), len(running), strings.Join(names, ", ")))
	if noLimit > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%d more pods have containers without a memory limit", noLimit))
	}
	return f
}

func missingReservations(s *snapshot.Snapshot) *Finding {
	f := &Finding{Severity: Warning, Answer: "no resources are reserved for the system daemons", Steps: []Step{
		advice("reserve resources in the kubelet config — systemReserved: {cpu: 500m, memory: 1Gi} and kubeReserved: {cpu: 500m, memory: 1Gi}, sized to the node — then restart the kubelet"),
		advice("keep evictionHard thresholds so the kubelet evicts pods before the node runs out"),
	}}
	if s.Config != nil {
		if s.Config.Reserved() {
			return nil
		}
		f.Confidence = High
		f.Evidence = append(f.Evidence, "kubelet config (/configz) sets neither systemReserved nor kubeReserved")
	}
	cpuCap, cpuAlloc := capacityOf(s, corev1.ResourceCPU), allocatableOf(s, corev1.ResourceCPU)
	memCap, memAlloc := capacityOf(s, corev1.ResourceMemory), allocatableOf(s, corev1.ResourceMemory)
	if cpuCap != nil && cpuAlloc != nil && memCap != nil && memAlloc != nil {
		// Allocatable memory is capacity minus reservations minus the hard
		// eviction threshold (100Mi by default), so only CPU can be compared exactly.
		if cpuCap.Cmp(*cpuAlloc) != 0 {
			if s.Config == nil {
				return nil
			}
		} else {
			if f.Confidence == 0 {
				f.Confidence = Medium
			}
			f.Evidence = append(f.Evidence, fmt.Sprintf("allocatable == capacity for CPU (%s); memory allocatable %s of %s",
				cpuCap.String(), memAlloc.String(), memCap.String()))
		}
	}
	if len(f.Evidence) == 0 {
		return nil
	}
	return f
}
