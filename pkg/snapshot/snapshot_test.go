package snapshot

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var t0 = time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)

func TestReduceEvent(t *testing.T) {
	legacy := &corev1.Event{Type: "Warning", Reason: "ContainerGCFailed", Message: "rpc error", Count: 17,
		FirstTimestamp: metav1.NewTime(t0.Add(-time.Hour)), LastTimestamp: metav1.NewTime(t0),
		Source: corev1.EventSource{Component: "kubelet"}}
	if e := ReduceEvent(legacy); e.Count != 17 || !e.First.Equal(t0.Add(-time.Hour)) || !e.Last.Equal(t0) || e.Source != "kubelet" {
		t.Errorf("legacy event: %+v", e)
	}
	// events.k8s.io events: eventTime and a series, no legacy fields.
	series := &corev1.Event{Reason: "NodeNotReady", EventTime: metav1.NewMicroTime(t0.Add(-time.Minute)),
		Series:              &corev1.EventSeries{Count: 4, LastObservedTime: metav1.NewMicroTime(t0)},
		ReportingController: "node-controller"}
	if e := ReduceEvent(series); e.Count != 4 || !e.First.Equal(t0.Add(-time.Minute)) || !e.Last.Equal(t0) || e.Source != "node-controller" {
		t.Errorf("series event: %+v", e)
	}
	if e := ReduceEvent(&corev1.Event{Reason: "NodeReady", EventTime: metav1.NewMicroTime(t0)}); e.Count != 1 || !e.Last.Equal(t0) {
		t.Errorf("a single new-style event counts once at its time: %+v", e)
	}
}

func TestReducePod(t *testing.T) {
	limited := corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")}}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "a", Image: "nginx", Resources: limited},
			{Name: "b", Image: "sidecar"},
		}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			InitContainerStatuses: []corev1.ContainerStatus{{RestartCount: 1, ContainerID: "containerd://init0"}},
			ContainerStatuses:     []corev1.ContainerStatus{{RestartCount: 2, ContainerID: "containerd://3b8f2c"}, {ContainerID: ""}}},
	}
	got := ReducePod(p)
	if got.Containers != 2 || got.ContainersWithoutLimits != 1 || got.Restarts != 3 || got.App != "web" ||
		!slices.Equal(got.ContainerIDs, []string{"init0", "3b8f2c"}) || !slices.Equal(got.Images, []string{"nginx", "sidecar"}) ||
		got.QOSClass != corev1.PodQOSBurstable {
		t.Errorf("ReducePod = %+v", got)
	}
	bare := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "x"}}}}
	if q := ReducePod(bare).QOSClass; q != corev1.PodQOSBestEffort {
		t.Errorf("a pod that requests nothing is %s, want BestEffort", q)
	}
	if done := (Pod{Phase: corev1.PodSucceeded}); !done.Terminated() {
		t.Error("a succeeded pod still occupies the node")
	}
}

func TestSourcesAndConditions(t *testing.T) {
	srcs := []Source{{Name: SourceHealthz}, {Name: SourceNode, Status: StatusOK}, {Name: SourceMetrics, Status: StatusForbidden}, {Name: SourcePods}}
	SortSources(srcs)
	var names []SourceName
	for _, s := range srcs {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []SourceName{SourceNode, SourcePods, SourceMetrics, SourceHealthz}) {
		t.Errorf("sources sorted %v, want report order", names)
	}
	s := &Snapshot{Sources: srcs, Pods: []Pod{{Name: "a", Phase: corev1.PodRunning}, {Name: "b", Phase: corev1.PodFailed}}}
	if !s.Has(SourceNode) || s.Has(SourceMetrics) || s.Has(SourceStats) {
		t.Error("Has: only a source read ok is had")
	}
	if s.Ready() != nil {
		t.Error("Ready of a snapshot without a node")
	}
	if r := s.RunningPods(); len(r) != 1 || r[0].Name != "a" {
		t.Errorf("RunningPods = %v", r)
	}
	s.Node = &corev1.Node{Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeMemoryPressure}, {Type: corev1.NodeReady, Status: corev1.ConditionFalse}}}}
	if r := s.Ready(); r == nil || r.Status != corev1.ConditionFalse {
		t.Errorf("Ready = %+v", r)
	}
	if (Source{ElapsedMillis: 1500}).Elapsed() != 1500*time.Millisecond {
		t.Error("Elapsed")
	}
}
