package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

var now = time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)

const journal = `Nov 27 08:10:01.123456 worker-3 kubelet[1234]: E1127 08:10:01.123000    1234 kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s"
Nov 27 08:11:02.000000 worker-3 kubelet[1234]: E1127 08:11:02.000000    1234 remote_runtime.go:390] "ListContainers with filter from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded"
Nov 27 08:12:03.000000 worker-3 kubelet[1234]: I1127 08:12:03.000000    1234 kubelet.go:2000] "SyncLoop (housekeeping)"
`

const metricsText = `# TYPE kubelet_pleg_last_seen_seconds gauge
kubelet_pleg_last_seen_seconds 1.7952342e+09
# TYPE kubelet_running_pods gauge
kubelet_running_pods 42
`

const statsJSON = `{"node":{"nodeName":"worker-3","cpu":{"time":"2026-11-27T08:29:55Z","usageNanoCores":2500000000},"memory":{"time":"2026-11-27T08:29:55Z","workingSetBytes":1073741824}},"pods":[]}`

const configzJSON = `{"kubeletconfig":{"maxPods":110,"runtimeRequestTimeout":"2m0s","systemReserved":{"cpu":"500m"}}}`

// kubeletStub emulates the API server's node proxy in front of one kubelet:
// handlers by kubelet path (after /api/v1/nodes/NAME/proxy), with the real
// error shapes the API server sends.
type kubeletStub struct {
	t        *testing.T
	handlers map[string]http.HandlerFunc
	queries  chan string
}

func newKubeletStub(t *testing.T, handlers map[string]http.HandlerFunc) (*httptest.Server, *kubeletStub) {
	stub := &kubeletStub{t: t, handlers: handlers, queries: make(chan string, 64)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const prefix = "/api/v1/nodes/worker-3/proxy"
		if !strings.HasPrefix(r.URL.Path, prefix) {
			t.Errorf("unexpected request %s", r.URL)
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet {
			t.Errorf("collector sent %s %s: it must only read", r.Method, r.URL)
		}
		path := strings.TrimPrefix(r.URL.Path, prefix)
		stub.queries <- path + "?" + r.URL.RawQuery
		if h, ok := handlers[path]; ok {
			h(w, r)
			return
		}
		statusError(w, http.StatusNotFound, "NotFound", "404 page not found")
	}))
	t.Cleanup(srv.Close)
	return srv, stub
}

// statusError writes a metav1.Status as the API server does for proxy failures.
func statusError(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Message: msg, Reason: metav1.StatusReason(reason), Code: int32(code),
	})
}

func text(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }
}

// journalOrListing answers a node log query with the journal, or with the
// /var/log listing when the feature is off, as a real kubelet does.
func journalOrListing(queryOn bool, units map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !queryOn {
			fmt.Fprint(w, "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n<a href=\"messages\">messages</a>\n</pre>\n")
			return
		}
		body, ok := units[r.URL.Query().Get("query")]
		if !ok {
			body = "-- No entries --\n"
		}
		fmt.Fprint(w, body)
	}
}

func healthyKubelet() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"/logs/":         journalOrListing(true, map[string]string{"kubelet": journal, "containerd": "Nov 27 08:11:00.000000 worker-3 containerd[99]: time=\"2026-11-27T08:11:00Z\" level=error msg=\"ttrpc: received message on inactive stream\"\n"}),
		"/logs/messages": text("Nov 27 08:20:00 worker-3 kernel: Out of memory: Killed process 4321 (java)\n"),
		"/metrics":       text(metricsText),
		"/stats/summary": text(statsJSON),
		"/configz":       text(configzJSON),
		"/healthz":       text("ok"),
	}
}

func testNode(runtimeVersion string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "worker-3"},
		Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{ContainerRuntimeVersion: runtimeVersion}},
	}
}

func testClient(t *testing.T, objects ...runtime.Object) *fake.Clientset {
	client := fake.NewClientset(objects...)
	// The fake ignores field selectors; check that the collector pushes its
	// filters to the server instead of listing everything.
	client.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if got := a.(k8stesting.ListAction).GetListRestrictions().Fields.String(); got != "spec.nodeName=worker-3" {
			t.Errorf("pods listed with field selector %q", got)
		}
		return false, nil, nil
	})
	client.PrependReactor("list", "events", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if got := a.(k8stesting.ListAction).GetListRestrictions().Fields.String(); got != "involvedObject.kind=Node,involvedObject.name=worker-3" {
			t.Errorf("events listed with field selector %q", got)
		}
		return false, nil, nil
	})
	return client
}

