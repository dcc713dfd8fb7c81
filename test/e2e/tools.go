//go:build tools

// Package e2e pins the Kubernetes commands that lab.sh builds into .bin/
// from this module, so that all three come from the same k8s.io/kubernetes:
// the API server, and the kubelet and controller-manager of the real nodes.
package e2e

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
