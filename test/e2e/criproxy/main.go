// Command criproxy sits between a real kubelet and its containerd and
// forwards every CRI call untouched, except the methods named in its hang
// file, which it holds until the caller gives up. That makes the one real
// incident containerd cannot be made to produce by itself: the PLEG relist
// (ListPodSandbox, ListContainers) hangs while every other call, Status
// included, still answers.
//
//	criproxy -listen cri.sock -upstream containerd.sock -hang-file hang
//
// The hang file is read on every call: write method names into it (one per
// line, full like /runtime.v1.RuntimeService/ListPodSandbox or bare like
// ListPodSandbox) to start the fault, empty or remove it to end it.
package main

import (
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	listen := flag.String("listen", "", "unix socket to serve the CRI on (the kubelet's containerRuntimeEndpoint)")
	upstream := flag.String("upstream", "", "containerd's unix socket")
	hangFile := flag.String("hang-file", "", "file naming the methods to hang, one per line")
	flag.Parse()
	if *listen == "" || *upstream == "" {
		log.Fatal("usage: criproxy -listen SOCKET -upstream SOCKET [-hang-file FILE]")
	}

	p, err := New(*upstream, HangFile(*hangFile), log.Default())
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	// A socket left by a killed predecessor would make Listen fail.
	if err := os.Remove(*listen); err != nil && !os.IsNotExist(err) {
		log.Fatal(err)
	}
	ln, err := net.Listen("unix", *listen)
	if err != nil {
		log.Fatal(err)
	}
	srv := p.Server()
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		log.Printf("%v: stopping", <-sig)
		srv.Stop()
	}()
	log.Printf("forwarding %s to %s (hang file %q)", *listen, *upstream, *hangFile)
	if err := srv.Serve(ln); err != nil {
		log.Fatal(err)
	}
}
