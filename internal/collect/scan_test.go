package collect

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// healthyMetrics is a fresh kubelet: relisted 1s before collection.
var healthyMetrics = fmt.Sprintf(`# TYPE kubelet_pleg_last_seen_seconds gauge
kubelet_pleg_last_seen_seconds %d
# TYPE kubelet_running_pods gauge
kubelet_running_pods 2
# TYPE kubelet_running_containers gauge
kubelet_running_containers{container_state="running"} 2
kubelet_running_containers{container_state="exited"} 1
`, now.Add(-time.Second).Unix())

func scanNodeObj(name string, ready corev1.ConditionStatus) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"pool": "a"}},
		Status: corev1.NodeStatus{
			Capacity:    corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi"), corev1.ResourcePods: resource.MustParse("110")},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("7800m"), corev1.ResourceMemory: resource.MustParse("30Gi"), corev1.ResourcePods: resource.MustParse("110")},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: "KubeletReady",
				LastTransitionTime: metav1.NewTime(now.Add(-48 * time.Hour))}},
			NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.30.2", ContainerRuntimeVersion: "containerd://1.7.2"},
			Images:   []corev1.ContainerImage{{Names: []string{"registry.example/big-image:1"}, SizeBytes: 1 << 30}},
		},
	}
}

func scanPod(node, name string) *corev1.Pod {
	lim := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: name},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "nginx",
			Resources: corev1.ResourceRequirements{Requests: lim, Limits: lim}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, QOSClass: corev1.PodQOSGuaranteed,
			ContainerStatuses: []corev1.ContainerStatus{{ContainerID: "containerd://" + strings.Repeat("cd", 32)}}},
	}
}

// fleetProxy emulates the node proxy in front of several kubelets: by node,
// a handler for every path. It counts requests by "node path" and the most
// kubelets read at once.
type fleetProxy struct {
	mu       sync.Mutex
	requests map[string]int
	inFlight atomic.Int32
	maxSeen  atomic.Int32
}

func newFleetProxy(t *testing.T, kubelets map[string]http.HandlerFunc) (*httptest.Server, *fleetProxy) {
	fp := &fleetProxy{requests: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, found := strings.CutPrefix(r.URL.Path, "/api/v1/nodes/")
		node, path, _ := strings.Cut(rest, "/proxy/")
		if !found || r.Method != http.MethodGet {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			return
		}
		n := fp.inFlight.Add(1)
		defer fp.inFlight.Add(-1)
		for {
			m := fp.maxSeen.Load()
			if n <= m || fp.maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		fp.mu.Lock()
		fp.requests[node+" "+path]++
		fp.mu.Unlock()
		h, ok := kubelets[node]
		if !ok {
			statusError(w, http.StatusNotFound, "NotFound", "no such node")
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, fp
}

// kubeletAt serves the metrics at /metrics and the healthy kubelet's other endpoints.
func kubeletAt(metrics string, delay time.Duration) http.HandlerFunc {
	paths := healthyKubelet()
	paths["/metrics"] = text(metrics)
	return func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		path := r.URL.Path[strings.Index(r.URL.Path, "/proxy")+len("/proxy"):]
		if h, ok := paths[path]; ok {
			h(w, r)
			return
		}
		statusError(w, http.StatusNotFound, "NotFound", "404 page not found")
	}
}

func refused(w http.ResponseWriter, r *http.Request) {
	statusError(w, http.StatusServiceUnavailable, "ServiceUnavailable",
		"error trying to reach service: dial tcp 10.0.0.9:10250: connect: connection refused")
}

func forbiddenProxy(w http.ResponseWriter, r *http.Request) {
	statusError(w, http.StatusForbidden, "Forbidden",
		`nodes "b" is forbidden: User "viewer" cannot get resource "nodes/proxy" in API group "" at the cluster scope`)
}

// scanClient is a fake API server that pages pods two at a time (the fake
// clientset does not paginate) and checks the selectors the scan sends.
func scanClient(t *testing.T, objects ...runtime.Object) *fake.Clientset {
	client := fake.NewClientset(objects...)
	client.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		lr := a.(k8stesting.ListActionImpl)
		if got := lr.GetListRestrictions().Fields.String(); got != "spec.nodeName!=" {
			t.Errorf("pods listed with field selector %q, want only pods bound to a node", got)
		}
		all, err := client.Tracker().List(corev1.SchemeGroupVersion.WithResource("pods"), corev1.SchemeGroupVersion.WithKind("Pod"), "")
		if err != nil {
			return true, nil, err
		}
		items := all.(*corev1.PodList).Items
		start := 0
		fmt.Sscan(lr.ListOptions.Continue, &start)
		page := &corev1.PodList{Items: items[start:min(start+2, len(items))]}
		if start+2 < len(items) {
			page.Continue = fmt.Sprint(start + 2)
		}
		return true, page, nil
	})
	client.PrependReactor("list", "events", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if got := a.(k8stesting.ListAction).GetListRestrictions().Fields.String(); got != "involvedObject.kind=Node" {
			t.Errorf("events listed with field selector %q", got)
		}
		return false, nil, nil
	})
	return client
}

