package diagnose

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

func kernelLine(at time.Time, msg string) string {
	return at.Format("Jan _2 15:04:05") + " worker-3 kernel: " + msg
}

func TestNodeOverload(t *testing.T) {
	runRule(t, nodeOverload, []ruleCase{
		{name: "healthy", snap: healthy()},
		{name: "no data at all", snap: &snapshot.Snapshot{NodeName: "worker-3", CollectedAt: now}},
		{
			name: "pressure conditions False",
			snap: mod(onNode(
				withCondition(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available", time.Hour),
				withCondition(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure", time.Hour),
			)),
		},
		{
			name: "MemoryPressure=True",
			snap: mod(onNode(withCondition(corev1.NodeMemoryPressure, corev1.ConditionTrue, "KubeletHasInsufficientMemory", "kubelet has insufficient memory available", 10*time.Minute))),
			want: &want{sev: Critical, conf: High, evidence: []string{"MemoryPressure=True", "10m", "(kubelet has insufficient memory available)"}},
		},
		{
			name: "DiskPressure=True and PIDPressure=True",
			snap: mod(onNode(
				withCondition(corev1.NodeDiskPressure, corev1.ConditionTrue, "KubeletHasDiskPressure", "kubelet has disk pressure", 3*time.Minute),
				withCondition(corev1.NodePIDPressure, corev1.ConditionTrue, "KubeletHasInsufficientPID", "kubelet has insufficient PID available", 4*time.Minute),
			)),
			want: &want{sev: Critical, conf: High, evidence: []string{"DiskPressure=True", "PIDPressure=True", "kubelet has insufficient PID available"}},
		},
		{
			name: "CPU at 90%",
			snap: mod(func(s *snapshot.Snapshot) { s.Stats.CPUUsageCores = ptr(7.2) }),
			want: &want{sev: Warning, conf: High, evidence: []string{"CPU 7.2 of 8 cores in use (90%)"}},
		},
		{name: "CPU at 89%", snap: mod(func(s *snapshot.Snapshot) { s.Stats.CPUUsageCores = ptr(7.1) })},
		{
			name: "memory at 90%",
			snap: mod(func(s *snapshot.Snapshot) { s.Stats.MemoryWorkingSet = ptr(uint64(29 << 30)) }),
			want: &want{sev: Warning, conf: High, evidence: []string{"memory working set 29.0GiB of 32.0GiB (90%)"}},
		},
		{name: "memory at 87%", snap: mod(func(s *snapshot.Snapshot) { s.Stats.MemoryWorkingSet = ptr(uint64(28 << 30)) })},
		{
			name: "node filesystem 90% used",
			snap: mod(func(s *snapshot.Snapshot) { s.Stats.FSAvailable = ptr(uint64(10 << 30)) }),
			want: &want{sev: Warning, conf: High, evidence: []string{"node filesystem 10.0GiB free of 100.0GiB"}},
		},
		{name: "node filesystem 89% used", snap: mod(func(s *snapshot.Snapshot) { s.Stats.FSAvailable = ptr(uint64(11 << 30)) })},
		{
			name: "image filesystem 95% used",
			snap: mod(func(s *snapshot.Snapshot) { s.Stats.ImageFSAvailable = ptr(uint64(5 << 30)) }),
			want: &want{sev: Warning, conf: High, evidence: []string{"image filesystem 5.0GiB free of 100.0GiB"}},
		},
		{
			name: "PIDs at 90%",
			snap: mod(func(s *snapshot.Snapshot) {
				s.Stats.PIDsRunning, s.Stats.PIDsMax = ptr(int64(29492)), ptr(int64(32768))
			}),
			want: &want{sev: Warning, conf: High, evidence: []string{"29492 of 32768 PIDs in use (90%)"}},
		},
		{name: "PIDs just under 90%", snap: mod(func(s *snapshot.Snapshot) {
			s.Stats.PIDsRunning, s.Stats.PIDsMax = ptr(int64(29490)), ptr(int64(32768))
		})},
		{
			name: "I/O pressure at 20%",
			snap: mod(func(s *snapshot.Snapshot) { s.Stats.IOPressure = ptr(20.0) }),
			want: &want{sev: Warning, conf: High, evidence: []string{"I/O pressure: tasks stalled on I/O 20% of the last minute (PSI)"}},
		},
		{name: "I/O pressure 19.9%", snap: mod(func(s *snapshot.Snapshot) { s.Stats.IOPressure = ptr(19.9) })},
		{
			name: "stats without capacity",
			snap: mod(onNode(withCapacity("", "", "110")), func(s *snapshot.Snapshot) {
				s.Stats.CPUUsageCores, s.Stats.MemoryWorkingSet = ptr(64.0), ptr(uint64(1<<40))
			}),
		},
		{
			name: "OOM kills in the system log",
			snap: mod(func(s *snapshot.Snapshot) {
				s.SystemLog = scan(
					kernelLine(ago(20*time.Minute), "Out of memory: Killed process 4321 (java) total-vm:8123456kB, anon-rss:4123456kB, file-rss:0kB"),
					kernelLine(ago(10*time.Minute), "Memory cgroup out of memory: Killed process 5555 (python3) total-vm:2123456kB"),
				)
			}),
			want: &want{sev: Warning, conf: High, evidence: []string{"2× OOM kill in system log (first 08:40:00Z, last 08:50:00Z, 10m ago)"}},
		},
		{
			name: "hung tasks in the system log",
			snap: mod(func(s *snapshot.Snapshot) {
				s.SystemLog = scan(kernelLine(ago(7*time.Minute), "INFO: task runc:[2:INIT]:12345 blocked for more than 120 seconds."))
			}),
			want: &want{sev: Critical, conf: High, evidence: []string{
				"1× hung task (blocked for more than 120 seconds) in system log (at 08:53:00Z, 7m ago)", "latest: ", "runc:[2:INIT]:12345",
			}},
		},
		{
			name: "slow disk usage scans in the kubelet log",
			snap: mod(kubeletLog(jline(ago(4*time.Minute), "kubelet", klog('I', ago(4*time.Minute), "fsHandler.go:119] fs: disk usage and inodes count on following dirs took 1m5.8s: [/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/123/fs /var/log/pods/shop_app-1]")))),
			want: &want{sev: Warning, conf: High, evidence: []string{"1× slow disk usage scan in kubelet log (at 08:56:00Z, 4m ago)"}},
		},
	})
}

// podsWith returns the pods source with n running pods (and the pods metric off).
func podsWith(n int) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) { s.Pods = pods(n) }
}

