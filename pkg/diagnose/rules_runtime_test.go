package diagnose

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

const refused = "error trying to reach service: dial tcp 10.0.0.3:10250: connect: connection refused"

// kubeletSourcesStatus sets every source read from the kubelet to status.
func kubeletSourcesStatus(status snapshot.SourceStatus, reason string) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) {
		for _, n := range kubeletSources {
			setSource(s, n, status, reason)
		}
		s.Metrics, s.Stats, s.Config, s.Healthz = nil, nil, nil, nil
	}
}

func heartbeat(d time.Duration) nodeOpt {
	return func(n *corev1.Node) {
		for i := range n.Status.Conditions {
			if n.Status.Conditions[i].Type == corev1.NodeReady {
				n.Status.Conditions[i].LastHeartbeatTime = metav1.NewTime(ago(d))
			}
		}
	}
}

func TestKubeletDown(t *testing.T) {
	runRule(t, kubeletDown, []ruleCase{
		{name: "healthy", snap: healthy()},
		{name: "no data at all", snap: &snapshot.Snapshot{NodeName: "worker-3", CollectedAt: now}},
		{
			name: "Ready=Unknown",
			snap: mod(onNode(withReady(corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status.", 5*time.Minute), heartbeat(5*time.Minute+40*time.Second))),
			want: &want{sev: Critical, conf: High, evidence: []string{
				"Ready=Unknown since 5m ago", "NodeStatusUnknown: Kubelet stopped posting node status.", "last kubelet heartbeat 5m40s ago",
			}},
		},
		{
			name: "Ready=Unknown and kubelet unreachable",
			snap: mod(onNode(withReady(corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status.", 5*time.Minute)),
				kubeletSourcesStatus(snapshot.StatusUnavailable, refused)),
			want: &want{sev: Critical, conf: High, evidence: []string{"Ready=Unknown since 5m ago", "kubelet not reachable through the API server: " + refused}},
		},
		{
			name: "Ready=True but every kubelet source unreachable",
			snap: mod(kubeletSourcesStatus(snapshot.StatusUnavailable, refused)),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"kubelet not reachable through the API server: " + refused}},
		},
		{
			name: "timeouts count as unreachable",
			snap: mod(kubeletSourcesStatus(snapshot.StatusTimeout, "timed out after 10s")),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"timed out after 10s"}},
		},
		{
			name: "one kubelet source answered",
			snap: mod(kubeletSourcesStatus(snapshot.StatusUnavailable, refused), func(s *snapshot.Snapshot) {
				setSource(s, snapshot.SourceConfigz, snapshot.StatusOK, "")
			}),
		},
		{
			// Metrics from a Prometheus are not the kubelet answering.
			name: "every kubelet source unreachable, the metrics read from Prometheus",
			snap: mod(kubeletSourcesStatus(snapshot.StatusUnavailable, refused), func(s *snapshot.Snapshot) {
				for i := range s.Sources {
					if s.Sources[i].Name == snapshot.SourceMetrics {
						s.Sources[i] = snapshot.Source{Name: snapshot.SourceMetrics, Status: snapshot.StatusOK, Fallback: true, Detail: "Prometheus http://prom:9090, series {node=\"worker-3\"}"}
					}
				}
			}),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"kubelet not reachable through the API server: " + refused}},
		},
		{
			name: "forbidden is missing data, not a dead kubelet",
			snap: mod(kubeletSourcesStatus(snapshot.StatusForbidden, `nodes "worker-3" is forbidden: User "u" cannot get resource "nodes/proxy"`)),
		},
		{
			name: "kubelet sources never collected",
			snap: mod(func(s *snapshot.Snapshot) { s.Sources = s.Sources[:3] }),
		},
		{
			name: "healthz failing a check of the kubelet itself",
			snap: mod(func(s *snapshot.Snapshot) {
				s.Healthz = &snapshot.Healthz{OK: false, Body: "[+]ping ok\n[-]log failed: reason withheld"}
			}),
			want: &want{sev: Warning, conf: High, evidence: []string{"kubelet /healthz failing: [+]ping ok"}},
		},
		{
			// The kubelet answered: a stalled sync loop is PLEG's symptom
			// (pleg-relist-stalled), not a dead kubelet.
			name: "healthz failing only syncloop",
			snap: mod(func(s *snapshot.Snapshot) {
				s.Healthz = &snapshot.Healthz{OK: false, Body: "[+]ping ok\n[-]syncloop failed: reason withheld"}
			}),
		},
		{
			name: "a controller's log: the kubelet stopped posting status and never came back",
			snap: &snapshot.Snapshot{NodeName: "worker-3", CollectedAt: now, KubeletLog: scan(
				klog('I', ago(10*time.Minute), `node_lifecycle_controller.go:1050] "Node became unreachable" node="worker-3"`),
				klog('I', ago(10*time.Minute), `controller_utils.go:121] "Update ready status of pods on node" node="worker-3" message="Kubelet stopped posting node status."`),
				klog('I', ago(5*time.Minute), `node_lifecycle_controller.go:1163] "Node is not ready" node="worker-3" reason="NodeStatusUnknown"`),
			)},
			want: &want{sev: Critical, conf: Medium, evidence: []string{`2× "Kubelet stopped posting node status" in log`, "the log ends with it"}},
		},
	})
}