func scanAll(t *testing.T, c *Collector, opts ScanOptions) map[string]*snapshot.Snapshot {
	t.Helper()
	out := map[string]*snapshot.Snapshot{}
	n, err := c.Scan(context.Background(), opts, func(s *snapshot.Snapshot) {
		if _, dup := out[s.NodeName]; dup {
			t.Errorf("node %s scanned twice", s.NodeName)
		}
		out[s.NodeName] = s
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(out) {
		t.Errorf("Scan says %d nodes, each saw %d", n, len(out))
	}
	return out
}

func TestScanListsOnceAndReadsMetrics(t *testing.T) {
	objects := []runtime.Object{
		scanNodeObj("a", corev1.ConditionTrue), scanNodeObj("b", corev1.ConditionTrue), scanNodeObj("c", corev1.ConditionTrue),
		scanPod("a", "a-1"), scanPod("a", "a-2"), scanPod("b", "b-1"), scanPod("c", "c-1"), scanPod("gone", "orphan-1"),
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "a.1"},
			InvolvedObject: corev1.ObjectReference{Kind: "Node", Name: "a"}, Reason: "NodeNotReady", Count: 2,
			FirstTimestamp: metav1.NewTime(now.Add(-30 * time.Minute)), LastTimestamp: metav1.NewTime(now.Add(-20 * time.Minute))},
	}
	client := scanClient(t, objects...)
	srv, fp := newFleetProxy(t, map[string]http.HandlerFunc{
		"a": kubeletAt(healthyMetrics, 0), "b": forbiddenProxy, "c": refused,
	})
	c := New(client, proxyClient(t, srv), DefaultOptions(), func() time.Time { return now })
	snaps := scanAll(t, c, ScanOptions{Concurrency: 4})

	// Cluster objects: one LIST each of nodes and events, pods in pages;
	// never a request per node; one question whether the user may use the
	// node proxy at all.
	verbs := map[string]int{}
	for _, a := range client.Actions() {
		verbs[a.GetVerb()+" "+a.GetResource().Resource]++
	}
	want := map[string]int{"list nodes": 1, "list pods": 3, "list events": 1, "create selfsubjectaccessreviews": 1}
	if fmt.Sprint(verbs) != fmt.Sprint(want) {
		t.Errorf("API requests %v, want %v", verbs, want)
	}
	// Kubelets: /metrics only (it has the EventedPLEG gate the threshold
	// depends on); the refused one is probed on its other endpoints so that
	// kubelet-down can tell it unreachable.
	wantProxy := map[string]int{"a metrics": 1, "b metrics": 1, "c metrics": 1, "c stats/summary": 1, "c configz": 1, "c healthz": 1}
	if fmt.Sprint(fp.requests) != fmt.Sprint(wantProxy) {
		t.Errorf("kubelet requests %v, want %v", fp.requests, wantProxy)
	}

	a := snaps["a"]
	if len(a.Pods) != 2 || len(a.Events) != 1 || len(snaps["b"].Pods) != 1 || len(snaps["c"].Pods) != 1 {
		t.Errorf("pods/events not filed by node: a %d pods %d events, b %d, c %d", len(a.Pods), len(a.Events), len(snaps["b"].Pods), len(snaps["c"].Pods))
	}
	if a.Pods[0].ContainerIDs != nil {
		t.Errorf("container IDs kept without --deep: %v", a.Pods[0].ContainerIDs)
	}
	if a.Node.Status.Images != nil {
		t.Error("node images kept: they are the bulk of a Node and no rule reads them")
	}
	if !a.CollectedAt.Equal(now) || a.LogWindow != time.Hour {
		t.Errorf("CollectedAt %v, LogWindow %v", a.CollectedAt, a.LogWindow)
	}
	if got := statuses(a); fmt.Sprint(got) != fmt.Sprint(map[snapshot.SourceName]snapshot.SourceStatus{"events": "ok", "metrics": "ok", "node": "ok", "pods": "ok"}) {
		t.Errorf("node a sources %v: want node, events, pods, metrics only", got)
	}
	if s, _ := snaps["b"].Source(snapshot.SourceMetrics); s.Status != snapshot.StatusForbidden || !strings.Contains(s.Reason, "nodes/proxy") {
		t.Errorf("forbidden kubelet: %+v", s)
	}
	for _, name := range []snapshot.SourceName{snapshot.SourceMetrics, snapshot.SourceStats, snapshot.SourceConfigz, snapshot.SourceHealthz} {
		if s, _ := snaps["c"].Source(name); s.Status != snapshot.StatusUnavailable {
			t.Errorf("refused kubelet, source %s = %+v, want unavailable", name, s)
		}
	}

	// The same rules as diagnose, on data without logs, stats or configz:
	// a healthy node stays healthy (no rule misfires on what was not read),
	// the checklist says what was not collected, and an unreachable kubelet
	// is named even while its node is still Ready.
	da := diagnose.Diagnose(a)
	if da.Verdict != diagnose.Healthy || da.Alarm() != diagnose.NoAlarm {
		t.Errorf("healthy node: verdict %s, exit %d, causes %+v", da.Verdict, da.Alarm(), da.Causes)
	}
	for _, ch := range da.Checks {
		if ch.ID == "B" && (ch.Status != diagnose.CheckMissing || !strings.Contains(ch.Detail, "not collected")) {
			t.Errorf("check B = %+v, want missing: not collected", ch)
		}
	}
	dc := diagnose.Diagnose(snaps["c"])
	if len(dc.Causes) == 0 || dc.Causes[0].ID != "kubelet-down" || dc.Alarm() != diagnose.Warning {
		t.Errorf("Ready node with a refused kubelet: exit %d, causes %+v", dc.Alarm(), dc.Causes)
	}
}

