package paste

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParseControllerLog checks that no paste makes the controller-log reader
// panic or fail, and that every event it returns is well formed.
func FuzzParseControllerLog(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join(controllerCorpus, "kcm-*"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no kcm-* seeds in %s (%v)", controllerCorpus, err)
	}
	for name := range controllerLogsOutsideKCM {
		seeds = append(seeds, filepath.Join(controllerCorpus, name))
	}
	for _, seed := range seeds {
		data, err := os.ReadFile(seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Forms the corpus lacks: JSON logging, structured klog, CRI framing.
	f.Add([]byte(`{"ts":1681812312123,"caller":"nodelifecycle/node_lifecycle_controller.go:1092","msg":"Node is NotReady. Adding it to the Taint queue","node":{"name":"worker-1"}}`))
	f.Add([]byte(`I0418 10:05:15.000001       1 node_lifecycle_controller.go:960] "ReadyCondition for Node transitioned from savedCondition to currentReadyCondition" node="worker-4" currentReadyCondition="&NodeCondition{Type:Ready,Status:True,}"`))
	f.Add([]byte("2023-04-18T10:05:14.123456789Z stderr F I0418 10:05:14.123400       1 node_lifecycle_controller.go:1107] node worker-3 hasn't been updated for 40.1s.\r\n"))
	reasons := map[string]bool{
		ReasonNotReady: true, ReasonUnresponsive: true, ReasonReady: true,
		ReasonPodsNotReady: true, ReasonDeleted: true, ReasonTainted: true,
	}
	ref := time.Date(2023, 4, 19, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := ParseControllerLog(bytes.NewReader(data), ref)
		if err != nil {
			t.Fatalf("ParseControllerLog failed on an in-memory paste: %v", err)
		}
		// An event takes a line, or a klog header of more than 16 bytes
		// when a line holds several.
		if len(events) > maxControllerEvents || len(events) > bytes.Count(data, []byte("\n"))+1+len(data)/16 {
			t.Fatalf("%d events from %d bytes", len(events), len(data))
		}
		// The sniffer takes a paste only for a line the reader turns into an event.
		head := data[:min(len(data), controllerHeadSize)]
		if LooksLikeControllerLog(head) {
			if headEvents, _ := ParseControllerLog(bytes.NewReader(head), ref); len(headEvents) == 0 {
				t.Fatal("LooksLikeControllerLog took a paste ParseControllerLog finds no event in")
			}
		}
		for _, e := range events {
			if !reasons[e.Reason] || e.Node != "" && !isNodeName(e.Node) || len(e.Message) > maxEventMessage {
				t.Fatalf("malformed event %+v", e)
			}
			if _, err := e.Time.MarshalJSON(); err != nil {
				t.Fatalf("event time %v cannot be reported: %v", e.Time, err)
			}
		}
	})
}
