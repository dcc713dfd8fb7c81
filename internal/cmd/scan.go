package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-pleg/kubectl-pleg/internal/collect"
	"github.com/kubectl-pleg/kubectl-pleg/internal/report"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// clusterScanner reads every node of a cluster; *collect.Collector in production.
type clusterScanner interface {
	Scan(ctx context.Context, opts collect.ScanOptions, each func(*snapshot.Snapshot)) (int, error)
}

// ScanOptions are the inputs of `kubectl pleg scan`.
type ScanOptions struct {
	configFlags *genericclioptions.ConfigFlags
	streams     genericiooptions.IOStreams
	collectFlags
	prometheusFlags

	Selector    string
	Concurrency int
	Deep        bool
	Output      string
	NoHeaders   bool
	SortBy      string

	newCollector collectorFactory
	color        bool
	progress     bool
}

// NewScanOptions returns options with the documented defaults.
func NewScanOptions(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, newCollector collectorFactory) *ScanOptions {
	return &ScanOptions{
		configFlags: configFlags, streams: streams, collectFlags: newCollectFlags(),
		Concurrency: 16, Output: "table", newCollector: newCollector,
	}
}

// NewScanCommand builds `kubectl pleg scan`.
func NewScanCommand(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, newCollector collectorFactory) *cobra.Command {
	o := NewScanOptions(configFlags, streams, newCollector)
	c := &cobra.Command{
		Use:   "scan [-l SELECTOR] [--concurrency N] [--deep]",
		Short: "Rank every node of the cluster by PLEG risk, worst first",
		Long: `Scan diagnoses every node (or those matching -l) with the same rules as diagnose and
prints one row per node, worst first, and a summary line.

Nodes, pods and node events are read with one paginated LIST each, whatever the number of
nodes; then each kubelet's /metrics and /configz (whose feature gates set the PLEG
threshold) are read through the API server's node proxy, --concurrency nodes at a time,
each under --source-timeout. --deep also reads every node's logs, stats and health, as
diagnose does (much slower on a large cluster).
Without --deep the checklist marks the logs as not collected, so log-only causes (runtime
timeouts, stuck containers) show up as PLEG symptoms: run diagnose on the nodes at the top.
An unreachable or forbidden kubelet is listed as such and the scan goes on.

-o json|yaml prints a DiagnosisList with the same per-node schema as diagnose.
Read-only: it never creates, changes or deletes anything.

` + exitCodesHelp + `
The exit code is the worst node's.`,
		Example: `  kubectl pleg scan
  kubectl pleg scan -l node-role.kubernetes.io/worker --concurrency 32
  kubectl pleg scan -o json | jq -r '.items[] | select(.verdict != "healthy") | .node'
  kubectl pleg scan -l topology.kubernetes.io/zone=eu-west-1a --deep`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	f := c.Flags()
	f.StringVarP(&o.Selector, "selector", "l", "", "label selector of the nodes to scan (e.g. node-role.kubernetes.io/worker)")
	f.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "how many kubelets to read at once")
	f.BoolVar(&o.Deep, "deep", false, "also read every node's logs, stats, configz and healthz, as diagnose does")
	f.StringVarP(&o.Output, "output", "o", o.Output, "output format: "+strings.Join(report.Formats, "|")+" (wide: versions and each node's headline)")
	completeValues(c, "output", report.Formats...)
	f.BoolVar(&o.NoHeaders, "no-headers", false, "table: rows only, no header and no summary line (for scripts)")
	f.StringVar(&o.SortBy, "sort-by", "risk", "order of the rows: "+strings.Join(report.ScanSortKeys, "|")+" (risk: worst first)")
	completeValues(c, "sort-by", report.ScanSortKeys...)
	o.collectFlags.addTo(f)
	o.prometheusFlags.addTo(f)
	return c
}

// Complete fills in what the flags leave to derive.
func (o *ScanOptions) Complete() error {
	o.color = colorWanted(o.streams.Out)
	o.progress = isTerminal(o.streams.ErrOut)
	return o.collectFlags.complete()
}

// Validate rejects flags that cannot work, before anything is read.
func (o *ScanOptions) Validate() error {
	if !slices.Contains(report.Formats, o.Output) {
		return fmt.Errorf("unknown output format %q: use one of %s", o.Output, strings.Join(report.Formats, ", "))
	}
	if !slices.Contains(report.ScanSortKeys, o.SortBy) {
		return fmt.Errorf("--sort-by %q: use one of %s", o.SortBy, strings.Join(report.ScanSortKeys, ", "))
	}
	if o.Concurrency < 1 {
		return fmt.Errorf("--concurrency must be at least 1, got %d", o.Concurrency)
	}
	return nil
}

// Run scans, prints the ranked nodes and sets the exit code to the worst node's.
func (o *ScanOptions) Run(ctx context.Context) error {
	scanner, err := connectAs[clusterScanner](o.newCollector, o.configFlags, o.prometheusFlags.with(o.collectFlags.options()), "scan nodes")
	if err != nil {
		return err
	}
	opts := collect.ScanOptions{Selector: o.Selector, Concurrency: o.Concurrency, Deep: o.Deep}
	start := time.Now()
	if o.progress {
		fmt.Fprint(o.streams.ErrOut, "listing nodes, pods and node events…")
		opts.Progress = func(done, total int) {
			fmt.Fprintf(o.streams.ErrOut, "\r\x1b[Kscanned %d/%d nodes (%s)", done, total, time.Since(start).Round(time.Second))
		}
	}
	var rows []report.ScanRow
	// Each snapshot is diagnosed as it arrives and dropped: memory holds the
	// diagnoses, not every node's pods and metrics.
	n, err := scanner.Scan(ctx, opts, func(s *snapshot.Snapshot) {
		rows = append(rows, report.NewScanRow(diagnose.Diagnose(s), s))
	})
	if o.progress {
		fmt.Fprint(o.streams.ErrOut, "\r\x1b[K")
	}
	if err != nil {
		return fmt.Errorf("scanning nodes: %w", err)
	}
	if n == 0 {
		if o.Selector != "" {
			return fmt.Errorf("no node matches -l %q (kubectl get nodes -l %q)", o.Selector, o.Selector)
		}
		return errors.New("the cluster has no nodes")
	}
	report.RankScan(rows)
	report.SortScan(rows, o.SortBy)
	code := ExitOK
	for _, r := range rows {
		code = max(code, exitCodeOf(r.Diagnosis))
	}
	if err := report.RenderScan(o.streams.Out, o.Output, rows, report.Options{Color: o.color, Width: outputWidth(o.streams.Out), NoHeaders: o.NoHeaders}); err != nil {
		return err
	}
	return exitWith(code)
}
