package paste

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

const controllerCorpus = "../../test/corpus/artifacts"

// controllerLogsOutsideKCM are corpus files named for another reader that
// really are kube-controller-manager logs, so LooksLikeControllerLog is right
// to take them.
var controllerLogsOutsideKCM = map[string]string{
	"klog-k8s43516-edevil-controller-manager-unknown-to-ready.log": "nodecontroller.go (1.5) noting node-4-vm's Ready condition back to True; no kubelet line",
	"klog-minikube6822-balopat-kcm-notready-then-ready.log":        "the controller's event broadcaster (NodeNotReady for docker2) and master disruption mode",
}

// controllerEventString shows what a test compares: node, reason, time and
// whether the year was guessed ("~").
func controllerEventString(e ControllerEvent) string {
	node := e.Node
	if node == "" {
		node = "(cluster)"
	}
	stamp := "no-time"
	if !e.Time.IsZero() {
		stamp = e.Time.UTC().Format(time.RFC3339Nano)
	}
	if e.Yearless {
		stamp = "~" + stamp
	}
	return node + " " + e.Reason + " " + stamp
}

func parseControllerStrings(t *testing.T, paste string, ref time.Time) []string {
	t.Helper()
	events, err := ParseControllerLog(strings.NewReader(paste), ref)
	if err != nil {
		t.Fatalf("ParseControllerLog: %v", err)
	}
	got := make([]string, 0, len(events))
	for _, e := range events {
		// Every message is the trimmed text the line held after its header.
		if e.Message == "" || e.Message != strings.TrimSpace(e.Message) || !strings.Contains(strings.ReplaceAll(paste, `\"`, `"`), e.Message) {
			t.Errorf("event %s: message %q is not text of the paste", controllerEventString(e), e.Message)
		}
		got = append(got, controllerEventString(e))
	}
	return got
}

