package diagnose

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

func TestKnownBugVersion(t *testing.T) {
	const (
		deadlock = "before 1.14 the PLEG relist can deadlock (kubernetes#72482, fixed by kubernetes#72709)"
		psLock   = "docker ps takes every container's lock"
		shim1    = "Docker 18.06 and 18.09.0 ship containerd 1.1/1.2.0, whose shim hangs"
		rc93     = "containerd.io 1.4.4 ships runc 1.0.0-rc93"
		cni      = "dockershim before 1.17 waits without limit on a CNI call"
		ttrpc    = "(containerd/ttrpc#168, fixed in 1.7.17)"
	)
	versions := func(k, r string) func(*snapshot.Snapshot) { return onNode(withVersions(k, r)) }
	kernel := func(v string) func(*snapshot.Snapshot) {
		return onNode(func(n *corev1.Node) { n.Status.NodeInfo.KernelVersion = v })
	}
	runRule(t, knownBugVersion, []ruleCase{
		{name: "healthy", snap: healthy()},
		{name: "no node, no metrics", snap: mod(func(s *snapshot.Snapshot) { s.Node, s.Metrics = nil, nil })},
		{name: "v1.28 on containerd 1.7.20", snap: mod(versions("v1.28.3", "containerd://1.7.20"))},
		{
			name: "containerd 1.7.13",
			snap: mod(versions("v1.28.3", "containerd://1.7.13")),
			want: &want{sev: Warning, conf: High, evidence: []string{"runtime containerd://1.7.13: ", ttrpc}},
		},
		{name: "v1.17.0 on docker 18.09.1", snap: mod(versions("v1.17.0", "docker://18.9.1"))},
		{
			name: "dockershim of 1.16",
			snap: mod(versions("v1.16.15", "docker://19.3.15")),
			want: &want{sev: Warning, conf: High, evidence: []string{"kubelet v1.16.15: " + cni}},
		},
		{name: "kubelet 1.16 on containerd: no dockershim", snap: mod(versions("v1.16.15", "containerd://1.6.20"))},
		{
			name: "kubelet v1.13.5",
			snap: mod(versions("v1.13.5", "containerd://1.2.13")),
			want: &want{sev: Warning, conf: High, evidence: []string{"kubelet v1.13.5: " + deadlock}},
		},
		{
			name: "provider build of 1.13",
			snap: mod(versions("v1.13.12-gke.25", "containerd://1.2.13")),
			want: &want{sev: Warning, conf: High, evidence: []string{"kubelet v1.13.12-gke.25: " + deadlock}},
		},
		{
			name: "docker 18.06.1-ce",
			snap: mod(versions("v1.17.17", "docker://18.06.1-ce")),
			want: &want{sev: Warning, conf: High, evidence: []string{"runtime docker://18.06.1-ce: " + shim1}, notEvidence: []string{"kubelet v1.17.17"}},
		},
		{
			name: "RHEL docker 1.13.1",
			snap: mod(versions("v1.18.20", "docker://1.13.1")),
			want: &want{sev: Warning, conf: High, evidence: []string{"runtime docker://1.13.1: " + psLock}},
		},
		{name: "docker 18.09.9", snap: mod(versions("v1.18.20", "docker://18.9.9"))},
		{
			name: "docker 20.10.6 ships runc rc93",
			snap: mod(versions("v1.21.14", "docker://20.10.6")),
			want: &want{sev: Warning, conf: High, evidence: []string{"runtime docker://20.10.6: Docker 20.10.5 and 20.10.6 ship runc 1.0.0-rc93"}},
		},
		{
			name: "containerd 1.4.4",
			snap: mod(versions("v1.20.15", "containerd://1.4.4")),
			want: &want{sev: Warning, conf: High, evidence: []string{"runtime containerd://1.4.4: " + rc93}},
		},
		{name: "containerd 1.4.3", snap: mod(versions("v1.20.15", "containerd://1.4.3"))},
		{name: "containerd 1.4.5", snap: mod(versions("v1.20.15", "containerd://1.4.5"))},
		{name: "Debian's containerd 1.6.20", snap: mod(versions("v1.36.3", "containerd://1.6.20~ds1"))},
		{
			name: "containerd 1.6.24",
			snap: mod(versions("v1.28.3", "containerd://1.6.24")),
			want: &want{sev: Warning, conf: High, evidence: []string{"runtime containerd://1.6.24: the runc shim deadlocks"}},
		},
		{name: "containerd 1.6.25", snap: mod(versions("v1.28.3", "containerd://1.6.25"))},
		{name: "containerd 2.4.2", snap: mod(versions("v1.36.3", "containerd://2.4.2"))},
		{name: "Debian's Docker 20.10.24 on dockershim 1.23", snap: mod(versions("v1.23.17", "docker://20.10.24+dfsg1"))},
		{name: "kernel 6.18", snap: mod(kernel("6.18.44-fc-v1147"))},
		{name: "cri-o 1.13", snap: mod(versions("v1.20.15", "cri-o://1.13.0"))},
		{
			name: "old kubelet and old docker",
			snap: mod(versions("v1.13.5", "docker://18.06.1-ce")),
			want: &want{sev: Warning, conf: High, evidence: []string{"kubelet v1.13.5: " + deadlock, "kubelet v1.13.5: " + cni, "runtime docker://18.06.1-ce: " + shim1}},
		},
		{
			name: "no node: version from kubernetes_build_info",
			snap: mod(func(s *snapshot.Snapshot) { s.Node, s.Metrics.GitVersion = nil, "v1.12.10" }),
			want: &want{sev: Warning, conf: High, evidence: []string{"kubelet v1.12.10: " + deadlock}},
		},
		{
			name: "Amazon Linux 2 kernel 5.4.217",
			snap: mod(kernel("5.4.217-126.408.amzn2.x86_64")),
			want: &want{sev: Warning, conf: High, evidence: []string{"kernel 5.4.217-126.408.amzn2.x86_64: every docker command", "amazon-eks-ami#1071"}},
		},
		{name: "Amazon Linux 2 kernel 5.4.219 (fixed)", snap: mod(kernel("5.4.219-126.411.amzn2.x86_64"))},
		{name: "Amazon Linux 2 kernel 5.4.209 (before)", snap: mod(kernel("5.4.209-116.367.amzn2.x86_64"))},
		{name: "the same numbers on another distribution", snap: mod(kernel("5.4.217-126.408.el8.x86_64"))},
		{name: "unparseable versions", snap: mod(versions("unknown", "docker://unknown"))},
	})
}

