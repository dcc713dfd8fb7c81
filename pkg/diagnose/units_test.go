package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// systemctl status of the kubelet's and the runtime's units, alone: the
// verdict and the cause each state gives.
func TestUnitStatus(t *testing.T) {
	cases := []struct {
		name    string
		unit    snapshot.Unit
		verdict Verdict
		cause   CauseID // "" for none of warning or worse
		says    string
	}{
		{"kubelet failed", snapshot.Unit{Name: "kubelet.service", Active: "failed", Result: "exit-code", MainExit: "status=1/FAILURE", For: 6 * time.Second, ForKnown: true},
			KubeletUnreachable, CauseKubeletDown, "kubelet.service failed for 6s (Result: exit-code; main process status=1/FAILURE)"},
		{"kubelet crash loop", snapshot.Unit{Name: "kubelet.service", Active: "activating", Sub: "auto-restart", Result: "exit-code", MainExit: "status=255"},
			KubeletUnreachable, CauseKubeletDown, "crash-looping, activating (auto-restart)"},
		{"kubelet up moments after hundreds of restarts", snapshot.Unit{Name: "kubelet.service", Active: "active", Sub: "running", Restarts: 305, For: 16 * time.Millisecond, ForKnown: true},
			KubeletUnreachable, CauseKubeletDown, "crash-looping, up for 16ms after 305 restarts"},
		{"k3s failed is its kubelet down", snapshot.Unit{Name: "k3s.service", Active: "failed", Result: "exit-code"},
			KubeletUnreachable, CauseKubeletDown, "k3s.service failed"},
		{"docker stopped", snapshot.Unit{Name: "docker.service", Active: "inactive", Sub: "dead", For: 9 * time.Second, ForKnown: true},
			RuntimeDown, CauseRuntimeDown, "docker.service inactive (dead) for 9s"},
		{"kubelet running", snapshot.Unit{Name: "kubelet.service", Active: "active", Sub: "running", For: 4 * time.Minute, ForKnown: true},
			Unknown, "", ""},
		{"kubelet running long after restarts", snapshot.Unit{Name: "kubelet.service", Active: "active", Sub: "running", Restarts: 4, For: 3 * time.Hour, ForKnown: true},
			Unknown, "", ""},
		{"another unit failed", snapshot.Unit{Name: "chronyd.service", Active: "failed"},
			Unknown, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &snapshot.Snapshot{NodeName: "w", Offline: true, Units: []snapshot.Unit{tc.unit},
				Sources: []snapshot.Source{{Name: snapshot.SourceUnits, Status: snapshot.StatusOK}}}
			d := Diagnose(s)
			first := CauseID("")
			for _, c := range d.Causes {
				if c.Severity >= Warning {
					first = c.ID
					break
				}
			}
			if d.Verdict != tc.verdict || first != tc.cause {
				t.Fatalf("verdict %s, first cause %q; want %s, %q (%s)", d.Verdict, first, tc.verdict, tc.cause, d.Summary)
			}
			if tc.says != "" && !strings.Contains(d.Summary, tc.says) {
				t.Errorf("summary %q does not say %q", d.Summary, tc.says)
			}
		})
	}
}

// A runtime that systemd starts again and again is runtime-down, however
// the starts are seen (node-problem-detector's events here).
func TestRuntimeRestartLoop(t *testing.T) {
	starts := func(n int) []snapshot.Event {
		var out []snapshot.Event
		for range n {
			out = append(out, snapshot.Event{Reason: "ContainerdStart", Message: "Starting containerd container runtime...", Count: 1, Source: "systemd-monitor"})
		}
		return out
	}
	for n, want := range map[int]bool{1: false, 2: false, 3: true} {
		d := Diagnose(&snapshot.Snapshot{NodeName: "w", Offline: true, Events: starts(n)})
		got := false
		for _, c := range d.Causes {
			got = got || c.ID == CauseRuntimeDown && c.Severity >= Warning
		}
		if got != want {
			t.Errorf("%d starts: runtime-down %v, want %v", n, got, want)
		}
	}
}

// A runtime listing shows a container stuck when it sat created, never
// started, past StuckCreatedAfter, or its state is unknown; a container
// created moments ago is starting.
func TestListedStuck(t *testing.T) {
	for _, tc := range []struct {
		c    snapshot.Listed
		want bool
	}{
		{snapshot.Listed{ID: "a1", Name: "app", State: "created", For: 14 * time.Minute, ForKnown: true}, true},
		{snapshot.Listed{ID: "a1", Name: "app", State: "created", For: 4 * time.Minute, ForKnown: true}, false},
		{snapshot.Listed{ID: "a1", Name: "app", State: "unknown"}, true},
		{snapshot.Listed{ID: "a1", Name: "app", State: "exited", For: time.Hour, ForKnown: true}, false},
		{snapshot.Listed{ID: "a1", Name: "app", State: "notready", Sandbox: true}, false},
	} {
		d := Diagnose(&snapshot.Snapshot{Offline: true, Listed: []snapshot.Listed{tc.c}})
		got := false
		for _, c := range d.Causes {
			got = got || c.ID == CauseStuckContainer && c.Severity == Warning
		}
		if got != tc.want {
			t.Errorf("%+v: stuck-container %v, want %v", tc.c, got, tc.want)
		}
	}
}

// The unit's own state is the first evidence the table shows, before the
// log lines systemctl printed under it.
func TestUnitStateIsTheFirstEvidence(t *testing.T) {
	s := &snapshot.Snapshot{NodeName: "w", Offline: true, CollectedAt: now,
		Units:      []snapshot.Unit{{Name: "containerd.service", Active: "activating", Sub: "auto-restart", Result: "exit-code", MainExit: "status=1/FAILURE"}},
		RuntimeLog: scan(jline(ago(2*time.Second), "systemd", "containerd.service: Main process exited, code=exited, status=1/FAILURE")),
	}
	f := runtimeDown(s)
	if f == nil || len(f.Evidence) < 2 {
		t.Fatalf("runtime-down = %+v, want the unit's state and the log line", f)
	}
	if !strings.HasPrefix(f.Evidence[0], "systemctl status: containerd.service crash-looping") {
		t.Errorf("first evidence %q, want the unit's state", f.Evidence[0])
	}
}
