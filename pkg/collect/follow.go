package collect

import (
	"context"
	"errors"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Update is one thing Follow saw about a node, with when it saw it.
type Update struct {
	Time time.Time
	// Node is a new version of the node.
	Node *corev1.Node
	// Deleted says the node was deleted.
	Deleted bool
	// Event is an event about the node, new or seen again.
	Event *snapshot.Event
	// Metrics is a scrape of the kubelet's /metrics.
	Metrics *kubelet.Metrics
	// Source says how a read is going when it fails or recovers: the node
	// watch (the API server), the events watch, the kubelet's /metrics.
	Source *snapshot.Source
}

// Backoff bounds the wait before a watch is opened again after it broke.
var (
	followBackoffMin = time.Second
	followBackoffMax = 30 * time.Second
)

// Follow watches the node and its events through the API server and reads
// the kubelet's /metrics every interval, sending what it sees to updates
// until ctx ends. The watches resume from the last resourceVersion (with
// bookmarks), list again when the server answers 410 Gone, and reconnect
// with backoff when the API server restarts or the connection drops; every
// failure and recovery is an Update, never an end. Read-only: GET, LIST,
// WATCH.
func (c *Collector) Follow(ctx context.Context, node string, interval time.Duration, updates chan<- Update) {
	send := func(u Update) {
		u.Time = c.now().UTC()
		select {
		case updates <- u:
		case <-ctx.Done():
		}
	}
	done := make(chan struct{}, 3)
	go func() { c.followNode(ctx, node, send); done <- struct{}{} }()
	go func() { c.followEvents(ctx, node, send); done <- struct{}{} }()
	go func() { c.followMetrics(ctx, node, interval, send); done <- struct{}{} }()
	for range 3 {
		<-done
	}
}

func (c *Collector) followNode(ctx context.Context, name string, send func(Update)) {
	selector := fields.OneTermEqualSelector("metadata.name", name).String()
	followWatch(ctx, snapshot.SourceNode, send,
		func(ctx context.Context) (string, error) {
			n, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) {
					send(Update{Deleted: true})
				}
				return "", err
			}
			send(Update{Node: n})
			return n.ResourceVersion, nil
		},
		func(ctx context.Context, rv string) (watch.Interface, error) {
			return c.client.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{FieldSelector: selector, ResourceVersion: rv, AllowWatchBookmarks: true})
		},
		func(ev watch.Event) {
			n, ok := ev.Object.(*corev1.Node)
			if !ok {
				return
			}
			if ev.Type == watch.Deleted {
				send(Update{Deleted: true})
				return
			}
			send(Update{Node: n})
		})
}

func (c *Collector) followEvents(ctx context.Context, name string, send func(Update)) {
	selector := fields.Set{"involvedObject.kind": "Node", "involvedObject.name": name}.AsSelector().String()
	events := c.client.CoreV1().Events(metav1.NamespaceAll)
	followWatch(ctx, snapshot.SourceEvents, send,
		func(ctx context.Context) (string, error) {
			list, err := events.List(ctx, metav1.ListOptions{FieldSelector: selector})
			if err != nil {
				return "", err
			}
			for i := range list.Items {
				e := snapshot.ReduceEvent(&list.Items[i])
				send(Update{Event: &e})
			}
			return list.ResourceVersion, nil
		},
		func(ctx context.Context, rv string) (watch.Interface, error) {
			return events.Watch(ctx, metav1.ListOptions{FieldSelector: selector, ResourceVersion: rv, AllowWatchBookmarks: true})
		},
		func(ev watch.Event) {
			if e, ok := ev.Object.(*corev1.Event); ok && ev.Type != watch.Deleted {
				r := snapshot.ReduceEvent(e)
				send(Update{Event: &r})
			}
		})
}

// followWatch keeps one watch open: list (or get) for a resourceVersion,
// watch from it, resume from the last one seen when the watch ends, list
// again on 410 Gone, wait with backoff after a failure. Sources are sent
// when reading fails and when it works again.
func followWatch(ctx context.Context, name snapshot.SourceName, send func(Update),
	list func(context.Context) (string, error),
	open func(context.Context, string) (watch.Interface, error),
	handle func(watch.Event)) {
	rv, failing := "", false
	backoff := followBackoffMin
	fail := func(err error) {
		src := apiFailure(name, "watch", string(name), err)
		send(Update{Source: &src})
		failing = true
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
		}
		backoff = min(2*backoff, followBackoffMax)
	}
	for ctx.Err() == nil {
		if rv == "" {
			var err error
			if rv, err = list(ctx); err != nil {
				fail(err)
				continue
			}
		}
		w, err := open(ctx, rv)
		if err != nil {
			if isGone(err) {
				rv = ""
			}
			fail(err)
			continue
		}
		if failing {
			src := snapshot.Source{Name: name, Status: snapshot.StatusOK, Detail: "watching again"}
			send(Update{Source: &src})
			failing = false
		}
		backoff = followBackoffMin
		rv = drain(w, rv, handle)
		w.Stop()
		if ctx.Err() != nil {
			return
		}
		// The server ended the watch (its timeout, a restart): resume from rv.
	}
}

// drain reads a watch until it ends, handing objects on, and returns the
// newest resourceVersion seen — or "" on 410 Gone: the caller lists again.
func drain(w watch.Interface, rv string, handle func(watch.Event)) string {
	for ev := range w.ResultChan() {
		switch ev.Type {
		case watch.Error:
			if err := apierrors.FromObject(ev.Object); isGone(err) {
				return ""
			}
			return rv
		case watch.Bookmark:
		default:
			handle(ev)
		}
		if v := resourceVersionOf(ev.Object); v != "" {
			rv = v
		}
	}
	return rv
}

func resourceVersionOf(obj runtime.Object) string {
	if m, ok := obj.(metav1.Object); ok {
		return m.GetResourceVersion()
	}
	return ""
}

// isGone says the watch's resourceVersion is too old to resume from.
func isGone(err error) bool {
	var status apierrors.APIStatus
	return apierrors.IsGone(err) || apierrors.IsResourceExpired(err) ||
		errors.As(err, &status) && status.Status().Code == http.StatusGone
}

// followMetrics reads /metrics every interval, each read bounded by the
// interval (or the source timeout, when shorter). A failing read is sent
// as its Source; the next success says it works again.
func (c *Collector) followMetrics(ctx context.Context, node string, interval time.Duration, send func(Update)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	failing := false
	for {
		rctx, cancel := context.WithTimeout(ctx, min(interval, c.opts.SourceTimeout))
		m, src := c.metrics(rctx, node)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case m != nil:
			send(Update{Metrics: m})
			if failing {
				send(Update{Source: &src})
			}
			failing = false
		default:
			send(Update{Source: &src})
			failing = true
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}
