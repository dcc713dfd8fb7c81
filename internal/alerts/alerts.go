// Package alerts generates Prometheus alerting rules for what the diagnose
// rules detect early, so that a node is watched before it goes NotReady. Every
// threshold comes from the pkg/diagnose constants the rules themselves use:
// change a constant there and the alerts follow.
package alerts

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
)

// Output formats.
const (
	// FormatPrometheusRule is a monitoring.coreos.com/v1 PrometheusRule (Prometheus Operator).
	FormatPrometheusRule = "prometheus-rule"
	// FormatRulesFile is a plain Prometheus rules file (rule_files:).
	FormatRulesFile = "rules-file"
)

// Formats lists the output formats, for flag help and validation.
var Formats = []string{FormatPrometheusRule, FormatRulesFile}

// DefaultRunbookURL is docs/runbook.md of the project; its first step runs
// `kubectl pleg diagnose NODE`.
const DefaultRunbookURL = "https://github.com/kubectl-pleg/kubectl-pleg/blob/main/docs/runbook.md"

// GroupName names the rule group (and the PrometheusRule object).
const GroupName = "kubectl-pleg"

// Windows of the rate and change functions. FlapWindow matches diagnose's
// default --since, the window in which FlapsWarning NotReady transitions warn.
const (
	RateWindow   = 5 * time.Minute
	ErrorsWindow = 15 * time.Minute
	FlapWindow   = time.Hour
	// LastSeenWindow is how long the last relist time is remembered for a
	// kubelet that stopped answering.
	LastSeenWindow = time.Hour
)

// longRuntimeOps are CRI operations that legitimately take long (image
// pulls, exec sessions, graceful stops): their latency says nothing about a
// runtime that hangs the relist.
const longRuntimeOps = "pull_image|exec|exec_sync|attach|port_forward|stop_container"

// Rule is one alerting rule, as Prometheus reads it.
type Rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// Group is a rule group.
type Group struct {
	Name  string `json:"name"`
	Rules []Rule `json:"rules"`
}

// RulesFile is a Prometheus rules file.
type RulesFile struct {
	Groups []Group `json:"groups"`
}

// PrometheusRule is the Prometheus Operator's object holding rule groups.
type PrometheusRule struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   ruleMetadata `json:"metadata"`
	Spec       RulesFile    `json:"spec"`
}

type ruleMetadata struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
}

// Options tune the generated rules.
type Options struct {
	// RunbookURL is the runbook page the alerts link to.
	RunbookURL string
}

// num prints a threshold as PromQL reads it: 180, 10, 0.8.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// dur prints a duration as PromQL reads it: 5m, 1h.
func dur(d time.Duration) string { return model.Duration(d).String() }

