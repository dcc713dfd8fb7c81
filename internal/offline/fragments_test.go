package offline

import (
	"bytes"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// fromText diagnoses one pasted file.
func fromText(t *testing.T, text string) ([]*snapshot.Snapshot, error) {
	t.Helper()
	return FromFiles([]Input{{Name: "paste", R: strings.NewReader(text)}}, "", far)
}

func readyOf(s *snapshot.Snapshot) string {
	if r := s.Ready(); r != nil {
		return string(r.Status)
	}
	return ""
}

// Objects as exporters, jq and people leave them.
func TestFromFilesReadsObjectsInEveryShape(t *testing.T) {
	const readyUnknown = `{"type":"Ready","status":"Unknown","lastHeartbeatTime":"2020-08-15T03:48:32Z","lastTransitionTime":"2020-08-15T03:49:15Z","reason":"NodeStatusUnknown","message":"Kubelet stopped posting node status."}`
	tests := []struct {
		name  string
		text  string
		nodes []string // name:ReadyStatus per snapshot
	}{
		{"a Node without kind or apiVersion", `{"metadata":{"name":"w1"},"status":{"conditions":[` + readyUnknown + `]}}`, []string{"w1:Unknown"}},
		{"a NodeList of two", `{"kind":"NodeList","items":[{"metadata":{"name":"a"},"status":{"nodeInfo":{}}},{"metadata":{"name":"b"},"status":{"nodeInfo":{}}}]}`, []string{"a:", "b:"}},
		{"YAML documents of two nodes", "apiVersion: v1\nkind: Node\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Node\nmetadata:\n  name: b\n", []string{"a:", "b:"}},
		{"JSON cut short", `{"kind":"Node","metadata":{"name":"w2"},"status":{"conditions":[` + readyUnknown + `,{"type":"MemoryPr`, []string{"w2:Unknown"}},
		{"YAML after a shell prompt", "[root@x ~]# kubectl get no w3 -oyaml\napiVersion: v1\nkind: Node\nmetadata:\n  name: w3\nstatus:\n  conditions:\n  - type: Ready\n    status: \"True\"\n", []string{"w3:True"}},
		{"jq .status.conditions, cut short", "$ curl -s localhost:8080/api/v1/nodes/mgt07 | jq .status.conditions\n[\n  " + readyUnknown + ",\n  {\n    \"type\": \"Memory", []string{":Unknown"}},
		{"conditions of a YAML, folded message", "  - lastHeartbeatTime: \"2020-11-25T09:21:39Z\"\n    lastTransitionTime: \"2020-11-25T09:21:39Z\"\n    message: '[container runtime status check may not have completed yet, runtime\n      network not ready: NetworkReady=false]'\n    reason: KubeletNotReady\n    status: \"False\"\n    type: Ready\n", []string{":False"}},
		{"lowercased keys in markdown", "\"**conditions**\": [{\n\t\"status\": \"Unknown\",\n\t\"reason\": \"NodeStatusUnknown\",\n\t\"type\": \"Ready\"\n}]\n", []string{":Unknown"}},
		{"node dumps in a tool's log", `INFO[0004] node dump: {"metadata":{"name":"node-1"},"status":{"conditions":[{"type":"Ready","status":"Unknown"}]}}` + "\n" +
			`INFO[0004] node dump: {"metadata":{"name":"node-2"},"status":{"conditions":[{"type":"Ready","status":"False","message":"PLEG is not healthy"}]}}` + "\n", []string{"node-1:Unknown", "node-2:False"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snaps, _ := fromText(t, tt.text)
			var got []string
			for _, s := range snaps {
				got = append(got, s.NodeName+":"+readyOf(s))
			}
			if strings.Join(got, " ") != strings.Join(tt.nodes, " ") {
				t.Errorf("got %q, want %q", got, tt.nodes)
			}
		})
	}
}

// A cut-short object is used, and the cut said.
func TestFromFilesSaysWhatWasCutShort(t *testing.T) {
	_, err := fromText(t, `{"kind":"Node","metadata":{"name":"w2"},"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Mem`)
	if err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("err = %v, want it to say the file was cut short", err)
	}
}

// Several nodes: each gets the events about it and the pods on it; the
// kubelet's data goes to the node it names, or is reported unused.
func TestFromFilesHandsEachNodeItsOwn(t *testing.T) {
	nodes := `{"kind":"NodeList","items":[{"kind":"Node","metadata":{"name":"a"}},{"kind":"Node","metadata":{"name":"b"}}]}`
	events := `{"kind":"EventList","items":[{"kind":"Event","involvedObject":{"kind":"Node","name":"b"},"reason":"NodeNotReady","message":"Node b status is now: NodeNotReady","count":3}]}`
	pods := `{"kind":"PodList","items":[{"kind":"Pod","metadata":{"name":"p1","namespace":"x"},"spec":{"nodeName":"a","containers":[{"name":"c"}]}}]}`
	journal := "Nov 27 08:10:01 b kubelet[12]: E1127 08:10:01.000000 12 kubelet.go:2412] \"Skipping pod synchronization\" err=\"PLEG is not healthy: pleg was last seen active 3m1s ago; threshold is 3m0s\"\n"
	snaps, err := FromFiles([]Input{
		{Name: "nodes", R: strings.NewReader(nodes)}, {Name: "events", R: strings.NewReader(events)},
		{Name: "pods", R: strings.NewReader(pods)}, {Name: "journal", R: strings.NewReader(journal)},
	}, "", far)
	if err != nil || len(snaps) != 2 {
		t.Fatalf("%d snapshots, %v", len(snaps), err)
	}
	a, b := snaps[0], snaps[1]
	if len(a.Pods) != 1 || len(b.Pods) != 0 || len(a.Events) != 0 || len(b.Events) != 1 {
		t.Errorf("pods a=%d b=%d, events a=%d b=%d; want 1 0 0 1", len(a.Pods), len(b.Pods), len(a.Events), len(b.Events))
	}
	if a.KubeletLog != nil || b.KubeletLog == nil {
		t.Errorf("the journal of host b must go to node b only")
	}

	snaps, err = FromFiles([]Input{{Name: "nodes", R: strings.NewReader(nodes)}, {Name: "metrics", R: strings.NewReader("kubelet_running_pods 3\n")}}, "", far)
	if len(snaps) != 2 || err == nil || !strings.Contains(err.Error(), "names none of them") {
		t.Errorf("kubelet data naming no node among several: %d snapshots, err %v", len(snaps), err)
	}
}

