package cmd

import (
	"context"
	"encoding/json"
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
	"github.com/kubectl-pleg/kubectl-pleg/internal/watch"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
)

// watchFormats are the outputs of watch: lines for people, JSON Lines for scripts.
var watchFormats = []string{"text", "json"}

// WatchOptions are the inputs of `kubectl pleg watch`.
type WatchOptions struct {
	configFlags *genericclioptions.ConfigFlags
	streams     genericiooptions.IOStreams
	collectFlags
	prometheusFlags

	Nodes    []string
	Until    string
	Stable   time.Duration
	Timeout  time.Duration
	Interval time.Duration
	Output   string

	newCollector collectorFactory
	now          func() time.Time
	// statusLine says a status line is redrawn in place (stdout is a terminal).
	statusLine bool
	loc        *time.Location
}

// NewWatchOptions returns options with the documented defaults.
func NewWatchOptions(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, newCollector collectorFactory) *WatchOptions {
	return &WatchOptions{
		configFlags: configFlags, streams: streams, collectFlags: newCollectFlags(),
		Stable: time.Minute, Interval: 10 * time.Second, Output: "text", newCollector: newCollector, now: time.Now, loc: time.Local,
	}
}

// NewWatchCommand builds `kubectl pleg watch`.
func NewWatchCommand(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, newCollector collectorFactory) *cobra.Command {
	o := NewWatchOptions(configFlags, streams, newCollector)
	c := &cobra.Command{
		Use:   "watch NODE [NODE...] [--until healthy|ready [--stable 60s] [--timeout 10m]]",
		Short: "Follow a node through an incident and its fix; gate a runbook on its recovery",
		Long: `Watch diagnoses the node once, as diagnose does, then follows it: the node and its events
through a watch on the API server (resumed after a drop or an API server restart), and the
kubelet's /metrics through the node proxy every --interval. It prints a line whenever
something changes — Ready, the PLEG relist going stale or running again, the relist p99
band, the runtime error rate (from the kubelet's error counters), a new node event, the top
cause (the diagnose rules run on every change) — and, on a terminal, keeps a status line.

With --until it ends once every node has stayed healthy (Ready, verdict healthy, no critical
cause, relist within its threshold) or Ready for --stable: exit 0. At --timeout it prints
the last diagnosis and exits 3; Ctrl-C before the goal exits 130. Without --until it runs
until Ctrl-C (or --timeout) and exits 0. A forbidden nodes/proxy leaves the node and its
events; a role without the watch verb reads them every --interval instead (said once); an
unreachable kubelet or API server (at the start too) is said once and retried; a missing or
deleted node, or an API server never reached, exits 1.

Read-only: GET, LIST and WATCH; it never creates, changes or deletes anything.`,
		Example: `  systemctl restart containerd      # on the node, as the diagnosis suggested
  kubectl pleg watch worker-3 --until healthy --timeout 10m || escalate
  kubectl pleg watch worker-3 worker-7 -o json | jq -c '{time, node, verdict, changes}'`,
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
	c.ValidArgsFunction = completeNodeNames(configFlags, newCollector)
	f := c.Flags()
	f.StringVar(&o.Until, "until", "", "end once every node is healthy or ready for --stable (exit 0); exit 3 at --timeout")
	f.DurationVar(&o.Stable, "stable", o.Stable, "how long the --until state must hold")
	f.DurationVar(&o.Timeout, "timeout", 0, "give up after this long (0: never)")
	f.DurationVar(&o.Interval, "interval", o.Interval, "how often the kubelet's /metrics is read")
	f.StringVarP(&o.Output, "output", "o", o.Output, "output format: "+strings.Join(watchFormats, "|")+" (json: one object per line)")
	completeValues(c, "output", watchFormats...)
	completeValues(c, "until", string(watch.Healthy), string(watch.Ready))
	o.collectFlags.addTo(f)
	o.prometheusFlags.addTo(f)
	return c
}

// Complete fills in what the flags leave to derive.
func (o *WatchOptions) Complete(args []string) error {
	o.Nodes = args
	o.statusLine = o.Output == "text" && isTerminal(o.streams.Out)
	return o.collectFlags.complete()
}

// Validate rejects flags that cannot work, before anything is read.
func (o *WatchOptions) Validate() error {
	switch {
	case !slices.Contains(watchFormats, o.Output):
		return fmt.Errorf("unknown output format %q: use one of %s", o.Output, strings.Join(watchFormats, ", "))
	case o.Until != "" && o.Until != string(watch.Healthy) && o.Until != string(watch.Ready):
		return fmt.Errorf("--until %q: use healthy or ready", o.Until)
	case o.Stable < 0 || o.Timeout < 0:
		return errors.New("--stable and --timeout must not be negative")
	case o.Interval <= 0:
		return fmt.Errorf("--interval must be positive, got %s", o.Interval)
	}
	return nil
}

// Run diagnoses each node, then follows them until the goal, the timeout or
// Ctrl-C, printing a line per change.
func (o *WatchOptions) Run(parent context.Context) error {
	follower, err := connectAs[watch.Follower](o.newCollector, o.configFlags, o.prometheusFlags.with(o.collectFlags.options()), "watch nodes")
	if err != nil {
		return err
	}
	ctx, cancel := parent, context.CancelFunc(func() {})
	if o.Timeout > 0 {
		ctx, cancel = context.WithTimeout(parent, o.Timeout)
	}
	defer cancel()

	goal := watch.Goal(o.Until)
	unreachable := func(err error) bool { return errors.Is(err, collect.ErrAPIServerUnreachable) }
	retrying := func(err error) { fmt.Fprintf(o.streams.ErrOut, "%v; retrying\n", err) }
	session, first, err := watch.Start(ctx, follower, o.Nodes, goal, o.Stable, unreachable, retrying)
	if err != nil {
		// A watch that never diagnosed its nodes saw nothing recover: with
		// or without --until it is the tool failing (exit 1), never 0.
		if ctx.Err() != nil {
			return fmt.Errorf("the watch ended before the nodes could be read: %w", err)
		}
		return err
	}
	if err := o.print(first...); err != nil {
		return err
	}
	followCtx, stopFollowing := context.WithCancel(ctx)
	defer stopFollowing()
	updates := session.Follow(followCtx, follower, o.Interval)

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case u := <-updates:
			if u.Deleted {
				o.clearStatus()
				return fmt.Errorf("node %s was deleted", u.NodeName)
			}
			if obs := session.Apply(u); obs != nil {
				if err := o.print(obs); err != nil {
					return err
				}
			}
		case now := <-tick.C:
			if err := o.print(session.Tick(now.UTC())...); err != nil {
				return err
			}
			o.drawStatus(session.Last(), now)
		case <-ctx.Done():
			return o.ended(parent, session)
		}
		if goal != watch.Forever && session.GoalReached(o.now().UTC()) {
			o.clearStatus()
			if o.Output == "text" { // JSON Lines hold observations only; the exit code says it
				fmt.Fprintf(o.streams.Out, "%s  %s  %s for %s — done (exit 0)\n", o.now().In(o.loc).Format("15:04:05"),
					strings.Join(o.Nodes, ","), goal, o.Stable)
			}
			return nil
		}
	}
}