// TestParseControllerLogArtifacts reads the real pastes whole: they are
// excerpts already, each a few lines of one controller-manager log.
func TestParseControllerLogArtifacts(t *testing.T) {
	tests := []struct {
		file string
		ref  time.Time // capture time: the year of the issue or post
		want []string
	}{
		{"kcm-acsengine220-otaviosoares-agent-and-master-notready.log", controllerDay(2017, 1, 27), []string{
			// The Event(…) echo of each recorded status change is a repeat.
			"k8s-agentpool1-36264260-1 NodeNotReady ~2017-01-26T01:03:23.4149Z",
			"k8s-master-36264260-0 NodeNotReady ~2017-01-26T01:03:29.85626Z",
		}},
		{"kcm-bsycorpkind46-itsnagaraj-dockerjson-tail-pods-nodenotready.log", time.Time{}, []string{
			// docker's json-file time wins and carries the year; the
			// coredns pod does not name its node, etcd-minikube does.
			"(cluster) MarkedPodsNotReady 2021-09-01T00:25:09.311544102Z",
			"minikube MarkedPodsNotReady 2021-09-01T00:25:09.317460194Z",
		}},
		{"kcm-csdnrepost-flattened-tail5-disruption-enter-exit.txt", controllerDay(2018, 12, 11), []string{
			"(cluster) NodeNotReady ~2018-12-10T09:30:17.125377Z",
			"(cluster) NodeReady ~2018-12-10T09:31:07.140539Z",
		}},
		{"kcm-hamasterlab-crictl-brackets-stripped-exit-disruption.log", controllerDay(2024, 7, 3), []string{
			"(cluster) NodeReady ~2024-07-03T14:11:45.611623Z",
		}},
		{"kcm-k8s108844-shayeman-timejump-unresponsive-then-healthy-again.log", controllerDay(2022, 4, 5), []string{
			// "Adding it to the Taint queue" 45µs later restates "hasn't been updated".
			"paas-192-168-21-186 NodeStatusUnknown ~2022-04-04T15:28:36.488138Z",
			"paas-192-168-21-186 NodeReady ~2022-04-04T15:28:46.506843Z",
		}},
		{"kcm-k8s110028-linfcai-kind-grep-unresponsive-worker.log", controllerDay(2022, 5, 13), []string{
			"kind-worker NodeStatusUnknown ~2022-05-13T06:11:28.805952Z",
			"kind-worker NodeStatusUnknown ~2022-05-13T06:11:33.806615Z",
			"kind-control-plane NodeReady ~2022-05-13T06:11:34.027922Z",
		}},
		{"kcm-k8s113081-luozhiwenn-journald-hasnt-been-updated-last-ready-true.log", controllerDay(2022, 11, 25), []string{
			// One line per condition, one conclusion; the journal's time wins.
			"node NodeStatusUnknown ~2022-11-24T17:32:39Z",
		}},
		{"kcm-k8s117555-ashvinsharma-never-updated-unresponsive-panic.log", controllerDay(2023, 4, 24), []string{
			"ip-10-5-43-93.ap-south-1.compute.internal NodeStatusUnknown ~2023-04-23T18:37:30.629784Z",
		}},
		{"kcm-k8s21053-thockin-2016-nodecontroller-master-unknown-evicting.log", controllerDay(2016, 2, 11), []string{
			"kubernetes-master NodeStatusUnknown ~2016-02-11T07:53:31.358104Z",
			"kubernetes-master NodeStatusUnknown ~2016-02-11T07:53:36.364787Z",
		}},
		{"kcm-k8s77981-laaubert-unreachable-taint-disruption-elided.log", controllerDay(2019, 5, 17), []string{
			"k8s-worker2 NodeNotReady ~2019-05-16T13:06:55.705957Z",
			"k8s-worker2 MarkedPodsNotReady ~2019-05-16T13:06:55.705975Z",
			"k8s-worker2 TaintAdded ~2019-05-16T13:06:55.716509Z",
			"(cluster) NodeNotReady ~2019-05-16T13:06:55.748135Z",
		}},
		{"kcm-k8s77981-laaubert-worker3-unresponsive-noexecute-taint.log", controllerDay(2019, 5, 17), []string{
			"k8s-worker3 TaintAdded ~2019-05-16T19:33:12.204484Z",
			"k8s-worker3 NodeStatusUnknown ~2019-05-16T19:33:17.229931Z",
			"k8s-worker3 TaintAdded ~2019-05-16T19:33:17.284108Z",
		}},
		{"kcm-k8s85221-mm4tt-scale-update-ready-status-many-nodes.log", controllerDay(2019, 11, 12), []string{
			"gce-scale-cluster-minion-group-4-wrhh MarkedPodsNotReady ~2019-11-11T18:38:35.550418Z",
			"gce-scale-cluster-minion-group-2-xfms MarkedPodsNotReady ~2019-11-11T18:38:35.839456Z",
			"gce-scale-cluster-minion-group-1-j9dz MarkedPodsNotReady ~2019-11-11T18:38:36.115179Z",
			"gce-scale-cluster-minion-group-2-v77j MarkedPodsNotReady ~2019-11-11T18:38:36.456882Z",
			"gce-scale-cluster-minion-group-4-5b5n MarkedPodsNotReady ~2019-11-11T18:38:36.541538Z",
			"gce-scale-cluster-minion-group-3-3qvp MarkedPodsNotReady ~2019-11-11T18:38:36.877008Z",
			"gce-scale-cluster-minion-group-4-tkx3 MarkedPodsNotReady ~2019-11-11T18:38:37.218718Z",
			"gce-scale-cluster-minion-group-4-mm7q MarkedPodsNotReady ~2019-11-11T18:38:38.363314Z",
			"gce-scale-cluster-minion-group-3-573f MarkedPodsNotReady ~2019-11-11T18:38:38.699014Z",
		}},
		{"kcm-k8scontroller01-notes-startup-structured-disruption-prompt.log", controllerDay(2023, 10, 26), []string{
			"(cluster) NodeNotReady ~2023-10-25T16:06:37.5612Z",
			"(cluster) MarkedPodsNotReady ~2023-10-25T16:06:37.615567Z",
			"k8s-controller-01 MarkedPodsNotReady ~2023-10-25T16:06:37.628411Z",
		}},
		{"kcm-kubedee26-blinkeye-journalctl-taint-queue-pager-end.log", controllerDay(2019, 6, 18), []string{
			"kubedee-test-worker-2ajv8y NodeNotReady ~2019-06-17T13:01:21Z",
			"(cluster) NodeNotReady ~2019-06-17T13:01:21Z",
			"kubedee-test-worker-2ajv8y NodeNotReady ~2019-06-17T13:01:26Z",
		}},
		{"klog-k8s43516-edevil-controller-manager-unknown-to-ready.log", controllerDay(2017, 3, 22), []string{
			"node-4-vm NodeReady ~2017-03-22T02:36:43.571752Z",
		}},
		{"klog-minikube6822-balopat-kcm-notready-then-ready.log", controllerDay(2020, 2, 18), []string{
			"docker2 NodeNotReady ~2020-02-17T14:41:37.439852Z",
			"(cluster) NodeNotReady ~2020-02-17T14:41:37.795013Z",
			"(cluster) NodeReady ~2020-02-17T14:41:47.796573Z",
			"docker2 NodeNotReady ~2020-02-18T06:27:25.544675Z",
			"(cluster) NodeNotReady ~2020-02-18T06:27:26.516197Z",
			"(cluster) NodeReady ~2020-02-18T06:27:36.524365Z",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(controllerCorpus, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := parseControllerStrings(t, string(data), tt.ref); !slices.Equal(got, tt.want) {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

func controllerDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// TestParseControllerLogForms covers the wording and framing of versions and
// collectors the corpus lacks, built from upstream's format strings.
func TestParseControllerLogForms(t *testing.T) {
	ref := controllerDay(2023, 4, 19)
	tests := []struct {
		name, paste string
		want        []string
	}{
		{"JSON logging, node as object, string or in the msg", `{"ts":1681812312123,"caller":"nodelifecycle/node_lifecycle_controller.go:1092","msg":"Node is NotReady. Adding it to the Taint queue","v":2,"node":{"name":"worker-1"},"timeStamp":"2023-04-18 10:05:12.123 +0000 UTC"}
{"ts":1681812313000,"caller":"node/controller_utils.go:145","msg":"Recording status change event message for node","v":2,"status":"NodeNotReady","node":"worker-2"}
{"ts":1681812314000,"caller":"nodelifecycle/node_lifecycle_controller.go:1030","msg":"Node hasn't been updated","v":2,"node":{"name":"worker-3"},"duration":"40.5s","nodeConditionType":"Ready","currentCondition":{"type":"Ready","status":"True"}}
{"ts":1681812315000,"msg":"Node worker-4 is unresponsive as of 2023-04-18 10:05:15 +0000 UTC. Adding it to the Taint queue."}
{"ts":1681812316000,"msg":"ReadyCondition for Node transitioned from savedCondition to currentReadyCondition","node":{"name":"worker-5"},"currentReadyCondition":{"type":"Ready","status":"False"}}
{"ts":1681812317000,"msg":"Event occurred","object":{"name":"kube-scheduler-cp-1","namespace":"kube-system"},"kind":"Pod","reason":"NodeNotReady"}`, []string{
			"worker-1 NodeNotReady 2023-04-18T10:05:12.123Z",
			"worker-2 NodeNotReady 2023-04-18T10:05:13Z",
			"worker-3 NodeStatusUnknown 2023-04-18T10:05:14Z",
			"worker-4 NodeStatusUnknown 2023-04-18T10:05:15Z",
			"worker-5 NodeNotReady 2023-04-18T10:05:16Z",
			"cp-1 MarkedPodsNotReady 2023-04-18T10:05:17Z",
		}},
		{"JSON logging under journald", `Apr 18 10:05:19 cp-1 kube-controller-manager[812]: {"ts":1681812318000,"msg":"Node is healthy again, removed all taints","node":{"name":"worker-1"}}`, []string{
			"worker-1 NodeReady ~2023-04-18T10:05:19Z",
		}},
		{"structured klog text", `I0418 10:05:12.000001       1 controller_utils.go:147] "Recording status change event message for node" status="NodeNotReady" node="worker-1"
I0418 10:05:13.000001       1 node_lifecycle_controller.go:1029] "Node hasn't been updated" node="worker-2" duration="40.5s" nodeConditionType="Ready" currentCondition="&NodeCondition{Type:Ready,Status:True,}"
I0418 10:05:14.000001       1 controller_utils.go:160] "Added taint to node" taint=[&Taint{Key:node.kubernetes.io/unreachable,Value:,Effect:NoExecute,TimeAdded:2023-04-18 10:05:14 +0000 UTC,}] node="worker-3"
I0418 10:05:15.000001       1 node_lifecycle_controller.go:960] "ReadyCondition for Node transitioned from savedCondition to currentReadyCondition" node="worker-4" savedCondition="&NodeCondition{Type:Ready,Status:Unknown,}" currentReadyCondition="&NodeCondition{Type:Ready,Status:True,}"
I0418 10:05:16.000001       1 node_lifecycle_controller.go:783] "Controller observed a Node deletion" node="worker-5"
I0418 10:05:17.000001       1 node_lifecycle_controller.go:690] "Node was in a taint queue, but it's ready now. Ignoring taint request" node="worker-6"`, []string{
			"worker-1 NodeNotReady ~2023-04-18T10:05:12.000001Z",
			"worker-2 NodeStatusUnknown ~2023-04-18T10:05:13.000001Z",
			"worker-3 TaintAdded ~2023-04-18T10:05:14.000001Z",
			"worker-4 NodeReady ~2023-04-18T10:05:15.000001Z",
			"worker-5 NodeDeleted ~2023-04-18T10:05:16.000001Z",
			"worker-6 NodeReady ~2023-04-18T10:05:17.000001Z",
		}},
		{"kubectl logs, --prefix, CRI file and grep prefixes", `kube-controller-manager-cp-1 I0418 10:05:12.000001       1 node_lifecycle_controller.go:1092] Node worker-1 is NotReady as of 2023-04-18 10:05:12 +0000 UTC. Adding it to the Taint queue.
[pod/kube-controller-manager-cp-1/kube-controller-manager] I0418 10:05:13.000001       1 node_lifecycle_controller.go:1100] Node worker-2 is healthy again, removing all taints
2023-04-18T10:05:14.123456789Z stderr F I0418 10:05:14.123400       1 node_lifecycle_controller.go:1107] node worker-3 hasn't been updated for 40.1s. Last Ready is: &NodeCondition{Type:Ready,Status:Unknown,}
kcm.log:42:I0418 10:05:15.000001       1 controller_utils.go:121] Update ready status of pods on node [worker-4]
cp-1 $ `, []string{
			"worker-1 NodeNotReady ~2023-04-18T10:05:12.000001Z",
			"worker-2 NodeReady ~2023-04-18T10:05:13.000001Z",
			"worker-3 NodeStatusUnknown 2023-04-18T10:05:14.123456789Z",
			"worker-4 MarkedPodsNotReady ~2023-04-18T10:05:15.000001Z",
		}},
		{"1.1 to 1.8 wording without taint-based evictions", `I0418 10:05:12.000001       6 nodecontroller.go:509] Node is NotReady. Adding Pods on Node worker-1 to eviction queue: 2023-04-18 10:05:12 +0000 UTC is later than 2023-04-18 10:00:12 +0000 UTC + 5m0s
I0418 10:05:13.000001       6 nodecontroller.go:520] Node is unresponsive. Adding Pods on Node worker-2 to eviction queues: 2023-04-18 10:05:13 +0000 UTC is later than 2023-04-18 10:00:13 +0000 UTC + 4m20s
I0418 10:05:14.000001       6 nodecontroller.go:531] Node worker-1 is ready again, cancelled pod eviction
I0418 10:05:15.000001       6 nodecontroller.go:560] Deleting node (no longer present in cloud provider): worker-3
I0418 10:05:16.000001       6 nodecontroller.go:388] NodeController observed a Node deletion: worker-4
I0418 10:05:17.000001       6 nodecontroller.go:610] node worker-5 is never updated by kubelet
I0418 10:05:18.000001       6 event.go:217] Event(api.ObjectReference{Kind:"Node", Namespace:"", Name:"worker-6", UID:"worker-6", APIVersion:"", ResourceVersion:"", FieldPath:""}): type: 'Normal' reason: 'RemovingNode' Node worker-6 event: Removing Node worker-6 from NodeController
I0418 10:05:19.000001       6 nodecontroller.go:772] NodeController detected that all Nodes are not-Ready. Entering master disruption mode.`, []string{
			"worker-1 NodeNotReady ~2023-04-18T10:05:12.000001Z",
			"worker-2 NodeStatusUnknown ~2023-04-18T10:05:13.000001Z",
			"worker-1 NodeReady ~2023-04-18T10:05:14.000001Z",
			"worker-3 NodeDeleted ~2023-04-18T10:05:15.000001Z",
			"worker-4 NodeDeleted ~2023-04-18T10:05:16.000001Z",
			"worker-5 NodeStatusUnknown ~2023-04-18T10:05:17.000001Z",
			"worker-6 NodeDeleted ~2023-04-18T10:05:18.000001Z",
			"(cluster) NodeNotReady ~2023-04-18T10:05:19.000001Z",
		}},
		{"cloud node lifecycle controller", `I0418 10:05:12.000001       1 node_lifecycle_controller.go:164] deleting node since it is no longer present in cloud provider: worker-1`, []string{
			"worker-1 NodeDeleted ~2023-04-18T10:05:12.000001Z",
		}},
		{"a line without a time", `Node worker-1 is unresponsive as of 2023-04-18 10:05:12 +0000 UTC. Adding it to the Taint queue.`, []string{
			"worker-1 NodeStatusUnknown no-time",
		}},
		{"the kubelet's own lines conclude nothing", `I0418 10:05:12.000001    2712 kubelet_node_status.go:446] Recording NodeNotReady event message for node worker-1
I0418 10:05:12.000002    2712 setters.go:555] "Node became not ready" node="worker-1" condition={Type:Ready Status:False}
I0418 10:05:12.000003    2712 kubelet_node_status.go:724] "Recording event message for node" node="worker-1" event="NodeNotReady"`, nil},
		{"no node, no conclusion", `I0418 10:05:12.000001       1 node_lifecycle_controller.go:1092] "Node is NotReady. Adding it to the Taint queue" timeStamp="2023-04-18 10:05:12"
I0418 10:05:13.000001       1 controller_utils.go:147] Recording status change CIDRNotAvailable event message for node worker-1
I0418 10:05:14.000001       1 node_lifecycle_controller.go:877] "Missing timestamp for Node. Assuming now as a timestamp" node="worker-1"
I0418 10:05:15.000001       1 taint_manager.go:106] "NoExecuteTaintManager is deleting pod" pod="default/web-0"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseControllerStrings(t, tt.paste, ref); !slices.Equal(got, tt.want) {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

func TestParseControllerLogZeroRefIsNow(t *testing.T) {
	// 1 January is never more than a day ahead, so it takes this year.
	got := parseControllerStrings(t, `I0101 00:00:01.000000       1 node_lifecycle_controller.go:1100] Node worker-1 is healthy again, removing all taints`, time.Time{})
	want := fmt.Sprintf("worker-1 NodeReady ~%d-01-01T00:00:01Z", time.Now().Year())
	if !slices.Equal(got, []string{want}) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseControllerLogBounds(t *testing.T) {
	line := func(i int) string {
		return fmt.Sprintf("I0418 10:05:12.000001       1 controller_utils.go:121] Update ready status of pods on node [worker-%d]\n", i)
	}
	t.Run("an overlong line is skipped whole, the next read", func(t *testing.T) {
		long := strings.Repeat("x", maxControllerLine+10) + " " + line(1) // its tail would match
		events, err := ParseControllerLog(strings.NewReader(long+strings.TrimSuffix(line(2), "\n")), controllerDay(2023, 4, 19))
		if err != nil || len(events) != 1 || events[0].Node != "worker-2" {
			t.Fatalf("got %v, %v; want worker-2 only", events, err)
		}
	})
	t.Run("the newest events are kept", func(t *testing.T) {
		var b strings.Builder
		for i := range maxControllerEvents + 5 {
			b.WriteString(line(i))
		}
		events, err := ParseControllerLog(strings.NewReader(b.String()), controllerDay(2023, 4, 19))
		if err != nil || len(events) != maxControllerEvents || events[0].Node != "worker-5" || events[len(events)-1].Node != fmt.Sprintf("worker-%d", maxControllerEvents+4) {
			t.Fatalf("got %d events from %q, %v", len(events), events[0].Node, err)
		}
	})
	t.Run("a long message is cut at a rune", func(t *testing.T) {
		msg := "Added [" + strings.Repeat("é", maxEventMessage) + "] Taint to Node worker-1"
		events, err := ParseControllerLog(strings.NewReader("I0418 10:05:12.000001       1 controller_utils.go:200] "+msg), controllerDay(2023, 4, 19))
		if err != nil || len(events) != 1 || len(events[0].Message) > maxEventMessage || !utf8.ValidString(events[0].Message) || !strings.HasPrefix(msg, events[0].Message) {
			t.Fatalf("got %+v, %v", events, err)
		}
	})
	t.Run("a read error comes back with the events before it", func(t *testing.T) {
		broken := errors.New("connection reset")
		r := io.MultiReader(strings.NewReader(line(1)), controllerFailingReader{broken})
		events, err := ParseControllerLog(r, controllerDay(2023, 4, 19))
		if !errors.Is(err, broken) || len(events) != 1 {
			t.Fatalf("got %v, %v", events, err)
		}
	})
}

type controllerFailingReader struct{ err error }

func (r controllerFailingReader) Read([]byte) (int, error) { return 0, r.err }

func TestLooksLikeControllerLog(t *testing.T) {
	tests := []struct {
		name, head string
		want       bool
	}{
		{"empty", "", false},
		{"controller lines without a conclusion", `I0418 10:05:12.000001       1 node_lifecycle_controller.go:1225] "Initializing eviction metric for zone" zone=""`, false},
		{"one conclusion", `I0418 10:05:12.000001       1 node_lifecycle_controller.go:1029] "Controller detected that all Nodes are not-Ready. Entering master disruption mode"`, true},
		{"the kubelet at -v=3 echoing its own node event", `I0418 10:05:12.000001    2712 kubelet_node_status.go:446] Recording NodeNotReady event message for node worker-1
I0418 10:05:12.000002    2712 event.go:291] Event(v1.ObjectReference{Kind:"Node", Namespace:"", Name:"worker-1", UID:"worker-1", APIVersion:"", ResourceVersion:"", FieldPath:""}): type: 'Normal' reason: 'NodeNotReady' Node worker-1 status is now: NodeNotReady
I0418 10:05:12.000003    2712 kubelet_node_status.go:724] "Node became not ready" node="worker-1"`, false},
	}
	for _, tt := range tests {
		if got := LooksLikeControllerLog([]byte(tt.head)); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestLooksLikeControllerLogCorpus takes every kcm-* paste and no other,
// save the controller logs filed under another name.
func TestLooksLikeControllerLogCorpus(t *testing.T) {
	entries, err := os.ReadDir(controllerCorpus)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || strings.HasSuffix(name, ".gz") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(controllerCorpus, name))
		if err != nil {
			t.Fatal(err)
		}
		_, outsideKCM := controllerLogsOutsideKCM[name]
		if outsideKCM {
			seen++
		}
		if want := strings.HasPrefix(name, "kcm-") || outsideKCM; LooksLikeControllerLog(data) != want {
			t.Errorf("%s: LooksLikeControllerLog = %v, want %v", name, !want, want)
		}
	}
	if seen != len(controllerLogsOutsideKCM) {
		t.Errorf("found %d of the %d controller logs listed outside kcm-*", seen, len(controllerLogsOutsideKCM))
	}
}
