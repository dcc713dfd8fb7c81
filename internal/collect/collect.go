// Package collect is the only package that talks to a cluster. It reads one
// node's objects from the API server and the kubelet's logs, metrics, stats and
// configuration through the API server's node proxy, all concurrently, each
// source under its own timeout, and returns a snapshot.Snapshot. A failed or
// forbidden source is recorded with its reason; the others go on.
package collect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Options bound what one collection reads.
type Options struct {
	// Since is how far back logs are read.
	Since time.Duration
	// SourceTimeout bounds each source separately.
	SourceTimeout time.Duration
	// MaxLogBytes caps each log kept for analysis; the newest bytes are kept.
	MaxLogBytes int64
	// Progress, when set, is told each time a node's source starts or ends
	// being read, with the sources of that node still being read (none:
	// the node is done). It is called from many goroutines.
	Progress func(node string, pending []snapshot.SourceName)
	// Prometheus, when set, is where the kubelets' metrics are read instead
	// of /metrics through the node proxy: a URL, or a path on the API
	// server (a service proxy); PrometheusToken is a URL's bearer token.
	Prometheus, PrometheusToken string
}

// DefaultSourceTimeout fits a real hang: while the runtime hangs, the
// kubelet's /metrics and /stats/summary answer only when their runtime call
// gives up (runtimeRequestTimeout; 15s in the lab's real nodes, where the
// scrape took ~15s). A source that still times out is evidence too.
const DefaultSourceTimeout = 30 * time.Second

// DefaultOptions are the diagnose command's defaults.
func DefaultOptions() Options {
	return Options{Since: time.Hour, SourceTimeout: DefaultSourceTimeout, MaxLogBytes: 32 << 20}
}

// Collector reads nodes through one API server.
type Collector struct {
	client kubernetes.Interface
	// proxy issues GETs under /api/v1/nodes/NAME/proxy/; it is the clientset's
	// core REST client in production.
	proxy rest.Interface
	opts  Options
	now   func() time.Time
	// rec, when set, keeps the raw data of every source for a bundle.
	rec *dirRecorder
	// gate says whether the user may get nodes/proxy, asked once.
	gate *proxyGate
}

// New returns a Collector. now is the clock that stamps the collection time.
func New(client kubernetes.Interface, proxy rest.Interface, opts Options, now func() time.Time) *Collector {
	return &Collector{client: client, proxy: proxy, opts: opts, now: now, gate: &proxyGate{}}
}

// Connect returns a Collector for the API server of cfg.
func Connect(cfg *rest.Config, opts Options) (*Collector, error) {
	cfg = rest.CopyConfig(cfg)
	// Every source of every node is fetched at once, and scan bounds what is
	// in flight with --concurrency: a client-side rate limit would only
	// serialize them (a 1000-node scan took 25 s at 50 QPS, 10 s without).
	// The API server's priority and fairness still protects it.
	cfg.QPS = -1
	// Objects (nodes, pods, events) come as protobuf, which decodes several
	// times faster than JSON: it matters for a LIST of 150,000 pods. The
	// node and service proxies carry the kubelet's and Prometheus's own
	// formats, and keep the client that asks for those as they are.
	typed := rest.CopyConfig(cfg)
	typed.ContentType = runtime.ContentTypeProtobuf
	typed.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	client, err := kubernetes.NewForConfig(typed)
	if err != nil {
		return nil, fmt.Errorf("building the API client: %w", err)
	}
	raw, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building the API client: %w", err)
	}
	return New(client, raw.CoreV1().RESTClient(), opts, time.Now), nil
}

// ErrNodeNotFound is returned when the API server has no such node.
var ErrNodeNotFound = errors.New("node not found")

// ErrAPIServerUnreachable is returned when no answer came from the API
// server at all (connection refused, a timeout, a TLS failure): unlike a
// refusal, it may pass, so a watch tries again.
var ErrAPIServerUnreachable = errors.New("cannot reach the API server")

// Collect reads everything about one node. It fails only when the diagnosis
// cannot start at all: the node does not exist, or the API server cannot be
// reached. Every other failure is a Source record in the snapshot.
func (c *Collector) Collect(ctx context.Context, nodeName string) (*snapshot.Snapshot, error) {
	snap := &snapshot.Snapshot{NodeName: nodeName, CollectedAt: c.now().UTC(), LogWindow: c.opts.Since}
	since := snap.CollectedAt.Add(-c.opts.Since)

	var nodeErr error
	sources := c.newSourceRuns(ctx, snap)
	// nodeKnown is closed once the node fetch ended, so that the runtime log
	// can ask for the right unit (containerd, docker, crio).
	nodeKnown := make(chan struct{})
	sources.run(snapshot.SourceNode, func(ctx context.Context) (src snapshot.Source) {
		defer close(nodeKnown)
		snap.Node, src, nodeErr = c.node(ctx, nodeName)
		return src
	})
	sources.run(snapshot.SourceEvents, func(ctx context.Context) (src snapshot.Source) {
		snap.Events, src = c.events(ctx, nodeName)
		return src
	})
	sources.run(snapshot.SourcePods, func(ctx context.Context) (src snapshot.Source) {
		snap.Pods, src = c.pods(ctx, nodeName)
		return src
	})
	reads := &nodeReads{snap: snap, since: since, node: func(ctx context.Context) *corev1.Node {
		select {
		case <-nodeKnown:
			return snap.Node
		case <-ctx.Done():
			return nil
		}
	}}
	c.readKubelet(sources, reads, kubeletSources...)
	sources.wait()

	if nodeErr != nil {
		return nil, nodeErr
	}
	if c.opts.Prometheus != "" {
		c.fromPrometheus(ctx, snap, reads.promSelector)
	}
	snapshot.SortSources(snap.Sources)
	return snap, nil
}

