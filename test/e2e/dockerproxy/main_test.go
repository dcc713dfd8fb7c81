package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A path named in the hang file is held until the caller gives up; any
// other request, and the same one once the file is emptied, goes through.
func TestHangAndPass(t *testing.T) {
	dir := t.TempDir()
	upstream := filepath.Join(dir, "dockerd.sock")
	ln, err := net.Listen("unix", upstream)
	if err != nil {
		t.Fatal(err)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Path) }))
	hang := filepath.Join(dir, "hang")
	if err := os.WriteFile(hang, []byte("# the relist\n/containers/json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	front, err := net.Listen("unix", filepath.Join(dir, "docker.sock"))
	if err != nil {
		t.Fatal(err)
	}
	go http.Serve(front, newProxy(upstream, hang))
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", front.Addr().String())
	}}}
	get := func(path string, timeout time.Duration) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://docker"+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if body, err := get("/v1.41/version", 5*time.Second); err != nil || body != "/v1.41/version" {
		t.Errorf("version: %q, %v; want it forwarded", body, err)
	}
	if body, err := get("/v1.41/containers/json", 300*time.Millisecond); err == nil {
		t.Errorf("containers/json answered %q while named in the hang file", body)
	}
	if err := os.WriteFile(hang, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if body, err := get("/v1.41/containers/json", 5*time.Second); err != nil || body != "/v1.41/containers/json" {
		t.Errorf("containers/json after the heal: %q, %v", body, err)
	}
}