func TestPodDensity(t *testing.T) {
	runRule(t, podDensity, []ruleCase{
		{name: "healthy", snap: healthy()},
		{name: "70 pods of 110", snap: mod(podsWith(70))},
		{
			name: "71 pods of 110",
			snap: mod(podsWith(71)),
			want: &want{sev: Warning, conf: High, evidence: []string{"71/110 pods (64% of allocatable), 8.9 per core on 8 cores"}},
		},
		{name: "47 pods of 60 (78%)", snap: mod(podsWith(47), onNode(withAllocatable("7910m", "31Gi", "60")))},
		{
			name: "48 pods of 60 (80%)",
			snap: mod(podsWith(48), onNode(withAllocatable("7910m", "31Gi", "60"))),
			want: &want{sev: Warning, conf: High, evidence: []string{"48/60 pods (80% of allocatable)"}},
		},
		{
			name: "109 pods of 110",
			snap: mod(podsWith(109)),
			want: &want{sev: Warning, conf: High, evidence: []string{"109/110 pods (99% of allocatable)"}},
		},
		{
			name: "110 pods of 110",
			snap: mod(podsWith(110)),
			want: &want{sev: Critical, conf: High, evidence: []string{"110/110 pods (100% of allocatable), 13.8 per core on 8 cores"}},
		},
		{
			name: "finished pods do not count",
			snap: mod(podsWith(75), func(s *snapshot.Snapshot) {
				for i := 0; i < 5; i++ {
					s.Pods[i].Phase = corev1.PodSucceeded
				}
			}),
		},
		{
			name: "pods forbidden: the running-pods metric stands in",
			snap: mod(func(s *snapshot.Snapshot) {
				setSource(s, snapshot.SourcePods, snapshot.StatusForbidden, "forbidden")
				s.Pods, s.Metrics.RunningPods = nil, ptr(75)
			}),
			want: &want{sev: Warning, conf: High, evidence: []string{"75/110 pods (68% of allocatable)"}},
		},
		{
			name: "pods forbidden and no metrics",
			snap: mod(func(s *snapshot.Snapshot) {
				setSource(s, snapshot.SourcePods, snapshot.StatusForbidden, "forbidden")
				s.Pods, s.Metrics = nil, nil
			}),
		},
		{
			name: "max pods from configz when allocatable has none",
			snap: mod(podsWith(40), onNode(withAllocatable("7910m", "31Gi", "")), func(s *snapshot.Snapshot) { s.Config.MaxPods = 50 }),
			want: &want{sev: Warning, conf: High, evidence: []string{"40/50 pods (80% of allocatable)"}},
		},
		{
			name: "no max pods known",
			snap: mod(podsWith(71), onNode(withAllocatable("7910m", "31Gi", "")), func(s *snapshot.Snapshot) { s.Config = nil }),
			want: &want{sev: Warning, conf: High, evidence: []string{"71 running pods, 8.9 per core on 8 cores"}},
		},
		{
			name: "100 exited containers",
			snap: mod(func(s *snapshot.Snapshot) { s.Metrics.Containers = map[string]int{"running": 24, "exited": 100} }),
			want: &want{sev: Warning, conf: High, evidence: []string{"124 containers (100 exited)"}, notEvidence: []string{"pods ("}},
		},
		{name: "99 exited containers", snap: mod(func(s *snapshot.Snapshot) { s.Metrics.Containers = map[string]int{"running": 24, "exited": 99} })},
		{
			name: "crowded node also shows its containers",
			snap: mod(podsWith(110), func(s *snapshot.Snapshot) { s.Metrics.Containers = map[string]int{"running": 1200, "exited": 3400} }),
			want: &want{sev: Critical, conf: High, evidence: []string{"110/110 pods", "4,600 containers (3,400 exited)"}},
		},
	})
}