func TestScanDeepReadsEverySource(t *testing.T) {
	client := scanClient(t, scanNodeObj("a", corev1.ConditionTrue), scanPod("a", "a-1"))
	srv, fp := newFleetProxy(t, map[string]http.HandlerFunc{"a": kubeletAt(healthyMetrics, 0)})
	c := New(client, proxyClient(t, srv), DefaultOptions(), func() time.Time { return now })
	a := scanAll(t, c, ScanOptions{Concurrency: 1, Deep: true})["a"]
	if len(a.Sources) != len(snapshot.CollectedSources) {
		t.Errorf("deep scan sources %v, want all %d", statuses(a), len(snapshot.CollectedSources))
	}
	for i, s := range a.Sources {
		if s.Name != snapshot.CollectedSources[i] || s.Status != snapshot.StatusOK {
			t.Errorf("source %d = %+v, want %s ok", i, s, snapshot.CollectedSources[i])
		}
	}
	if a.KubeletLog == nil || a.Stats == nil || a.Config == nil || a.Healthz == nil {
		t.Error("deep scan left a kubelet source unread")
	}
	if len(a.Pods) != 1 || len(a.Pods[0].ContainerIDs) != 1 {
		t.Errorf("deep scan must keep container IDs (they name a stuck container's pod): %+v", a.Pods)
	}
	if fp.requests["a logs/"] == 0 {
		t.Errorf("no log query: %v", fp.requests)
	}
}

