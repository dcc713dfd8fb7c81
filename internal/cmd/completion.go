package cmd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kubectl-pleg/kubectl-pleg/internal/collect"
)

// completionTimeout bounds the node LIST behind a <TAB>: a shell that hangs
// on an unreachable cluster is worse than no suggestions.
const completionTimeout = 5 * time.Second

// nodeLister lists the cluster's node names; *collect.Collector in production.
type nodeLister interface {
	NodeNames(ctx context.Context) ([]string, error)
}

// completeNodeNames is the ValidArgsFunction of the commands that take
// nodes: it lists the nodes of the cluster named by the kubeconfig flags
// (so `--context` typed before the <TAB> is honoured) and offers the names
// that start with what was typed and are not already on the command line.
//
// kubectl ≥1.26 reaches it through the kubectl_complete-pleg executable
// (`kubectl pleg diagnose <TAB>`); `kubectl-pleg completion bash` reaches it
// directly.
func completeNodeNames(flags *genericclioptions.ConfigFlags, newCollector collectorFactory) cobra.CompletionFunc {
	return nodeNameCompleter(func() (nodeLister, error) {
		return connectAs[nodeLister](newCollector, flags, collect.DefaultOptions(), "list nodes")
	})
}

// nodeNameCompleter is completeNodeNames with the lister injected, for tests.
func nodeNameCompleter(connect func() (nodeLister, error)) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		// Node names never name files: without NoFileComp the shell would
		// offer the working directory when the cluster has no match.
		const directive = cobra.ShellCompDirectiveNoFileComp
		lister, err := connect()
		if err != nil {
			cobra.CompDebugln(fmt.Sprintf("node completion: %v", err), false)
			return nil, directive
		}
		ctx := context.Background()
		if cmd != nil && cmd.Context() != nil {
			ctx = cmd.Context()
		}
		ctx, cancel := context.WithTimeout(ctx, completionTimeout)
		defer cancel()
		all, err := lister.NodeNames(ctx)
		if err != nil {
			cobra.CompDebugln(fmt.Sprintf("node completion: listing nodes: %v", err), false)
			return nil, directive
		}
		var names []cobra.Completion
		for _, n := range all {
			if strings.HasPrefix(n, toComplete) && !slices.Contains(args, n) {
				names = append(names, n)
			}
		}
		return names, directive
	}
}

// completeOneNodeName is completeNodeNames for commands that take exactly
// one node (`kubectl pleg collect NODE`): once a node is given it offers
// nothing, without asking the cluster.
func completeOneNodeName(flags *genericclioptions.ConfigFlags, newCollector collectorFactory) cobra.CompletionFunc {
	all := completeNodeNames(flags, newCollector)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return all(cmd, args, toComplete)
	}
}
