package cmd

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-pleg/kubectl-pleg/internal/version"
)

// VersionOptions are the inputs of `kubectl pleg version`.
type VersionOptions struct {
	streams genericiooptions.IOStreams
	Output  string
}

// NewVersionCommand builds `kubectl pleg version`.
func NewVersionCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &VersionOptions{streams: streams}
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json|yaml (default: one line of text)")
	completeValues(c, "output", versionFormats...)
	return c
}

var versionFormats = []string{"json", "yaml"}

// Validate rejects unknown output formats.
func (o *VersionOptions) Validate() error {
	if o.Output != "" && !slices.Contains(versionFormats, o.Output) {
		return fmt.Errorf("unknown output format %q: use json, yaml or leave it out", o.Output)
	}
	return nil
}

// Run prints the build identity.
func (o *VersionOptions) Run() error {
	info := version.Get()
	switch o.Output {
	case "json":
		b, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(o.streams.Out, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(info)
		if err != nil {
			return err
		}
		_, err = o.streams.Out.Write(b)
		return err
	}
	_, err := fmt.Fprintf(o.streams.Out, "kubectl-pleg %s (commit %s, built %s, %s)\n", info.Version, info.Commit, info.BuildDate, info.GoVersion)
	return err
}
