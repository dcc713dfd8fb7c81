package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// What `systemctl status` of the kubelet's and the runtime's units shows:
// the process itself, stopped, failed or restarting in a loop — the most
// direct evidence there is, read by kubelet-down, runtime-down and the
// verdict.

// unitState is what one unit's status says is wrong.
type unitState struct {
	unit snapshot.Unit
	// what says it in words: "kubelet.service failed 6s ago (Result:
	// exit-code; main process status=1/FAILURE)".
	what string
	// down says the unit's process is not running for good now: stopped,
	// failed, or dying again as soon as it starts.
	down bool
}

// unitsWrong are the units of a role whose status shows trouble.
func unitsWrong(s *snapshot.Snapshot, role snapshot.UnitRole) []unitState {
	var out []unitState
	for _, u := range s.Units {
		if u.Role() != role {
			continue
		}
		if st, wrong := judgeUnit(u); wrong {
			out = append(out, st)
		}
	}
	return out
}

// judgeUnit says whether a unit's status shows trouble, and what.
func judgeUnit(u snapshot.Unit) (unitState, bool) {
	st := unitState{unit: u}
	state := u.Active
	if u.Sub != "" {
		state += " (" + u.Sub + ")"
	}
	var why []string
	if u.Result != "" && u.Result != "success" {
		why = append(why, "Result: "+u.Result)
	}
	if u.MainExit != "" {
		why = append(why, "main process "+u.MainExit)
	}
	if u.Restarts > 0 {
		why = append(why, fmt.Sprintf("restart counter %d", u.Restarts))
	}
	since := ""
	if u.ForKnown {
		since = " for " + humanize.Duration(u.For)
	}
	detail := ""
	if len(why) > 0 {
		detail = " (" + strings.Join(why, "; ") + ")"
	}
	switch {
	case u.Active == "failed" || u.Active == "inactive" || u.Active == "deactivating":
		st.down = true
	case u.Active == "activating" && u.Sub == "auto-restart":
		st.down = true
		state = "crash-looping, " + state
	case u.Running() && u.Restarts >= RuntimeRestartsWarning && (!u.ForKnown || u.For < StartupGrace):
		// Up for moments after hundreds of restarts is a loop caught
		// between two deaths.
		st.down = true
		st.what = fmt.Sprintf("systemctl status: %s crash-looping, up%s after %d restarts", u.Name, since, u.Restarts)
		return st, true
	default:
		return st, false
	}
	st.what = fmt.Sprintf("systemctl status: %s %s%s%s", u.Name, state, since, detail)
	return st, true
}

// whyItExits is the first step for a unit that will not stay up: the
// reason is in its last lines before each exit.
func whyItExits(u snapshot.Unit) Step {
	return nodeStep("read why "+u.Name+" exits (its last lines before each exit)",
		"journalctl -u "+u.Name+" -n 200 --no-pager | grep -iE 'error|fail|fatal' | tail -20")
}

// unitsState is the node's state as its units show it, when the kubelet's
// or the runtime's unit is down; ok is false otherwise.
func unitsState(s *snapshot.Snapshot) (nodeState, bool) {
	for _, role := range []struct {
		role    snapshot.UnitRole
		verdict Verdict
	}{{snapshot.KubeletUnit, KubeletUnreachable}, {snapshot.RuntimeUnit, RuntimeDown}} {
		for _, st := range unitsWrong(s, role.role) {
			if st.down {
				return nodeState{verdict: role.verdict, notReady: true, summary: st.what}, true
			}
		}
	}
	return nodeState{}, false
}
