package e2e

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The lab's users and the roles they hold (lab.sh rbac): deploy/rbac.yaml
// is applied as shipped, and oncall and developer are in the groups its
// example bindings name.
const (
	fullUser    = "oncall"    // ClusterRole kubectl-pleg
	noProxyUser = "developer" // ClusterRole kubectl-pleg-no-proxy
	noWatchUser = "nowatch"   // test-only: get and list, no watch
)

// accessReview is the part of `kubectl pleg rbac -o json` the tests read.
type accessReview struct {
	Kind   string
	User   string
	Tier   string
	Grants []struct {
		Verb, Resource string
		Allowed        bool
	}
	Missing []struct{ Verb, Resource string }
}

func rbacReview(t *testing.T, user string) (accessReview, int) {
	t.Helper()
	r := pleg(t, kubeconfig(user), "rbac", "-o", "json")
	var a accessReview
	if err := json.Unmarshal([]byte(r.stdout), &a); err != nil || a.Kind != "AccessReview" {
		r.dump(t)
		t.Fatalf("rbac -o json as %s: %v", user, err)
	}
	return a, r.code
}

// canIList is `kubectl auth can-i --list` as the user: "verb resource" pairs.
func canIList(t *testing.T, user string) map[string]bool {
	t.Helper()
	out, err := exec.Command("kubectl", "auth", "can-i", "--list", "--kubeconfig", kubeconfig(user)).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl auth can-i --list as %s: %v\n%s", user, err, out)
	}
	got := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		// "nodes   []   []   [get list watch]": the resource, then the verbs
		// in the last brackets; rows of non-resource URLs start with "[".
		f := strings.Fields(line)
		open := strings.LastIndex(line, "[")
		if len(f) < 2 || strings.HasPrefix(f[0], "[") || f[0] == "Resources" || open < 0 {
			continue
		}
		for _, v := range strings.Fields(strings.Trim(strings.TrimSpace(line[open:]), "[]")) {
			got[v+" "+f[0]] = true
		}
	}
	return got
}

