//go:build tools

// Package containerd2 pins the containerd 2.x of the lab's containerd2
// nodes, v2.4.2: the daemon, its runc shim and ctr, built by lab.sh into
// .bin/containerd2/ (Debian has only containerd 1.6). Its own module, so
// that containerd's dependencies stay out of the e2e module.
package containerd2

import (
	_ "github.com/containerd/containerd/v2/cmd/containerd"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
	_ "github.com/containerd/containerd/v2/cmd/ctr"
)
