package main

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// RealKubeletLabel marks the nodes of the lab that run a real kubelet
// (lab.sh passes it in --node-labels): they renew their own Leases.
const RealKubeletLabel = "pleg.kubectl.io/kubelet"

// leaseInterval is the kubelet's own renew interval (a quarter of the
// 40s lease): the controller-manager's 50s grace period never runs out.
const leaseInterval = 10 * time.Second

// renewLeases stands in for the kubelets the simulated nodes do not have.
// The controller-manager's node lifecycle controller turns a node whose
// Lease (or Ready heartbeat) is older than its grace period Unknown — what
// it must do for a real node whose kubelet froze, but a simulated node's
// status is the scenario and must stay as register wrote it. So every node
// without RealKubeletLabel (scenario and generated fleet nodes alike) gets
// its Lease renewed, until ctx ends. Errors are logged, never fatal: the
// loop must outlive an API server hiccup.
func renewLeases(ctx context.Context, cs kubernetes.Interface) {
	tick := time.NewTicker(leaseInterval)
	defer tick.Stop()
	for {
		if err := renewAll(ctx, cs, time.Now()); err != nil && ctx.Err() == nil {
			log.Printf("leases: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// renewAll renews the Lease of every node without a real kubelet: one LIST
// of nodes and one of leases, then one write per node, a few at a time (a
// benchmark fleet has a thousand nodes and a round must fit in 10s).
func renewAll(ctx context.Context, cs kubernetes.Interface, now time.Time) error {
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: RealKubeletLabel + "!=real"})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	leases, err := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing leases: %w", err)
	}
	have := map[string]*coordinationv1.Lease{}
	for i := range leases.Items {
		have[leases.Items[i].Name] = &leases.Items[i]
	}
	jobs := make(chan *corev1.Node)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for node := range jobs {
				if err := renewLease(ctx, cs, node, have[node.Name], now); err != nil && ctx.Err() == nil {
					log.Printf("leases: %s: %v", node.Name, err)
				}
			}
		})
	}
	for i := range nodes.Items {
		jobs <- &nodes.Items[i]
	}
	close(jobs)
	wg.Wait()
	return nil
}

// renewLease writes the Lease a kubelet keeps for its node: same name,
// namespace kube-node-lease, owned by the Node so that the garbage
// collector deletes it with the node (the fleet's nodes come and go).
// lease is the node's current Lease, nil when it has none.
func renewLease(ctx context.Context, cs kubernetes.Interface, node *corev1.Node, lease *coordinationv1.Lease, now time.Time) error {
	api := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	owner := []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}}
	renew := metav1.NewMicroTime(now)
	if lease == nil {
		_, err := api.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: node.Name, Namespace: corev1.NamespaceNodeLease, OwnerReferences: owner},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity:       ptr.To(node.Name),
				LeaseDurationSeconds: ptr.To(int32(40)),
				RenewTime:            &renew,
			},
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil // created since the LIST: renewed next round
		}
		return err
	}
	lease = lease.DeepCopy()
	lease.OwnerReferences = owner // the node may have been recreated
	lease.Spec.RenewTime = &renew
	_, err := api.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}
