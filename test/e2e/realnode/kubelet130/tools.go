//go:build tools

// Package kubelet130 pins an older kubelet, v1.30.14, for one more real node
// of the lab (lab.sh builds it into .bin/kubelet-v1.30.14 when asked): its
// own module, because one module cannot hold two k8s.io/kubernetes.
package kubelet130

import _ "k8s.io/kubernetes/cmd/kubelet"
