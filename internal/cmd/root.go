// Package cmd holds the cobra commands of kubectl pleg. Each command has one
// Options struct (Complete, Validate, Run); the logic lives in the other packages.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	// Cloud auth providers (exec, OIDC) for kubeconfigs that use them.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

const exitCodesHelp = `Exit codes:
  0  no warning or critical cause
  2  at least one warning, or verdict unknown (not enough data)
  3  at least one critical cause
  1  the tool itself failed (bad flags, cluster unreachable, node not found)`

// NewRootCommand builds `kubectl pleg` with its subcommands. newCollector
// connects to the cluster; tests pass a fake.
func NewRootCommand(streams genericiooptions.IOStreams, newCollector collectorFactory) *cobra.Command {
	configFlags := genericclioptions.NewConfigFlags(true)
	root := &cobra.Command{
		Use:   "kubectl-pleg",
		Short: "Tell why a Kubernetes node keeps going NotReady (PLEG is not healthy) and what to do",
		Long: `kubectl pleg diagnoses NotReady nodes, above all "PLEG is not healthy": it reads the node,
its events and pods, and the kubelet's logs, metrics, stats and configuration through the
API server, runs the expert's checklist as rules and prints a ranked root-cause table with
evidence and next steps. It never changes anything in the cluster.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl pleg"},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	configFlags.AddFlags(root.PersistentFlags())
	root.AddCommand(NewDiagnoseCommand(configFlags, streams, newCollector))
	root.AddCommand(NewCollectCommand(configFlags, streams, newCollector))
	root.AddCommand(NewVersionCommand(streams))
	root.AddCommand(NewScanCommand(configFlags, streams, newCollector))
	root.AddCommand(NewWatchCommand(configFlags, streams, newCollector))
	root.AddCommand(NewAlertsCommand(streams))
	root.AddCommand(NewRBACCommand(configFlags, streams, newCollector))
	return root
}

// Execute runs the command line against the cluster of the kubeconfig flags
// and returns the process exit code.
func Execute(streams genericiooptions.IOStreams, args []string) int {
	return execute(streams, args, clusterCollector)
}

func execute(streams genericiooptions.IOStreams, args []string, newCollector collectorFactory) int {
	// Ctrl-C cancels the collection; a bundle being written is removed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return executeContext(ctx, streams, args, newCollector)
}

// executeContext runs the command line until ctx ends, says an error on
// stderr (unless the command's output said it all) and returns the exit code.
func executeContext(ctx context.Context, streams genericiooptions.IOStreams, args []string, newCollector collectorFactory) int {
	root := NewRootCommand(streams, newCollector)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var exit *ExitError
	if err != nil && (!errors.As(err, &exit) || exit.Err != nil) {
		fmt.Fprintf(streams.ErrOut, "error: %v\n", err)
	}
	return exitCode(err)
}

// isTerminal reports whether w is a terminal: progress, status lines and
// colors go only there.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// defaultWidth is the width of text output when it goes to no terminal
// (kubectl aims its tables at 80 columns; -o wide has no limit).
const defaultWidth = 80

// outputWidth is the width human output fits: $COLUMNS when set, else the
// terminal's, else defaultWidth.
func outputWidth(out any) int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return defaultWidth
}

// colorWanted reports whether out is a terminal and the user has not set NO_COLOR.
func colorWanted(out any) bool {
	_, noColor := os.LookupEnv("NO_COLOR")
	return !noColor && isTerminal(out)
}
