package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// maxMsg is above the kubelet's own 16 MiB CRI limit: the proxy must never
// be the reason a big ListContainers answer fails.
const maxMsg = 64 << 20

// Proxy forwards gRPC calls to one upstream without knowing their types.
type Proxy struct {
	upstream *grpc.ClientConn
	hang     Hanger
	log      *log.Logger
}

// New connects (lazily) to the upstream unix socket.
func New(socket string, hang Hanger, logger *log.Logger) (*Proxy, error) {
	conn, err := grpc.NewClient("unix://"+socket,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(maxMsg), grpc.MaxCallSendMsgSize(maxMsg)),
		// After containerd restarts (lab.sh heal), reconnect within
		// seconds, not after gRPC's default backoff of up to two minutes.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, MaxDelay: 2 * time.Second},
			MinConnectTimeout: 2 * time.Second,
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("upstream %s: %w", socket, err)
	}
	return &Proxy{upstream: conn, hang: hang, log: logger}, nil
}

// Server returns a gRPC server that sends every call, whatever its service,
// to the proxy: no service is registered, so all of them are "unknown".
func (p *Proxy) Server() *grpc.Server {
	return grpc.NewServer(
		grpc.ForceServerCodec(rawCodec{}),
		grpc.UnknownServiceHandler(p.handle),
		grpc.MaxRecvMsgSize(maxMsg), grpc.MaxSendMsgSize(maxMsg),
	)
}

func (p *Proxy) Close() error { return p.upstream.Close() }

func (p *Proxy) handle(_ any, in grpc.ServerStream) error {
	method, ok := grpc.MethodFromServerStream(in)
	if !ok {
		return status.Error(codes.Internal, "criproxy: no method name in the stream")
	}
	ctx := in.Context()
	if p.hang(method) {
		return p.hold(ctx, method)
	}
	md, _ := metadata.FromIncomingContext(ctx)
	// The deadline travels in ctx; when the caller gives up, ctx ends and
	// so does the upstream call.
	out, err := p.upstream.NewStream(metadata.NewOutgoingContext(ctx, forwardable(md)),
		&grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
	if err != nil {
		return err // already a status (e.g. Unavailable: containerd is gone)
	}
	go forwardRequests(in, out)
	return forwardResponses(out, in)
}

// hold is the fault: no answer until the caller's deadline (the kubelet's
// runtimeRequestTimeout) or cancellation, then the caller's own error.
func (p *Proxy) hold(ctx context.Context, method string) error {
	start := time.Now()
	deadline := "none"
	if d, ok := ctx.Deadline(); ok {
		deadline = time.Until(d).Round(time.Millisecond).String()
	}
	p.log.Printf("hang %s (deadline in %s)", method, deadline)
	<-ctx.Done()
	p.log.Printf("released %s after %v: %v", method, time.Since(start).Round(time.Millisecond), ctx.Err())
	return status.FromContextError(ctx.Err()).Err()
}

// forwardRequests copies the caller's messages upstream, then half-closes.
// It ends with the call: once the handler returns, RecvMsg fails.
func forwardRequests(in grpc.ServerStream, out grpc.ClientStream) {
	for {
		f := new(frame)
		if err := in.RecvMsg(f); err != nil {
			if errors.Is(err, io.EOF) {
				_ = out.CloseSend()
			}
			return
		}
		if err := out.SendMsg(f); err != nil {
			return
		}
	}
}

// forwardResponses copies headers, messages and trailers back; an upstream
// error is returned as is, so the caller sees containerd's own status.
func forwardResponses(out grpc.ClientStream, in grpc.ServerStream) error {
	if hdr, err := out.Header(); err == nil && len(hdr) > 0 {
		if err := in.SendHeader(hdr); err != nil {
			return err
		}
	}
	for {
		f := new(frame)
		if err := out.RecvMsg(f); err != nil {
			in.SetTrailer(out.Trailer())
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := in.SendMsg(f); err != nil {
			return err
		}
	}
}

// forwardable drops the headers gRPC sets itself on every call: pseudo
// headers (":authority") and the transport's own.
func forwardable(md metadata.MD) metadata.MD {
	out := metadata.MD{}
	for k, v := range md {
		if strings.HasPrefix(k, ":") || k == "content-type" || k == "user-agent" || k == "te" {
			continue
		}
		out[k] = v
	}
	return out
}

// frame is one message, left encoded.
type frame struct{ payload []byte }

// rawCodec passes messages through as bytes: the proxy needs no CRI
// protos, so it forwards any CRI version (and any other gRPC service).
// Its name is "proto" so that both sides see the usual content type.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) ([]byte, error) {
	f, ok := v.(*frame)
	if !ok {
		return nil, fmt.Errorf("criproxy: cannot marshal %T", v)
	}
	return f.payload, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	f, ok := v.(*frame)
	if !ok {
		return fmt.Errorf("criproxy: cannot unmarshal into %T", v)
	}
	// gRPC may reuse data once Unmarshal returns.
	f.payload = bytes.Clone(data)
	return nil
}
