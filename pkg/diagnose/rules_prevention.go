package diagnose

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

func knownBugVersion(s *snapshot.Snapshot) *Finding {
	f := &Finding{Severity: Warning, Confidence: High, Answer: "the node runs a version with known PLEG hangs"}
	var kubeletVersion, runtimeVersion, kernelVersion string
	if s.Node != nil {
		info := s.Node.Status.NodeInfo
		kubeletVersion, runtimeVersion, kernelVersion = info.KubeletVersion, info.ContainerRuntimeVersion, info.KernelVersion
	}
	if kubeletVersion == "" && s.Metrics != nil {
		kubeletVersion = s.Metrics.GitVersion
	}
	if v, err := version.ParseGeneric(kubeletVersion); err == nil && v.LessThan(relistDeadlockFixed) {
		f.Evidence = append(f.Evidence, fmt.Sprintf("kubelet %s: before 1.14 the PLEG relist can deadlock (kubernetes#72482, fixed by kubernetes#72709)", kubeletVersion))
		if plegStaleNow(s) {
			// A stale relist on a kubelet with the deadlock is most likely the deadlock.
			f.Severity, f.Role, f.Confidence = Critical, RootCause, Medium
		}
		f.Steps = append(f.Steps, advice(upgradeAdvice("kubelet")))
	}
	evidence, steps := knownBugsOf(kubeletVersion, runtimeVersion, kernelVersion)
	f.Evidence = append(f.Evidence, evidence...)
	for _, st := range steps {
		f.Steps = appendStep(f.Steps, st)
	}
	if len(f.Evidence) == 0 {
		return nil
	}
	return f
}

// monitoringAgents are names (of pods, apps or images) of agents that watch a
// node's health from the node itself.
var monitoringAgents = []string{
	"node-problem-detector", "node-exporter", "datadog", "newrelic", "dynatrace", "grafana-agent",
	"alloy", "otel-collector", "opentelemetry-collector", "elastic-agent", "metricbeat", "sysdig", "splunk-otel",
}

// npdConditions are the node conditions node-problem-detector maintains.
var npdConditions = []string{
	"KernelDeadlock", "ReadonlyFilesystem", "FrequentKubeletRestart", "FrequentDockerRestart",
	"FrequentContainerdRestart", "CorruptDockerOverlay2",
}

func noNodeMonitoring(s *snapshot.Snapshot) *Finding {
	if !s.Has(snapshot.SourcePods) || s.Node == nil {
		return nil // cannot tell without the pods and conditions
	}
	for _, c := range s.Node.Status.Conditions {
		for _, t := range npdConditions {
			if string(c.Type) == t {
				return nil
			}
		}
	}
	for _, p := range s.RunningPods() {
		text := strings.ToLower(p.Name + " " + p.App + " " + strings.Join(p.Images, " "))
		for _, agent := range monitoringAgents {
			if strings.Contains(text, agent) {
				return nil
			}
		}
	}
	return &Finding{Severity: Info, Confidence: Medium,
		Evidence: []string{"no node-problem-detector, node-exporter or similar agent runs on the node, and no node-problem-detector conditions are set"},
		Answer:   "nothing watches the node for kernel and runtime trouble",
		Steps: []Step{
			advice("deploy node-problem-detector: it turns kernel hangs and runtime trouble into node conditions and events"),
			clusterStep("alert on the kubelet's PLEG metrics before the node goes NotReady", "kubectl pleg alerts > pleg-alerts.yaml"),
		}}
}
