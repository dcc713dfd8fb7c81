package cmd

import (
	"encoding/json"
	"testing"
)

// The shipped example bundles are the README's first command: each must keep
// diagnosing to the incident it was collected to show.
func TestExampleBundles(t *testing.T) {
	tests := []struct {
		bundle   string
		code     int
		verdict  string
		topCause string
	}{
		{"runtime-hung", 3, "pleg-unhealthy", "runtime-unresponsive"},
		{"runtime-frozen", 3, "runtime-down", "runtime-down"},
		{"stuck-container", 3, "pleg-unhealthy", "stuck-container"},
		{"cni-not-ready", 3, "network-not-ready", "cni-not-ready"},
		{"dense", 2, "healthy", "pod-density"},
		// Risks only, as info: a healthy kubeadm-like node is no alarm.
		{"healthy", 0, "healthy", "missing-reservations"},
	}
	for _, tc := range tests {
		t.Run(tc.bundle, func(t *testing.T) {
			code, out, errOut := run(t, "diagnose", "--from-dir", "../../examples/"+tc.bundle, "-o", "json")
			var d struct {
				Verdict string `json:"verdict"`
				Causes  []struct {
					ID string `json:"id"`
				} `json:"causes"`
			}
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatalf("exit %d, stderr %q: %v", code, errOut, err)
			}
			if errOut != "" {
				t.Errorf("the bundle reads with problems: %s", errOut)
			}
			if code != tc.code || d.Verdict != tc.verdict || len(d.Causes) == 0 || d.Causes[0].ID != tc.topCause {
				t.Errorf("exit %d verdict %s causes %v, want %d %s %s first", code, d.Verdict, d.Causes, tc.code, tc.verdict, tc.topCause)
			}
		})
	}
}
