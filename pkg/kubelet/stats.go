package kubelet

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
)

// NodeStats is the node-level load the rules read from /stats/summary. Fields
// are nil where the kubelet did not report them (older kubelets have no rlimit
// or PSI; Windows has no PIDs).
type NodeStats struct {
	// NodeName is the node the kubelet reports for.
	NodeName string
	// Time is when the kubelet sampled the node (the newest of its sample times).
	Time             time.Time
	CPUUsageCores    *float64
	MemoryWorkingSet *uint64
	MemoryAvailable  *uint64
	FSAvailable      *uint64
	FSCapacity       *uint64
	ImageFSAvailable *uint64
	ImageFSCapacity  *uint64
	PIDsRunning      *int64
	PIDsMax          *int64
	// PSI "some" 60-second averages (percent of time stalled), kernel ≥4.20 with cgroup v2.
	CPUPressure, MemoryPressure, IOPressure *float64
	// RuntimeMemory is the working set of the container runtime's system container.
	RuntimeMemory *uint64
	Pods          int
	Containers    int
}

// ParseStatsSummary reads the kubelet's /stats/summary JSON.
func ParseStatsSummary(r io.Reader) (*NodeStats, error) {
	var s statsv1alpha1.Summary
	dec := json.NewDecoder(r)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("not a kubelet stats summary: %w", err)
	}
	if s.Node.NodeName == "" && s.Node.CPU == nil && s.Node.Memory == nil && len(s.Pods) == 0 {
		return nil, fmt.Errorf("not a kubelet stats summary: no node or pod statistics in the JSON")
	}
	return reduceSummary(&s), nil
}

func reduceSummary(s *statsv1alpha1.Summary) *NodeStats {
	n := &NodeStats{NodeName: s.Node.NodeName, Pods: len(s.Pods)}
	for _, p := range s.Pods {
		n.Containers += len(p.Containers)
	}
	node := s.Node
	latest := func(t time.Time) {
		if t.After(n.Time) {
			n.Time = t.UTC()
		}
	}
	if c := node.CPU; c != nil {
		latest(c.Time.Time)
		if c.UsageNanoCores != nil {
			cores := float64(*c.UsageNanoCores) / 1e9
			n.CPUUsageCores = &cores
		}
		n.CPUPressure = psiSome60(c.PSI)
	}
	if mem := node.Memory; mem != nil {
		latest(mem.Time.Time)
		n.MemoryWorkingSet, n.MemoryAvailable = mem.WorkingSetBytes, mem.AvailableBytes
		n.MemoryPressure = psiSome60(mem.PSI)
	}
	if io := node.IO; io != nil {
		latest(io.Time.Time)
		n.IOPressure = psiSome60(io.PSI)
	}
	if fs := node.Fs; fs != nil {
		n.FSAvailable, n.FSCapacity = fs.AvailableBytes, fs.CapacityBytes
	}
	if rt := node.Runtime; rt != nil && rt.ImageFs != nil {
		n.ImageFSAvailable, n.ImageFSCapacity = rt.ImageFs.AvailableBytes, rt.ImageFs.CapacityBytes
	}
	if rl := node.Rlimit; rl != nil {
		n.PIDsRunning, n.PIDsMax = rl.NumOfRunningProcesses, rl.MaxPID
	}
	for _, sc := range node.SystemContainers {
		if sc.Name == statsv1alpha1.SystemContainerRuntime && sc.Memory != nil {
			n.RuntimeMemory = sc.Memory.WorkingSetBytes
		}
	}
	return n
}

func psiSome60(p *statsv1alpha1.PSIStats) *float64 {
	if p == nil {
		return nil
	}
	v := p.Some.Avg60
	return &v
}
