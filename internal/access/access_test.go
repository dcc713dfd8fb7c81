package access

import (
	"bytes"
	"os"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// shippedRoles reads the ClusterRoles of deploy/rbac.yaml, as kubectl apply would.
func shippedRoles(t *testing.T) map[string][]Permission {
	t.Helper()
	raw, err := os.ReadFile("../../deploy/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string][]Permission{}
	for _, doc := range bytes.Split(raw, []byte("\n---\n")) {
		var role rbacv1.ClusterRole
		if err := yaml.UnmarshalStrict(doc, &role); err != nil || role.Kind != "ClusterRole" {
			continue
		}
		for _, r := range role.Rules {
			if !slices.Equal(r.APIGroups, []string{""}) || len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
				t.Errorf("%s: rule %+v: want the core group only, no names, no URLs", role.Name, r)
			}
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					roles[role.Name] = append(roles[role.Name], Permission{v, res})
				}
			}
		}
	}
	return roles
}

// What we ship is what the commands need: each shipped role grants exactly
// its tier — every permission a command uses (so no command fails for a
// verb the role lacks) and nothing more (least privilege).
func TestShippedRolesGrantExactlyTheCommandsNeeds(t *testing.T) {
	roles := shippedRoles(t)
	if len(roles) != len(Tiers()) {
		t.Errorf("deploy/rbac.yaml has %d ClusterRoles, want %d (one per tier)", len(roles), len(Tiers()))
	}
	for _, tier := range Tiers() {
		got, want := roles[tier.Role], tier.Grants
		for _, p := range want {
			if !slices.Contains(got, p) {
				t.Errorf("%s lacks %s, which a command needs", tier.Role, p)
			}
		}
		for _, p := range got {
			if !slices.Contains(want, p) {
				t.Errorf("%s grants %s, which no command uses", tier.Role, p)
			}
		}
	}
	// Every command's needs are in the full tier; the no-proxy tier lacks only nodes/proxy.
	for _, c := range Needs {
		for _, n := range c.Needs {
			if !slices.Contains(Tiers()[0].Grants, n.Permission) {
				t.Errorf("%s needs %s, which the full tier lacks", c.Command, n.Permission)
			}
		}
	}
}
