package collect

import (
	"context"
	"fmt"
	"slices"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// Access is what the current user may do, as the API server says.
type Access struct {
	// User and Groups are who the API server takes the caller for ("" when
	// it would not say).
	User   string   `json:"user,omitempty"`
	Groups []string `json:"groups,omitempty"`
	Grants []Grant  `json:"grants"`
}

// Allowed says whether p is granted.
func (a *Access) Allowed(p Permission) bool {
	for _, g := range a.Grants {
		if g.Permission == p {
			return g.Allowed
		}
	}
	return false
}

// CheckAccess asks the API server, without trying any read, which of the
// commands' permissions the current user has: one SelfSubjectAccessReview
// per permission (as `kubectl auth can-i` does) and a SelfSubjectReview for
// the user's name. Both are questions, not writes: the API server stores
// nothing, and every authenticated user may ask them.
func (c *Collector) CheckAccess(ctx context.Context) (*Access, error) {
	a := &Access{}
	if r, err := c.client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{}); err == nil {
		a.User, a.Groups = r.Status.UserInfo.Username, r.Status.UserInfo.Groups
	}
	for _, p := range AllPermissions() {
		resource, sub, _ := strings.Cut(p.Resource, "/")
		review := &authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authzv1.ResourceAttributes{Verb: p.Verb, Resource: resource, Subresource: sub},
		}}
		r, err := c.client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			if !isAPIStatus(err) {
				return nil, fmt.Errorf("%w: %v", ErrAPIServerUnreachable, err)
			}
			a.Grants = append(a.Grants, Grant{Permission: p, Reason: "could not ask: " + oneLine(err)})
			continue
		}
		g := Grant{Permission: p, Allowed: r.Status.Allowed, Reason: r.Status.Reason}
		if r.Status.EvaluationError != "" {
			g.Reason = strings.TrimSpace(g.Reason + " " + r.Status.EvaluationError)
		}
		a.Grants = append(a.Grants, g)
	}
	return a, nil
}