func TestRuntimeDown(t *testing.T) {
	const (
		downComma  = "container runtime is down,PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s"
		dockerDown = "container runtime not ready: RuntimeReady=false reason:DockerDaemonNotReady message:docker: failed to get docker version: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
		pending    = "container runtime status check may not have completed yet"
	)
	gcEvent := func(last time.Duration, count int32) func(*snapshot.Snapshot) {
		return func(s *snapshot.Snapshot) {
			s.Events = append(s.Events, snapshot.Event{
				Type: "Warning", Reason: "ContainerGCFailed", Count: count, Source: "kubelet",
				Message: "rpc error: code = Unknown desc = Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
				First:   ago(last + 27*time.Minute), Last: ago(last),
			})
		}
	}
	resets := func(n int) func(*snapshot.Snapshot) {
		return kubeletLog(klines(n, func(int) string { return runtimeResetLog })...)
	}
	runRule(t, runtimeDown, []ruleCase{
		{name: "healthy", snap: healthy()},
		{name: "no data at all", snap: &snapshot.Snapshot{NodeName: "worker-3", CollectedAt: now}},
		{
			name: "Ready=False old comma-joined message",
			snap: mod(onNode(notReady(downComma, 4*time.Minute))),
			want: &want{sev: Critical, conf: High, evidence: []string{"Ready=False", "4m", downComma}},
		},
		{
			name: "Ready=False bracketed message",
			snap: mod(onNode(notReady("[container runtime is down, PLEG is not healthy: pleg was last seen active 16h17m4.1s ago; threshold is 3m0s]", 16*time.Hour))),
			want: &want{sev: Critical, conf: High, evidence: []string{"16h", "[container runtime is down, PLEG"}},
		},
		{
			name: "docker daemon not ready",
			snap: mod(onNode(notReady(dockerDown, 2*time.Minute), withVersions("v1.19.16", "docker://19.3.15"))),
			want: &want{sev: Critical, conf: High, evidence: []string{"Cannot connect to the Docker daemon"}},
		},
		{
			name: "runtime status pending beyond the startup grace",
			snap: mod(onNode(notReady(pending, 10*time.Minute))),
			want: &want{sev: Critical, conf: Medium, evidence: []string{"runtime status check has not completed for 10m", pending}},
		},
		{name: "runtime status pending within the startup grace", snap: mod(onNode(notReady(pending, 2*time.Minute)))},
		{
			name: "PLEG alone is not runtime-down",
			snap: mod(onNode(notReady("PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s", 4*time.Minute))),
		},
		{
			name: "3 runtime connection failures in the kubelet log",
			snap: mod(resets(3)),
			want: &want{sev: Warning, conf: Medium, evidence: []string{
				"3× runtime connection failure in kubelet log (first 08:58:40Z, last 08:59:00Z, 1m ago)", "latest: ", "error reading from server",
			}},
		},
		// Two failures in an hour of healthy log are noise; the same two as
		// the whole of a pasted excerpt are what it is about.
		{name: "2 runtime connection failures in an hour of log", snap: mod(kubeletLog(inAnHourOfLog(klines(2, func(int) string { return runtimeResetLog })...)...))},
		{
			name: "2 runtime connection failures are a whole excerpt",
			snap: mod(resets(2)),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"2× runtime connection failure in kubelet log", "the log ends with it"}},
		},
		{
			name: "runtime log failures",
			snap: mod(func(s *snapshot.Snapshot) {
				s.RuntimeLog = &kubelet.LogSummary{Signals: map[kubelet.Signal]*kubelet.SignalStats{
					kubelet.RuntimeDown: {Count: 4, First: ago(20 * time.Minute), Last: ago(2 * time.Minute)},
				}}
			}),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"4× runtime connection failure in runtime log (first 08:40:00Z, last 08:58:00Z, 2m ago)"}},
		},
		{
			name: "GC failure events back a firing rule",
			snap: mod(onNode(notReady(dockerDown, 30*time.Minute)), gcEvent(time.Minute, 543)),
			want: &want{sev: Critical, conf: High, evidence: []string{"543× GC failures naming the runtime unreachable in events (first 08:32:00Z, last 08:59:00Z)"}},
		},
		{
			name: "GC failure events older than the log window are left out",
			snap: mod(onNode(notReady(dockerDown, 30*time.Minute)), gcEvent(3*time.Hour, 543)),
			want: &want{sev: Critical, conf: High, notEvidence: []string{"GC failures"}},
		},
		{
			// The kubelet's GC calls the runtime: failing on "Cannot
			// connect" for 27h is the runtime down, seen from events alone.
			name: "GC failure events alone",
			snap: mod(gcEvent(time.Minute, 543)),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"543× GC failures naming the runtime unreachable in events"}},
		},
	})
}

