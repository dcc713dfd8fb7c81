package cmd

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-pleg/kubectl-pleg/internal/access"
	"github.com/kubectl-pleg/kubectl-pleg/internal/collect"
	"github.com/kubectl-pleg/kubectl-pleg/internal/report"
)

// accessChecker asks the API server what the current user may do;
// *collect.Collector in production.
type accessChecker interface {
	CheckAccess(ctx context.Context) (*access.Review, error)
}

// RBACOptions are the inputs of `kubectl pleg rbac`.
type RBACOptions struct {
	configFlags  *genericclioptions.ConfigFlags
	streams      genericiooptions.IOStreams
	Output       string
	newCollector collectorFactory
}

// NewRBACCommand builds `kubectl pleg rbac`.
func NewRBACCommand(configFlags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, newCollector collectorFactory) *cobra.Command {
	o := &RBACOptions{configFlags: configFlags, streams: streams, Output: "table", newCollector: newCollector}
	c := &cobra.Command{
		Use:   "rbac",
		Short: "Say which of the plugin's permissions you have, and the rules to ask for",
		Long: `Rbac asks the API server, without trying any read, which of the permissions the
plugin's commands use are granted to you: one SelfSubjectAccessReview each, as
kubectl auth can-i does (a question the API server answers without storing
anything, which every authenticated user may ask). It prints each permission and the
commands that use it, what they do without the missing ones, which shipped ClusterRole
(deploy/rbac.yaml) you have, and the rules to ask for to get the full diagnosis.

Exit codes: 0 every permission granted (the full diagnosis); 2 some missing (the
commands run degraded, as listed); 1 the API server could not be asked.`,
		Example: `  kubectl pleg rbac
  kubectl pleg rbac --as jane --as-group oncall    # someone else's (needs impersonation)
  kubectl pleg rbac -o json | jq -r '.missing[] | "\(.verb) \(.resource)"'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(report.AccessFormats, o.Output) {
				return fmt.Errorf("unknown output format %q: use one of %s", o.Output, strings.Join(report.AccessFormats, ", "))
			}
			return o.Run(cmd.Context())
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", o.Output, "output format: "+strings.Join(report.AccessFormats, "|"))
	completeValues(c, "output", report.AccessFormats...)
	return c
}

// Run asks the API server and prints the answer; some permission missing exits 2.
func (o *RBACOptions) Run(ctx context.Context) error {
	checker, err := connectAs[accessChecker](o.newCollector, o.configFlags, collect.DefaultOptions(), "check access")
	if err != nil {
		return err
	}
	review, err := checker.CheckAccess(ctx)
	if err != nil {
		return err
	}
	if err := report.RenderAccess(o.streams.Out, o.Output, review); err != nil {
		return err
	}
	if len(review.Missing()) > 0 {
		return exitWith(ExitWarning)
	}
	return nil
}
