package main

import (
	"context"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The gRPC health service stands in for containerd: a unary method (Check)
// and a server-streaming one (Watch), both passed through as raw bytes.
const checkMethod = "/grpc.health.v1.Health/Check"

type fixture struct {
	upstream *health.Server
	client   healthpb.HealthClient
	conn     *grpc.ClientConn
	hangFile string
	seenMD   chan metadata.MD
}

func setup(t *testing.T, withUpstream bool) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{hangFile: filepath.Join(dir, "hang"), seenMD: make(chan metadata.MD, 16)}
	upSock := filepath.Join(dir, "up.sock")
	if withUpstream {
		f.upstream = health.NewServer()
		srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			md, _ := metadata.FromIncomingContext(ctx)
			f.seenMD <- md
			return h(ctx, req)
		}))
		healthpb.RegisterHealthServer(srv, f.upstream)
		serve(t, srv, upSock)
	}
	p, err := New(upSock, HangFile(f.hangFile), log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	proxySock := filepath.Join(dir, "proxy.sock")
	serve(t, p.Server(), proxySock)
	f.conn, err = grpc.NewClient("unix://"+proxySock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.conn.Close() })
	f.client = healthpb.NewHealthClient(f.conn)
	return f
}

func serve(t *testing.T, srv *grpc.Server, sock string) {
	t.Helper()
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
}

func (f *fixture) check(timeout time.Duration) (healthpb.HealthCheckResponse_ServingStatus, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	resp, err := f.client.Check(ctx, &healthpb.HealthCheckRequest{})
	return resp.GetStatus(), time.Since(start), err
}

func TestForwardsUnary(t *testing.T) {
	f := setup(t, true)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-lab", "forwarded")
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := f.client.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Check through the proxy: %v, %v; want SERVING", resp.GetStatus(), err)
	}
	if md := <-f.seenMD; len(md.Get("x-lab")) != 1 || md.Get("x-lab")[0] != "forwarded" {
		t.Errorf("upstream metadata %v, want x-lab: forwarded", md)
	}
}

func TestPassesUpstreamErrors(t *testing.T) {
	f := setup(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := f.client.Check(ctx, &healthpb.HealthCheckRequest{Service: "no-such-service"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("unknown service: %v, want the upstream's NotFound", err)
	}
}

func TestForwardsStreams(t *testing.T) {
	f := setup(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w, err := f.client.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []healthpb.HealthCheckResponse_ServingStatus{healthpb.HealthCheckResponse_SERVING, healthpb.HealthCheckResponse_NOT_SERVING} {
		resp, err := w.Recv()
		if err != nil || resp.GetStatus() != want {
			t.Fatalf("Watch message %d: %v, %v; want %v", i, resp.GetStatus(), err, want)
		}
		if i == 0 {
			f.upstream.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
		}
	}
}

func TestHangsNamedMethodsUntilDeadline(t *testing.T) {
	f := setup(t, true)
	if err := os.WriteFile(f.hangFile, []byte("# relist hang\n"+checkMethod+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, took, err := f.check(300 * time.Millisecond)
	// took starts a hair after the deadline was set: allow for it, the
	// point is that the call waited for the deadline at all.
	if status.Code(err) != codes.DeadlineExceeded || took < 250*time.Millisecond {
		t.Errorf("hung Check: %v after %v; want DeadlineExceeded at the 300ms deadline", err, took)
	}
	// Other methods still answer during the fault.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w, err := f.client.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err == nil {
		_, err = w.Recv()
	}
	if err != nil {
		t.Errorf("Watch during the Check hang: %v", err)
	}
	// Healing is emptying the file: the next call passes.
	if err := os.WriteFile(f.hangFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if st, _, err := f.check(5 * time.Second); err != nil || st != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("Check after heal: %v, %v", st, err)
	}
}

func TestBareMethodNameHangs(t *testing.T) {
	f := setup(t, true)
	if err := os.WriteFile(f.hangFile, []byte("Check\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.check(100 * time.Millisecond); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("Check named bare: %v, want DeadlineExceeded", err)
	}
}

func TestUpstreamGone(t *testing.T) {
	f := setup(t, false)
	_, took, err := f.check(5 * time.Second)
	if status.Code(err) != codes.Unavailable || took > 4*time.Second {
		t.Errorf("no upstream: %v after %v; want Unavailable at once", err, took)
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		list   []string
		method string
		want   bool
	}{
		{[]string{"/runtime.v1.RuntimeService/ListContainers"}, "/runtime.v1.RuntimeService/ListContainers", true},
		{[]string{"ListPodSandbox", "ListContainers"}, "/runtime.v1.RuntimeService/ListContainers", true},
		{[]string{"ListContainers"}, "/runtime.v1.RuntimeService/ListContainerStats", false},
		{nil, "/runtime.v1.RuntimeService/Status", false},
	} {
		if got := names(tc.list, tc.method); got != tc.want {
			t.Errorf("names(%q, %q) = %v, want %v", tc.list, tc.method, got, tc.want)
		}
	}
}
