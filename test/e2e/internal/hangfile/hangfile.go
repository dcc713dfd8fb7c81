// Package hangfile reads the lab's hang files: the switch that `lab.sh
// fault` writes and `heal` empties, naming the calls a proxy between a real
// kubelet and its runtime holds until the caller gives up (criproxy's CRI
// methods, dockerproxy's Docker API paths). One name per line; blank lines
// and lines starting with # name nothing.
package hangfile

import (
	"os"
	"strings"
)

// Names reads file and returns the names in it. A proxy calls it on every
// call it forwards, so that a fault and its heal act on the next call
// without signalling the proxy: the file is a few bytes, the kubelet makes
// a few calls a second, and no cache is left to go stale. A missing file,
// or file "", names nothing.
func Names(file string) []string {
	if file == "" {
		return nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	return Parse(string(b))
}

// Parse returns the names in a hang file's text.
func Parse(text string) []string {
	var names []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			names = append(names, line)
		}
	}
	return names
}
