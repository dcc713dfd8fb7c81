// Package fleet registers many generated nodes, with pods, in the lab's API
// server for `kubectl pleg scan` tests and benchmarks. Every generated node
// points its kubelet endpoint at one scenario's simulated kubelet (the
// healthy one by default), so the simulator serves them all without a port
// per node. Nodes carry the label Label=Value, pods live in Namespace.
package fleet

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// Label and Value mark generated nodes; Namespace holds their pods.
const (
	Label     = "pleg.kubectl.io/generated"
	Value     = "fleet"
	Selector  = Label + "=" + Value
	Namespace = "pleg-fleet"
	nodeIP    = "198.18.0.2"
)

// Name is the i-th generated node's name.
func Name(i int) string { return fmt.Sprintf("fleet-%04d", i) }

// Spec says what to register.
type Spec struct {
	Nodes, PodsPerNode int
	// Port is the simulated kubelet every node points at.
	Port int
	// Workers bounds concurrent create requests.
	Workers int
}

// Ensure registers nodes 0..Nodes-1 and their pods, creating only what is
// missing, and refreshes every node's Ready heartbeat to now.
func Ensure(ctx context.Context, cs kubernetes.Interface, spec Spec) error {
	if err := ensureNamespace(ctx, cs); err != nil {
		return err
	}
	workers := max(1, spec.Workers)
	jobs := make(chan func() error)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for job := range jobs {
				if err := job(); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	now := time.Now()
	for i := range spec.Nodes {
		jobs <- func() error { return ensureNode(ctx, cs, Name(i), spec.Port, now) }
	}
	for i := range spec.Nodes {
		for j := range spec.PodsPerNode {
			jobs <- func() error { return ensurePod(ctx, cs, Name(i), j) }
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	return <-errs
}

// Delete removes every generated node and pod, workers at a time. The
// namespace stays: without a controller-manager nothing would finish
// deleting it. (One DeleteCollection of 30,000 pods outlives the API
// server's request timeout, hence one DELETE per object.)
func Delete(ctx context.Context, cs kubernetes.Interface, workers int) error {
	zero := int64(0)
	// Pods bound to a node wait for their kubelet unless deleted at once.
	now := metav1.DeleteOptions{GracePeriodSeconds: &zero}
	var names []string
	opts := metav1.ListOptions{Limit: 500}
	for {
		list, err := cs.CoreV1().Pods(Namespace).List(ctx, opts)
		if err != nil {
			return fmt.Errorf("listing generated pods: %w", err)
		}
		for _, p := range list.Items {
			names = append(names, p.Name)
		}
		if opts.Continue = list.Continue; opts.Continue == "" {
			break
		}
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: Selector})
	if err != nil {
		return fmt.Errorf("listing generated nodes: %w", err)
	}
	jobs := make(chan func() error)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Go(func() {
			for job := range jobs {
				if err := job(); err != nil && !apierrors.IsNotFound(err) {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for _, name := range names {
		jobs <- func() error { return cs.CoreV1().Pods(Namespace).Delete(ctx, name, now) }
	}
	for _, n := range nodes.Items {
		jobs <- func() error { return cs.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{}) }
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("deleting the generated fleet: %w", err)
	}
	return nil
}

func ensureNamespace(ctx context.Context, cs kubernetes.Interface) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	// Pod admission needs the default ServiceAccount, and the lab's
	// controller-manager may not have made it yet.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: Namespace}}
	if _, err := cs.CoreV1().ServiceAccounts(Namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// ensureNode creates a Ready node shaped like a real 8-core worker, then
// posts its status (the status subresource is the only way to write it).
// The controller-manager annotates new nodes (ttl controller) between the
// two writes: on a conflict, read the node again and retry.
func ensureNode(ctx context.Context, cs kubernetes.Interface, name string, port int, now time.Time) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		return writeNode(ctx, cs, name, port, now)
	})
}

func writeNode(ctx context.Context, cs kubernetes.Interface, name string, port int, now time.Time) error {
	nodes := cs.CoreV1().Nodes()
	node, err := nodes.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node, err = nodes.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			Label: Value, "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
			"node.kubernetes.io/instance-type": "m5.2xlarge", "node-role.kubernetes.io/worker": "",
		}}}, metav1.CreateOptions{})
	}
	if err != nil {
		return fmt.Errorf("node %s: %w", name, err)
	}
	t := metav1.NewTime(now)
	since := metav1.NewTime(now.Add(-72 * time.Hour))
	cond := func(typ corev1.NodeConditionType, status corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: typ, Status: status, Reason: reason, Message: msg, LastHeartbeatTime: t, LastTransitionTime: since}
	}
	node.Status = corev1.NodeStatus{
		Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32863620Ki"),
			corev1.ResourcePods: resource.MustParse("110"), corev1.ResourceEphemeralStorage: resource.MustParse("101430960Ki")},
		Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("7800m"), corev1.ResourceMemory: resource.MustParse("31610244Ki"),
			corev1.ResourcePods: resource.MustParse("110"), corev1.ResourceEphemeralStorage: resource.MustParse("93478772582")},
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"),
		},
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: nodeIP}, {Type: corev1.NodeHostName, Address: name}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(port)}},
		NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.36.3", KubeProxyVersion: "v1.36.3", ContainerRuntimeVersion: "containerd://1.7.27",
			OSImage: "Ubuntu 24.04.1 LTS", KernelVersion: "6.8.0-1021-aws", OperatingSystem: "linux", Architecture: "amd64"},
	}
	for i := range 12 {
		node.Status.Images = append(node.Status.Images, corev1.ContainerImage{
			Names:     []string{fmt.Sprintf("registry.example/team/app-%d@sha256:%064d", i, i), fmt.Sprintf("registry.example/team/app-%d:v1.%d.0", i, i)},
			SizeBytes: int64(50+i) << 20,
		})
	}
	if _, err := nodes.UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("node %s status: %w", name, err) // %w: RetryOnConflict sees the conflict
	}
	return nil
}

// ensurePod creates the j-th pod of a node: a Deployment-like pod with
// requests, limits, env and probes, bound to the node.
func ensurePod(ctx context.Context, cs kubernetes.Interface, node string, j int) error {
	res := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
	}
	app := fmt.Sprintf("svc-%02d", j)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%s", node, app), Namespace: Namespace, Labels: map[string]string{
			"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "fleet", "pod-template-hash": "5d8f7c9b6",
		}},
		Spec: corev1.PodSpec{
			NodeName: node,
			Containers: []corev1.Container{{
				Name: "app", Image: "registry.example/team/" + app + ":v1.4.2", Resources: res,
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				Env: []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{
					FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}},
			}},
			Tolerations: []corev1.Toleration{
				{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
				{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
			},
		},
	}
	if _, err := cs.CoreV1().Pods(Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("pod %s: %w", pod.Name, err)
	}
	return nil
}

// KubeletPort returns the kubelet port a registered node advertises (the
// simulator's port for that scenario in the running lab).
func KubeletPort(ctx context.Context, cs kubernetes.Interface, node string) (int, error) {
	n, err := cs.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return 0, fmt.Errorf("node %s (the scenario whose kubelet serves the fleet): %w", node, err)
	}
	if p := n.Status.DaemonEndpoints.KubeletEndpoint.Port; p > 0 {
		return int(p), nil
	}
	return 0, fmt.Errorf("node %s advertises no kubelet port", node)
}
