package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

const plugin = "kubectl-pleg"

// run executes the plugin's __complete with args and returns its exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	path, err := findPlugin()
	if err != nil {
		fmt.Fprintf(stderr, "kubectl_complete-pleg: %v\n", err)
		return 1
	}
	cmd := exec.Command(path, completeArgs(args)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintf(stderr, "kubectl_complete-pleg: running %s: %v\n", path, err)
		return 1
	}
	return 0
}

// completeArgs prepends cobra's hidden completion command unless the caller
// already asked for it (`kubectl_complete-pleg __complete diagnose ""`).
func completeArgs(args []string) []string {
	if len(args) > 0 && (args[0] == "__complete" || args[0] == "__completeNoDesc") {
		return args
	}
	return append([]string{"__complete"}, args...)
}

// findPlugin returns the kubectl-pleg installed next to this executable
// (after resolving symlinks, as krew and package managers link into a bin
// directory), else the one on PATH.
func findPlugin() (string, error) {
	name := plugin
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if self, err := os.Executable(); err == nil {
		if resolved, err := filepath.EvalSymlinks(self); err == nil {
			self = resolved
		}
		sibling := filepath.Join(filepath.Dir(self), name)
		if fi, err := os.Stat(sibling); err == nil && !fi.IsDir() {
			return sibling, nil
		}
	}
	path, err := exec.LookPath(plugin)
	if err != nil {
		return "", fmt.Errorf("%s is neither next to this program nor on PATH: %w", plugin, err)
	}
	return path, nil
}