func proxyClient(t *testing.T, srv *httptest.Server) rest.Interface {
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return cs.CoreV1().RESTClient()
}

func collectWith(t *testing.T, client kubernetes.Interface, handlers map[string]http.HandlerFunc, opts Options) (*snapshot.Snapshot, *kubeletStub, error) {
	srv, stub := newKubeletStub(t, handlers)
	c := New(client, proxyClient(t, srv), opts, func() time.Time { return now })
	snap, err := c.Collect(context.Background(), "worker-3")
	// A request the collector gave up on may still be in its handler:
	// Close waits for it before the queries channel closes.
	srv.Close()
	close(stub.queries)
	return snap, stub, err
}

func statuses(snap *snapshot.Snapshot) map[snapshot.SourceName]snapshot.SourceStatus {
	out := map[snapshot.SourceName]snapshot.SourceStatus{}
	for _, s := range snap.Sources {
		out[s.Name] = s.Status
	}
	return out
}

func TestCollectReadsEverySource(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-1"},
		Spec:       corev1.PodSpec{NodeName: "worker-3", Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
			RestartCount: 4, ContainerID: "containerd://" + strings.Repeat("ab", 32),
		}}},
	}
	event := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: "default", Name: "worker-3.1"},
		InvolvedObject: corev1.ObjectReference{Kind: "Node", Name: "worker-3"},
		Reason:         "NodeNotReady", Count: 14, Type: "Normal",
		FirstTimestamp: metav1.NewTime(now.Add(-27 * time.Hour)), LastTimestamp: metav1.NewTime(now.Add(-3 * time.Minute)),
	}
	snap, stub, err := collectWith(t, testClient(t, testNode("containerd://1.7.2"), pod, event), healthyKubelet(), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range statuses(snap) {
		if st != snapshot.StatusOK {
			src, _ := snap.Source(name)
			t.Errorf("source %s = %s (%s), want ok", name, st, src.Reason)
		}
	}
	if len(snap.Sources) != len(snapshot.CollectedSources) {
		t.Errorf("got %d sources, want %d", len(snap.Sources), len(snapshot.CollectedSources))
	}
	for i, s := range snap.Sources {
		if s.Name != snapshot.CollectedSources[i] {
			t.Errorf("source %d is %s, want %s (report order)", i, s.Name, snapshot.CollectedSources[i])
		}
	}
	if !snap.CollectedAt.Equal(now) {
		t.Errorf("CollectedAt = %v, want the injected clock %v", snap.CollectedAt, now)
	}
	if got := snap.KubeletLog.Signal(kubelet.PLEGUnhealthy).Count; got != 1 {
		t.Errorf("kubelet log PLEG lines = %d, want 1", got)
	}
	if got := snap.KubeletLog.Signal(kubelet.RuntimeTimeout).Operations["ListContainers"]; got != 1 {
		t.Errorf("ListContainers timeouts = %d, want 1", got)
	}
	if got := snap.RuntimeLog.Signal(kubelet.DaemonError).Count; got != 1 {
		t.Errorf("runtime log daemon errors = %d, want 1", got)
	}
	if got := snap.SystemLog.Signal(kubelet.OOMKill).Count; got != 1 {
		t.Errorf("system log OOM kills = %d, want 1", got)
	}
	if snap.Metrics == nil || snap.Metrics.RunningPods == nil || *snap.Metrics.RunningPods != 42 {
		t.Errorf("metrics running pods not read: %+v", snap.Metrics)
	}
	if snap.Stats == nil || snap.Stats.CPUUsageCores == nil || *snap.Stats.CPUUsageCores != 2.5 {
		t.Errorf("stats cpu not read: %+v", snap.Stats)
	}
	if snap.Config == nil || snap.Config.MaxPods != 110 || !snap.Config.Reserved() {
		t.Errorf("configz not read: %+v", snap.Config)
	}
	if snap.Healthz == nil || !snap.Healthz.OK {
		t.Errorf("healthz = %+v, want ok", snap.Healthz)
	}
	if len(snap.Pods) != 1 || snap.Pods[0].Restarts != 4 || snap.Pods[0].ContainerIDs[0] != strings.Repeat("ab", 32) {
		t.Errorf("pods = %+v", snap.Pods)
	}
	if snap.Pods[0].QOSClass != corev1.PodQOSBestEffort {
		t.Errorf("pod without requests read as %s, want BestEffort", snap.Pods[0].QOSClass)
	}
	if len(snap.Events) != 1 || snap.Events[0].Count != 14 {
		t.Errorf("events = %+v", snap.Events)
	}
	var sawRuntimeUnit, sawSince bool
	for q := range stub.queries {
		sawRuntimeUnit = sawRuntimeUnit || strings.Contains(q, "query=containerd")
		sawSince = sawSince || strings.Contains(q, "sinceTime=2026-11-27T07%3A30%3A00Z")
	}
	if !sawRuntimeUnit {
		t.Error("the runtime log was not asked for the node's runtime unit (containerd)")
	}
	if !sawSince {
		t.Error("the log query did not push the window down as sinceTime = now - 1h")
	}
}

