package main

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestRenewAllSkipsRealKubelets(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset(
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "healthy", UID: "u1"}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "real-healthy", UID: "u2", Labels: map[string]string{RealKubeletLabel: "real"}}},
	)
	leases := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	first := time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)
	for i, now := range []time.Time{first, first.Add(10 * time.Second)} {
		if err := renewAll(ctx, cs, now); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		l, err := leases.Get(ctx, "healthy", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("round %d: simulated node's lease: %v", i, err)
		}
		if got := l.Spec.RenewTime.Time; !got.Equal(now) {
			t.Errorf("round %d: renewTime %v, want %v", i, got, now)
		}
		if *l.Spec.HolderIdentity != "healthy" || len(l.OwnerReferences) != 1 || l.OwnerReferences[0].UID != "u1" {
			t.Errorf("round %d: lease holder %q owners %+v, want the node", i, *l.Spec.HolderIdentity, l.OwnerReferences)
		}
	}
	if _, err := leases.Get(ctx, "real-healthy", metav1.GetOptions{}); err == nil {
		t.Errorf("a real kubelet's node got a lease from register; its kubelet renews its own")
	}
}