// An image GC failure for want of disk space says nothing about the runtime.
func TestRuntimeDownGCEventsNameTheRuntime(t *testing.T) {
	s := mod(onNode(notReady("container runtime is down", 4*time.Minute)), func(s *snapshot.Snapshot) {
		s.Events = []snapshot.Event{{
			Type: "Warning", Reason: "ImageGCFailed", Count: 12, First: ago(50 * time.Minute), Last: ago(5 * time.Minute),
			Message: "failed to garbage collect required amount of images. Wanted to free 5368709120 bytes, but freed 0 bytes",
		}}
	})
	assertFinding(t, runtimeDown(s), &want{sev: Critical, conf: High, notEvidence: []string{"GC failures"}})
}

// The kubelet calls a frozen runtime down as it does a stopped one; its
// log tells them apart: a frozen one's calls time out, a stopped one's
// fail to connect. The frozen one is active in systemctl, so its first step
// times a call (the real captures, testdata/real/*-frozen, are checked in
// internal/offline).
func TestRuntimeDownTellsHungFromStopped(t *testing.T) {
	for _, tc := range []struct {
		name, line, answer, first string
	}{
		{"frozen: calls time out", listContainersTimeout, "containerd hangs: the kubelet has called it down for 4m", "time crictl ps"},
		{"stopped: connections fail", runtimeResetLog, "containerd is down: the kubelet has said so for 4m", "systemctl status containerd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := tc.line
			s := mod(onNode(notReady("container runtime is down", 4*time.Minute)),
				kubeletLog(klines(6, func(int) string { return line })...))
			f := runtimeDown(s)
			if f == nil {
				t.Fatal("did not fire")
			}
			if !strings.HasPrefix(f.Answer, tc.answer) {
				t.Errorf("answer %q, want it to start %q", f.Answer, tc.answer)
			}
			if len(f.Steps) == 0 || !strings.Contains(f.Steps[0].Run, tc.first) {
				t.Errorf("first step %+v, want %q", f.Steps, tc.first)
			}
		})
	}
}

