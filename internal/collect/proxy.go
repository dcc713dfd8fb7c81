package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-pleg/kubectl-pleg/internal/access"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// grantHint says which rule to add for a forbidden read; the nodes/proxy
// one also says the trade-off an operator must know before granting it.
func grantHint(p access.Permission) string {
	hint := "grant the ClusterRole rule " + p.Rule() + " (deploy/rbac.yaml; kubectl pleg rbac lists what you lack)"
	if p == access.GetNodesProxy {
		hint += "; note that nodes/proxy also allows exec-level access to the kubelet"
	}
	return hint
}

// proxyStream GETs path from the node's kubelet through the API server's node
// proxy. The path keeps its trailing slash ("logs/"): the kubelet's node log
// query only answers on /logs/, and the API server uses the node's own kubelet
// port (daemonEndpoints), never a hard-coded one.
func (c *Collector) proxyStream(ctx context.Context, node, path string, params url.Values) (io.ReadCloser, error) {
	if err := c.gate.check(ctx, c.client); err != nil {
		return nil, err
	}
	req := c.proxy.Get().AbsPath("/api/v1/nodes/" + node + "/proxy/" + path)
	for k, vs := range params {
		for _, v := range vs {
			req = req.Param(k, v)
		}
	}
	return req.Stream(ctx)
}

// proxyBody reads a small kubelet answer whole, up to limit bytes.
func (c *Collector) proxyBody(ctx context.Context, node, path string, limit int64) ([]byte, error) {
	rc, err := c.proxyStream(ctx, node, path, nil)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("answer larger than %d bytes", limit)
	}
	return b, nil
}

// proxyFailure turns an error of a kubelet request into a Source record that
// says what failed and what to do.
func proxyFailure(name snapshot.SourceName, path string, err error) snapshot.Source {
	src := snapshot.Source{Name: name}
	msg := oneLine(err)
	// Reasons that are the same whatever the path, so that the sources of
	// one kubelet failing alike read as one line with one hint.
	switch {
	case isTimeout(err):
		src.Status = snapshot.StatusTimeout
		src.Reason = "no answer within --source-timeout"
		src.Hint = "the kubelet may be hung or overloaded, or waiting on its runtime; raise --source-timeout to wait longer"
	case apiServerUnreached(err):
		// Not "unavailable": that says the kubelet could not be reached, and
		// the kubelet-down rule and scan's count of unreachable kubelets
		// read it so.
		src.Status = snapshot.StatusError
		src.Reason = "cannot reach the API server, so the kubelet was not asked: " + oneLine(transportCause(err))
	case apierrors.IsForbidden(err):
		src.Status = snapshot.StatusForbidden
		src.Reason, src.Hint = msg, grantHint(access.GetNodesProxy)
	case apierrors.IsNotFound(err):
		src.Status = snapshot.StatusNotFound
		src.Reason = fmt.Sprintf("kubelet has no /%s: %s", path, msg)
	case apierrors.IsServiceUnavailable(err) || strings.Contains(msg, "connection refused") || strings.Contains(msg, "no route to host"):
		src.Status = snapshot.StatusUnavailable
		src.Reason = "kubelet unreachable through the API server: " + msg
		src.Hint = "is the kubelet running (systemctl status kubelet) and its port open to the API server?"
	default:
		src.Status = snapshot.StatusError
		src.Reason = fmt.Sprintf("kubelet /%s: %s", path, msg)
	}
	return src
}

// transportCause is what failed under a request's URL error ("dial tcp
// 198.18.0.1:6443: connect: connection refused"), without the URL, which
// names the path and differs from one source to the next.
func transportCause(err error) error {
	var u *url.Error
	if errors.As(err, &u) {
		return u.Err
	}
	return err
}

// apiFailure records a failed read of a cluster object, which needed p.
func apiFailure(name snapshot.SourceName, p access.Permission, err error) snapshot.Source {
	src := snapshot.Source{Name: name, Reason: oneLine(err)}
	switch {
	case isTimeout(err):
		src.Status = snapshot.StatusTimeout
		src.Reason = fmt.Sprintf("no answer from the API server within --source-timeout (%s)", p)
	case apierrors.IsForbidden(err):
		src.Status = snapshot.StatusForbidden
		src.Hint = grantHint(p)
	case apierrors.IsNotFound(err):
		src.Status = snapshot.StatusNotFound
	case !isAPIStatus(err), apierrors.IsServiceUnavailable(err):
		src.Status = snapshot.StatusUnavailable
	default:
		src.Status = snapshot.StatusError
	}
	return src
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) {
		return true
	}
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// apiServerUnreached says a request got no answer from the API server at
// all (refused, reset, TLS): a kubelet the proxy cannot reach is an answer,
// the API server's 502 or 503, not this.
func apiServerUnreached(err error) bool {
	var transport *url.Error
	return errors.As(err, &transport) && !isAPIStatus(err)
}

// isAPIStatus reports whether the API server itself answered (with any
// status), as opposed to a transport failure before any answer.
func isAPIStatus(err error) bool {
	var status apierrors.APIStatus
	return errors.As(err, &status)
}

// oneLine keeps an error message on one line, for tables.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// proxyGate asks once per Collector, before the first kubelet request,
// whether the user may get nodes/proxy at all (one SelfSubjectAccessReview,
// a question that stores nothing). A user who may not is never sent to the
// kubelet: the no-proxy tier makes no nodes/proxy request, and each kubelet
// source reads as forbidden with one hint. When the question cannot be
// asked, the reads are tried and say for themselves.
type proxyGate struct {
	mu     sync.Mutex
	asked  bool
	denied error
}

func (g *proxyGate) check(ctx context.Context, client kubernetes.Interface) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.asked {
		return g.denied
	}
	review := &authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authzv1.ResourceAttributes{Verb: "get", Resource: "nodes", Subresource: "proxy"},
	}}
	r, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
	g.asked = true
	if err == nil && !r.Status.Allowed {
		g.denied = &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden,
			Message: "you may not get nodes/proxy (the API server's answer to a SelfSubjectAccessReview; no kubelet request was sent)",
		}}
	}
	return g.denied
}
