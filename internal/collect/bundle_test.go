package collect

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-pleg/kubectl-pleg/internal/offline"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
)

// far is a clock that must never matter offline.
var far = time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)

func TestBundleRoundTripGivesTheLiveDiagnosisInput(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-1",
			Annotations: map[string]string{lastAppliedAnnotation: `{"env":"s3cret-in-annotation"}`}},
		Spec: corev1.PodSpec{NodeName: "worker-3", Containers: []corev1.Container{{
			Name: "c", Image: "nginx", Env: []corev1.EnvVar{{Name: "DB_PASSWORD", Value: "s3cret-value"}},
		}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	srv, _ := newKubeletStub(t, healthyKubelet())
	c := New(testClient(t, testNode("containerd://1.7.2"), pod), proxyClient(t, srv), DefaultOptions(), func() time.Time { return now })
	for _, archive := range []bool{false, true} {
		dest := filepath.Join(t.TempDir(), "bundle")
		if archive {
			dest += ".tar.gz"
		}
		live, err := c.WriteBundle(context.Background(), "worker-3", dest, BundleOptions{Archive: archive})
		if err != nil {
			t.Fatal(err)
		}
		backs, err := offline.FromDir(dest, far)
		if err != nil || len(backs) != 1 {
			t.Fatalf("archive=%v: %d snapshots, %v", archive, len(backs), err)
		}
		back := backs[0]
		if !back.CollectedAt.Equal(live.CollectedAt) || back.NodeName != "worker-3" || len(back.Sources) != len(live.Sources) {
			t.Errorf("archive=%v: bundle reads back as %v %s %d sources, live %v %d", archive, back.CollectedAt, back.NodeName, len(back.Sources), live.CollectedAt, len(live.Sources))
		}
		for _, sig := range []kubelet.Signal{kubelet.PLEGUnhealthy, kubelet.RuntimeTimeout} {
			if a, b := live.KubeletLog.Signal(sig).Count, back.KubeletLog.Signal(sig).Count; a != b || a == 0 {
				t.Errorf("archive=%v: %v live %d, from bundle %d", archive, sig, a, b)
			}
		}
		if back.Metrics == nil || back.Stats == nil || back.Config == nil || back.Healthz == nil || len(back.Pods) != 1 {
			t.Errorf("archive=%v: kubelet data lost in the bundle", archive)
		}
		if !archive {
			assertNoSecrets(t, dest)
		}
	}
}

func assertNoSecrets(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if bytes.Contains(b, []byte("s3cret")) {
			t.Errorf("%s carries a secret value", e.Name())
		}
	}
}

func TestBundleIsNeverHalfWritten(t *testing.T) {
	parent := t.TempDir()
	srv, _ := newKubeletStub(t, healthyKubelet())
	c := New(testClient(t), proxyClient(t, srv), DefaultOptions(), func() time.Time { return now })
	if _, err := c.WriteBundle(context.Background(), "worker-3", filepath.Join(parent, "b"), BundleOptions{}); err == nil {
		t.Fatal("a missing node must fail the bundle")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Ctrl-C before anything arrived
	c = New(testClient(t, testNode("containerd://1.7.2")), proxyClient(t, srv), DefaultOptions(), func() time.Time { return now })
	if _, err := c.WriteBundle(ctx, "worker-3", filepath.Join(parent, "c"), BundleOptions{}); err == nil {
		t.Fatal("an interrupted collection must not write a bundle")
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
	existing := filepath.Join(parent, "exists")
	if err := os.Mkdir(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteBundle(context.Background(), "worker-3", existing, BundleOptions{}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("writing over an existing bundle: %v", err)
	}
}
