package cmd

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-pleg/kubectl-pleg/internal/alerts"
)

// AlertsOptions are the inputs of `kubectl pleg alerts`.
type AlertsOptions struct {
	streams    genericiooptions.IOStreams
	Format     string
	RunbookURL string
}

// NewAlertsOptions returns options with the documented defaults.
func NewAlertsOptions(streams genericiooptions.IOStreams) *AlertsOptions {
	return &AlertsOptions{streams: streams, Format: alerts.FormatPrometheusRule, RunbookURL: alerts.DefaultRunbookURL}
}

// NewAlertsCommand builds `kubectl pleg alerts`.
func NewAlertsCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := NewAlertsOptions(streams)
	c := &cobra.Command{
		Use:   "alerts [-o prometheus-rule|rules-file]",
		Short: "Print Prometheus alerting rules that catch PLEG trouble before a node goes NotReady",
		Long: `Alerts prints ready-to-apply Prometheus alerting rules for what diagnose detects early:
PLEG staleness (time() - kubelet_pleg_last_seen_seconds), relist duration p99, runtime
operation errors and latency, running pods against allocatable pods, exited containers
piling up, and Ready flapping (kube-state-metrics). The thresholds are the constants the
diagnose rules use; each alert links to the runbook and names the command to run next.

The kubelet series must carry a "node" label (kube-prometheus-stack's kubelet
ServiceMonitor adds it), and the density and flapping alerts need kube-state-metrics.

It reads nothing from the cluster.`,
		Example: `  kubectl pleg alerts | kubectl apply -n monitoring -f -      # Prometheus Operator
  kubectl pleg alerts -o rules-file > /etc/prometheus/rules/kubectl-pleg.yaml
  promtool check rules /etc/prometheus/rules/kubectl-pleg.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	c.Flags().StringVarP(&o.Format, "output", "o", o.Format, "output format: "+strings.Join(alerts.Formats, "|"))
	// --format was the flag's first name: kept for scripts, hidden.
	c.Flags().StringVar(&o.Format, "format", o.Format, "output format (an old name of -o)")
	_ = c.Flags().MarkHidden("format")
	completeValues(c, "output", alerts.Formats...)
	completeValues(c, "format", alerts.Formats...)
	c.Flags().StringVar(&o.RunbookURL, "runbook-url", o.RunbookURL, "runbook page the alerts link to (e.g. your own copy of docs/runbook.md)")
	return c
}

// Validate rejects an unknown format before anything is printed.
func (o *AlertsOptions) Validate() error {
	if !slices.Contains(alerts.Formats, o.Format) {
		return fmt.Errorf("unknown format %q: use one of %s", o.Format, strings.Join(alerts.Formats, ", "))
	}
	if o.RunbookURL == "" {
		return fmt.Errorf("--runbook-url must not be empty")
	}
	return nil
}

// Run prints the rules.
func (o *AlertsOptions) Run() error {
	b, err := alerts.Generate(o.Format, alerts.Options{RunbookURL: o.RunbookURL})
	if err != nil {
		return err
	}
	_, err = o.streams.Out.Write(b)
	return err
}
