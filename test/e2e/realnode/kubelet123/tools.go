//go:build tools

// Package kubelet123 pins the kubelet of the lab's Docker nodes, v1.23.17:
// the last Kubernetes whose kubelet speaks to Docker itself (dockershim,
// removed in 1.24), as in most PLEG incidents of kubernetes#45419. Its own
// module, because one module cannot hold two k8s.io/kubernetes; lab.sh
// builds it into .bin/kubelet123.
package kubelet123

import _ "k8s.io/kubernetes/cmd/kubelet"
