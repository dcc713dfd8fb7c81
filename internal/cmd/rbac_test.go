package cmd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubectl-pleg/kubectl-pleg/internal/access"
)

// fakeAccess answers CheckAccess with every permission but those denied.
type fakeAccess struct {
	fakeCollector
	denied []access.Permission
}

func (f fakeAccess) CheckAccess(context.Context) (*access.Review, error) {
	r := &access.Review{User: "jane", Groups: []string{"developers", "system:authenticated"}}
	for _, p := range access.AllPermissions() {
		allowed := true
		for _, d := range f.denied {
			allowed = allowed && d != p
		}
		r.Grants = append(r.Grants, access.Grant{Permission: p, Allowed: allowed})
	}
	return r, nil
}

func TestRBAC(t *testing.T) {
	code, out, _ := runWith(t, fakeAccess{}, "rbac")
	if code != 0 || !strings.Contains(out, "You are jane (groups developers, system:authenticated).") ||
		!strings.Contains(out, "You have every grant of ClusterRole kubectl-pleg:") || strings.Contains(out, "ask for") {
		t.Errorf("everything granted: exit %d\n%s", code, out)
	}

	// The no-proxy tier: exit 2, what each command loses, the rule to ask for, once.
	code, out, _ = runWith(t, fakeAccess{denied: []access.Permission{access.GetNodesProxy}}, "rbac")
	for _, want := range []string{
		"get nodes/proxy  NO",
		"Without get nodes/proxy:\n  diagnose: the kubelet's logs",
		"You have every grant of ClusterRole kubectl-pleg-no-proxy:",
		"    resources: [\"nodes/proxy\"]\n    verbs: [\"get\"]\n    # nodes/proxy also allows exec-level access",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no proxy: output lacks %q:\n%s", want, out)
		}
	}
	if code != 2 || strings.Count(out, "verbs:") != 1 {
		t.Errorf("no proxy: exit %d, want 2 and one rule", code)
	}

	// Without watch: watch polls; JSON names the missing rules and no tier.
	code, out, _ = runWith(t, fakeAccess{denied: []access.Permission{access.WatchNodes, access.GetNodesProxy}}, "rbac", "-o", "json")
	var doc struct {
		Kind    string
		Tier    string
		Missing []access.Permission
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 2 || doc.Kind != "AccessReview" || doc.Tier != "" || len(doc.Missing) != 2 {
		t.Errorf("json: exit %d, %+v (%v)\n%s", code, doc, err, out)
	}
	if code, _, errOut := runWith(t, fakeAccess{}, "rbac", "-o", "wide"); code != 1 || !strings.Contains(errOut, `unknown output format "wide"`) {
		t.Errorf("-o wide: exit %d, %s", code, errOut)
	}
}
