package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-pleg/kubectl-pleg/internal/collect"
	"github.com/kubectl-pleg/kubectl-pleg/internal/offline"
	"github.com/kubectl-pleg/kubectl-pleg/internal/report"
	"github.com/kubectl-pleg/kubectl-pleg/internal/version"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// clusterReader reads nodes from a cluster; *collect.Collector in production.
type clusterReader interface {
	Collect(ctx context.Context, node string) (*snapshot.Snapshot, error)
	WriteBundle(ctx context.Context, node, dest string, opts collect.BundleOptions) (*snapshot.Snapshot, error)
}

// collectorFactory connects to the cluster once the flags are known.
type collectorFactory func(flags *genericclioptions.ConfigFlags, opts collect.Options) (clusterReader, error)

// connectAs connects and requires what a command needs beyond reading one
// node (scanning, following), named by what for the error.
func connectAs[T any](newCollector collectorFactory, flags *genericclioptions.ConfigFlags, opts collect.Options, what string) (T, error) {
	var none T
	reader, err := newCollector(flags, opts)
	if err != nil {
		return none, err
	}
	capable, ok := reader.(T)
	if !ok {
		return none, fmt.Errorf("this cluster connection cannot %s", what)
	}
	return capable, nil
}

// DiagnoseOptions are the inputs of `kubectl pleg diagnose`.
type DiagnoseOptions struct {
	configFlags *genericclioptions.ConfigFlags
	streams     genericiooptions.IOStreams
	collectFlags
	prometheusFlags

	Nodes   []string
	Output  string
	Files   []string
	FromDir string
	redactFlags

	newCollector collectorFactory
	now          func() time.Time
	color        bool
}

// NewDiagnoseOptions returns options with the documented defaults.
func NewDiagnoseOptions(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, newCollector collectorFactory) *DiagnoseOptions {
	return &DiagnoseOptions{
		configFlags: configFlags, streams: streams, collectFlags: newCollectFlags(),
		Output: "table", newCollector: newCollector, now: time.Now,
	}
}

