package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/collect"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/report"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/version"
)

// nodeCollector reads one node; *collect.Collector in production.
type nodeCollector interface {
	Collect(ctx context.Context, node string) (*snapshot.Snapshot, error)
}

// collectorFactory builds the collector once the flags are known.
type collectorFactory func(flags *genericclioptions.ConfigFlags, opts collect.Options) (nodeCollector, error)

// DiagnoseOptions are the inputs of `kubectl pleg diagnose`.
type DiagnoseOptions struct {
	configFlags *genericclioptions.ConfigFlags
	streams     genericiooptions.IOStreams
	status      *exitStatus

	Nodes         []string
	Output        string
	Since         time.Duration
	SourceTimeout time.Duration
	MaxLogBytes   string

	maxLogBytes  int64
	newCollector collectorFactory
	color        bool
}

// NewDiagnoseOptions returns options with the documented defaults.
func NewDiagnoseOptions(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, status *exitStatus, newCollector collectorFactory) *DiagnoseOptions {
	defaults := collect.DefaultOptions()
	return &DiagnoseOptions{
		configFlags: configFlags, streams: streams, status: status, newCollector: newCollector,
		Output: "table", Since: defaults.Since, SourceTimeout: defaults.SourceTimeout,
		MaxLogBytes: resource.NewQuantity(defaults.MaxLogBytes, resource.BinarySI).String(),
	}
}

// NewDiagnoseCommand builds `kubectl pleg diagnose`.
func NewDiagnoseCommand(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, status *exitStatus, newCollector collectorFactory) *cobra.Command {
	o := NewDiagnoseOptions(configFlags, streams, status, newCollector)
	c := &cobra.Command{
		Use:   "diagnose NODE [NODE...]",
		Short: "Diagnose why a node is (or keeps going) NotReady",
		Long: `Diagnose reads the node, its events and pods from the API server, and the kubelet's
logs, metrics, stats, configuration and health through the API server's node proxy,
all at once, each under --source-timeout. It runs the checklist (A conditions and
events, B kubelet log, C system log, D load and density, E remediation, plus
prevention) and prints a ranked root-cause table with evidence and next steps.
A source that cannot be read (RBAC, kubelet down, feature gate off) is reported
with the reason and the rest of the diagnosis still runs.

Read-only: it never creates, changes or deletes anything.

` + exitCodesHelp,
		Example: `  kubectl pleg diagnose worker-3
  kubectl pleg diagnose worker-3 worker-7 -o json
  kubectl pleg diagnose worker-3 --since 3h -o markdown >> incident.md`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	f := c.Flags()
	f.StringVarP(&o.Output, "output", "o", o.Output, "output format: "+strings.Join(report.Formats, "|"))
	f.DurationVar(&o.Since, "since", o.Since, "how far back to read logs")
	f.DurationVar(&o.SourceTimeout, "source-timeout", o.SourceTimeout, "time limit for each source (node, events, pods, each kubelet endpoint)")
	f.StringVar(&o.MaxLogBytes, "max-log-bytes", o.MaxLogBytes, "newest bytes of each log kept for analysis (e.g. 32Mi)")
	return c
}

// Complete fills in what the flags leave to derive.
func (o *DiagnoseOptions) Complete(args []string) error {
	o.Nodes = args
	q, err := resource.ParseQuantity(o.MaxLogBytes)
	if err != nil {
		return fmt.Errorf("--max-log-bytes %q: %v (use a size such as 32Mi)", o.MaxLogBytes, err)
	}
	o.maxLogBytes = q.Value()
	o.color = colorWanted(o.streams.Out)
	return nil
}

// Validate rejects flag values that cannot work, before anything is fetched.
func (o *DiagnoseOptions) Validate() error {
	if !slices.Contains(report.Formats, o.Output) {
		return fmt.Errorf("unknown output format %q: use one of %s", o.Output, strings.Join(report.Formats, ", "))
	}
	if o.Since <= 0 {
		return fmt.Errorf("--since must be positive, got %s", o.Since)
	}
	if o.SourceTimeout <= 0 {
		return fmt.Errorf("--source-timeout must be positive, got %s", o.SourceTimeout)
	}
	if o.maxLogBytes < 64<<10 {
		return fmt.Errorf("--max-log-bytes must be at least 64Ki, got %s", o.MaxLogBytes)
	}
	return nil
}

// Run collects and diagnoses every node concurrently, prints the report and
// sets the exit code. A node that cannot be diagnosed at all is reported on
// stderr; the others are still printed.
func (o *DiagnoseOptions) Run(ctx context.Context) error {
	collector, err := o.newCollector(o.configFlags, collect.Options{Since: o.Since, SourceTimeout: o.SourceTimeout, MaxLogBytes: o.maxLogBytes})
	if err != nil {
		return err
	}
	diags := make([]*diagnose.Diagnosis, len(o.Nodes))
	errs := make([]error, len(o.Nodes))
	var wg sync.WaitGroup
	for i, name := range o.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			snap, err := collector.Collect(ctx, name)
			if err != nil {
				errs[i] = fmt.Errorf("node %s: %w", name, err)
				return
			}
			diags[i] = diagnose.Diagnose(snap)
		}()
	}
	wg.Wait()

	var done []*diagnose.Diagnosis
	for _, d := range diags {
		if d != nil {
			done = append(done, d)
			o.status.code = max(o.status.code, d.ExitCode())
		}
	}
	if len(done) > 0 {
		if err := report.Render(o.streams.Out, o.Output, done, report.Options{Color: o.color}); err != nil {
			return err
		}
	}
	if err := errors.Join(errs...); err != nil {
		if len(done) == 0 {
			return err
		}
		fmt.Fprintf(o.streams.ErrOut, "error: %v\n", err)
		o.status.code = diagnose.ExitFailed
	}
	return nil
}

// clusterCollector connects to the cluster named by the kubeconfig flags.
func clusterCollector(flags *genericclioptions.ConfigFlags, opts collect.Options) (nodeCollector, error) {
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.UserAgent = version.UserAgent()
	// Every source of every node is fetched at once; client-go's default
	// 5 QPS would serialize them.
	cfg.QPS, cfg.Burst = 50, 100
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building the API client: %w", err)
	}
	return collect.New(client, client.CoreV1().RESTClient(), opts, time.Now), nil
}
