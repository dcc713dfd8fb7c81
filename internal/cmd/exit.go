package cmd

import (
	"errors"
	"fmt"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
)

// The exit codes of every command, as the README's table and --help say.
const (
	ExitOK       = 0
	ExitFailed   = 1
	ExitWarning  = 2
	ExitCritical = 3
	// ExitInterrupted ends a watch with a goal that Ctrl-C or SIGTERM
	// stopped before the goal held: no recovery was seen, so a runbook's
	// `|| escalate` must run. 130 is what a shell reports for SIGINT.
	ExitInterrupted = 130
)

// ExitError ends a command with Code. Err, when set, is said on stderr;
// without it the command's output already said everything (a diagnosis
// with a critical cause is no failure of the tool, but exits 3).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// exitWith returns the error that ends a command with code: nil for 0.
func exitWith(code int) error {
	if code == ExitOK {
		return nil
	}
	return &ExitError{Code: code}
}

// exitCodeOf turns a diagnosis' alarm into its exit code.
func exitCodeOf(d *diagnose.Diagnosis) int {
	switch d.Alarm() {
	case diagnose.Critical:
		return ExitCritical
	case diagnose.Warning:
		return ExitWarning
	}
	return ExitOK
}

// exitCode is the code an error returned by a command ends the process with.
func exitCode(err error) int {
	var e *ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &e):
		return e.Code
	}
	return ExitFailed
}
