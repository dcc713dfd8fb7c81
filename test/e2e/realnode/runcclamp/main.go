// Command runcclamp is the Docker nodes' OCI runtime: runc, after raising a
// negative oom_score_adj in the bundle to 0. This host's root has no
// CAP_SYS_RESOURCE, so runc cannot lower a container's oom_score_adj
// (REAL-NODE.md W1) — and dockershim asks -998 for every sandbox. containerd
// has restrict_oom_score_adj for that; Docker has no such setting, hence
// this wrapper (W11), named to dockerd with --add-runtime.
//
// It changes only `create`'s bundle; every call ends in an exec of runc with
// the same arguments, so the shim sees runc's own output and exit code.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

func main() {
	runc, err := exec.LookPath("runc")
	if err != nil {
		fatal(err)
	}
	if bundle, ok := createBundle(os.Args[1:]); ok {
		if err := clampOOMScoreAdj(filepath.Join(bundle, "config.json")); err != nil {
			fatal(err)
		}
	}
	fatal(syscall.Exec(runc, append([]string{"runc"}, os.Args[1:]...), os.Environ()))
}

// createBundle returns the bundle directory of a `runc ... create` call:
// its --bundle/-b flag, or the working directory, runc's default.
func createBundle(args []string) (string, bool) {
	create := false
	bundle := "."
	for i, a := range args {
		switch {
		case a == "create":
			create = true
		case (a == "--bundle" || a == "-b") && i+1 < len(args):
			bundle = args[i+1]
		case len(a) > 9 && a[:9] == "--bundle=":
			bundle = a[9:]
		}
	}
	return bundle, create
}

// clampOOMScoreAdj rewrites the OCI config's process.oomScoreAdj to 0 when
// it is negative, keeping every other field as it was.
func clampOOMScoreAdj(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(b, &spec); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var process map[string]json.RawMessage
	if err := json.Unmarshal(spec["process"], &process); err != nil {
		return fmt.Errorf("%s: process: %w", path, err)
	}
	var adj int
	if raw, ok := process["oomScoreAdj"]; !ok || json.Unmarshal(raw, &adj) != nil || adj >= 0 {
		return nil
	}
	process["oomScoreAdj"] = json.RawMessage("0")
	if spec["process"], err = json.Marshal(process); err != nil {
		return err
	}
	if b, err = json.Marshal(spec); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "runcclamp:", err)
	os.Exit(1)
}
