// Command pause is the only program in the real nodes' container image
// (the lab has no registry): containerd's sandbox ("pause") container and
// every workload container run it. It sleeps until SIGTERM or SIGINT; with
// -exit-after it exits by itself with -exit-code instead, so that a pod's
// container dies, restarts and leaves exited containers behind.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	exitAfter := flag.Duration("exit-after", 0, "exit by itself after this long (0: never)")
	exitCode := flag.Int("exit-code", 0, "exit code when -exit-after fires")
	flag.Parse()

	// As PID 1 of a container, a signal without a handler is ignored: this
	// handler is what lets the kubelet stop the container at once.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	var timeout <-chan time.Time
	if *exitAfter > 0 {
		timeout = time.After(*exitAfter)
		fmt.Printf("pause: exiting with code %d in %v\n", *exitCode, *exitAfter)
	} else {
		fmt.Println("pause: sleeping until SIGTERM")
	}
	select {
	case s := <-sig:
		fmt.Printf("pause: %v\n", s)
	case <-timeout:
		os.Exit(*exitCode)
	}
}
