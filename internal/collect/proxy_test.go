package collect

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// A refused connection to the API server is the API server's failure; the
// API server's answer that it cannot reach the kubelet is the kubelet's.
func TestProxyFailureTellsWhoDidNotAnswer(t *testing.T) {
	refused := &url.Error{Op: "Get", URL: "https://198.18.0.1:6443/api/v1/nodes/w3/proxy/metrics", Err: errors.New("dial tcp 198.18.0.1:6443: connect: connection refused")}
	kubeletDown := apierrors.NewServiceUnavailable(`error trying to reach service: dial tcp 10.0.0.3:10250: connect: connection refused`)
	for _, tc := range []struct {
		err    error
		status snapshot.SourceStatus
		want   string
	}{
		// error, not unavailable: the kubelet-down rule must not read it as the kubelet's.
		{refused, snapshot.StatusError, "cannot reach the API server, so the kubelet was not asked"},
		{kubeletDown, snapshot.StatusUnavailable, "kubelet unreachable through the API server"},
	} {
		src := proxyFailure(snapshot.SourceMetrics, "metrics", tc.err)
		if src.Status != tc.status || !strings.HasPrefix(src.Reason, tc.want) {
			t.Errorf("%v: %s %q, want %s %q…", tc.err, src.Status, src.Reason, tc.status, tc.want)
		}
	}
}
