package cmd

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestColorOnlyOnATerminalWithoutNoColor(t *testing.T) {
	if colorWanted(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal: no color")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if colorWanted(f) {
		t.Error("a regular file is not a terminal: no color")
	}
	t.Setenv("NO_COLOR", "")
	if colorWanted(os.Stdout) {
		t.Error("NO_COLOR set (even empty) must turn color off")
	}
}

// Every flag that takes one of a few words offers them on <TAB>.
func TestFlagValuesComplete(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"diagnose", "-o", ""}, "markdown"},
		{[]string{"scan", "-o", ""}, "wide"},
		{[]string{"watch", "n", "-o", ""}, "json"},
		{[]string{"watch", "n", "--until", ""}, "healthy"},
		{[]string{"alerts", "-o", ""}, "rules-file"},
		{[]string{"alerts", "--format", ""}, "prometheus-rule"},
		{[]string{"rbac", "-o", ""}, "yaml"},
		{[]string{"version", "-o", ""}, "yaml"},
	} {
		_, out, _ := run(t, append([]string{cobra.ShellCompRequestCmd}, tc.args...)...)
		if !strings.Contains(out, tc.want+"\n") {
			t.Errorf("__complete %v offers %q, want %s among them", tc.args, out, tc.want)
		}
	}
}
