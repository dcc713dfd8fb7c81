package diagnose

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// relistDeadlockFixed is the first release with kubernetes#72709 (the relist deadlock fix).
var relistDeadlockFixed = version.MustParseGeneric("1.14.0")

// runtimeBugs lists runtime versions reported upstream to hang PLEG
// (kubernetes#45419 and related); below is a version before which the runtime
// is affected, exact a single bad release.
var runtimeBugs = []struct {
	runtime string
	below   *version.Version
	exact   *version.Version
	why     string
}{
	{runtime: "docker", below: version.MustParseGeneric("18.9.0"), why: "Docker before 18.09 hangs under load (docker ps blocks, relist stalls)"},
	{runtime: "containerd", exact: version.MustParseGeneric("1.4.4"), why: "containerd 1.4.4 has a reported regression that hangs container status calls"},
}

func knownBugVersion(s *snapshot.Snapshot) *Finding {
	f := &Finding{Severity: Warning, Confidence: High, Answer: "the node runs a version with known PLEG hangs"}
	kubeletVersion, runtimeVersion := "", ""
	if s.Node != nil {
		kubeletVersion = s.Node.Status.NodeInfo.KubeletVersion
		runtimeVersion = s.Node.Status.NodeInfo.ContainerRuntimeVersion
	}
	if kubeletVersion == "" && s.Metrics != nil {
		kubeletVersion = s.Metrics.GitVersion
	}
	if v, err := version.ParseGeneric(kubeletVersion); err == nil && v.LessThan(relistDeadlockFixed) {
		f.Evidence = append(f.Evidence, fmt.Sprintf("kubelet %s: before 1.14 the PLEG relist can deadlock (fixed by kubernetes#72709)", kubeletVersion))
		if plegStaleNow(s) {
			// A stale relist on a kubelet with the deadlock is most likely the deadlock.
			f.Severity, f.Role, f.Confidence = Critical, RootCause, Medium
		}
		f.Steps = append(f.Steps, advice("upgrade Kubernetes to a supported release (1.14 or later fixes the relist deadlock)"))
	}
	if name, ver, found := strings.Cut(runtimeVersion, "://"); found {
		v, err := version.ParseGeneric(ver)
		for _, bug := range runtimeBugs {
			if err != nil || name != bug.runtime {
				continue
			}
			if (bug.below != nil && v.LessThan(bug.below)) || (bug.exact != nil && v.EqualTo(bug.exact)) {
				f.Evidence = append(f.Evidence, fmt.Sprintf("runtime %s: %s", runtimeVersion, bug.why))
				f.Steps = append(f.Steps, advice(fmt.Sprintf("upgrade %s to a current release, draining the node first", name)))
			}
		}
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