// NewDiagnoseCommand builds `kubectl pleg diagnose`.
func NewDiagnoseCommand(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, newCollector collectorFactory) *cobra.Command {
	o := NewDiagnoseOptions(configFlags, streams, newCollector)
	c := &cobra.Command{
		Use:   "diagnose NODE [NODE...] | -f FILE... [NODE] | --from-dir DIR",
		Short: "Diagnose why a node is (or keeps going) NotReady",
		Long: `Diagnose reads the node, its events and pods from the API server, and the kubelet's
logs, metrics, stats, configuration and health through the API server's node proxy,
all at once, each under --source-timeout. It runs the checklist (A conditions and
events, B kubelet log, C system log, D load and density, E remediation, plus
prevention) and prints a ranked root-cause table with evidence and next steps.
A source that cannot be read (RBAC, kubelet down, feature gate off) is reported
with the reason and the rest of the diagnosis still runs.

Offline, it reads what you have instead of a cluster: -f takes files whose kind is
told by their content (kubectl get node -o yaml|json, kubectl describe node output,
kubectl get nodes and get events tables, Pods and Events lists, systemctl status of
the kubelet or runtime, a kubelet/runtime/kernel/controller-manager log from
journalctl, /var/log, dmesg or talosctl, crictl or docker ps, node-problem-detector's
log, the kubelet's /metrics, /stats/summary or /configz; compressed with gzip, zstd
or bzip2; "-" is standard input), and --from-dir (or -f) takes a bundle written by
'kubectl pleg collect', or any support archive — a must-gather, a sosreport, kind's
exported logs, a directory or .tar.gz/.zip of files — and diagnoses every node in it.
Offline there is no clock: times are judged against the capture time the data
carries.

Read-only: it never creates, changes or deletes anything.

` + exitCodesHelp,
		Example: `  kubectl pleg diagnose worker-3
  kubectl pleg diagnose worker-3 worker-7 -o json
  kubectl pleg diagnose worker-3 --since 3h -o markdown >> incident.md
  kubectl describe node worker-3 > node.txt; journalctl -u kubelet --since -1h > kubelet.log
  kubectl pleg diagnose -f node.txt -f kubelet.log
  kubectl pleg diagnose --from-dir pleg-worker-3-20261127T083000Z
  kubectl pleg diagnose --from-dir must-gather.local.5125476154851221437`,
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
	c.ValidArgsFunction = completeNodeNames(configFlags, newCollector)
	f := c.Flags()
	f.StringVarP(&o.Output, "output", "o", o.Output, "output format: "+strings.Join(report.Formats, "|"))
	completeValues(c, "output", report.Formats...)
	f.StringArrayVarP(&o.Files, "filename", "f", nil, "diagnose offline from this file (repeat for several; - for stdin)")
	f.StringVar(&o.FromDir, "from-dir", "", "diagnose offline from a bundle written by 'kubectl pleg collect', or a support archive (must-gather, sosreport, kind logs; a directory or .tar.gz/.zip)")
	o.collectFlags.addTo(f)
	o.prometheusFlags.addTo(f)
	o.redactFlags.addTo(f, "the printed report")
	return c
}

// Complete fills in what the flags leave to derive.
func (o *DiagnoseOptions) Complete(args []string) error {
	o.Nodes = args
	o.color = colorWanted(o.streams.Out)
	return o.collectFlags.complete()
}

// Validate rejects flag combinations that cannot work, before anything is read.
func (o *DiagnoseOptions) Validate() error {
	if !slices.Contains(report.Formats, o.Output) {
		return fmt.Errorf("unknown output format %q: use one of %s", o.Output, strings.Join(report.Formats, ", "))
	}
	switch {
	case len(o.Files) > 0 && o.FromDir != "":
		return errors.New("give either -f files or --from-dir, not both")
	case len(o.Files) > 0 && len(o.Nodes) > 1:
		return errors.New("with -f, name at most one node: the one to diagnose when the files hold several")
	case o.FromDir != "" && len(o.Nodes) > 0:
		return errors.New("--from-dir diagnoses the bundle's own node: give no node name")
	case len(o.Files) == 0 && o.FromDir == "" && len(o.Nodes) == 0:
		return errors.New("name a node (kubectl get nodes lists them), or give -f files or --from-dir")
	}
	return nil
}

// Run diagnoses, prints the report and sets the exit code.
func (o *DiagnoseOptions) Run(ctx context.Context) error {
	if len(o.Files) > 0 || o.FromDir != "" {
		return o.runOffline()
	}
	return o.runLive(ctx)
}

// runLive collects and diagnoses every node concurrently. A node that cannot
// be diagnosed at all is reported on stderr; the others are still printed.
func (o *DiagnoseOptions) runLive(ctx context.Context) error {
	opts := o.prometheusFlags.with(o.collectFlags.options())
	stopProgress := func() {}
	if isTerminal(o.streams.ErrOut) {
		// What a slow cluster is still being asked, on the terminal only.
		progress := startProgress(o.streams.ErrOut, 250*time.Millisecond)
		opts.Progress, stopProgress = progress.update, progress.stop
	}
	collector, err := o.newCollector(o.configFlags, opts)
	if err != nil {
		stopProgress()
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
	stopProgress()
	var done []*diagnose.Diagnosis
	for _, d := range diags {
		if d != nil {
			done = append(done, d)
		}
	}
	return o.report(done, errors.Join(errs...))
}

// runOffline diagnoses files or a bundle: one diagnosis per node they hold.
// Files that cannot be used are reported on stderr; the diagnosis of the
// rest still prints.
func (o *DiagnoseOptions) runOffline() error {
	var snaps []*snapshot.Snapshot
	var problems error
	if o.FromDir != "" {
		snaps, problems = offline.FromDir(o.FromDir, o.now())
	} else {
		inputs, closeAll, err := o.openInputs()
		if err != nil {
			return err
		}
		defer closeAll()
		node := ""
		if len(o.Nodes) == 1 {
			node = o.Nodes[0]
		}
		snaps, problems = offline.FromFiles(inputs, node, o.now())
	}
	if len(snaps) == 0 {
		return problems
	}
	if problems != nil {
		fmt.Fprintf(o.streams.ErrOut, "warning: %v\n", problems)
	}
	diags := make([]*diagnose.Diagnosis, len(snaps))
	for i, snap := range snaps {
		diags[i] = diagnose.Diagnose(snap)
	}
	return o.report(diags, nil)
}

// openInputs opens every -f file; "-" is standard input.
func (o *DiagnoseOptions) openInputs() ([]offline.Input, func(), error) {
	var inputs []offline.Input
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	for _, name := range o.Files {
		if name == "-" {
			inputs = append(inputs, offline.Input{Name: "<stdin>", R: o.streams.In})
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		files = append(files, f)
		inputs = append(inputs, offline.Input{Name: name, Path: name, R: io.Reader(f)})
	}
	return inputs, closeAll, nil
}

// report prints the diagnoses and ends with the exit code: the worst
// node's, or 1 when a node could not be diagnosed at all (failed holds why).
func (o *DiagnoseOptions) report(diags []*diagnose.Diagnosis, failed error) error {
	code := ExitOK
	for _, d := range diags {
		code = max(code, exitCodeOf(d))
	}
	if len(diags) > 0 {
		out, done := o.redactFlags.writer(o.streams.Out)
		err := report.Render(out, o.Output, diags, report.Options{Color: o.color, Width: outputWidth(o.streams.Out)})
		if err := errors.Join(err, done()); err != nil {
			return err
		}
	}
	if failed == nil {
		return exitWith(code)
	}
	if len(diags) == 0 {
		return failed
	}
	return &ExitError{Code: ExitFailed, Err: failed}
}

// clusterCollector connects to the cluster named by the kubeconfig flags.
func clusterCollector(flags *genericclioptions.ConfigFlags, opts collect.Options) (clusterReader, error) {
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.UserAgent = version.UserAgent()
	return collect.Connect(cfg, opts)
}