func TestUnboundedPods(t *testing.T) {
	bestEffort := func(n int) func(*snapshot.Snapshot) {
		return func(s *snapshot.Snapshot) {
			for i := 0; i < n; i++ {
				s.Pods[i].QOSClass = corev1.PodQOSBestEffort
			}
		}
	}
	runRule(t, unboundedPods, []ruleCase{
		{name: "healthy", snap: healthy()},
		{name: "pods forbidden", snap: mod(bestEffort(10), func(s *snapshot.Snapshot) { setSource(s, snapshot.SourcePods, snapshot.StatusForbidden, "forbidden") })},
		{
			name: "2 of 21 BestEffort",
			snap: mod(bestEffort(2)),
			want: &want{sev: Info, conf: High, evidence: []string{"2/21 running pods have no requests or limits (BestEffort): shop/app-0, shop/app-1"}},
		},
		{
			name: "3 of 21 BestEffort",
			snap: mod(bestEffort(3)),
			want: &want{sev: Warning, conf: High, evidence: []string{"3/21 running pods have no requests or limits"}},
		},
		{
			name: "7 BestEffort: five named",
			snap: mod(podsWith(100), bestEffort(7)),
			want: &want{sev: Warning, conf: High, evidence: []string{"7/100 running pods", "shop/app-4, +2 more"}, notEvidence: []string{"shop/app-5"}},
		},
		{
			name: "finished BestEffort pods do not count",
			snap: mod(bestEffort(3), func(s *snapshot.Snapshot) {
				for i := 0; i < 3; i++ {
					s.Pods[i].Phase = corev1.PodFailed
				}
			}),
		},
		{
			name: "pods without memory limits are counted alongside",
			snap: mod(bestEffort(1), func(s *snapshot.Snapshot) {
				for i := 5; i < 9; i++ {
					s.Pods[i].ContainersWithoutLimits = 1
				}
			}),
			want: &want{sev: Info, conf: High, evidence: []string{"1/21 running pods", "4 more pods have containers without a memory limit"}},
		},
		{
			name: "no BestEffort pod: missing limits alone do not fire",
			snap: mod(func(s *snapshot.Snapshot) { s.Pods[3].ContainersWithoutLimits = 2 }),
		},
	})
}

