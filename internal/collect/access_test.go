package collect

import (
	"context"
	"slices"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-pleg/kubectl-pleg/internal/access"
)

// CheckAccess asks one SelfSubjectAccessReview per permission, with the
// subresource split out, and reads the answers.
func TestCheckAccess(t *testing.T) {
	client := fake.NewClientset()
	var asked []authzv1.ResourceAttributes
	client.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authzv1.SelfSubjectAccessReview)
		attrs := *r.Spec.ResourceAttributes
		asked = append(asked, attrs)
		r.Status.Allowed = attrs.Subresource != "proxy" && attrs.Verb != "watch"
		return true, r, nil
	})
	review, err := New(client, nil, DefaultOptions(), nil).CheckAccess(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != len(access.AllPermissions()) || len(review.Grants) != len(asked) {
		t.Fatalf("asked %d reviews, got %d grants; want one per permission (%d)", len(asked), len(review.Grants), len(access.AllPermissions()))
	}
	if !slices.Contains(asked, authzv1.ResourceAttributes{Verb: "get", Resource: "nodes", Subresource: "proxy"}) {
		t.Errorf("nodes/proxy was not asked with its subresource split out: %+v", asked)
	}
	if review.Allowed(access.GetNodesProxy) || review.Allowed(access.WatchNodes) || !review.Allowed(access.GetNodes) || !review.Allowed(access.ListPods) {
		t.Errorf("grants read wrong: %+v", review.Grants)
	}
}
