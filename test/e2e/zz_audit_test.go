package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestZZAuditReadOnly runs last (Go runs tests in source order, files by
// name, and this file sorts last): every request the plugin made in this
// lab, under every user, must have been a read — or one of the questions
// that store nothing (SelfSubjectAccessReview, SelfSubjectReview), which
// rbac and the node-proxy check ask.
func TestZZAuditReadOnly(t *testing.T) {
	needPlugin(t)
	f, err := os.Open(filepath.Join(labDir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	n := 0
	for sc.Scan() {
		var ev struct {
			Stage, Verb, UserAgent, RequestURI string
			ObjectRef                          struct{ Resource string }
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit line: %v", err)
		}
		if !strings.HasPrefix(ev.UserAgent, "kubectl-pleg") {
			continue
		}
		n++
		question := ev.Verb == "create" && (ev.ObjectRef.Resource == "selfsubjectaccessreviews" || ev.ObjectRef.Resource == "selfsubjectreviews")
		if ev.Verb != "get" && ev.Verb != "list" && ev.Verb != "watch" && !question {
			t.Errorf("kubectl-pleg sent %s %s (user agent %q)", ev.Verb, ev.RequestURI, ev.UserAgent)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("no request with a user agent starting kubectl-pleg in the audit log")
	}
	t.Logf("%d audited kubectl-pleg request events, all reads", n)
}
