// Command maxrss runs a command and reports its peak resident set size, for
// bench.sh on machines without GNU time (/usr/bin/time -v).
//
//	maxrss -o FILE CMD [ARG...]
//
// It writes the child's ru_maxrss in KiB to FILE and exits with the child's
// exit code; the child's standard streams are this command's.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	out := flag.String("o", "", "file to write the peak RSS (KiB) to")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: maxrss -o FILE CMD [ARG...]")
		os.Exit(125)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "maxrss:", err)
		os.Exit(127)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "maxrss: no rusage on this platform")
		os.Exit(125)
	}
	// Linux reports ru_maxrss in KiB.
	if err := os.WriteFile(*out, fmt.Appendf(nil, "%d\n", ru.Maxrss), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "maxrss:", err)
		os.Exit(125)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}
