package collect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubectl-pleg/kubectl-pleg/internal/access"
	"github.com/kubectl-pleg/kubectl-pleg/internal/backoff"
	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Backoff bounds the wait before a watch is opened again after it broke. A
// watch counts as working again (the backoff starts over) once it delivered
// something or stayed open for followWatchSettled: a server that accepts a
// watch and ends it at once must not be asked again in a tight loop.
var (
	followBackoffMin   = time.Second
	followBackoffMax   = 30 * time.Second
	followWatchSettled = 10 * time.Second
)

// Follow watches the node and its events through the API server and reads
// the kubelet's /metrics every interval, sending what it sees to updates
// until ctx ends. A user who may not watch (RBAC) gets the node and its
// events read every interval instead. The watches resume from the last resourceVersion (with
// bookmarks), list again when the server answers 410 Gone, and reconnect
// with backoff when the API server restarts or the connection drops; every
// read's outcome is an Update, a failure never an end. Read-only: GET, LIST,
// WATCH.
func (c *Collector) Follow(ctx context.Context, node string, interval time.Duration, updates chan<- snapshot.Update) {
	send := func(u snapshot.Update) {
		u.Time, u.NodeName = c.now().UTC(), node
		select {
		case updates <- u:
		case <-ctx.Done():
		}
	}
	done := make(chan struct{}, 3)
	go func() { c.followNode(ctx, node, interval, send); done <- struct{}{} }()
	go func() { c.followEvents(ctx, node, interval, send); done <- struct{}{} }()
	go func() { c.followMetrics(ctx, node, interval, send); done <- struct{}{} }()
	for range 3 {
		<-done
	}
}

func (c *Collector) followNode(ctx context.Context, name string, interval time.Duration, send func(snapshot.Update)) {
	selector := fields.OneTermEqualSelector("metadata.name", name).String()
	followWatch(ctx, watched{
		source: snapshot.SourceNode, read: access.GetNodes, watch: access.WatchNodes, what: "the node",
		list: func(ctx context.Context) (string, error) {
			n, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) {
					send(snapshot.Update{Deleted: true})
				}
				return "", err
			}
			send(snapshot.Update{Node: n})
			return n.ResourceVersion, nil
		},
		open: func(ctx context.Context, rv string) (watch.Interface, error) {
			return c.client.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{FieldSelector: selector, ResourceVersion: rv, AllowWatchBookmarks: true})
		},
		handle: func(ev watch.Event) {
			n, ok := ev.Object.(*corev1.Node)
			if !ok {
				return
			}
			if ev.Type == watch.Deleted {
				send(snapshot.Update{Deleted: true})
				return
			}
			send(snapshot.Update{Node: n})
		},
	}, interval, send)
}

func (c *Collector) followEvents(ctx context.Context, name string, interval time.Duration, send func(snapshot.Update)) {
	selector := fields.Set{"involvedObject.kind": "Node", "involvedObject.name": name}.AsSelector().String()
	events := c.client.CoreV1().Events(metav1.NamespaceAll)
	followWatch(ctx, watched{
		source: snapshot.SourceEvents, read: access.ListEvents, watch: access.WatchEvents, what: "the node's events",
		list: func(ctx context.Context) (string, error) {
			list, err := events.List(ctx, metav1.ListOptions{FieldSelector: selector})
			if err != nil {
				return "", err
			}
			for i := range list.Items {
				e := snapshot.ReduceEvent(&list.Items[i])
				send(snapshot.Update{Event: &e})
			}
			return list.ResourceVersion, nil
		},
		open: func(ctx context.Context, rv string) (watch.Interface, error) {
			return events.Watch(ctx, metav1.ListOptions{FieldSelector: selector, ResourceVersion: rv, AllowWatchBookmarks: true})
		},
		handle: func(ev watch.Event) {
			if e, ok := ev.Object.(*corev1.Event); ok && ev.Type != watch.Deleted {
				r := snapshot.ReduceEvent(e)
				send(snapshot.Update{Event: &r})
			}
		},
	}, interval, send)
}