func TestScanBoundsConcurrencyAndSelects(t *testing.T) {
	var objects []runtime.Object
	handlers := map[string]http.HandlerFunc{}
	for i := range 8 {
		name := fmt.Sprintf("n%d", i)
		n := scanNodeObj(name, corev1.ConditionTrue)
		if i%2 == 1 {
			n.Labels["pool"] = "b"
		}
		objects = append(objects, n)
		handlers[name] = kubeletAt(healthyMetrics, 30*time.Millisecond)
	}
	client := scanClient(t, objects...)
	srv, fp := newFleetProxy(t, handlers)
	c := New(client, proxyClient(t, srv), DefaultOptions(), func() time.Time { return now })

	var progress []int
	snaps := map[string]bool{}
	n, err := c.Scan(context.Background(), ScanOptions{Selector: "pool=a", Concurrency: 2,
		Progress: func(done, total int) { progress = append(progress, done*10+total) },
	}, func(s *snapshot.Snapshot) { snaps[s.NodeName] = true })
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 || fmt.Sprint(snaps) != "map[n0:true n2:true n4:true n6:true]" {
		t.Errorf("selector pool=a scanned %d: %v", n, snaps)
	}
	if fmt.Sprint(progress) != "[4 14 24 34 44]" {
		t.Errorf("progress (done*10+total) = %v", progress)
	}
	// Two nodes at a time, each with its /metrics in flight.
	if m := fp.maxSeen.Load(); m > 2 || m < 1 {
		t.Errorf("%d kubelet requests at once, want at most 1 per node for --concurrency 2", m)
	}
}

func TestScanFailsOnlyWhenNodesCannotBeListed(t *testing.T) {
	client := fake.NewClientset()
	client.PrependReactor("list", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, &statusErr{code: 403, reason: metav1.StatusReasonForbidden,
			msg: `nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope`}
	})
	c := New(client, nil, DefaultOptions(), func() time.Time { return now })
	_, err := c.Scan(context.Background(), ScanOptions{Concurrency: 1}, func(*snapshot.Snapshot) { t.Error("no node to scan") })
	if err == nil || !strings.Contains(err.Error(), `resources: ["nodes"], verbs: ["list"]`) {
		t.Errorf("err = %v, want the RBAC rule to add", err)
	}

	// Pods forbidden: the nodes are still scanned, each saying why pods are missing.
	client = scanClient(t, scanNodeObj("a", corev1.ConditionTrue))
	client.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, &statusErr{code: 403, reason: metav1.StatusReasonForbidden, msg: "pods is forbidden"}
	})
	srv, _ := newFleetProxy(t, map[string]http.HandlerFunc{"a": kubeletAt(healthyMetrics, 0)})
	c = New(client, proxyClient(t, srv), DefaultOptions(), func() time.Time { return now })
	a := scanAll(t, c, ScanOptions{Concurrency: 1})["a"]
	if s, _ := a.Source(snapshot.SourcePods); s.Status != snapshot.StatusForbidden {
		t.Errorf("pods source = %+v, want forbidden", s)
	}
}

// statusErr is an API status error as the fake's reactors return them.
type statusErr struct {
	code   int32
	reason metav1.StatusReason
	msg    string
}

func (e *statusErr) Error() string { return e.msg }
func (e *statusErr) Status() metav1.Status {
	return metav1.Status{Status: metav1.StatusFailure, Code: e.code, Reason: e.reason, Message: e.msg}
}

// The kubelets are read while the pods are still being listed: at 5,000
// nodes that LIST takes as long as every kubelet, and waiting for it first
// would add the two. Here the LIST does not end until every kubelet has
// been read; a scan that waited for it would never read one.
func TestScanReadsKubeletsDuringTheLists(t *testing.T) {
	var read sync.WaitGroup
	read.Add(2)
	onMetrics := func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/metrics") {
			read.Done()
		}
		kubeletAt(healthyMetrics, 0)(w, r)
	}
	client := scanClient(t, scanNodeObj("a", corev1.ConditionTrue), scanNodeObj("b", corev1.ConditionTrue), scanPod("a", "a-1"))
	allRead := make(chan struct{})
	go func() { read.Wait(); close(allRead) }()
	client.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		select {
		case <-allRead:
		case <-time.After(5 * time.Second):
			t.Error("no kubelet read while the pods were listed")
		}
		return false, nil, nil // on to the listing reactor
	})
	srv, _ := newFleetProxy(t, map[string]http.HandlerFunc{"a": onMetrics, "b": onMetrics})
	c := New(client, proxyClient(t, srv), DefaultOptions(), func() time.Time { return now })
	// The fake clientset runs one reactor at a time: the nodes/proxy
	// question would wait for the blocked LIST. Take it as answered yes.
	c.gate.asked = true
	snaps := scanAll(t, c, ScanOptions{Concurrency: 2})
	if len(snaps["a"].Pods) != 1 || snaps["a"].Metrics == nil {
		t.Errorf("node a: %d pods, metrics %v: want the LIST's pod and its kubelet's metrics", len(snaps["a"].Pods), snaps["a"].Metrics)
	}
}