func TestMissingReservations(t *testing.T) {
	noReserved := func(s *snapshot.Snapshot) { s.Config.SystemReserved, s.Config.KubeReserved = nil, nil }
	noConfig := func(s *snapshot.Snapshot) {
		s.Config = nil
		setSource(s, snapshot.SourceConfigz, snapshot.StatusForbidden, "forbidden")
	}
	allocEqCap := onNode(withAllocatable("8", "32Gi", "110"))
	runRule(t, missingReservations, []ruleCase{
		{name: "healthy", snap: healthy()},
		{name: "no configz, CPU allocatable below capacity", snap: mod(noConfig)},
		{
			name: "no configz, CPU allocatable == capacity",
			snap: mod(noConfig, onNode(withAllocatable("8", "31900Mi", "110"))),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"allocatable == capacity for CPU (8); memory allocatable 31900Mi of 32Gi"}},
		},
		{
			name: "configz without reservations",
			snap: mod(noReserved),
			want: &want{sev: Warning, conf: High, evidence: []string{"kubelet config (/configz) sets neither systemReserved nor kubeReserved"}, notEvidence: []string{"allocatable =="}},
		},
		{
			name: "configz with empty reservations and allocatable == capacity",
			snap: mod(func(s *snapshot.Snapshot) {
				s.Config.SystemReserved, s.Config.KubeReserved = map[string]string{}, map[string]string{}
			}, allocEqCap),
			want: &want{sev: Warning, conf: High, evidence: []string{"sets neither systemReserved nor kubeReserved", "allocatable == capacity for CPU (8)"}},
		},
		{
			name: "configz with kubeReserved only wins over allocatable",
			snap: mod(func(s *snapshot.Snapshot) {
				s.Config.SystemReserved, s.Config.KubeReserved = nil, map[string]string{"cpu": "100m"}
			}, allocEqCap),
		},
		{name: "no node, no configz", snap: mod(noConfig, func(s *snapshot.Snapshot) { s.Node = nil })},
		{
			name: "no node, configz without reservations",
			snap: mod(noReserved, func(s *snapshot.Snapshot) { s.Node = nil }),
			want: &want{sev: Warning, conf: High, evidence: []string{"sets neither systemReserved nor kubeReserved"}},
		},
		{name: "no configz, allocatable without memory", snap: mod(noConfig, onNode(withAllocatable("8", "", "110")))},
	})
}

// A node whose maxPods is already small is not told to lower it to 70.
func TestPodDensityAdviceFitsASmallMaxPods(t *testing.T) {
	s := mod(onNode(withAllocatable("8", "31Gi", "16")), func(s *snapshot.Snapshot) { s.Pods = pods(15) })
	f := podDensity(s)
	if f == nil || f.Severity != Warning {
		t.Fatalf("15 of 16 pods: %+v", f)
	}
	if advice := stepsText(f); strings.Contains(advice, "to about 70") || !strings.Contains(advice, "maxPods is 16") {
		t.Errorf("advice for maxPods 16:\n%s", advice)
	}
}

// A CPU sample at 100% on a node with no other trouble is a node at work:
// info, exit 0. With the relist stale it compounds the incident: a warning.
func TestBusyCPUAloneIsNoAlarm(t *testing.T) {
	busy := func(s *snapshot.Snapshot) { s.Stats.CPUUsageCores = ptr(7.95) }
	d := Diagnose(mod(busy))
	for _, c := range d.Causes {
		if c.ID == "node-overload" && (c.Severity != Info || c.Role != Risk) {
			t.Errorf("busy CPU on a healthy node: %s %s", c.Severity, c.Role)
		}
	}
	if d.Alarm() != NoAlarm {
		t.Errorf("alarm %v on a healthy busy node: %v", d.Alarm(), causeIDs(d))
	}
	d = Diagnose(mod(busy, onNode(notReady("PLEG is not healthy: pleg was last seen active 3m5s ago; threshold is 3m0s", 4*time.Minute))))
	for _, c := range d.Causes {
		if c.ID == "node-overload" && c.Severity != Warning {
			t.Errorf("busy CPU on a NotReady node: %s, want warning", c.Severity)
		}
	}
}
