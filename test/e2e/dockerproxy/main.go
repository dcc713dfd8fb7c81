// Command dockerproxy sits between a real kubelet (dockershim) and dockerd
// and forwards every Docker API request untouched, except those whose path
// ends in one named in its hang file, which it holds until the caller gives
// up. With /containers/json named, `docker ps` — the relist of a Docker
// node's PLEG — hangs while dockerd itself answers everything else: the
// Docker face of criproxy's relist hang, and of the real incidents where
// `docker ps` blocked (kubernetes#45419).
//
//	dockerproxy -listen docker.sock -upstream dockerd.sock -hang-file hang
//
// The hang file is read on every request: write paths into it (one per
// line, without the API version: /containers/json) to start the fault,
// empty or remove it to end it.
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kubectl-pleg/kubectl-pleg/test/e2e/internal/hangfile"
)

func main() {
	listen := flag.String("listen", "", "unix socket to serve the Docker API on (the kubelet's --docker-endpoint)")
	upstream := flag.String("upstream", "", "dockerd's unix socket")
	hangFile := flag.String("hang-file", "", "file naming the API paths to hang, one per line")
	flag.Parse()
	if *listen == "" || *upstream == "" {
		log.Fatal("usage: dockerproxy -listen SOCKET -upstream SOCKET [-hang-file FILE]")
	}
	// A socket left by a killed predecessor would make Listen fail.
	if err := os.Remove(*listen); err != nil && !os.IsNotExist(err) {
		log.Fatal(err)
	}
	ln, err := net.Listen("unix", *listen)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: newProxy(*upstream, *hangFile)}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		log.Printf("%v: stopping", <-sig)
		srv.Close()
	}()
	log.Printf("forwarding %s to %s (hang file %q)", *listen, *upstream, *hangFile)
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// newProxy forwards to dockerd's socket. Streams (logs -f, attach and exec,
// which upgrade the connection) pass through: ReverseProxy flushes at once
// with FlushInterval -1 and hands upgraded connections over as they are.
func newProxy(upstream, hangFile string) http.Handler {
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: "docker"})
	rp.FlushInterval = -1
	rp.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", upstream)
	}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hangs(hangFile, r.URL.Path) {
			log.Printf("holding %s %s until the caller gives up", r.Method, r.URL.Path)
			<-r.Context().Done()
			return
		}
		rp.ServeHTTP(w, r)
	})
}

// hangs reads the hang file (hangfile.Names, on every request, so that
// `lab.sh fault` and `heal` act on the next request) and reports whether a
// name in it is the end of path: /containers/json matches
// /v1.41/containers/json.
func hangs(file, path string) bool {
	for _, name := range hangfile.Names(file) {
		if strings.HasSuffix(path, name) {
			return true
		}
	}
	return false
}
