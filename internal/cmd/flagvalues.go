package cmd

import "github.com/spf13/cobra"

// completeValues offers values on <TAB> after the flag name (-o <TAB>
// offers the formats). The flag must be registered first: TestFlagValuesComplete
// holds every command's enumerated flags to it.
func completeValues(c *cobra.Command, flag string, values ...string) {
	_ = c.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}
