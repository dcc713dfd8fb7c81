package collect

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/kubectl-pleg/kubectl-pleg/internal/access"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// listPageSize bounds each LIST response; pages are reduced as they arrive.
const listPageSize = 2000

// listPages runs one paginated LIST: list gets each page's options and
// returns the server's continue token, until there is none. perPage, when
// non-zero, bounds each page separately (a fleet-wide LIST takes many pages).
func listPages(ctx context.Context, opts metav1.ListOptions, perPage time.Duration, list func(context.Context, metav1.ListOptions) (string, error)) error {
	opts.Limit = listPageSize
	for {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if perPage > 0 {
			pctx, cancel = context.WithTimeout(ctx, perPage)
		}
		next, err := list(pctx, opts)
		cancel()
		if err != nil || next == "" {
			return err
		}
		opts.Continue = next
	}
}

// node reads the Node. A missing node or an unreachable API server is returned
// as an error: nothing else about the node can be trusted then.
func (c *Collector) node(ctx context.Context, name string) (*corev1.Node, snapshot.Source, error) {
	node, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		c.saveJSON(snapshot.SourceNode, node)
		return node, ok(snapshot.SourceNode, "kubectl get node %s", name), nil
	}
	src := apiFailure(snapshot.SourceNode, access.GetNodes, err)
	switch {
	case apierrors.IsNotFound(err):
		return nil, src, fmt.Errorf("%w: the API server has no node %q (kubectl get nodes lists the names)", ErrNodeNotFound, name)
	case !isAPIStatus(err):
		return nil, src, fmt.Errorf("%w: %v (check --kubeconfig/--context and that the cluster is up)", ErrAPIServerUnreachable, err)
	}
	return nil, src, nil
}

// events lists the Events about the node in every namespace.
func (c *Collector) events(ctx context.Context, name string) ([]snapshot.Event, snapshot.Source) {
	selector := fields.Set{"involvedObject.kind": "Node", "involvedObject.name": name}.AsSelector().String()
	var out []snapshot.Event
	raw := &corev1.EventList{TypeMeta: metav1.TypeMeta{Kind: "EventList", APIVersion: "v1"}}
	err := listPages(ctx, metav1.ListOptions{FieldSelector: selector}, 0, func(ctx context.Context, opts metav1.ListOptions) (string, error) {
		list, err := c.client.CoreV1().Events(metav1.NamespaceAll).List(ctx, opts)
		if err != nil {
			return "", err
		}
		for i := range list.Items {
			out = append(out, snapshot.ReduceEvent(&list.Items[i]))
		}
		if c.rec != nil {
			raw.Items = append(raw.Items, list.Items...)
		}
		return list.Continue, nil
	})
	if err != nil {
		return nil, apiFailure(snapshot.SourceEvents, access.ListEvents, err)
	}
	c.saveJSON(snapshot.SourceEvents, raw)
	return out, ok(snapshot.SourceEvents, "%d events", len(out))
}

// pods lists the pods bound to the node in every namespace.
func (c *Collector) pods(ctx context.Context, name string) ([]snapshot.Pod, snapshot.Source) {
	selector := fields.OneTermEqualSelector("spec.nodeName", name).String()
	var out []snapshot.Pod
	raw := &corev1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}}
	err := listPages(ctx, metav1.ListOptions{FieldSelector: selector}, 0, func(ctx context.Context, opts metav1.ListOptions) (string, error) {
		list, err := c.client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, opts)
		if err != nil {
			return "", err
		}
		for i := range list.Items {
			out = append(out, snapshot.ReducePod(&list.Items[i]))
			if c.rec != nil {
				raw.Items = append(raw.Items, *withoutSecrets(&list.Items[i]))
			}
		}
		return list.Continue, nil
	})
	if err != nil {
		return nil, apiFailure(snapshot.SourcePods, access.ListPods, err)
	}
	c.saveJSON(snapshot.SourcePods, raw)
	return out, ok(snapshot.SourcePods, "%d pods", len(out))
}

// lastAppliedAnnotation holds a copy of the whole applied spec, env values included.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// withoutSecrets returns a copy of p fit for a bundle: env values (which
// often carry credentials) and the last-applied annotation are dropped.
func withoutSecrets(p *corev1.Pod) *corev1.Pod {
	p = p.DeepCopy()
	for _, list := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range list {
			for j := range list[i].Env {
				list[i].Env[j].Value = ""
			}
		}
	}
	for i := range p.Spec.EphemeralContainers {
		for j := range p.Spec.EphemeralContainers[i].Env {
			p.Spec.EphemeralContainers[i].Env[j].Value = ""
		}
	}
	delete(p.Annotations, lastAppliedAnnotation)
	p.ManagedFields = nil
	return p
}

// NodeNames lists the names of the cluster's nodes, sorted, for shell
// completion. ResourceVersion "0" lets the API server answer from its watch
// cache instead of etcd: a <TAB> should cost the cluster nothing.
func (c *Collector) NodeNames(ctx context.Context) ([]string, error) {
	nodes, err := c.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(nodes.Items))
	for _, n := range nodes.Items {
		names = append(names, n.Name)
	}
	slices.Sort(names)
	return names, nil
}
