package kubelet

import (
	"fmt"
	"strings"
	"testing"
)

// The pieces of `kubectl describe node` people paste into tickets, each read
// for what it shows.
func TestParseDescribeNodesFragments(t *testing.T) {
	const (
		header = "  Type             Status  LastHeartbeatTime                 LastTransitionTime                Reason                       Message\n" +
			"  ----             ------  -----------------                 ------------------                ------                       -------\n"
		readyRow  = "  Ready            False   Mon, 03 Jun 2019 13:54:18 +0000   Sun, 02 Jun 2019 21:39:37 +0000   KubeletNotReady              PLEG is not healthy: pleg was last seen active 16h17m50.79s ago; threshold is 3m0s\n"
		memoryRow = "  MemoryPressure   False   Mon, 03 Jun 2019 13:54:18 +0000   Wed, 20 Mar 2019 22:00:39 +0000   KubeletHasSufficientMemory   kubelet has sufficient memory available\n"
		events    = "  Type     Reason             Age                 From                      Message\n" +
			"  ----     ------             ----                ----                      -------\n" +
			"  Warning  ContainerGCFailed  5s (x543 over 27h)  kubelet, worker-3         rpc error: code = DeadlineExceeded desc = context deadline exceeded\n" +
			"  Normal   NodeNotReady       3m                  kubelet, worker-3         Node worker-3 status is now: NodeNotReady\n"
	)
	type want struct {
		nodes      int
		name       string // of the first node
		conditions int
		ready      string // the first node's Ready status, "" when absent
		events     int
	}
	tests := []struct {
		name string
		in   string
		want want
	}{
		{"Conditions block", "Conditions:\n" + header + memoryRow + readyRow, want{1, "", 2, "False", 0}},
		{"Conditions block without its section line", header + memoryRow + readyRow, want{1, "", 2, "False", 0}},
		{"a single condition row", readyRow, want{1, "", 1, "False", 0}},
		{"a single row pasted from column 0", strings.TrimPrefix(readyRow, "  "), want{1, "", 1, "False", 0}},
		{"narrowed columns", "Conditions:\n  Type             Status    Reason              Message\n  ----             ------    ------              -------\n" +
			"  Ready            Unknown   NodeStatusUnknown   Kubelet stopped posting node status.\n", want{1, "", 1, "Unknown", 0}},
		{"Events table", "Events:\n" + events, want{1, "worker-3", 0, "", 2}},
		{"Events table without its section line", events, want{1, "worker-3", 0, "", 2}},
		{"event rows without a header", "  Warning  ContainerGCFailed  5s (x543 over 27h)  kubelet, worker-3  rpc error: code = DeadlineExceeded desc = context deadline exceeded\n", want{1, "worker-3", 0, "", 1}},
		{"kubectl 1.8 event rows", "  6m\t\t6m\t\t1\t{kubelet worker-9}\t\t\tNormal\t\tNodeNotReady\t\tNode worker-9 status is now: NodeNotReady\n" +
			"  41s\t\t41s\t\t1\t{kubelet worker-9}\t\t\tNormal\t\tStarting\t\tStarting kubelet.\n", want{1, "worker-9", 0, "", 2}},
		{"kubectl get events rows", "0s          Normal    Starting                   node/10.19.0.11    Starting kubelet.\n" +
			"0s          Normal    NodeHasSufficientMemory    node/10.19.0.11    Node 10.19.0.11 status is now: NodeHasSufficientMemory\n", want{1, "10.19.0.11", 0, "", 2}},
		{"prompt, elision, quoting", prefixLines("> ", "$ kubectl describe nodes\n[...]\nName:               etkhub\nRoles:              master\nConditions:\n"+header+readyRow),
			want{1, "etkhub", 1, "False", 0}},
		{"indented as a whole", prefixLines("  ", "Name:               worker-7\nRoles:              <none>\nConditions:\n"+header+memoryRow),
			want{1, "worker-7", 1, "", 0}},
		{"a long message wrapped by the terminal", "Name:  worker-3\nRoles:  <none>\nConditions:\n" + header +
			"  Ready            False   Mon, 03 Jun 2019 13:54:18 +0000   Sun, 02 Jun 2019 21:39:37 +0000   KubeletNotReady              PLEG is not healthy: pleg was last seen\n active 16h17m50.79s ago; threshold is 3m0s\n", want{1, "worker-3", 1, "False", 0}},
		{"several nodes", "Name:  a\nRoles:  <none>\nConditions:\n" + header + memoryRow + "\nName:  b\nRoles:  <none>\nConditions:\n" + header + readyRow +
			"\nName:  c\nRoles:  <none>\n", want{3, "a", 1, "", 0}},
		{"events of a node cut before the next one", events + "\n\nName:  next\nRoles:  <none>\n", want{2, "worker-3", 0, "", 2}},
		{"kubectl 1.2's box-drawing rule", "Name:\t\t\tgce-1\nConditions:\n  Type\t\tStatus\tLastHeartbeatTime\t\t\tLastTransitionTime\t\t\tReason\t\t\tMessage\n" +
			"  ────\t\t──────\t─────────────────\t\t\t──────────────────\t\t\t──────\t\t\t───────\n" +
			"  Ready \tFalse \tMon, 02 Nov 2015 18:02:43 +0000 \tSat, 31 Oct 2015 01:11:12 +0000 \tKubeletNotReady \tcontainer runtime is down\n", want{1, "gce-1", 1, "False", 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !LooksLikeDescribeNode([]byte(tt.in)) {
				t.Error("LooksLikeDescribeNode = false")
			}
			ds, err := ParseDescribeNodes(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			d := ds[0]
			got := want{nodes: len(ds), name: d.Node.Name, conditions: len(d.Node.Status.Conditions), events: len(d.Events)}
			for _, c := range d.Node.Status.Conditions {
				if c.Type == "Ready" {
					got.ready = string(c.Status)
				}
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// What is not a node stays not a node, in pieces too.
func TestParseDescribeNodesRefusesOtherObjects(t *testing.T) {
	for name, in := range map[string]string{
		"a described pod":       "Name:         nginx-7854ff8877-xk4cv\nNamespace:    default\nPriority:     0\nEvents:\n  Type    Reason     Age   From               Message\n  ----    ------     ----  ----               -------\n  Normal  Scheduled  2m    default-scheduler  Successfully assigned default/nginx to worker-9\n",
		"a pod's events alone":  "  Normal  Scheduled  2m    default-scheduler  Successfully assigned default/nginx to worker-9\n  Normal  Pulled     2m    kubelet            Container image \"nginx\" already present on machine\n",
		"a node YAML":           "apiVersion: v1\nkind: Node\nmetadata:\n  name: worker-7\nspec:\n  taints:\n  - key: a\n",
		"a kubelet journal":     "Nov 27 08:10:01 worker-3 kubelet[1234]: E1127 08:10:01.123000 1234 kubelet.go:2412] \"Skipping pod synchronization\" err=\"PLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s\"\n",
		"kubectl get nodes":     "NAME       STATUS     ROLES    AGE   VERSION\nworker-7   NotReady   <none>   98d   v1.27.4\n",
		"prose about a node":    "The node went NotReady at 10:00.\nStatus: we restarted docker.\n",
		"the Ready row's words": "Ready is False since Monday.\n",
	} {
		t.Run(name, func(t *testing.T) {
			if LooksLikeDescribeNode([]byte(in)) {
				t.Error("LooksLikeDescribeNode = true")
			}
			if ds, err := ParseDescribeNodes(strings.NewReader(in)); err == nil {
				t.Errorf("read as %d nodes: %+v", len(ds), ds[0].Node)
			}
		})
	}
}

// prefixLines puts p in front of every line of s.
func prefixLines(p, s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = p + l
		}
	}
	return strings.Join(lines, "")
}

// kubectl get events rows without a capture time keep their ages, oldest
// first, for the verdict to say "47m before the capture".
func TestEventRowsKeepTheirAges(t *testing.T) {
	in := "LAST SEEN   TYPE     REASON         OBJECT    MESSAGE\n" +
		"2m          Normal   NodeReady      node/hl   Node hl status is now: NodeReady\n" +
		"47m         Normal   NodeNotReady   node/hl   Node hl status is now: NodeNotReady\n" +
		"<unknown>   Normal   Starting       node/hl   Starting kubelet.\n"
	ds, err := ParseDescribeNodes(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ds[0].Events {
		got = append(got, fmt.Sprintf("%s %s %t", e.Reason, e.Ago, e.AgoKnown))
	}
	want := []string{"NodeReady 2m0s true", "NodeNotReady 47m0s true", "Starting 0s false"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("events %q, want %q", got, want)
	}
}
