package main

import (
	"path"

	"github.com/kubectl-pleg/kubectl-pleg/test/e2e/internal/hangfile"
)

// Hanger says whether a call to the full gRPC method name must hang.
type Hanger func(method string) bool

// HangFile reads file on every call (hangfile.Names), so that `lab.sh
// fault` and `heal` take effect on the next call. A missing or empty file
// (or file "") hangs nothing.
func HangFile(file string) Hanger {
	return func(method string) bool {
		return names(hangfile.Names(file), method)
	}
}

// names reports whether one of the hang file's names is method, in full
// ("/runtime.v1.RuntimeService/ListContainers") or by its bare name
// ("ListContainers").
func names(list []string, method string) bool {
	for _, name := range list {
		if name == method || name == path.Base(method) {
			return true
		}
	}
	return false
}
