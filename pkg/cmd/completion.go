package cmd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/version"
)

// completionTimeout bounds the node LIST behind a <TAB>: a shell that hangs
// on an unreachable cluster is worse than no suggestions.
const completionTimeout = 5 * time.Second

// completeNodeNames is the ValidArgsFunction of `kubectl pleg diagnose`: it
// lists the nodes of the cluster named by the kubeconfig flags (so
// `--context` typed before the <TAB> is honoured) and offers the names that
// start with what was typed and are not already on the command line.
//
// kubectl ≥1.26 reaches it through the kubectl_complete-pleg executable
// (`kubectl pleg diagnose <TAB>`); `kubectl-pleg completion bash` reaches it
// directly.
func completeNodeNames(flags *genericclioptions.ConfigFlags) cobra.CompletionFunc {
	return nodeNameCompleter(func() (kubernetes.Interface, error) {
		cfg, err := flags.ToRESTConfig()
		if err != nil {
			return nil, fmt.Errorf("loading kubeconfig: %w", err)
		}
		cfg.UserAgent = version.UserAgent()
		if cfg.Timeout == 0 || cfg.Timeout > completionTimeout {
			cfg.Timeout = completionTimeout
		}
		return kubernetes.NewForConfig(cfg)
	})
}

// nodeNameCompleter is completeNodeNames with the client injected, for tests.
func nodeNameCompleter(newClient func() (kubernetes.Interface, error)) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		// Node names never name files: without NoFileComp the shell would
		// offer the working directory when the cluster has no match.
		const directive = cobra.ShellCompDirectiveNoFileComp
		client, err := newClient()
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
		// ResourceVersion "0" lets the API server answer from its watch
		// cache instead of etcd: a <TAB> should cost the cluster nothing.
		nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			cobra.CompDebugln(fmt.Sprintf("node completion: listing nodes: %v", err), false)
			return nil, directive
		}
		var names []cobra.Completion
		for _, n := range nodes.Items {
			if strings.HasPrefix(n.Name, toComplete) && !slices.Contains(args, n.Name) {
				names = append(names, n.Name)
			}
		}
		slices.Sort(names)
		return names, directive
	}
}

// completeOneNodeName is completeNodeNames for commands that take exactly
// one node (`kubectl pleg collect NODE`): once a node is given it offers
// nothing, without asking the cluster.
func completeOneNodeName(flags *genericclioptions.ConfigFlags) cobra.CompletionFunc {
	all := completeNodeNames(flags)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return all(cmd, args, toComplete)
	}
}
