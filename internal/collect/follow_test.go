package collect

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// followCollector follows through client's node watch, a quiet events
// watch, and a healthy kubelet.
func followCollector(t *testing.T, client *fake.Clientset) *Collector {
	client.PrependWatchReactor("events", func(k8stesting.Action) (bool, watch.Interface, error) {
		return true, watch.NewFake(), nil
	})
	srv, _ := newKubeletStub(t, healthyKubelet())
	return New(client, proxyClient(t, srv), DefaultOptions(), time.Now)
}

// Follow resumes its watch after the server ends it, lists again after 410
// Gone, reconnects after a failure, and reads /metrics every interval.
func TestFollowSurvivesWhatWatchesGoThrough(t *testing.T) {
	followBackoffMin = 10 * time.Millisecond
	defer func() { followBackoffMin = time.Second }()

	node := testNode("containerd://1.7.2")
	node.ResourceVersion = "10"
	client := testClient(t, node)
	var gets, watches atomic.Int32
	client.PrependReactor("get", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		gets.Add(1)
		return false, nil, nil
	})
	var mu sync.Mutex
	var rvs []string
	client.PrependWatchReactor("nodes", func(a k8stesting.Action) (bool, watch.Interface, error) {
		n := watches.Add(1)
		mu.Lock()
		rvs = append(rvs, a.(k8stesting.WatchAction).GetWatchRestrictions().ResourceVersion)
		mu.Unlock()
		w := watch.NewFakeWithChanSize(4, false)
		switch n {
		case 1: // a change, then the server ends the watch (its timeout)
			changed := node.DeepCopy()
			changed.ResourceVersion = "11"
			w.Modify(changed)
			w.Stop()
		case 2: // the resourceVersion is too old
			w.Error(&apierrors.NewResourceExpired("too old resource version: 11").ErrStatus)
			w.Stop()
		case 3: // the API server is down
			return true, nil, apierrors.NewServiceUnavailable("the server is restarting")
		default:
			changed := node.DeepCopy()
			changed.ResourceVersion = "20"
			w.Modify(changed)
		}
		return true, w, nil
	})
	c := followCollector(t, client)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	updates := make(chan snapshot.Update, 100)
	go c.Follow(ctx, "worker-3", 50*time.Millisecond, updates)

	var nodes, scrapes int
	var sources []snapshot.Source
	for nodes < 4 || scrapes < 2 {
		select {
		case u := <-updates:
			switch {
			case u.Node != nil:
				nodes++
			case u.Metrics != nil:
				scrapes++
			case u.Source != nil:
				sources = append(sources, *u.Source)
			}
		case <-ctx.Done():
			t.Fatalf("got %d node updates and %d scrapes before the deadline", nodes, scrapes)
		}
	}
	cancel()
	mu.Lock()
	defer mu.Unlock()
	// get, watch@10 (change to 11, ends), watch@11 (410), get, watch@10 fails, watch@10 again.
	if gets.Load() != 2 || len(rvs) < 4 || rvs[0] != "10" || rvs[1] != "11" || rvs[2] != "10" || rvs[3] != "10" {
		t.Errorf("gets %d, watches from %v; want a get, a resume from 11, a new get after 410, a retry", gets.Load(), rvs)
	}
	// The node watch's outcomes, repeats folded: the routine 410 is no failure.
	var statuses []snapshot.SourceStatus
	for _, src := range sources {
		if src.Name == snapshot.SourceNode && (len(statuses) == 0 || statuses[len(statuses)-1] != src.Status) {
			statuses = append(statuses, src.Status)
		}
	}
	if want := []snapshot.SourceStatus{snapshot.StatusOK, snapshot.StatusUnavailable, snapshot.StatusOK}; !slices.Equal(statuses, want) {
		t.Errorf("node watch outcomes %v, want %v: watching, the API server unavailable, watching again", statuses, want)
	}
}

