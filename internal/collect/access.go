package collect

import (
	"context"
	"fmt"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-pleg/kubectl-pleg/internal/access"
)

// CheckAccess asks the API server, without trying any read, which of the
// commands' permissions the current user has: one SelfSubjectAccessReview
// per permission (as `kubectl auth can-i` does) and a SelfSubjectReview for
// the user's name. Both are questions, not writes: the API server stores
// nothing, and every authenticated user may ask them.
func (c *Collector) CheckAccess(ctx context.Context) (*access.Review, error) {
	a := &access.Review{}
	if r, err := c.client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{}); err == nil {
		a.User, a.Groups = r.Status.UserInfo.Username, r.Status.UserInfo.Groups
	}
	for _, p := range access.AllPermissions() {
		resource, sub, _ := strings.Cut(p.Resource, "/")
		review := &authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authzv1.ResourceAttributes{Verb: p.Verb, Resource: resource, Subresource: sub},
		}}
		r, err := c.client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			if !isAPIStatus(err) {
				return nil, fmt.Errorf("%w: %v", ErrAPIServerUnreachable, err)
			}
			a.Grants = append(a.Grants, access.Grant{Permission: p, Reason: "could not ask: " + oneLine(err)})
			continue
		}
		g := access.Grant{Permission: p, Allowed: r.Status.Allowed, Reason: r.Status.Reason}
		if r.Status.EvaluationError != "" {
			g.Reason = strings.TrimSpace(g.Reason + " " + r.Status.EvaluationError)
		}
		a.Grants = append(a.Grants, g)
	}
	return a, nil
}