// The remediation names the node's own runtime; Docker on a kubelet of
// 1.24 or later runs behind cri-dockerd, before it behind dockershim.
func TestRuntimeDownRemediationNamesRuntime(t *testing.T) {
	for _, tc := range []struct{ kubelet, rt, unit string }{
		{"v1.28.3", "docker://20.10.24", "docker cri-docker"}, {"v1.22.17", "docker://20.10.24", "docker"},
		{"v1.28.3", "containerd://1.7.20", "containerd"}, {"v1.28.3", "cri-o://1.28.1", "crio"},
	} {
		rt, unit := tc.rt, tc.unit
		s := mod(onNode(notReady("container runtime is down", 4*time.Minute), withVersions(tc.kubelet, rt)))
		f := runtimeDown(s)
		if f == nil {
			t.Fatalf("%s: did not fire", rt)
		}
		want := "systemctl restart " + unit + " && systemctl restart kubelet"
		if !strings.Contains(stepsText(f), want) {
			t.Errorf("%s: remediation lacks %q: %q", rt, want, stepsText(f))
		}
	}
}

// A kubelet restarted a minute ago on a node NotReady for longer reports
// "status check may not have completed yet": that is the restart, not a
// runtime that has been down for the whole NotReady spell.
func TestRuntimeDownPendingAfterKubeletRestart(t *testing.T) {
	s := mod(
		onNode(notReady("container runtime status check may not have completed yet", 40*time.Minute)),
		kubeletLog(jline(ago(time.Minute), "kubelet", klog('I', ago(time.Minute), startLog))),
	)
	assertFinding(t, runtimeDown(s), nil)
	assertFinding(t, startupTransient(s), &want{sev: Info, conf: High, evidence: []string{"kubelet started 1m ago"}})
}

func TestRuntimeUnresponsive(t *testing.T) {
	lists := func(n int) []string { return klines(n, func(int) string { return listContainersTimeout }) }
	plegDown := onNode(notReady("PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s", 4*time.Minute))
	runRule(t, runtimeUnresponsive, []ruleCase{
		{name: "healthy", snap: healthy()},
		{name: "no log, no metrics", snap: mod(func(s *snapshot.Snapshot) { s.KubeletLog, s.Metrics = nil, nil })},
		{name: "2 timeouts in an hour of log", snap: mod(kubeletLog(inAnHourOfLog(lists(2)...)...))},
		{
			name: "2 timeouts are a whole excerpt",
			snap: mod(kubeletLog(lists(2)...)),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"2× runtime call timeout (DeadlineExceeded) in kubelet log", "; by call: ListContainers 2"}},
		},
		{
			name: "3 timeouts",
			snap: mod(kubeletLog(lists(3)...)),
			want: &want{sev: Warning, conf: Medium, evidence: []string{
				"3× runtime call timeout (DeadlineExceeded) in kubelet log (first 08:58:40Z, last 08:59:00Z, 1m ago); by call: ListContainers 3",
				"latest: ", "context deadline exceeded",
			}},
		},
		{
			name: "9 timeouts",
			snap: mod(kubeletLog(lists(9)...)),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"9× runtime call timeout (DeadlineExceeded) in kubelet log", "by call: ListContainers 9"}},
		},
		{
			name: "3 timeouts while PLEG is stale",
			snap: mod(kubeletLog(lists(3)...), plegDown),
			want: &want{sev: Critical, conf: Medium, evidence: []string{"3× runtime call timeout"}},
		},
		{
			name: "3 timeouts while the PLEG metric is stale",
			snap: mod(kubeletLog(lists(3)...), func(s *snapshot.Snapshot) { s.Metrics.PLEGLastSeen = ptr(ago(4 * time.Minute)) }),
			want: &want{sev: Critical, conf: Medium, evidence: []string{"3× runtime call timeout"}},
		},
		{
			name: "3 timeouts, PLEG metric at the threshold",
			snap: mod(kubeletLog(lists(3)...), func(s *snapshot.Snapshot) { s.Metrics.PLEGLastSeen = ptr(ago(3 * time.Minute)) }),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"3× runtime call timeout"}},
		},
		{
			name: "10 timeouts",
			snap: mod(kubeletLog(lists(10)...)),
			want: &want{sev: Critical, conf: High, evidence: []string{"10× runtime call timeout (DeadlineExceeded) in kubelet log", "by call: ListContainers 10"}},
		},
		{
			name: "timeouts with failed relists",
			snap: mod(kubeletLog(append(lists(10), kline(ago(30*time.Second), relistFailed), kline(ago(20*time.Second), relistFailed))...)),
			want: &want{sev: Critical, conf: High, evidence: []string{
				"12× runtime call timeout (DeadlineExceeded) in kubelet log", "; 10 of them name the call: ListContainers 10",
				`2× "GenericPLEG: Unable to retrieve pods" in kubelet log (first 08:59:30Z, last 08:59:40Z, 20s ago)`,
			}},
		},
		{
			name: "docker-era timeout counter",
			snap: mod(func(s *snapshot.Snapshot) {
				s.Metrics.Operations = map[string]*kubelet.RuntimeOperation{
					"list_containers": {Total: 5000, Timeouts: 3}, "inspect_container": {Total: 900, Timeouts: 1},
				}
			}),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"kubelet_docker_operations_timeout: 4 since kubelet start"}},
		},
		{
			name: "one container behind every timeout",
			snap: mod(kubeletLog(klines(10, func(int) string { return containerStatusTimeout(cid(1)) })...)),
			want: &want{sev: Critical, conf: Medium, evidence: []string{
				"10× runtime call timeout (DeadlineExceeded) in kubelet log", "by call: ContainerStatus 10",
				"100% of the timeouts are about one container 0001e3b0c442, named or through its pod (see stuck-container)",
			}},
		},
		{
			name: "timeouts spread over many containers",
			snap: mod(kubeletLog(klines(10, func(i int) string { return containerStatusTimeout(cid(i)) })...)),
			want: &want{sev: Critical, conf: High, notEvidence: []string{"see stuck-container"}},
		},
	})
}