// ended handles the end of the watch before its goal. Without a goal it is
// the normal end (exit 0). With one, Ctrl-C exits 130, and the timeout prints
// each node's last diagnosis and exits 3.
func (o *WatchOptions) ended(parent context.Context, session *watch.Session) error {
	o.clearStatus()
	switch {
	case o.Until == "":
		return nil
	case parent.Err() != nil:
		fmt.Fprintf(o.streams.ErrOut, "interrupted: the nodes were not seen %s for %s (exit %d)\n", o.Until, o.Stable, ExitInterrupted)
		return exitWith(ExitInterrupted)
	}
	fmt.Fprintf(o.streams.ErrOut, "timeout: after %s the nodes are not %s for %s; their last diagnosis:\n", o.Timeout, o.Until, o.Stable)
	var diags []*diagnose.Diagnosis
	for _, obs := range session.Last() {
		diags = append(diags, obs.Diagnosis)
	}
	if o.Output != "json" {
		if err := report.Render(o.streams.Out, "table", diags, report.Options{Width: outputWidth(o.streams.Out)}); err != nil {
			return err
		}
		return exitWith(ExitCritical)
	}
	// JSON Lines to the end: each node's last Diagnosis on a line of its own.
	enc := json.NewEncoder(o.streams.Out)
	for _, d := range diags {
		if err := enc.Encode(d); err != nil {
			return err
		}
	}
	return exitWith(ExitCritical)
}

// print writes observations: a line, or a JSON object, each.
func (o *WatchOptions) print(observations ...*watch.Observation) error {
	for _, obs := range observations {
		if o.Output == "json" {
			b, err := report.WatchJSON(obs)
			if err != nil {
				return err
			}
			if _, err := o.streams.Out.Write(b); err != nil {
				return err
			}
			continue
		}
		o.clearStatus()
		if _, err := fmt.Fprintln(o.streams.Out, report.WatchLine(obs, o.loc)); err != nil {
			return err
		}
	}
	return nil
}

// drawStatus redraws the status line in place, on a terminal only.
func (o *WatchOptions) drawStatus(last []*watch.Observation, now time.Time) {
	if !o.statusLine {
		return
	}
	fmt.Fprint(o.streams.Out, "\r\x1b[K"+report.WatchStatus(last, o.Stable, now.UTC()))
}

func (o *WatchOptions) clearStatus() {
	if o.statusLine {
		fmt.Fprint(o.streams.Out, "\r\x1b[K")
	}
}