// Data that never says which node it is about still gets a name from what
// names it: a log's host, the stats summary, the metrics.
func TestFromFilesNamesTheNodeFromTheData(t *testing.T) {
	for name, text := range map[string]string{
		"journal host": "Nov 27 08:10:01 worker-8 kubelet[12]: I1127 08:10:01.000000 12 kubelet.go:1] \"Starting kubelet main sync loop\"\n",
		"stats":        `{"node":{"nodeName":"worker-8","cpu":{"time":"2026-11-27T08:29:55Z","usageNanoCores":1}},"pods":[]}`,
		"metrics":      "# TYPE kubelet_node_name gauge\nkubelet_node_name{node=\"worker-8\"} 1\n",
	} {
		snaps, err := fromText(t, text)
		if err != nil || len(snaps) != 1 || snaps[0].NodeName != "worker-8" {
			t.Errorf("%s: %d snapshots, %v", name, len(snaps), err)
			continue
		}
	}
}

// A year-less log gives a capture time whose year is not in the data; a
// dated one, a capture time that is.
func TestFromFilesKnowsWhenTheYearIsGuessed(t *testing.T) {
	for text, guessed := range map[string]bool{
		"Nov 27 08:10:01 w kubelet[12]: I1127 08:10:01.000000 12 kubelet.go:1] \"Starting kubelet main sync loop\"\n": true,
		"2026-11-27T08:10:01.000000+00:00 w kubelet[12]: I1127 08:10:01.000000 12 kubelet.go:1] x\n":                  false,
	} {
		snaps, err := fromText(t, text)
		if err != nil {
			t.Fatal(err)
		}
		if s := snaps[0]; s.CaptureYearGuessed != guessed || s.CollectedAt.IsZero() {
			t.Errorf("%q: capture %v, year guessed %v; want guessed %v", text[:20], s.CollectedAt, s.CaptureYearGuessed, guessed)
		}
	}
}

func TestCloseJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":1,"b":{"c":[1,2`, `{"a":1,"b":{"c":[1,2]}}`},
		{`{"a":1,"b":"cut`, `{"a":1}`},
		{`{"a":1,"b":`, `{"a":1}`},
		{`[{"x":1},{"y"`, `[{"x":1}]`},
		{`{"a":{}}`, `{"a":{}}`},
	}
	for _, tt := range tests {
		got, ok := closeJSON([]byte(tt.in))
		if !ok || string(got) != tt.want {
			t.Errorf("closeJSON(%s) = %s, %v; want %s", tt.in, got, ok, tt.want)
		}
	}
	if _, ok := closeJSON([]byte(`{"a`)); ok {
		t.Error("nothing complete must not close")
	}
}

// The conditions reader is for fragments: times read as RFC 3339, and a
// status that is not a condition's is no condition.
func TestScrapeConditions(t *testing.T) {
	got := scrapeConditions(`"type": "Ready", "status": "maybe"` + "\n" + `type: Ready` + "\n" + `status: "False"` + "\nlastHeartbeatTime: \"2024-04-19T06:40:55Z\"\n")
	if len(got) != 1 || len(got[0].conditions) != 1 {
		t.Fatalf("got %+v", got)
	}
	c := got[0].conditions[0]
	if c.Status != corev1.ConditionFalse || !c.LastHeartbeatTime.Time.Equal(time.Date(2024, 4, 19, 6, 40, 55, 0, time.UTC)) {
		t.Errorf("condition %+v", c)
	}
	if bytes.Contains([]byte(c.Message), []byte("maybe")) {
		t.Error("the invalid condition leaked into the next")
	}
}

// Pieces of the kubelet's own JSON, as people paste them, are read for
// what they are: a configz jq unwrapped is still a configz; a fragment too
// broken to read is that source with nothing to judge, and says so.
func TestKubeletFragments(t *testing.T) {
	snaps, err := fromText(t, "{\n  \"syncFrequency\": \"1m0s\",\n  \"maxPods\": 64,\n  \"systemReserved\": {\"cpu\": \"500m\"},\n  \"registryPullQPS\": 5")
	if len(snaps) != 1 || snaps[0].Config == nil || snaps[0].Config.MaxPods != 64 || !snaps[0].Config.Reserved() {
		t.Fatalf("an unwrapped, cut configz: %+v, %v", snaps, err)
	}
	snaps, err = fromText(t, "   \"memory\": {\n    \"availableBytes\": 13907468288,\n    \"workingSetBytes\": 2478735360,\n    \"rssBytes\": 1492086784\n   },\n")
	if len(snaps) != 1 || snaps[0].Stats != nil || err == nil || !strings.Contains(err.Error(), "a piece of the kubelet's stats") {
		t.Fatalf("a stats fragment: %d snapshots, stats %v, err %v", len(snaps), snaps, err)
	}
	if src, _ := snaps[0].Source(snapshot.SourceStats); !strings.Contains(src.Detail, "a fragment") {
		t.Errorf("the stats source says %q", src.Detail)
	}
}