// Three timeouts on one container among twenty ListContainers timeouts are
// not "100% of the timeouts": the runtime as a whole hangs.
func TestRuntimeUnresponsiveDominantShareCountsAllTimeouts(t *testing.T) {
	lines := klines(20, func(int) string { return listContainersTimeout })
	lines = append(lines, klines(3, func(int) string { return containerStatusTimeout(cid(1)) })...)
	s := mod(kubeletLog(lines...))
	assertFinding(t, runtimeUnresponsive(s), &want{sev: Critical, conf: High,
		evidence:    []string{"23× runtime call timeout (DeadlineExceeded) in kubelet log", "by call: ListContainers 20, ContainerStatus 3"},
		notEvidence: []string{"100% of the timeouts"},
	})
	d := Diagnose(s)
	if len(d.Causes) == 0 || d.Causes[0].ID != "runtime-unresponsive" {
		t.Errorf("first cause = %v, want runtime-unresponsive", causeIDs(d))
	}
}

func TestStuckContainer(t *testing.T) {
	owned := func(s *snapshot.Snapshot) {
		s.Pods[1].ContainerIDs = []string{cid(1)}
		s.Pods[1].Name = "nfs-writer-7d9f"
	}
	times := func(counts ...int) func(*snapshot.Snapshot) {
		var lines []string
		for id, n := range counts {
			lines = append(lines, klines(n, func(int) string { return containerStatusTimeout(cid(id + 1)) })...)
		}
		return kubeletLog(lines...)
	}
	runRule(t, stuckContainer, []ruleCase{
		{name: "healthy", snap: healthy()},
		{name: "no kubelet log", snap: mod(func(s *snapshot.Snapshot) { s.KubeletLog = nil })},
		{name: "timeouts without container IDs", snap: mod(kubeletLog(klines(20, func(int) string { return listContainersTimeout })...))},
		{name: "one container twice", snap: mod(times(2))},
		{
			name: "one container three times, pod known",
			snap: mod(times(3), owned),
			want: &want{sev: Critical, conf: High, evidence: []string{
				"container 0001e3b0c442 timed out 3× in the kubelet log — pod shop/nfs-writer-7d9f", "latest: ",
			}},
		},
		{
			name: "one dominant container among stray ones",
			snap: mod(times(8, 1, 1)),
			want: &want{sev: Critical, conf: High, evidence: []string{"0001e3b0c442 timed out 8×"}, notEvidence: []string{"container 0002e3b0c442 ", "container 0003e3b0c442 ", " — pod "}},
		},
		{
			name: "two containers share the timeouts",
			snap: mod(times(5, 5)),
			want: &want{sev: Critical, conf: Medium, evidence: []string{"0001e3b0c442 timed out 5×", "0002e3b0c442 timed out 5×"}},
		},
		{name: "many containers time out alike", snap: mod(times(3, 3, 3, 3, 3))},
		{name: "four containers time out alike", snap: mod(times(3, 3, 3, 3))},
		{
			name: "many containers, one dominant (20 of 32: above DominantShare)",
			snap: mod(times(20, 3, 3, 3, 3)),
			want: &want{sev: Critical, conf: High, evidence: []string{"0001e3b0c442 timed out 20×"}, notEvidence: []string{"container 0005e3b0c442 "}},
		},
	})
}

