package collect

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/kubectl-pleg/kubectl-pleg/internal/access"
	"github.com/kubectl-pleg/kubectl-pleg/internal/promquery"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// ScanOptions bound a scan of many nodes.
type ScanOptions struct {
	// Selector is a label selector of the nodes to scan; empty scans all.
	Selector string
	// Concurrency bounds how many nodes' kubelets are read at once.
	Concurrency int
	// Deep also reads every node's logs, stats, configz and healthz, as
	// diagnose does; otherwise only /metrics.
	Deep bool
	// Progress, when set, is called once the nodes are listed (done = 0)
	// and after each node.
	Progress func(done, total int)
}

// Scan reads every node matching opts.Selector and calls each with one
// snapshot per node, from one goroutine at a time, in no particular order.
//
// Cluster objects take a constant number of paginated LISTs whatever the
// number of nodes: nodes (by label selector), pods of every namespace (bound
// to a node, reduced as each page arrives) and node events. Meanwhile each
// node's kubelet is read through the node proxy, opts.Concurrency nodes at a
// time, each source under SourceTimeout: /metrics only, or everything with
// Deep (with --prometheus, one set of queries for the whole fleet instead).
// The nodes read before the LISTs end wait for them, whole: with Deep, their
// log summaries too.
// A non-deep scan records only the sources it read, so the checklist says
// "not collected" for the others and no rule takes their absence as healthy.
//
// Scan fails only when the nodes cannot be listed; a failed pods or events
// LIST, or an unreachable or forbidden kubelet, is a Source record of each
// node's snapshot and the scan goes on.
func (c *Collector) Scan(ctx context.Context, opts ScanOptions, each func(*snapshot.Snapshot)) (int, error) {
	nodes, err := c.listNodes(ctx, opts.Selector)
	if err != nil {
		return 0, err
	}
	if len(nodes) == 0 {
		return 0, nil
	}
	byName := make(map[string]*scanNode, len(nodes))
	for i := range nodes {
		byName[nodes[i].Name] = &scanNode{node: &nodes[i]}
	}

	// The pods and events LISTs run while the kubelets are read: at 5,000
	// nodes the LIST of 150,000 pods takes as long as every kubelet's GET.
	var lists sync.WaitGroup
	var podsSrc, eventsSrc snapshot.Source
	lists.Go(func() { podsSrc = c.listAllPods(ctx, byName, opts.Deep) })
	lists.Go(func() { eventsSrc = c.listNodeEvents(ctx, byName) })
	listed := make(chan struct{})
	go func() { lists.Wait(); close(listed) }()
	if c.opts.Prometheus != "" {
		// Every kubelet's metrics in one set of queries; a node whose series
		// carry no node label is asked for on its own, by its address.
		fleet, err := promquery.FleetMetrics(ctx, c.prometheus(), c.now())
		for _, sn := range byName {
			sn.metrics, sn.promErr = fleet[sn.node.Name], err
		}
	}
	if opts.Progress != nil {
		opts.Progress(0, len(nodes))
	}

	read := c.readKubelets(ctx, nodes, byName, opts)
	// Once the LISTs are done, each node read is given its pods and events
	// and handed to each, while others are still read.
	<-listed
	done := 0
	for r := range read {
		each(withListed(r, podsSrc, eventsSrc))
		done++
		if opts.Progress != nil {
			opts.Progress(done, len(nodes))
		}
	}
	return len(nodes), ctx.Err()
}

