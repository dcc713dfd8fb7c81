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
		deadlock = "before 1.14 the PLEG relist can deadlock (fixed by kubernetes#72709)"
		oldDock  = "Docker before 18.09 hangs under load"
		ctrd144  = "containerd 1.4.4 has a reported regression"
	)
	versions := func(k, r string) func(*snapshot.Snapshot) { return onNode(withVersions(k, r)) }
	runRule(t, knownBugVersion, []ruleCase{
		{name: "healthy", snap: healthy()},
		{name: "no node, no metrics", snap: mod(func(s *snapshot.Snapshot) { s.Node, s.Metrics = nil, nil })},
		{name: "v1.28 on containerd 1.7", snap: mod(versions("v1.28.3", "containerd://1.7.13"))},
		{name: "v1.14.0 on docker 18.09.0", snap: mod(versions("v1.14.0", "docker://18.9.0"))},
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
			snap: mod(versions("v1.16.15", "docker://18.06.1-ce")),
			want: &want{sev: Warning, conf: High, evidence: []string{"runtime docker://18.06.1-ce: " + oldDock}, notEvidence: []string{"kubelet v1.16.15"}},
		},
		{
			name: "RHEL docker 1.13.1",
			snap: mod(versions("v1.16.15", "docker://1.13.1")),
			want: &want{sev: Warning, conf: High, evidence: []string{"runtime docker://1.13.1: " + oldDock}},
		},
		{name: "docker 18.09.9", snap: mod(versions("v1.16.15", "docker://18.9.9"))},
		{name: "docker 20.10.24", snap: mod(versions("v1.23.17", "docker://20.10.24"))},
		{
			name: "containerd 1.4.4",
			snap: mod(versions("v1.20.15", "containerd://1.4.4")),
			want: &want{sev: Warning, conf: High, evidence: []string{"runtime containerd://1.4.4: " + ctrd144}},
		},
		{name: "containerd 1.4.3", snap: mod(versions("v1.20.15", "containerd://1.4.3"))},
		{name: "containerd 1.4.5", snap: mod(versions("v1.20.15", "containerd://1.4.5"))},
		{name: "cri-o 1.13", snap: mod(versions("v1.20.15", "cri-o://1.13.0"))},
		{
			name: "old kubelet and old docker",
			snap: mod(versions("v1.13.5", "docker://18.06.1-ce")),
			want: &want{sev: Warning, conf: High, evidence: []string{"kubelet v1.13.5: " + deadlock, "runtime docker://18.06.1-ce: " + oldDock}},
		},
		{
			name: "no node: version from kubernetes_build_info",
			snap: mod(func(s *snapshot.Snapshot) { s.Node, s.Metrics.GitVersion = nil, "v1.12.10" }),
			want: &want{sev: Warning, conf: High, evidence: []string{"kubelet v1.12.10: " + deadlock}},
		},
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
		"upgrade Kubernetes to a supported release (1.14 or later fixes the relist deadlock)",
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