func TestCollectForbiddenProxyStillDiagnosesFromObjects(t *testing.T) {
	forbidden := func(w http.ResponseWriter, r *http.Request) {
		statusError(w, http.StatusForbidden, "Forbidden",
			`nodes "worker-3" is forbidden: User "viewer" cannot get resource "nodes/proxy" in API group "" at the cluster scope`)
	}
	handlers := map[string]http.HandlerFunc{}
	for _, p := range []string{"/logs/", "/logs/messages", "/logs/syslog", "/logs/kubelet.log", "/metrics", "/stats/summary", "/configz", "/healthz"} {
		handlers[p] = forbidden
	}
	snap, _, err := collectWith(t, testClient(t, testNode("containerd://1.7.2")), handlers, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	st := statuses(snap)
	if st[snapshot.SourceNode] != snapshot.StatusOK || st[snapshot.SourcePods] != snapshot.StatusOK {
		t.Errorf("cluster objects must still be read: %v", st)
	}
	for _, name := range []snapshot.SourceName{snapshot.SourceKubeletLog, snapshot.SourceRuntimeLog, snapshot.SourceSystemLog,
		snapshot.SourceMetrics, snapshot.SourceStats, snapshot.SourceConfigz, snapshot.SourceHealthz} {
		src, _ := snap.Source(name)
		if src.Status != snapshot.StatusForbidden {
			t.Errorf("%s = %s, want forbidden", name, src.Status)
		}
		if !strings.Contains(src.Hint, `resources: ["nodes/proxy"], verbs: ["get"]`) {
			t.Errorf("%s hint lacks the RBAC rule to add: %q", name, src.Hint)
		}
	}
}

func TestCollectFallsBackToFilesWhenLogQueryIsOff(t *testing.T) {
	messages := "Nov 27 08:10:01 worker-3 kubelet[1234]: E1127 08:10:01.123000 1234 kubelet.go:2412] skipping pod synchronization - [PLEG is not healthy: pleg was last seen active 5m0s ago; threshold is 3m0s]\n" +
		"Nov 27 08:10:02 worker-3 systemd[1]: PLEG is not healthy in a line from another program\n" +
		"Nov 27 08:10:03 worker-3 kernel: INFO: task runc:[2:INIT]:4321 blocked for more than 120 seconds.\n"
	handlers := healthyKubelet()
	handlers["/logs/"] = journalOrListing(false, nil)
	handlers["/logs/messages"] = text(messages)
	snap, _, err := collectWith(t, testClient(t, testNode("containerd://1.7.2")), handlers, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	kl, _ := snap.Source(snapshot.SourceKubeletLog)
	if kl.Status != snapshot.StatusOK || !strings.Contains(kl.Detail, "/var/log/messages") || !strings.Contains(kl.Detail, "node log query is off") {
		t.Errorf("kubelet-log = %+v, want ok from /var/log/messages saying the query is off", kl)
	}
	if got := snap.KubeletLog.Signal(kubelet.PLEGUnhealthy).Count; got != 1 {
		t.Errorf("PLEG lines from messages = %d, want 1 (only the kubelet's line)", got)
	}
	rt, _ := snap.Source(snapshot.SourceRuntimeLog)
	if rt.Status != snapshot.StatusUnavailable || !strings.Contains(rt.Reason, "NodeLogQuery") {
		t.Errorf("runtime-log = %+v, want unavailable naming the NodeLogQuery gate", rt)
	}
	if got := snap.SystemLog.Signal(kubelet.HungTask).Count; got != 1 {
		t.Errorf("hung tasks in system log = %d, want 1", got)
	}
}

// A real kubelet without journald, with /var/log/kubelet.log, answers a node
// log query that has options with HTTP 200 and a refusal text: that text
// is never the log, and the file is read instead.
func TestCollectFallsBackWhenTheLogQueryRefusesOptions(t *testing.T) {
	handlers := healthyKubelet()
	handlers["/logs/"] = func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "\noptions present and query resolved to log files for [%s]\ntry without specifying options\n", r.URL.Query().Get("query"))
	}
	handlers["/logs/kubelet.log"] = text("E1127 08:10:01.123000 1234 kubelet.go:2412] \"Skipping pod synchronization\" err=\"PLEG is not healthy: pleg was last seen active 5m0s ago; threshold is 3m0s\"\n")
	snap, _, err := collectWith(t, testClient(t, testNode("containerd://1.7.2")), handlers, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	kl, _ := snap.Source(snapshot.SourceKubeletLog)
	if kl.Status != snapshot.StatusOK || !strings.Contains(kl.Detail, "/var/log/kubelet.log") || !strings.Contains(kl.Detail, "options present") {
		t.Errorf("kubelet-log = %+v, want ok from /var/log/kubelet.log saying why", kl)
	}
	if got := snap.KubeletLog.Signal(kubelet.PLEGUnhealthy).Count; got != 1 || snap.KubeletLog.Lines != 1 {
		t.Errorf("read %d lines, %d PLEG; want the file's 1 line, 1 PLEG (never the refusal text)", snap.KubeletLog.Lines, got)
	}
	if rt, _ := snap.Source(snapshot.SourceRuntimeLog); rt.Status != snapshot.StatusUnavailable || !strings.Contains(rt.Reason, "options present") {
		t.Errorf("runtime-log = %+v, want unavailable quoting the refusal", rt)
	}
}

func TestCollectRecordsEachKubeletFailure(t *testing.T) {
	handlers := healthyKubelet()
	handlers["/metrics"] = func(w http.ResponseWriter, r *http.Request) {
		statusError(w, http.StatusServiceUnavailable, "ServiceUnavailable",
			"error trying to reach service: dial tcp 198.18.0.2:10250: connect: connection refused")
	}
	handlers["/stats/summary"] = func(w http.ResponseWriter, r *http.Request) {
		select { // hangs past the source timeout
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	handlers["/configz"] = text("<html>not json</html>")
	handlers["/healthz"] = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "[+]ping ok\n[-]syncloop failed: reason withheld\nhealthz check failed\n")
	}
	opts := DefaultOptions()
	opts.SourceTimeout = 300 * time.Millisecond
	snap, _, err := collectWith(t, testClient(t, testNode("docker://20.10.7")), handlers, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[snapshot.SourceName]snapshot.SourceStatus{
		snapshot.SourceMetrics: snapshot.StatusUnavailable,
		snapshot.SourceStats:   snapshot.StatusTimeout,
		snapshot.SourceConfigz: snapshot.StatusError,
		snapshot.SourceHealthz: snapshot.StatusOK,
		snapshot.SourceNode:    snapshot.StatusOK,
	}
	got := statuses(snap)
	for name, st := range want {
		if got[name] != st {
			src, _ := snap.Source(name)
			t.Errorf("%s = %s (%s), want %s", name, got[name], src.Reason, st)
		}
	}
	if snap.Healthz == nil || snap.Healthz.OK || !strings.Contains(snap.Healthz.Body, "syncloop failed") {
		t.Errorf("failing healthz must be kept as data: %+v", snap.Healthz)
	}
	if src, _ := snap.Source(snapshot.SourceMetrics); !strings.Contains(src.Hint, "systemctl status kubelet") {
		t.Errorf("an unavailable kubelet's hint should say what to check: %q", src.Hint)
	}
}

func TestCollectNodeNotFoundAndAPIServerDown(t *testing.T) {
	_, _, err := collectWith(t, testClient(t), healthyKubelet(), DefaultOptions())
	if !errors.Is(err, ErrNodeNotFound) || !strings.Contains(err.Error(), "kubectl get nodes") {
		t.Errorf("missing node: err = %v, want ErrNodeNotFound with a hint", err)
	}

	down := fake.NewClientset()
	down.PrependReactor("*", "*", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New(`Get "https://127.0.0.1:1/api/v1/nodes/worker-3": dial tcp 127.0.0.1:1: connect: connection refused`)
	})
	_, _, err = collectWith(t, down, healthyKubelet(), DefaultOptions())
	if !errors.Is(err, ErrAPIServerUnreachable) || !strings.Contains(err.Error(), "cannot reach the API server") {
		t.Errorf("API server down: err = %v, want a clear 'cannot reach the API server'", err)
	}
}

func TestCollectKeepsNewestLogBytes(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&b, "Nov 27 07:%02d:%02d.000000 worker-3 kubelet[1]: I1127 filler line %d\n", 40+i/600, (i/10)%60, i)
	}
	b.WriteString("Nov 27 08:29:00.000000 worker-3 kubelet[1]: E1127 08:29:00.000000 1 kubelet.go:1] \"Skipping pod synchronization\" err=\"PLEG is not healthy: pleg was last seen active 4m0s ago; threshold is 3m0s\"\n")
	handlers := healthyKubelet()
	handlers["/logs/"] = journalOrListing(true, map[string]string{"kubelet": b.String()})
	opts := DefaultOptions()
	opts.MaxLogBytes = 64 << 10
	snap, stub, err := collectWith(t, testClient(t, testNode("containerd://1.7.2")), handlers, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !snap.KubeletLog.Truncated {
		t.Error("a log over --max-log-bytes must be marked truncated")
	}
	if snap.KubeletLog.Bytes > opts.MaxLogBytes {
		t.Errorf("analyzed %d bytes, over the %d cap", snap.KubeletLog.Bytes, opts.MaxLogBytes)
	}
	if got := snap.KubeletLog.Signal(kubelet.PLEGUnhealthy).Count; got != 1 {
		t.Errorf("the newest line (PLEG) must survive the cap: count %d", got)
	}
	for q := range stub.queries {
		if strings.HasPrefix(q, "/logs/?") && !strings.Contains(q, "tailLines=1000") {
			t.Errorf("log query %q should bound the transfer with tailLines", q)
		}
	}
}