// readKubelets reads the nodes' kubelets, opts.Concurrency at a time, never
// waiting for the LISTs: each node is sent on the channel returned once
// read, and the channel is closed after the last.
func (c *Collector) readKubelets(ctx context.Context, nodes []corev1.Node, byName map[string]*scanNode, opts ScanOptions) <-chan *readNode {
	work := make(chan *scanNode)
	read := make(chan *readNode, len(nodes))
	var readers sync.WaitGroup
	for range max(1, opts.Concurrency) {
		readers.Go(func() {
			for n := range work {
				read <- &readNode{scanNode: n, snap: c.readKubeletOf(ctx, n, opts.Deep)}
			}
		})
	}
	go func() {
		defer close(work)
		for i := range nodes {
			select {
			case work <- byName[nodes[i].Name]:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { readers.Wait(); close(read) }()
	return read
}

// readNode is one node whose kubelet has been read.
type readNode struct {
	*scanNode
	snap *snapshot.Snapshot
}

// scanNode gathers what the cluster-wide LISTs hold about one node.
type scanNode struct {
	node   *corev1.Node
	pods   []snapshot.Pod
	events []snapshot.Event
	// metrics are the node's from the fleet's Prometheus queries, if any;
	// promErr says the fleet's queries failed (each node says so, and no
	// node asks again).
	metrics *promquery.Node
	promErr error
}

// listNodes lists the nodes page by page, keeping what the rules read.
func (c *Collector) listNodes(ctx context.Context, selector string) ([]corev1.Node, error) {
	var out []corev1.Node
	err := listPages(ctx, metav1.ListOptions{LabelSelector: selector}, c.opts.SourceTimeout, func(ctx context.Context, opts metav1.ListOptions) (string, error) {
		list, err := c.client.CoreV1().Nodes().List(ctx, opts)
		if err != nil {
			return "", err
		}
		for i := range list.Items {
			out = append(out, reduceNode(list.Items[i]))
		}
		return list.Continue, nil
	})
	if err != nil {
		src := apiFailure(snapshot.SourceNode, access.ListNodes, err)
		switch {
		case apierrors.IsBadRequest(err):
			return nil, fmt.Errorf("listing nodes with selector %q: %s (check -l)", selector, src.Reason)
		case !isAPIStatus(err) && src.Status != snapshot.StatusTimeout:
			return nil, fmt.Errorf("%w: %v (check --kubeconfig/--context and that the cluster is up)", ErrAPIServerUnreachable, err)
		}
		if src.Hint != "" {
			return nil, fmt.Errorf("listing nodes: %s — %s", src.Reason, src.Hint)
		}
		return nil, fmt.Errorf("listing nodes: %s", src.Reason)
	}
	return out, nil
}

// reduceNode drops what no rule reads and what makes a Node large: the
// image list of its status and the managed fields.
func reduceNode(n corev1.Node) corev1.Node {
	n.ManagedFields = nil
	n.Status.Images = nil
	return n
}

// listAllPods lists the pods bound to any node, in every namespace, and
// keeps each one, reduced, on its node when that node is scanned. Container
// IDs (which name a stuck container's pod in log evidence) are kept only
// when logs are read.
func (c *Collector) listAllPods(ctx context.Context, nodes map[string]*scanNode, keepIDs bool) snapshot.Source {
	selector := fields.OneTermNotEqualSelector("spec.nodeName", "").String()
	kept := 0
	err := listPages(ctx, metav1.ListOptions{FieldSelector: selector}, c.opts.SourceTimeout, func(ctx context.Context, opts metav1.ListOptions) (string, error) {
		list, err := c.client.CoreV1().Pods(metav1.NamespaceAll).List(ctx, opts)
		if err != nil {
			return "", err
		}
		for i := range list.Items {
			n, found := nodes[list.Items[i].Spec.NodeName]
			if !found {
				continue
			}
			p := snapshot.ReducePod(&list.Items[i])
			if !keepIDs {
				p.ContainerIDs = nil
			}
			n.pods = append(n.pods, p)
			kept++
		}
		return list.Continue, nil
	})
	if err != nil {
		return apiFailure(snapshot.SourcePods, access.ListPods, err)
	}
	return ok(snapshot.SourcePods, "one LIST of all pods (%d on the scanned nodes)", kept)
}

// listNodeEvents lists the Events about any node and files them by node.
func (c *Collector) listNodeEvents(ctx context.Context, nodes map[string]*scanNode) snapshot.Source {
	selector := fields.OneTermEqualSelector("involvedObject.kind", "Node").String()
	kept := 0
	err := listPages(ctx, metav1.ListOptions{FieldSelector: selector}, c.opts.SourceTimeout, func(ctx context.Context, opts metav1.ListOptions) (string, error) {
		list, err := c.client.CoreV1().Events(metav1.NamespaceAll).List(ctx, opts)
		if err != nil {
			return "", err
		}
		for i := range list.Items {
			e := &list.Items[i]
			if n, found := nodes[e.InvolvedObject.Name]; found && e.InvolvedObject.Kind == "Node" {
				n.events = append(n.events, snapshot.ReduceEvent(e))
				kept++
			}
		}
		return list.Continue, nil
	})
	if err != nil {
		return apiFailure(snapshot.SourceEvents, access.ListEvents, err)
	}
	return ok(snapshot.SourceEvents, "one LIST of node events (%d about the scanned nodes)", kept)
}

// readKubeletOf starts one node's snapshot with what its kubelet says
// (or Prometheus of it); withListed adds what the LISTs hold.
func (c *Collector) readKubeletOf(ctx context.Context, n *scanNode, deep bool) *snapshot.Snapshot {
	snap := &snapshot.Snapshot{NodeName: n.node.Name, CollectedAt: c.now().UTC(), LogWindow: c.opts.Since, Node: n.node}
	sources := c.newSourceRuns(ctx, snap)
	reads := &nodeReads{snap: snap, since: snap.CollectedAt.Add(-c.opts.Since), node: func(context.Context) *corev1.Node { return n.node }}
	switch {
	case deep:
		c.readKubelet(sources, reads, kubeletSources...)
	case c.opts.Prometheus != "":
		var src snapshot.Source
		switch {
		case n.metrics != nil:
			snap.Metrics, snap.MetricsAt, src = n.metrics.Metrics, n.metrics.Found.ScrapedAt, c.promSource(n.metrics.Found)
		case n.promErr != nil:
			src = c.promFailure(n.promErr)
		default:
			snap.Metrics, snap.MetricsAt, _, src = c.promMetrics(ctx, n.node.Name, func() string { return internalIPOf(n.node) })
		}
		// Nothing through the node proxy: the EventedPLEG gate comes with
		// the metrics too.
		snap.Sources = append(snap.Sources, src)
	default:
		// /metrics alone: the EventedPLEG gate, which makes the PLEG
		// threshold 10m, comes with it (kubernetes_feature_enabled, 1.26+,
		// when the gate came), so /configz is left to diagnose and --deep:
		// one GET a node instead of two.
		c.readKubelet(sources, reads, snapshot.SourceMetrics)
	}
	sources.wait()
	// The kubelet-down rule calls a kubelet unreachable only when every one
	// of its endpoints failed; when /metrics could not reach it, ask the
	// others (a refused port answers at once) rather than leave them unread.
	if m, _ := snap.Source(snapshot.SourceMetrics); !deep && (m.Status == snapshot.StatusUnavailable || m.Status == snapshot.StatusTimeout) {
		c.readKubelet(sources, reads, snapshot.SourceStats, snapshot.SourceConfigz, snapshot.SourceHealthz)
		sources.wait()
	}
	return snap
}

// withListed gives a node's snapshot the pods and events the LISTs filed
// under it. The snapshot then owns them: once it is diagnosed and dropped,
// so are they, while other nodes are still read.
func withListed(r *readNode, podsSrc, eventsSrc snapshot.Source) *snapshot.Snapshot {
	snap := r.snap
	snap.Pods, snap.Events = r.pods, r.events
	r.pods, r.events = nil, nil
	if podsSrc.Status == snapshot.StatusOK {
		podsSrc.Detail = fmt.Sprintf("%d pods (one LIST of all pods)", len(snap.Pods))
	}
	if eventsSrc.Status == snapshot.StatusOK {
		eventsSrc.Detail = fmt.Sprintf("%d events (one LIST of node events)", len(snap.Events))
	}
	snap.Sources = append(snap.Sources, ok(snapshot.SourceNode, "one LIST of nodes"), eventsSrc, podsSrc)
	snapshot.SortSources(snap.Sources)
	return snap
}
