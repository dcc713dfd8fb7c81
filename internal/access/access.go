// Package access is what the plugin's commands may read, in one place: the
// RBAC permission of each read, what each command needs and does without
// it, the shipped ClusterRoles (deploy/rbac.yaml, held to this list by a
// test), and a user's grants as the API server answered them. Plain data:
// internal/collect asks the API server, internal/report prints the answer.
package access

import (
	"fmt"
	"slices"
)

// Permission is one RBAC grant a read needs: a verb on a resource of the
// core API group ("nodes/proxy" names the subresource), cluster-wide.
type Permission struct {
	Verb     string `json:"verb"`
	Resource string `json:"resource"`
}

func (p Permission) String() string { return p.Verb + " " + p.Resource }

// Rule is the ClusterRole rule that grants p, as a user pastes it.
func (p Permission) Rule() string {
	return fmt.Sprintf(`{apiGroups: [""], resources: [%q], verbs: [%q]}`, p.Resource, p.Verb)
}

// The permissions of the reads, one place for all: the commands' needs, the
// hints of forbidden reads and `kubectl pleg rbac` are built from them, and
// a test holds deploy/rbac.yaml against them.
var (
	GetNodes      = Permission{"get", "nodes"}
	ListNodes     = Permission{"list", "nodes"}
	WatchNodes    = Permission{"watch", "nodes"}
	ListPods      = Permission{"list", "pods"}
	ListEvents    = Permission{"list", "events"}
	WatchEvents   = Permission{"watch", "events"}
	GetNodesProxy = Permission{"get", "nodes/proxy"}
)

// Need is a permission a command uses, and what the command does without it.
type Need struct {
	Permission
	// Without says what is lost when the permission is missing; "" when
	// the command cannot run without it.
	Without string `json:"without,omitempty"`
}

// proxyLoss is what every command loses without nodes/proxy.
const proxyLoss = "the kubelet's logs, /metrics, /stats/summary, /configz and /healthz are reported forbidden; the verdict comes from conditions, events and pods"

// Needs lists, per command, the permissions it uses. A command is never
// given more than this, and deploy/rbac.yaml grants no more than their union.
var Needs = []struct {
	Command string
	Needs   []Need
}{
	{"diagnose", []Need{{GetNodes, ""}, {ListEvents, "no events: check A partial"}, {ListPods, "no pods: pod density unchecked"}, {GetNodesProxy, proxyLoss}}},
	{"collect", []Need{{GetNodes, ""}, {ListEvents, "no events in the bundle"}, {ListPods, "no pods in the bundle"}, {GetNodesProxy, proxyLoss}}},
	{"scan", []Need{{ListNodes, ""}, {ListPods, "no pods: pod density unchecked"}, {ListEvents, "no events: flapping unchecked"}, {GetNodesProxy, proxyLoss}}},
	{"watch", []Need{{GetNodes, ""}, {WatchNodes, "the node is polled with a GET every --interval instead"},
		{ListEvents, "no events"}, {WatchEvents, "events are polled with a LIST every --interval instead"},
		{ListPods, "no pods: pod density unchecked"}, {GetNodesProxy, proxyLoss}}},
	{"completion", []Need{{ListNodes, "no node names offered on <TAB>"}}},
}

// AllPermissions is the union of every command's needs, in a stable order.
func AllPermissions() []Permission {
	var out []Permission
	for _, c := range Needs {
		for _, n := range c.Needs {
			if !slices.Contains(out, n.Permission) {
				out = append(out, n.Permission)
			}
		}
	}
	return out
}

// Grant is whether the API server allows one permission to the current user.
type Grant struct {
	Permission
	Allowed bool `json:"allowed"`
	// Reason is the authorizer's word on it, or why it could not be asked.
	Reason string `json:"reason,omitempty"`
}

// Review is what the current user may do, as the API server says.
type Review struct {
	// User and Groups are who the API server takes the caller for ("" when
	// it would not say).
	User   string   `json:"user,omitempty"`
	Groups []string `json:"groups,omitempty"`
	Grants []Grant  `json:"grants"`
}

// Allowed says whether p is granted.
func (a *Review) Allowed(p Permission) bool {
	for _, g := range a.Grants {
		if g.Permission == p {
			return g.Allowed
		}
	}
	return false
}

// Tier is one of the shipped ClusterRoles (deploy/rbac.yaml) and what it grants.
type Tier struct {
	Role   string
	Grants []Permission
	// Sees says what a diagnosis under it reads.
	Sees string
}

// Tiers are the shipped ClusterRoles, fullest first.
func Tiers() []Tier {
	var noProxy []Permission
	for _, p := range AllPermissions() {
		if p != GetNodesProxy {
			noProxy = append(noProxy, p)
		}
	}
	return []Tier{
		{Role: "kubectl-pleg", Grants: AllPermissions(),
			Sees: "the full diagnosis: the node, its events and pods, and the kubelet's logs, /metrics, /stats/summary, /configz and /healthz"},
		{Role: "kubectl-pleg-no-proxy", Grants: noProxy,
			Sees: "the node's conditions, events and pods; every kubelet source reported forbidden once"},
	}
}

// Missing are the permissions not granted, in the order asked.
func (a *Review) Missing() []Permission {
	out := []Permission{}
	for _, g := range a.Grants {
		if !g.Allowed {
			out = append(out, g.Permission)
		}
	}
	return out
}

// Tier is the fullest shipped ClusterRole whose every grant the user has,
// or nil for none.
func (a *Review) Tier() *Tier {
	for _, t := range Tiers() {
		if !slices.ContainsFunc(t.Grants, func(p Permission) bool { return !a.Allowed(p) }) {
			return &t
		}
	}
	return nil
}

// CommandsUsing names the commands that need p, with what each does without it.
func CommandsUsing(p Permission) []struct{ Command, Without string } {
	var out []struct{ Command, Without string }
	for _, c := range Needs {
		for _, n := range c.Needs {
			if n.Permission == p {
				out = append(out, struct{ Command, Without string }{c.Command, n.Without})
			}
		}
	}
	return out
}