// Rules returns the alerting rules, most urgent first.
func Rules(opts Options) []Rule {
	runbook := opts.RunbookURL
	if runbook == "" {
		runbook = DefaultRunbookURL
	}
	diagnoseStep := "Run `kubectl pleg diagnose {{ $labels.node }}` for the ranked causes and next steps."
	rule := func(name string, cause diagnose.CauseID, sev diagnose.Severity, expr string, forDur time.Duration, summary, description string) Rule {
		r := Rule{
			Alert: name, Expr: expr,
			Labels: map[string]string{"severity": sev.String(), "pleg_cause": string(cause)},
			Annotations: map[string]string{
				"summary":     summary,
				"description": description + " " + diagnoseStep,
				"runbook_url": runbook + "#1-run-it",
			},
		}
		if forDur > 0 {
			r.For = dur(forDur)
		}
		return r
	}
	plegThreshold := num(diagnose.PLEGThreshold.Seconds())
	relistWarning := num(diagnose.RelistP99Warning.Seconds())
	relistLate := num(diagnose.RelistLateWarning.Seconds())
	// The last relist time seen within LastSeenWindow: a kubelet whose
	// /metrics stopped answering keeps its last value, which would
	// otherwise vanish after Prometheus's 5m lookback and resolve the alert
	// in the middle of the incident. "and up" keeps only kubelets still
	// scraped, answering or not: a node removed (a scale-down) is no alert.
	lastSeenAgo := fmt.Sprintf("time() - last_over_time(kubelet_pleg_last_seen_seconds[%s])", dur(LastSeenWindow))
	// Three NotReady transitions are at least 2×3−1 changes of the Ready=true
	// series (1→0→1→0→1→0).
	flapChanges := strconv.Itoa(2*diagnose.FlapsWarning - 1)
	return []Rule{
		rule("KubeletPLEGStale", diagnose.CausePLEGRelistStalled, diagnose.Critical,
			fmt.Sprintf("(%s > %s) and up", lastSeenAgo, plegThreshold), 0,
			"PLEG on {{ $labels.node }} has not relisted for {{ $value | humanizeDuration }}",
			fmt.Sprintf("The kubelet's pod lifecycle event generator last relisted more than %s ago (threshold %s): the kubelet reports the node NotReady (\"PLEG is not healthy\").",
				dur(diagnose.PLEGThreshold), dur(diagnose.PLEGThreshold))),
		// The early warning. While /metrics answers, judged at the scrape
		// (timestamp()), so a long scrape interval adds no staleness of its
		// own; when it stops answering (a hung runtime holds it ~15s, past
		// the usual 10s scrape timeout), from the last value seen. up shares
		// the gauge's labels (both are the target's), so "and" pairs each
		// kubelet with its own scrape, even behind an API server proxy where
		// every target has the same instance.
		rule("KubeletPLEGRelistLate", diagnose.CausePLEGRelistStalled, diagnose.Warning,
			fmt.Sprintf("timestamp(kubelet_pleg_last_seen_seconds) - kubelet_pleg_last_seen_seconds >= %[1]s or (%[2]s >= %[1]s and (up == 0))", relistLate, lastSeenAgo), 0,
			"PLEG on {{ $labels.node }} has not relisted for {{ $value | humanizeDuration }}",
			fmt.Sprintf("The relist runs every second and has not run for %s or more when the kubelet was last scraped; or the kubelet's /metrics has stopped answering since its last relist (a hung runtime holds it, and so does a kubelet that is down or unreachable: the diagnosis tells which). At %s without a relist the kubelet declares PLEG unhealthy and the node NotReady, unless the runtime answers first. (With the EventedPLEG feature gate on, the relist runs every 5 minutes: drop this rule.)",
				dur(diagnose.RelistLateWarning), dur(diagnose.PLEGThreshold))),
		rule("KubeletPLEGRelistSlow", diagnose.CausePLEGRelistStalled, diagnose.Warning,
			fmt.Sprintf("histogram_quantile(0.99, sum by (node, instance, le) (rate(kubelet_pleg_relist_duration_seconds_bucket[%s]))) >= %s",
				dur(RateWindow), relistWarning), RateWindow,
			"PLEG relist p99 on {{ $labels.node }} is {{ $value | humanizeDuration }}",
			fmt.Sprintf("The relist p99 is at or above %s; at %s without a relist the node goes NotReady.",
				dur(diagnose.RelistP99Warning), dur(diagnose.PLEGThreshold))),
		rule("KubeletRuntimeOperationErrors", diagnose.CauseRuntimeUnresponsive, diagnose.Warning,
			fmt.Sprintf("sum by (node, instance, operation_type) (increase(kubelet_runtime_operations_errors_total[%s])) >= %d",
				dur(ErrorsWindow), diagnose.RuntimeTimeoutsCritical), 0,
			"{{ $value | humanize }} {{ $labels.operation_type }} runtime errors on {{ $labels.node }} in "+dur(ErrorsWindow),
			fmt.Sprintf("The container runtime failed %d or more %s calls in %s: a hung or restarting runtime stalls the relist.",
				diagnose.RuntimeTimeoutsCritical, "{{ $labels.operation_type }}", dur(ErrorsWindow))),
		rule("KubeletRuntimeOperationsSlow", diagnose.CauseRuntimeUnresponsive, diagnose.Warning,
			fmt.Sprintf("histogram_quantile(0.99, sum by (node, instance, operation_type, le) (rate(kubelet_runtime_operations_duration_seconds_bucket{operation_type!~%q}[%s]))) >= %s",
				longRuntimeOps, dur(RateWindow), relistWarning), RateWindow,
			"{{ $labels.operation_type }} p99 on {{ $labels.node }} is {{ $value | humanizeDuration }}",
			fmt.Sprintf("A runtime call the relist depends on takes %s or more at p99, which alone makes the relist slower than its warning line.",
				dur(diagnose.RelistP99Warning))),
		rule("KubeletPodDensityHigh", diagnose.CausePodDensity, diagnose.Warning,
			fmt.Sprintf(`max by (node) (kubelet_running_pods) / max by (node) (kube_node_status_allocatable{resource="pods"}) >= %s`,
				num(diagnose.DensityRatioWarning)), RateWindow,
			"{{ $labels.node }} runs {{ $value | humanizePercentage }} of its allocatable pods",
			fmt.Sprintf("Running pods are at or above %s of the node's allocatable pods; every relist inspects every container, and dense nodes go NotReady first.",
				num(diagnose.DensityRatioWarning*100)+"%")),
		rule("KubeletTooManyPods", diagnose.CausePodDensity, diagnose.Warning,
			fmt.Sprintf("max by (node) (kubelet_running_pods) > %d", diagnose.DensityPodsWarning), RateWindow,
			"{{ $labels.node }} runs {{ $value }} pods",
			fmt.Sprintf("More than %d pods run on the node, the density at which PLEG trouble is commonly reported.", diagnose.DensityPodsWarning)),
		rule("KubeletExitedContainersPiling", diagnose.CausePodDensity, diagnose.Warning,
			fmt.Sprintf(`max by (node) (kubelet_running_containers{container_state="exited"}) >= %d`, diagnose.ExitedContainersWarning), RateWindow,
			"{{ $value }} exited containers on {{ $labels.node }}",
			fmt.Sprintf("%d or more exited containers are kept on the node, and every relist inspects each of them.", diagnose.ExitedContainersWarning)),
		rule("KubeNodeReadyFlapping", diagnose.CauseFlapping, diagnose.Warning,
			fmt.Sprintf(`sum by (node) (changes(kube_node_status_condition{condition="Ready",status="true"}[%s])) >= %s`, dur(FlapWindow), flapChanges), 0,
			"{{ $labels.node }} changed Ready state {{ $value }} times in "+dur(FlapWindow),
			fmt.Sprintf("The node went NotReady about %d or more times in %s (kube-state-metrics).", diagnose.FlapsWarning, dur(FlapWindow))),
	}
}

// Generate renders the rules in format.
func Generate(format string, opts Options) ([]byte, error) {
	file := RulesFile{Groups: []Group{{Name: GroupName, Rules: Rules(opts)}}}
	var doc any
	switch format {
	case FormatRulesFile:
		doc = file
	case FormatPrometheusRule:
		doc = PrometheusRule{
			APIVersion: "monitoring.coreos.com/v1", Kind: "PrometheusRule",
			Metadata: ruleMetadata{Name: GroupName, Labels: map[string]string{"app.kubernetes.io/name": "kubectl-pleg"}},
			Spec:     file,
		}
	default:
		return nil, fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(Formats, ", "))
	}
	return yaml.Marshal(doc)
}