// A kubelet names a hung container in its own call's line, and its pod
// alone in "Error syncing pod" after each one (kubelet 1.23 on the lab's
// Docker node whose shim was frozen): those lines are about the container
// too, so it, not the runtime as a whole, comes first.
func TestStuckContainerCountsItsPodsSyncFailures(t *testing.T) {
	id := cid(1)
	kill := fmt.Sprintf(`kuberuntime_container.go:753] "Kill container failed" err="rpc error: code = Unknown desc = operation timeout: context deadline exceeded" pod="shop/app-1" podUID=f8396783 containerName="app" containerID={Type:docker ID:%s}`, id)
	sync := `pod_workers.go:965] "Error syncing pod, skipping" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" pod="shop/app-1" podUID=f8396783`
	lines := klines(1, func(int) string { return kill })
	lines = append(lines, klines(3, func(int) string { return containerStatusTimeout(id) })...)
	lines = append(lines, klines(12, func(int) string { return sync })...)
	s := mod(kubeletLog(lines...), onNode(withVersions("v1.23.17", "docker://20.10.24")))
	assertFinding(t, stuckContainer(s), &want{sev: Critical, conf: High, evidence: []string{
		"container 0001e3b0c442 timed out 4× in the kubelet log — pod shop/app-1",
		"12× more timeouts name only its pod, the kubelet's sync of that pod failing: 100% of the runtime timeouts are about this one container",
	}})
	assertFinding(t, runtimeUnresponsive(s), &want{sev: Critical, conf: Medium, evidence: []string{
		"100% of the timeouts are about one container 0001e3b0c442, named or through its pod",
	}})
	d := Diagnose(s)
	if len(d.Causes) == 0 || d.Causes[0].ID != CauseStuckContainer {
		t.Errorf("first cause = %v, want stuck-container", causeIDs(d))
	}
	// The same pod's sync failures with no container of it named are the
	// runtime's: nothing says which container blocks.
	s = mod(kubeletLog(klines(12, func(int) string { return sync })...))
	if f := stuckContainer(s); f != nil {
		t.Errorf("stuck-container from pod lines alone: %v", f.Evidence)
	}
}

func TestStuckContainerRemediationNamesPod(t *testing.T) {
	s := mod(kubeletLog(klines(4, func(int) string { return containerStatusTimeout(cid(1)) })...), func(s *snapshot.Snapshot) {
		s.Pods[1].ContainerIDs = []string{cid(1)}
	})
	f := stuckContainer(s)
	if f == nil {
		t.Fatal("did not fire")
	}
	rem := stepsText(f)
	for _, w := range []string{"crictl inspect " + cid(1), "grep " + cid(1)[:12], "kubectl -n shop delete pod app-1 --grace-period=0 --force"} {
		if !strings.Contains(rem, w) {
			t.Errorf("remediation lacks %q:\n%s", w, rem)
		}
	}
}

