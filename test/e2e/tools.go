//go:build tools

// Package e2e pins the kube-apiserver command so that `go build` can build it
// from this module (lab.sh builds it into .bin/).
package e2e

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