// A deadlock-prone kubelet whose relist is stale is that stall's root cause.
func TestKnownBugVersionPromotedWhenPLEGStale(t *testing.T) {
	f := knownBugVersion(mod(onNode(withVersions("v1.13.5", "docker://18.9.9"), notReady(plegStale16m, 13*time.Minute))))
	if f == nil || f.Role != RootCause || f.Severity != Critical || !strings.Contains(strings.Join(f.Evidence, "\n"), "kubelet v1.13.5: before 1.14") {
		t.Fatalf("finding %+v, want a critical root cause", f)
	}
	if f := knownBugVersion(mod(onNode(withVersions("v1.13.5", "docker://18.9.9")))); f == nil || f.Role != 0 {
		t.Errorf("without a stale relist the rule's own role applies: %+v", f)
	}
	// Only the kubelet deadlock is promoted: an old runtime alone stays a risk.
	if f := knownBugVersion(mod(onNode(withVersions("v1.30.4", "docker://18.06.1-ce"), notReady(plegStale16m, 13*time.Minute)))); f == nil || f.Role != 0 || f.Severity != Warning {
		t.Errorf("old runtime with a stale relist: %+v", f)
	}
}

func TestKnownBugVersionRemediation(t *testing.T) {
	f := knownBugVersion(mod(onNode(withVersions("v1.13.5", "docker://18.06.1-ce"))))
	if f == nil {
		t.Fatal("did not fire")
	}
	want := []string{
		"upgrade Kubernetes to a supported release, draining the node first",
		"upgrade docker to a current release, draining the node first",
	}
	if got := stepsText(f); got != strings.Join(want, "\n") {
		t.Errorf("remediation %q, want %q", got, want)
	}
}

func TestNoNodeMonitoring(t *testing.T) {
	const noAgent = "no node-problem-detector, node-exporter or similar agent runs on the node, and no node-problem-detector conditions are set"
	withoutAgent := func(s *snapshot.Snapshot) { s.Pods = pods(20) }
	agent := func(p snapshot.Pod) func(*snapshot.Snapshot) {
		return func(s *snapshot.Snapshot) { s.Pods = append(pods(20), p) }
	}
	runRule(t, noNodeMonitoring, []ruleCase{
		{name: "healthy: node-problem-detector pod", snap: healthy()},
		{
			name: "no agent, no NPD condition",
			snap: mod(withoutAgent),
			want: &want{sev: Info, conf: Medium, evidence: []string{noAgent}},
		},
		{
			name: "NPD condition without its pod",
			snap: mod(withoutAgent, onNode(withCondition("KernelDeadlock", corev1.ConditionFalse, "KernelHasNoDeadlock", "kernel has no deadlock", 24*time.Hour))),
		},
		{
			name: "an unrelated custom condition",
			snap: mod(withoutAgent, onNode(withCondition("GPUHealthy", corev1.ConditionTrue, "Ok", "", 24*time.Hour))),
			want: &want{sev: Info, conf: Medium, evidence: []string{noAgent}},
		},
		{
			name: "node-exporter known by its image",
			snap: mod(agent(snapshot.Pod{Namespace: "monitoring", Name: "prom-agent-x", Phase: corev1.PodRunning, Images: []string{"quay.io/prometheus/node-exporter:v1.8.2"}})),
		},
		{
			name: "datadog known by its app label",
			snap: mod(agent(snapshot.Pod{Namespace: "monitoring", Name: "dd-7xk2", Phase: corev1.PodRunning, App: "datadog-agent"})),
		},
		{name: "pods forbidden", snap: mod(withoutAgent, func(s *snapshot.Snapshot) { setSource(s, snapshot.SourcePods, snapshot.StatusForbidden, "forbidden") })},
		{name: "pods not collected", snap: mod(withoutAgent, func(s *snapshot.Snapshot) { s.Sources = s.Sources[:2] })},
		{name: "no node", snap: mod(withoutAgent, func(s *snapshot.Snapshot) { s.Node = nil })},
	})
}

// An evicted node-problem-detector pod watches nothing.
func TestNoNodeMonitoringIgnoresFinishedAgents(t *testing.T) {
	evicted := npdPod
	evicted.Phase = corev1.PodFailed
	s := mod(func(s *snapshot.Snapshot) { s.Pods = append(pods(20), evicted) })
	assertFinding(t, noNodeMonitoring(s), &want{sev: Info, conf: Medium, evidence: []string{"no node-problem-detector"}})
}

// A runc bug is known by the runtime release that shipped that runc: the
// step has the person check which runc the node runs before upgrading.
func TestKnownBugVersionChecksRunc(t *testing.T) {
	f := knownBugVersion(mod(onNode(withVersions("v1.21.14", "containerd://1.4.4"))))
	if f == nil || !strings.Contains(stepsText(f), "runc --version") {
		t.Fatalf("containerd 1.4.4: %+v, want a runc --version step", f)
	}
}