// watched is one kind of object Follow keeps up with: how to read it whole
// (list, sending what it read, returning its resourceVersion), how to watch
// it from a resourceVersion, what to do with each watch event, and the
// permissions of both.
type watched struct {
	source      snapshot.SourceName
	read, watch access.Permission
	what        string
	list        func(context.Context) (string, error)
	open        func(context.Context, string) (watch.Interface, error)
	handle      func(watch.Event)
}

// followWatch keeps one watch open: list (or get) for a resourceVersion,
// watch from it, resume from the last one seen when the watch ends, list
// again on 410 Gone, wait with backoff after a failure or a watch that ended
// at once. A watch the user may not open (RBAC without the watch verb) is
// said once and replaced by a read every interval. Every attempt's outcome
// is sent as a Source; the receiver says only what changed.
func followWatch(ctx context.Context, w watched, interval time.Duration, send func(snapshot.Update)) {
	rv := ""
	wait := backoff.New(followBackoffMin, followBackoffMax)
	fail := func(p access.Permission, err error) {
		src := apiFailure(w.source, p, err)
		send(snapshot.Update{Source: &src})
		wait.Wait(ctx)
	}
	for ctx.Err() == nil {
		if rv == "" {
			var err error
			if rv, err = w.list(ctx); err != nil {
				fail(w.read, err)
				continue
			}
		}
		ch, err := w.open(ctx, rv)
		switch {
		case isGone(err): // routine: the resourceVersion aged out; list again
			rv = ""
			wait.Wait(ctx)
			continue
		case apierrors.IsForbidden(err):
			send(snapshot.Update{Notice: fmt.Sprintf("may not %s (%s): reading %s every %s instead",
				w.watch, grantHint(w.watch), w.what, humanize.Duration(interval))})
			poll(ctx, w, interval, send)
			return
		case err != nil:
			fail(w.watch, err)
			continue
		}
		send(snapshot.Update{Source: &snapshot.Source{Name: w.source, Status: snapshot.StatusOK, Detail: "watching"}})
		opened := time.Now()
		var delivered bool
		rv, delivered, err = drain(ch, rv, w.handle)
		ch.Stop()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			fail(w.watch, err)
		case delivered || time.Since(opened) >= followWatchSettled:
			wait.Reset() // the server ended a working watch (its timeout): resume at once
		default:
			wait.Wait(ctx)
		}
	}
}

// poll reads w every interval until ctx ends: the watch's stand-in when the
// user may read but not watch. The receiver dedups what it has seen.
func poll(ctx context.Context, w watched, interval time.Duration, send func(snapshot.Update)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		src := snapshot.Source{Name: w.source, Status: snapshot.StatusOK, Detail: "read every " + humanize.Duration(interval)}
		if _, err := w.list(ctx); err != nil {
			src = apiFailure(w.source, w.read, err)
		}
		if ctx.Err() != nil {
			return
		}
		send(snapshot.Update{Source: &src})
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// drain reads a watch until it ends, handing objects on. It returns the
// newest resourceVersion seen ("" after 410 Gone: the caller lists again),
// whether anything but an error arrived, and the error the server ended the
// watch with, other than 410.
func drain(w watch.Interface, rv string, handle func(watch.Event)) (string, bool, error) {
	delivered := false
	for ev := range w.ResultChan() {
		switch ev.Type {
		case watch.Error:
			err := apierrors.FromObject(ev.Object)
			if isGone(err) {
				return "", delivered, nil
			}
			return rv, delivered, err
		case watch.Bookmark:
		default:
			handle(ev)
		}
		delivered = true
		if v := resourceVersionOf(ev.Object); v != "" {
			rv = v
		}
	}
	return rv, delivered, nil
}

func resourceVersionOf(obj runtime.Object) string {
	if m, err := meta.Accessor(obj); err == nil {
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
// source timeout, not the interval: a kubelet waiting on a hung runtime
// answers in about 15s, and that late answer is the evidence. A tick that
// comes during a read is dropped. Every read is sent with its Source.
func (c *Collector) followMetrics(ctx context.Context, node string, interval time.Duration, send func(snapshot.Update)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, c.opts.SourceTimeout)
		m, at, _, src := c.metrics(rctx, node, func() string { return c.internalIP(rctx, node) })
		cancel()
		if ctx.Err() != nil {
			return
		}
		send(snapshot.Update{Metrics: m, MetricsAt: at, Source: &src})
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}
