package main

import (
	"os"
	"path"
	"strings"
)

// Hanger says whether a call to the full gRPC method name must hang.
type Hanger func(method string) bool

// HangFile reads path on every call, so that `lab.sh fault` and `heal`
// take effect on the next call without signalling the proxy. A missing or
// empty file (or path "") hangs nothing. The file is a few bytes and the
// kubelet makes a few calls a second: reading it each time costs nothing
// and leaves no cache to go stale.
func HangFile(file string) Hanger {
	return func(method string) bool {
		if file == "" {
			return false
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return false
		}
		return matches(string(b), method)
	}
}

// matches reports whether one line of spec names method, in full
// ("/runtime.v1.RuntimeService/ListContainers") or by its bare name
// ("ListContainers"). Blank lines and lines starting with # are ignored.
func matches(spec, method string) bool {
	for _, line := range strings.Split(spec, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if line == method || line == path.Base(method) {
			return true
		}
	}
	return false
}