// TestShippedRoles runs every command under each shipped ClusterRole, as its
// users get it, and holds the results to the admin's: the full role sees what
// the admin sees; the no-proxy role sees the node's conditions, events and
// pods, with the kubelet sources forbidden once. No command needs a verb its
// role lacks (the audit log shows no 403), and the no-proxy role sends the
// kubelet nothing.
func TestShippedRoles(t *testing.T) {
	needPlugin(t)
	admin, code := rbacReview(t, "admin")
	if code != 0 || len(admin.Missing) != 0 || admin.Tier != "kubectl-pleg" {
		t.Fatalf("admin: exit %d tier %q missing %v, want everything", code, admin.Tier, admin.Missing)
	}
	var needs []string
	for _, g := range admin.Grants {
		needs = append(needs, g.Verb+" "+g.Resource)
	}
	mark := auditMark(t)

	t.Run("rbac and kubectl auth can-i agree with the commands' needs", func(t *testing.T) {
		for _, tc := range []struct {
			user, tier string
			exit       int
			missing    []string
		}{
			{fullUser, "kubectl-pleg", 0, nil},
			{noProxyUser, "kubectl-pleg-no-proxy", 2, []string{"get nodes/proxy"}},
			{noWatchUser, "", 2, []string{"watch nodes", "watch events"}},
		} {
			a, code := rbacReview(t, tc.user)
			var missing []string
			for _, m := range a.Missing {
				missing = append(missing, m.Verb+" "+m.Resource)
			}
			if code != tc.exit || a.Tier != tc.tier || !slices.Equal(missing, tc.missing) || a.User != tc.user {
				t.Errorf("%s: exit %d user %q tier %q missing %v; want %d %q %v", tc.user, code, a.User, a.Tier, missing, tc.exit, tc.tier, tc.missing)
			}
			can := canIList(t, tc.user)
			for _, need := range needs {
				if want := !slices.Contains(tc.missing, need); can[need] != want {
					t.Errorf("%s: kubectl auth can-i --list says %q is %v, the commands need it %v", tc.user, need, can[need], want)
				}
			}
		}
	})

	nodes := []string{"pleg-stalled", "runtime-hung", "healthy"}
	t.Run("diagnose, live and --since", func(t *testing.T) {
		for _, node := range nodes {
			for _, since := range [][]string{nil, {"--since", "3h"}} {
				args := append([]string{"diagnose", node, "-o", "json"}, since...)
				want := pleg(t, kubeconfig("admin"), args...)
				full := pleg(t, kubeconfig(fullUser), args...)
				if full.code != want.code || full.diag.Verdict != want.diag.Verdict || !slices.Equal(full.diag.causeIDs(), want.diag.causeIDs()) {
					t.Errorf("%s %v as %s: exit %d %s %v; admin %d %s %v", node, since, fullUser, full.code, full.diag.Verdict, full.diag.causeIDs(),
						want.code, want.diag.Verdict, want.diag.causeIDs())
				}
				np := pleg(t, kubeconfig(noProxyUser), args...)
				// The verdict comes from the node's conditions, which the
				// no-proxy role reads: the same as the admin's.
				if np.code != want.code || np.diag.Verdict != want.diag.Verdict {
					t.Errorf("%s %v as %s: exit %d %s; admin %d %s", node, since, noProxyUser, np.code, np.diag.Verdict, want.code, want.diag.Verdict)
				}
				checkNoProxySources(t, np.diag)
			}
		}
		// The table says the forbidden sources and their one hint once.
		out := pleg(t, kubeconfig(noProxyUser), "diagnose", "pleg-stalled").stdout
		if n := strings.Count(out, `resources: ["nodes/proxy"]`); n != 1 {
			t.Errorf("the nodes/proxy hint is printed %d times, want once:\n%s", n, out)
		}
	})

	t.Run("scan", func(t *testing.T) {
		want := pleg(t, kubeconfig("admin"), "scan", "-l", scanFive, "-o", "json")
		for _, user := range []string{fullUser, noProxyUser} {
			got := pleg(t, kubeconfig(user), "scan", "-l", scanFive, "-o", "json")
			if got.code != want.code || len(got.diag.Items) != len(want.diag.Items) {
				t.Errorf("scan as %s: exit %d, %d nodes; admin %d, %d", user, got.code, len(got.diag.Items), want.code, len(want.diag.Items))
				continue
			}
			for i, d := range got.diag.Items {
				w := want.diag.Items[i]
				if user == fullUser && (d.Node != w.Node || d.Verdict != w.Verdict || !slices.Equal(d.causeIDs(), w.causeIDs())) {
					t.Errorf("scan as %s, row %d: %s %s %v; admin %s %s %v", user, i, d.Node, d.Verdict, d.causeIDs(), w.Node, w.Verdict, w.causeIDs())
				}
				if user == noProxyUser {
					checkNoProxySources(t, d)
				}
			}
		}
	})

	t.Run("collect, then diagnose the bundle", func(t *testing.T) {
		for _, user := range []string{fullUser, noProxyUser} {
			live := pleg(t, kubeconfig(user), "diagnose", "runtime-hung", "-o", "json")
			dir := filepath.Join(t.TempDir(), "bundle")
			if r := pleg(t, kubeconfig(user), "collect", "runtime-hung", "-d", dir); r.code != 0 {
				r.dump(t)
				t.Fatalf("collect as %s: exit %d", user, r.code)
			}
			off := runPlugin(t, "kubectl", "pleg", "diagnose", "--from-dir", dir, "-o", "json", "--kubeconfig", "/nonexistent")
			if off.code != live.code || off.diag.Verdict != live.diag.Verdict || !slices.Equal(off.diag.causeIDs(), live.diag.causeIDs()) {
				t.Errorf("as %s: the bundle diagnoses %d %s %v, live %d %s %v", user, off.code, off.diag.Verdict, off.diag.causeIDs(),
					live.code, live.diag.Verdict, live.diag.causeIDs())
			}
		}
	})

	t.Run("completion of node names", func(t *testing.T) {
		for _, user := range []string{fullUser, noProxyUser, noWatchUser} {
			r := runPlugin(t, "kubectl-pleg", "__complete", "diagnose", "--kubeconfig", kubeconfig(user), "pleg-st")
			if !strings.Contains(r.stdout, "pleg-stalled\n") {
				t.Errorf("completion as %s offers %q, want pleg-stalled", user, r.stdout)
			}
		}
	})

	t.Run("watch until healthy or ready through a recovery", func(t *testing.T) {
		for _, user := range []string{fullUser, noProxyUser, noWatchUser} {
			t.Run(user, func(t *testing.T) { watchThroughRecovery(t, user, "healthy") })
		}
		t.Run(fullUser+" until ready", func(t *testing.T) { watchThroughRecovery(t, fullUser, "ready") })
	})

	t.Run("audit: no command needed a verb its role lacks", func(t *testing.T) {
		var reqs, proxy, forbidden int
		for _, r := range auditEvents(t, mark) {
			user := r.User.Username
			if r.Stage != "ResponseComplete" || user != fullUser && user != noProxyUser && user != noWatchUser {
				continue
			}
			reqs++
			switch {
			case r.ResponseStatus.Code == 403 && user == noWatchUser && r.Verb == "watch":
				// nowatch's role lacks watch: its watches are refused and it polls.
			case r.ResponseStatus.Code == 403:
				forbidden++
				t.Errorf("%s was refused %s %s", user, r.Verb, r.RequestURI)
			}
			if user == noProxyUser && strings.Contains(r.RequestURI, "/proxy/") {
				proxy++
			}
		}
		if proxy != 0 {
			t.Errorf("the no-proxy role sent %d requests to nodes/proxy, want none", proxy)
		}
		t.Logf("audit: %d requests by the role users, %d refused, %d to nodes/proxy by %s", reqs, forbidden, proxy, noProxyUser)
	})
}