// A server that accepts the watch and ends it at once, with an error, is
// asked again after a backoff, not in a tight loop, and the error is said.
func TestFollowBacksOffFromAWatchThatEndsAtOnce(t *testing.T) {
	followBackoffMin = 20 * time.Millisecond
	defer func() { followBackoffMin = time.Second }()
	client := testClient(t, testNode("containerd://1.7.2"))
	var watches atomic.Int32
	client.PrependWatchReactor("nodes", func(k8stesting.Action) (bool, watch.Interface, error) {
		watches.Add(1)
		w := watch.NewFakeWithChanSize(1, false)
		w.Error(&apierrors.NewInternalError(errors.New("etcd is sad")).ErrStatus)
		w.Stop()
		return true, w, nil
	})
	c := followCollector(t, client)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	updates := make(chan snapshot.Update, 10000)
	go c.Follow(ctx, "worker-3", time.Hour, updates) // the fake events watch never ends
	failed := false
	for ctx.Err() == nil {
		select {
		case u := <-updates:
			failed = failed || u.Source != nil && u.Source.Name == snapshot.SourceNode && u.Source.Status == snapshot.StatusError
		case <-ctx.Done():
		}
	}
	// 20+40+80+160 ms of backoff fit in 500 ms: about five watches, never hundreds.
	if n := watches.Load(); n < 2 || n > 8 {
		t.Errorf("%d watches opened in 500ms, want a few, with backoff", n)
	}
	if !failed {
		t.Error("the watch's error was never said")
	}
}

// A forbidden /metrics is one failing Source per read; the watches go on.
func TestFollowWithoutNodesProxy(t *testing.T) {
	handlers := healthyKubelet()
	handlers["/metrics"] = func(w http.ResponseWriter, _ *http.Request) {
		statusError(w, http.StatusForbidden, "Forbidden", `nodes "worker-3" is forbidden: User "viewer" cannot get resource "nodes/proxy"`)
	}
	srv, _ := newKubeletStub(t, handlers)
	c := New(testClient(t, testNode("containerd://1.7.2")), proxyClient(t, srv), DefaultOptions(), time.Now)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	updates := make(chan snapshot.Update, 100)
	go c.Follow(ctx, "worker-3", 20*time.Millisecond, updates)
	var node, forbidden bool
	for !node || !forbidden {
		select {
		case u := <-updates:
			node = node || u.Node != nil
			forbidden = forbidden || u.Source != nil && u.Source.Status == snapshot.StatusForbidden
		case <-ctx.Done():
			t.Fatalf("node %v, forbidden %v before the deadline", node, forbidden)
		}
	}
}

// A user who may get the node and list its events but not watch them (the
// shipped role before it granted watch) follows them by reading every
// interval: said once per resource, naming the resource and the verb, and
// never recorded as a forbidden read.
func TestFollowPollsWhenWatchIsForbidden(t *testing.T) {
	node := testNode("containerd://1.7.2")
	client := testClient(t, node)
	forbid := func(resource string) k8stesting.WatchReactionFunc {
		return func(k8stesting.Action) (bool, watch.Interface, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "", errors.New(`User "jane" cannot watch resource "`+resource+`"`))
		}
	}
	client.PrependWatchReactor("nodes", forbid("nodes"))
	client.PrependWatchReactor("events", forbid("events"))
	var gets atomic.Int32
	client.PrependReactor("get", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		gets.Add(1)
		return false, nil, nil
	})
	srv, _ := newKubeletStub(t, healthyKubelet())
	c := New(client, proxyClient(t, srv), DefaultOptions(), time.Now)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	updates := make(chan snapshot.Update, 1000)
	go c.Follow(ctx, "worker-3", 30*time.Millisecond, updates)
	var notices []string
	for gets.Load() < 4 {
		select {
		case u := <-updates:
			if u.Notice != "" {
				notices = append(notices, u.Notice)
			}
			if u.Source != nil && u.Source.Status != snapshot.StatusOK {
				t.Errorf("a read that worked is recorded as %s: %+v", u.Source.Status, *u.Source)
			}
		case <-ctx.Done():
			t.Fatalf("%d node reads before the deadline, want 4", gets.Load())
		}
	}
	cancel()
	slices.Sort(notices)
	if len(notices) != 2 || !strings.Contains(notices[0], `may not watch events (grant the ClusterRole rule {apiGroups: [""], resources: ["events"], verbs: ["watch"]}`) ||
		!strings.Contains(notices[1], `may not watch nodes (grant the ClusterRole rule {apiGroups: [""], resources: ["nodes"], verbs: ["watch"]}`) ||
		!strings.Contains(notices[1], "reading the node every 30ms instead") {
		t.Errorf("notices %q, want one per resource naming it, its verb and the polling", notices)
	}
}