func TestCNINotReady(t *testing.T) {
	const cniMsg = "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"
	sandbox := func(sandboxTimeouts, listTimeouts int) func(*snapshot.Snapshot) {
		lines := klines(sandboxTimeouts, func(i int) string { return sandboxStatusTimeout(cid(i)) })
		lines = append(lines, klines(listTimeouts, func(int) string { return listContainersTimeout })...)
		return kubeletLog(lines...)
	}
	runRule(t, cniNotReady, []ruleCase{
		{name: "healthy", snap: healthy()},
		{
			name: "healthy with NetworkUnavailable=False",
			snap: mod(onNode(withCondition(corev1.NodeNetworkUnavailable, corev1.ConditionFalse, "CalicoIsUp", "Calico is running on this node", time.Hour))),
		},
		{name: "no data at all", snap: &snapshot.Snapshot{NodeName: "worker-3", CollectedAt: now}},
		{
			name: "Ready=False network not ready",
			snap: mod(onNode(notReady(cniMsg, 7*time.Minute))),
			want: &want{sev: Critical, conf: High, evidence: []string{"7m", "cni plugin not initialized"}},
		},
		{
			name: "older message form",
			snap: mod(onNode(notReady("runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:docker: network plugin is not ready: cni config uninitialized", 7*time.Minute))),
			want: &want{sev: Critical, conf: High, evidence: []string{"cni config uninitialized"}},
		},
		{
			name: "NetworkUnavailable=True",
			snap: mod(onNode(withCondition(corev1.NodeNetworkUnavailable, corev1.ConditionTrue, "NoRouteCreated", "Node created without a route", time.Hour))),
			want: &want{sev: Critical, conf: High, evidence: []string{"NetworkUnavailable=True (NoRouteCreated: Node created without a route)"}},
		},
		{
			name: "kubelet log only",
			snap: mod(kubeletLog(klines(2, func(int) string { return networkNotReadyLog })...)),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"2× network-not-ready line in kubelet log", "NetworkPluginNotReady"}},
		},
		{
			name: "sandbox status timeouts are most of the timeouts",
			snap: mod(sandbox(3, 1)),
			want: &want{sev: Warning, conf: Low, evidence: []string{"3× PodSandboxStatus timeouts"}},
		},
		{name: "sandbox status timeouts are half of the timeouts", snap: mod(sandbox(3, 3))},
		{name: "two sandbox status timeouts", snap: mod(sandbox(2, 0))},
	})
}

// How the kubelet's endpoints answered is evidence: /healthz answers from
// memory at once, /metrics and /stats/summary only when their runtime calls
// give up (on a real kubelet with runtimeRequestTimeout 15s, ~15s).
func TestRuntimeEvidenceFromSlowKubeletAnswers(t *testing.T) {
	took := func(name snapshot.SourceName, status snapshot.SourceStatus, d time.Duration, reason string) func(*snapshot.Snapshot) {
		return func(s *snapshot.Snapshot) {
			for i := range s.Sources {
				if s.Sources[i].Name == name {
					s.Sources[i].Status, s.Sources[i].ElapsedMillis, s.Sources[i].Reason = status, d.Milliseconds(), reason
				}
			}
		}
	}
	healthzQuick := took(snapshot.SourceHealthz, snapshot.StatusOK, 20*time.Millisecond, "")
	runRule(t, runtimeUnresponsive, []ruleCase{
		{name: "every answer quick", snap: mod(healthzQuick, took(snapshot.SourceMetrics, snapshot.StatusOK, 80*time.Millisecond, ""))},
		{
			name: "metrics late, healthz at once",
			snap: mod(healthzQuick, took(snapshot.SourceMetrics, snapshot.StatusOK, 15200*time.Millisecond, "")),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"kubelet /metrics answered only after 15.2s while /healthz answered in 20ms"}},
		},
		{
			name: "stats timed out, healthz at once, PLEG stale",
			snap: mod(healthzQuick, took(snapshot.SourceStats, snapshot.StatusTimeout, 30*time.Second, "no answer"),
				onNode(notReady("PLEG is not healthy: pleg was last seen active 3m3s ago; threshold is 3m0s", time.Minute))),
			want: &want{sev: Critical, conf: Medium, evidence: []string{"kubelet /stats/summary gave no answer in 30s"}},
		},
		{
			name: "stats failing on a runtime timeout",
			snap: mod(took(snapshot.SourceStats, snapshot.StatusError, time.Second, `kubelet /stats/summary: an error on the server ("Internal Error: failed to list pod stats: rpc error: code = DeadlineExceeded desc = context deadline exceeded")`)),
			want: &want{sev: Warning, conf: Medium, evidence: []string{"kubelet /stats/summary failed on a runtime error", "DeadlineExceeded"}},
		},
		// A kubelet slow in everything is overloaded or hung itself, not waiting on the runtime.
		{name: "healthz slow too", snap: mod(took(snapshot.SourceHealthz, snapshot.StatusOK, 9*time.Second, ""), took(snapshot.SourceMetrics, snapshot.StatusOK, 15*time.Second, ""))},
	})
	runRule(t, runtimeDown, []ruleCase{{
		name: "stats failing on a refused runtime socket",
		snap: mod(took(snapshot.SourceStats, snapshot.StatusError, time.Second, `kubelet /stats/summary: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: no such file or directory"`)),
		want: &want{sev: Warning, conf: Medium, evidence: []string{"kubelet /stats/summary failed on a runtime error"}},
	}})
}

