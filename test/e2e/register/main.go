// Command register creates, for every scenario, the Node (with its status as
// a kubelet would post it), its Events and its Pods in the lab's API server.
// It is idempotent: rerunning it refreshes every timestamp to "now", which is
// what a test run on an older lab needs. With --renew-leases it is instead
// the lab's stand-in for the simulated nodes' kubelets (see leases.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"

	"github.com/kubectl-pleg/kubectl-pleg/test/e2e/internal/scenario"
)

// nodeIP is the kubelet simulator's address inside the lab's netns.
const nodeIP = "198.18.0.2"

func main() {
	kubeconfig := flag.String("kubeconfig", "", "admin kubeconfig")
	dir := flag.String("scenarios", "scenarios", "directory of scenario nodes")
	only := flag.String("node", "", "register only this scenario")
	leases := flag.Bool("renew-leases", false, "do not register: renew the Lease of every node without a real kubelet, every 10s, until SIGTERM")
	flag.Parse()

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatal(err)
	}
	// Hundreds of pods: the default client-side limit (5 qps) would take minutes.
	cfg.QPS, cfg.Burst = 500, 1000
	cs := kubernetes.NewForConfigOrDie(cfg)
	if *leases {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		renewLeases(ctx, cs)
		return
	}
	scenarios, err := scenario.LoadAll(*dir)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	// Nodes are independent; registering them concurrently keeps a test
	// run's refresh of ~500 objects to a few seconds.
	var wg sync.WaitGroup
	failed := make(chan error, len(scenarios))
	for _, s := range scenarios {
		if *only != "" && s.Name != *only {
			continue
		}
		wg.Go(func() {
			if err := register(ctx, cs, s, time.Now()); err != nil {
				failed <- fmt.Errorf("%s: %w", s.Name, err)
			}
		})
	}
	wg.Wait()
	close(failed)
	for err := range failed {
		log.Fatal(err)
	}
}

func register(ctx context.Context, cs kubernetes.Interface, s *scenario.Scenario, now time.Time) error {
	node, err := s.Node(now)
	if err != nil {
		return err
	}
	node.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: nodeIP},
		{Type: corev1.NodeHostName, Address: s.Name},
	}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(s.Port)
	cur, err := upsertNode(ctx, cs, node)
	if err != nil {
		return err
	}

	events, err := s.Events(now)
	if err != nil {
		return err
	}
	for i, ev := range events {
		ev.Namespace = "default"
		if ev.Name == "" {
			ev.Name = fmt.Sprintf("%s.%d", s.Name, i)
		}
		// Events name the node unless the file says otherwise (a pod on it).
		if k := ev.InvolvedObject.Kind; k == "" || k == "Node" {
			ev.InvolvedObject = corev1.ObjectReference{Kind: "Node", Name: s.Name, UID: cur.UID, APIVersion: "v1"}
		} else {
			ev.Namespace = ev.InvolvedObject.Namespace
			if err := ensureNamespace(ctx, cs, ev.Namespace); err != nil {
				return err
			}
		}
		if ev.Source.Host == "" && ev.Source.Component == "kubelet" {
			ev.Source.Host = s.Name
		}
		if err := recreate(ctx, cs, &ev); err != nil {
			return err
		}
	}

	pods, err := s.Pods(now)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, p := range pods {
		if p.Namespace == "" {
			p.Namespace = "default"
		}
		if !seen[p.Namespace] {
			if err := ensureNamespace(ctx, cs, p.Namespace); err != nil {
				return err
			}
			seen[p.Namespace] = true
		}
		if err := upsertPod(ctx, cs, p); err != nil {
			return fmt.Errorf("pod %s/%s: %w", p.Namespace, p.Name, err)
		}
	}
	log.Printf("%s: node (kubelet port %d), %d events, %d pods", s.Name, s.Port, len(events), len(pods))
	return nil
}

// upsertNode creates or updates the node, then writes its status through
// the status subresource (status is ignored on create and update), as the
// kubelet does. The controller-manager writes these nodes too (taints that
// mirror their conditions): on a conflict, read again and retry.
func upsertNode(ctx context.Context, cs kubernetes.Interface, node *corev1.Node) (*corev1.Node, error) {
	nodes := cs.CoreV1().Nodes()
	var cur *corev1.Node
	// The controller-manager writes the nodes too (taints, conditions of
	// nodes it thinks lost): give a conflict time to pass.
	backoff := wait.Backoff{Steps: 10, Duration: 50 * time.Millisecond, Factor: 1.5, Jitter: 0.2}
	err := retry.RetryOnConflict(backoff, func() error {
		want := node.DeepCopy()
		var err error
		cur, err = nodes.Get(ctx, want.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			cur, err = nodes.Create(ctx, want, metav1.CreateOptions{})
		} else if err == nil {
			want.ResourceVersion = cur.ResourceVersion
			cur, err = nodes.Update(ctx, want, metav1.UpdateOptions{})
		}
		if err != nil {
			return err
		}
		cur.Status = node.Status
		cur, err = nodes.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	return cur, err
}

// recreate replaces an event so that its times are fresh.
func recreate(ctx context.Context, cs kubernetes.Interface, ev *corev1.Event) error {
	api := cs.CoreV1().Events(ev.Namespace)
	err := api.Delete(ctx, ev.Name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	_, err = api.Create(ctx, ev, metav1.CreateOptions{})
	return err
}

// ensureNamespace also creates the namespace's default ServiceAccount: pod
// admission requires it, and the lab's controller-manager may not have made
// it yet.
func ensureNamespace(ctx context.Context, cs kubernetes.Interface, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: name}}
	if _, err := cs.CoreV1().ServiceAccounts(name).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// upsertPod creates the pod once, then (re)writes its status, as the
// kubelet does, through the status subresource.
func upsertPod(ctx context.Context, cs kubernetes.Interface, p corev1.Pod) error {
	api := cs.CoreV1().Pods(p.Namespace)
	// The controller-manager may mark the pods of a node it finds NotReady.
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := api.Get(ctx, p.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			cur, err = api.Create(ctx, &p, metav1.CreateOptions{})
		}
		if err != nil {
			return err
		}
		cur.Status = p.Status
		_, err = api.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}
