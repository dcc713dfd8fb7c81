package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-pleg/kubectl-pleg/internal/collect"
	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// CollectOptions are the inputs of `kubectl pleg collect`.
type CollectOptions struct {
	configFlags *genericclioptions.ConfigFlags
	streams     genericiooptions.IOStreams
	collectFlags

	Node    string
	Dir     string
	Archive string
	redactFlags

	newCollector collectorFactory
	now          func() time.Time
}

// NewCollectCommand builds `kubectl pleg collect`.
func NewCollectCommand(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, newCollector collectorFactory) *cobra.Command {
	o := &CollectOptions{configFlags: configFlags, streams: streams, collectFlags: newCollectFlags(), newCollector: newCollector, now: time.Now}
	c := &cobra.Command{
		Use:   "collect NODE [-d DIR | --archive FILE.tar.gz]",
		Short: "Save everything diagnose reads about a node, to diagnose later or elsewhere",
		Long: `Collect reads what 'kubectl pleg diagnose NODE' reads — the node, its events and pods,
the kubelet and runtime logs, metrics, stats, configz and healthz — and writes it as a
bundle with a manifest.json (plugin version, collection time, how each source ended).
'kubectl pleg diagnose --from-dir BUNDLE' later gives the same diagnosis as live, on any
machine, without cluster access: attach the bundle to the incident ticket.

The bundle is written to a temporary directory and renamed into place when complete,
so an error or Ctrl-C leaves no half-written bundle. No Secret is read, and the env
values of pod specs are dropped. Logs are kept as served unless --redact: then every
file is redacted as it is written (tokens, Authorization headers, passwords and keys in
env-like text, cloud keys, certificates; with --redact-ips also IP and MAC addresses,
each mapped to the same stand-in in every file), and diagnosing the bundle gives the
same diagnosis. Review a bundle before sharing it all the same.`,
		Example: `  kubectl pleg collect worker-3
  kubectl pleg collect worker-3 -d /tmp/worker-3-incident
  kubectl pleg collect worker-3 --archive worker-3.tar.gz --since 3h
  kubectl pleg collect worker-3 --archive for-the-vendor.tar.gz --redact --redact-ips`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Node = args[0]
			if err := o.collectFlags.complete(); err != nil {
				return err
			}
			if o.Dir != "" && o.Archive != "" {
				return errors.New("give either -d or --archive, not both")
			}
			if o.Archive != "" && !strings.HasSuffix(o.Archive, ".tar.gz") && !strings.HasSuffix(o.Archive, ".tgz") {
				return fmt.Errorf("--archive %q: name it FILE.tar.gz", o.Archive)
			}
			return o.Run(cmd.Context())
		},
	}
	c.ValidArgsFunction = completeOneNodeName(configFlags, newCollector)
	c.Flags().StringVarP(&o.Dir, "dir", "d", "", "bundle directory to create (default pleg-NODE-TIME)")
	c.Flags().StringVar(&o.Archive, "archive", "", "write the bundle as this .tar.gz instead of a directory")
	o.collectFlags.addTo(c.Flags())
	o.redactFlags.addTo(c.Flags(), "every file of the bundle")
	return c
}

// Run writes the bundle and says where it went and what it holds.
func (o *CollectOptions) Run(ctx context.Context) error {
	reader, err := o.newCollector(o.configFlags, o.collectFlags.options())
	if err != nil {
		return err
	}
	dest, archive := o.Dir, o.Archive != ""
	if archive {
		dest = o.Archive
	} else if dest == "" {
		dest = fmt.Sprintf("pleg-%s-%s", o.Node, o.now().UTC().Format("20060102T150405Z"))
	}
	snap, err := reader.WriteBundle(ctx, o.Node, dest, collect.BundleOptions{Archive: archive, Redact: o.redactFlags.options()})
	if err != nil {
		return fmt.Errorf("node %s: %w", o.Node, err)
	}
	out, done := o.redactFlags.writer(o.streams.Out)
	defer done()
	fmt.Fprintf(out, "wrote %s (node %s, collected %s)\n", dest, o.Node, snap.CollectedAt.Format(time.RFC3339))
	for _, s := range snap.Sources {
		if s.Status == snapshot.StatusOK {
			fmt.Fprintf(out, "  %-12s ok     %s\n", s.Name, s.Detail)
		} else {
			fmt.Fprintf(out, "  %-12s %-6s %s\n", s.Name, s.Status, s.Reason)
		}
	}
	if o.Redact || o.RedactIPs {
		fmt.Fprintln(out, "redacted as it was written: review it before sharing all the same")
	}
	fmt.Fprintf(out, "diagnose it anywhere with: kubectl pleg diagnose --from-dir %s (window %s)\n", dest, humanize.Duration(o.Since))
	return nil
}