// A user the API server says may not get nodes/proxy (the no-proxy tier) is
// never sent to the kubelet: no proxy request at all, each kubelet source
// forbidden with the same reason and hint, the cluster objects still read.
func TestCollectAsksBeforeUsingTheNodeProxy(t *testing.T) {
	client := testClient(t, testNode("containerd://1.7.2"))
	var asked atomic.Int32
	client.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		asked.Add(1)
		r := a.(k8stesting.CreateAction).GetObject().(*authzv1.SelfSubjectAccessReview)
		r.Status.Allowed = false
		return true, r, nil
	})
	snap, stub, err := collectWith(t, client, healthyKubelet(), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(stub.queries); n != 0 || asked.Load() != 1 {
		t.Errorf("%d kubelet requests after %d reviews, want none after one", n, asked.Load())
	}
	var hints []string
	for _, src := range snap.Sources {
		switch src.Name {
		case snapshot.SourceNode, snapshot.SourceEvents, snapshot.SourcePods:
			if src.Status != snapshot.StatusOK {
				t.Errorf("%s = %s, want ok", src.Name, src.Status)
			}
		default:
			if src.Status != snapshot.StatusForbidden || !strings.Contains(src.Reason, "you may not get nodes/proxy") {
				t.Errorf("%s = %+v, want forbidden saying why", src.Name, src)
			}
			if !slices.Contains(hints, src.Hint) {
				hints = append(hints, src.Hint)
			}
		}
	}
	if len(hints) != 1 || !strings.Contains(hints[0], `resources: ["nodes/proxy"], verbs: ["get"]`) {
		t.Errorf("hints %q, want one naming nodes/proxy", hints)
	}
}

// Progress hears each source start and end: at some point all ten are
// pending, and the last call says none is.
func TestCollectReportsProgress(t *testing.T) {
	var mu sync.Mutex
	var calls [][]snapshot.SourceName
	opts := DefaultOptions()
	opts.Progress = func(node string, pending []snapshot.SourceName) {
		mu.Lock()
		defer mu.Unlock()
		if node != "worker-3" {
			t.Errorf("progress of node %q", node)
		}
		calls = append(calls, pending)
	}
	if _, _, err := collectWith(t, testClient(t, testNode("containerd://1.7.2")), healthyKubelet(), opts); err != nil {
		t.Fatal(err)
	}
	most := 0
	for _, c := range calls {
		most = max(most, len(c))
	}
	if most < 3 || len(calls) != 2*len(snapshot.CollectedSources) || len(calls[len(calls)-1]) != 0 {
		t.Errorf("%d calls, at most %d pending, last %v: want a start and an end per source, ending with none", len(calls), most, calls[len(calls)-1])
	}
}