// checkNoProxySources: the node, its events and pods read; every kubelet
// source forbidden, all with the same hint naming nodes/proxy.
func checkNoProxySources(t *testing.T, d Diagnosis) {
	t.Helper()
	hints := map[string]bool{}
	for _, s := range d.Sources {
		switch {
		case s.Name == "node" || s.Name == "events" || s.Name == "pods":
			if s.Status != "ok" {
				t.Errorf("%s: %s %s, want ok", d.Node, s.Name, s.Status)
			}
		case s.Status != "forbidden":
			t.Errorf("%s: %s %s, want forbidden", d.Node, s.Name, s.Status)
		default:
			hints[s.Hint] = true
		}
	}
	if len(hints) != 1 {
		t.Errorf("%s: kubelet sources carry %d hints, want one", d.Node, len(hints))
	}
	for h := range hints {
		if !strings.Contains(h, `resources: ["nodes/proxy"], verbs: ["get"]`) {
			t.Errorf("%s: hint %q does not name the rule", d.Node, h)
		}
	}
}

// watchThroughRecovery starts watch --until goal on the broken watch
// node as user, fixes the node, and wants exit 0 within --stable +
// --interval (+3 s) of the fix: by watching, or by polling when the role
// may not watch.
func watchThroughRecovery(t *testing.T, user, goal string) {
	breakWatchNode(t)
	const stable, interval = 4 * time.Second, 2 * time.Second
	lines, wait := startWatchAs(t, kubeconfig(user), watchNode, "--until", goal, "--stable", stable.String(), "--interval", interval.String(), "--timeout", "90s")
	if first := firstObservation(t, lines); first.Verdict != "pleg-unhealthy" {
		t.Fatalf("first observation %+v, want pleg-unhealthy", first)
	}
	fixed := time.Now()
	serveAs(t, watchNode, "healthy")
	setReady(t, watchNode, true)
	var polling bool
	for line := range lines {
		o, _ := parseObservation(line)
		polling = polling || strings.Contains(strings.Join(o.Changes, " "), "may not watch nodes")
	}
	code, took := wait(), time.Since(fixed)
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	if limit := stable + interval + 3*time.Second; took > limit {
		t.Errorf("exited %v after the fix, want within %v", took.Round(time.Millisecond), limit)
	}
	if polling != (user == noWatchUser) {
		t.Errorf("said it polls: %v, want %v", polling, user == noWatchUser)
	}
	t.Logf("as %s, until %s: exit 0 %v after the fix (polling %v)", user, goal, took.Round(time.Millisecond), polling)
	breakWatchNode(t)
}