// The runtime's own log can show one container that would not stop.
func TestUnstoppableContainerFromTheRuntimeLog(t *testing.T) {
	id := cid(7)
	s := mod(func(s *snapshot.Snapshot) {
		s.RuntimeLog = scan(jline(ago(time.Hour), "dockerd", `time="2026-11-27T08:00:00Z" level=info msg="Container `+id+` failed to exit within 30 seconds of signal 15 - using the force"`))
	})
	assertFinding(t, stuckContainer(s), &want{sev: Warning, conf: Low, evidence: []string{"did not stop within its grace period", id[:13]}})
}

// With no Node and no kubelet config, the words of the log name the
// runtime: an old kubelet's "cannot connect to Docker endpoint" is Docker
// through the kubelet itself, not containerd assumed.
func TestRuntimeNamedByTheLogsWords(t *testing.T) {
	for text, want := range map[string]runtimeInfo{
		"Container runtime sanity check failed: docker: failed to get docker version: cannot connect to Docker endpoint":           dockershim,
		`container runtime not ready: RuntimeReady=false reason:DockerDaemonNotReady message:docker: failed to get docker version`: dockershim,
		`failed to connect to cri-dockerd at unix:///run/cri-dockerd.sock`:                                                         criDockerd,
		`PullImage "docker.io/library/nginx:1.25" from image service failed: dial unix /run/containerd/containerd.sock`:            containerd,
	} {
		got, ok := runtimeNamedIn(text, "", healthy())
		if !ok || got != want {
			t.Errorf("%q: %+v (found %v), want %+v", text, got, ok, want)
		}
	}
}

// Timeouts the node recovered from — Ready again after the last one, the
// relist fresh — are the incident before: a warning that says so, not a
// critical runtime on a node that works (seen on the lab's Docker node
// minutes after dockerd was thawed).
func TestRuntimeUnresponsiveRecovered(t *testing.T) {
	lines := klines(12, func(int) string { return listContainersTimeout })
	ready := kline(ago(30*time.Second), `kubelet_node_status.go:724] "Recording event message for node" node="worker-3" event="NodeReady"`)
	f := runtimeUnresponsive(mod(kubeletLog(append(lines, ready)...)))
	if f == nil || f.Severity != Warning || !strings.Contains(strings.Join(f.Evidence, "\n"), "12× runtime call timeout") ||
		!strings.Contains(strings.Join(f.Evidence, "\n"), "then node-ready after it") || !strings.Contains(f.Answer, "and the node recovered") {
		t.Fatalf("recovered: %+v, want a warning that says the node recovered", f)
	}
	if f := runtimeUnresponsive(mod(kubeletLog(lines...))); f == nil || f.Severity != Critical {
		t.Errorf("not recovered: %+v, want critical", f)
	}
}
