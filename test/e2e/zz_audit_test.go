package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// auditEvent is one line of the lab's audit log, as the tests read it.
type auditEvent struct {
	Stage, AuditID, Verb, UserAgent, RequestURI string
	RequestReceivedTimestamp                    time.Time
	User                                        struct{ Username string }
	ObjectRef                                   struct{ Resource, Subresource string }
	ResponseStatus                              struct{ Code int }
}

// resource is "resource[/subresource]".
func (e auditEvent) resource() string {
	if e.ObjectRef.Subresource != "" {
		return e.ObjectRef.Resource + "/" + e.ObjectRef.Subresource
	}
	return e.ObjectRef.Resource
}

// auditMark is the audit log's size: requests after it belong to what runs next.
func auditMark(t *testing.T) int64 {
	t.Helper()
	st, err := os.Stat(filepath.Join(labDir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// auditEvents are the plugin's audit events (user agent kubectl-pleg/...)
// logged after mark (0: all), every stage of every request.
func auditEvents(t *testing.T, mark int64) []auditEvent {
	t.Helper()
	time.Sleep(500 * time.Millisecond) // the last ResponseComplete stages
	f, err := os.Open(filepath.Join(labDir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(mark, 0); err != nil {
		t.Fatal(err)
	}
	var out []auditEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev auditEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit line: %v", err)
		}
		if strings.HasPrefix(ev.UserAgent, "kubectl-pleg") {
			out = append(out, ev)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestZZAuditReadOnly runs last (Go runs tests in source order, files by
// name, and this file sorts last): every request the plugin made in this
// lab, under every user, must have been a read — or one of the questions
// that store nothing (SelfSubjectAccessReview, SelfSubjectReview), which
// rbac and the node-proxy check ask.
func TestZZAuditReadOnly(t *testing.T) {
	needPlugin(t)
	events := auditEvents(t, 0)
	for _, ev := range events {
		question := ev.Verb == "create" && (ev.ObjectRef.Resource == "selfsubjectaccessreviews" || ev.ObjectRef.Resource == "selfsubjectreviews")
		if ev.Verb != "get" && ev.Verb != "list" && ev.Verb != "watch" && !question {
			t.Errorf("kubectl-pleg sent %s %s (user agent %q)", ev.Verb, ev.RequestURI, ev.UserAgent)
		}
	}
	if len(events) == 0 {
		t.Errorf("no request with a user agent starting kubectl-pleg in the audit log")
	}
	t.Logf("%d audited kubectl-pleg request events, all reads", len(events))
}