// nodeReads is what the kubelet reads of one snapshot share.
type nodeReads struct {
	snap  *snapshot.Snapshot
	since time.Time
	// node returns the Node object once it is read (nil when it could not
	// be): its container runtime names the runtime log's unit.
	node func(ctx context.Context) *corev1.Node
	// promSelector is the selector Prometheus found the kubelet's series
	// by, once the metrics are read from it ("" otherwise).
	promSelector string
}

// kubeletRead reads one source from a node's kubelet into the snapshot.
type kubeletRead func(ctx context.Context, c *Collector, n *nodeReads) snapshot.Source

// kubeletReads is the one table of the kubelet's sources: Collect reads
// them all, Scan /metrics (or all with --deep).
var kubeletReads = map[snapshot.SourceName]kubeletRead{
	snapshot.SourceKubeletLog: func(ctx context.Context, c *Collector, n *nodeReads) (src snapshot.Source) {
		n.snap.KubeletLog, src = c.kubeletLog(ctx, n.snap.NodeName, n.snap.CollectedAt, n.since)
		return src
	},
	snapshot.SourceRuntimeLog: func(ctx context.Context, c *Collector, n *nodeReads) (src snapshot.Source) {
		n.snap.RuntimeLog, src = c.runtimeLog(ctx, n.snap.NodeName, runtimeUnit(n.node(ctx)), n.snap.CollectedAt, n.since)
		return src
	},
	snapshot.SourceSystemLog: func(ctx context.Context, c *Collector, n *nodeReads) (src snapshot.Source) {
		n.snap.SystemLog, src = c.systemLog(ctx, n.snap.NodeName, n.snap.CollectedAt, n.since)
		return src
	},
	snapshot.SourceMetrics: func(ctx context.Context, c *Collector, n *nodeReads) (src snapshot.Source) {
		// The Node object read already gives the address, if needed.
		ip := func() string {
			if node := n.node(ctx); node != nil {
				return internalIPOf(node)
			}
			return ""
		}
		n.snap.Metrics, n.snap.MetricsAt, n.promSelector, src = c.metrics(ctx, n.snap.NodeName, ip)
		return src
	},
	snapshot.SourceStats: func(ctx context.Context, c *Collector, n *nodeReads) (src snapshot.Source) {
		n.snap.Stats, src = c.stats(ctx, n.snap.NodeName)
		return src
	},
	snapshot.SourceConfigz: func(ctx context.Context, c *Collector, n *nodeReads) (src snapshot.Source) {
		n.snap.Config, src = c.configz(ctx, n.snap.NodeName)
		return src
	},
	snapshot.SourceHealthz: func(ctx context.Context, c *Collector, n *nodeReads) (src snapshot.Source) {
		n.snap.Healthz, src = c.healthz(ctx, n.snap.NodeName)
		return src
	},
}

// kubeletSources are the keys of kubeletReads, in report order.
var kubeletSources = []snapshot.SourceName{
	snapshot.SourceKubeletLog, snapshot.SourceRuntimeLog, snapshot.SourceSystemLog,
	snapshot.SourceMetrics, snapshot.SourceStats, snapshot.SourceConfigz, snapshot.SourceHealthz,
}

// readKubelet starts the reads of the named kubelet sources.
func (c *Collector) readKubelet(runs *sourceRuns, n *nodeReads, names ...snapshot.SourceName) {
	for _, name := range names {
		read := kubeletReads[name]
		runs.run(name, func(ctx context.Context) snapshot.Source { return read(ctx, c, n) })
	}
}

// sourceRuns fetches the sources of one snapshot concurrently, each under
// its own timeout. Each fetch writes its own field of the snapshot; only
// Sources is shared, so only it is locked.
type sourceRuns struct {
	ctx      context.Context
	timeout  time.Duration
	snap     *snapshot.Snapshot
	progress func(node string, pending []snapshot.SourceName)
	mu       sync.Mutex
	wg       sync.WaitGroup
	pending  []snapshot.SourceName
}

func (c *Collector) newSourceRuns(ctx context.Context, snap *snapshot.Snapshot) *sourceRuns {
	return &sourceRuns{ctx: ctx, timeout: c.opts.SourceTimeout, snap: snap, progress: c.opts.Progress}
}

// run starts reading source name under the source timeout and records the
// Source fetch returns.
func (r *sourceRuns) run(name snapshot.SourceName, fetch func(ctx context.Context) snapshot.Source) {
	r.changed(func() { r.pending = append(r.pending, name) })
	r.wg.Go(func() {
		defer r.changed(func() {
			r.pending = slices.DeleteFunc(r.pending, func(n snapshot.SourceName) bool { return n == name })
		})
		ctx, cancel := context.WithTimeout(r.ctx, r.timeout)
		defer cancel()
		start := time.Now()
		src := fetch(ctx)
		// How long each source took is evidence: a kubelet answers /healthz
		// at once but /metrics only when its runtime calls give up.
		src.ElapsedMillis = time.Since(start).Milliseconds()
		r.mu.Lock()
		r.snap.Sources = append(r.snap.Sources, src)
		r.mu.Unlock()
	})
}

// wait waits for every fetch started so far.
func (r *sourceRuns) wait() { r.wg.Wait() }

// changed applies a change to the pending sources and tells Progress.
func (r *sourceRuns) changed(change func()) {
	if r.progress == nil {
		return
	}
	r.mu.Lock()
	change()
	pending := slices.Clone(r.pending)
	r.mu.Unlock()
	r.progress(r.snap.NodeName, pending)
}

func ok(name snapshot.SourceName, detail string, args ...any) snapshot.Source {
	return snapshot.Source{Name: name, Status: snapshot.StatusOK, Detail: fmt.Sprintf(detail, args...)}
}
