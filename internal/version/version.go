// Package version holds the build's identity, stamped at link time:
//
//	go build -ldflags "-X github.com/kubectl-pleg/kubectl-pleg/internal/version.Version=v0.1.0 ..."
package version

import "runtime"

// Set by -ldflags -X; the defaults mark a development build.
var (
	Version = "v0.0.0-dev"
	Commit  = "unknown"
	Date    = "unknown"
)

// Info is the build identity as printed by `kubectl pleg version -o json`.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
}

// Get returns the build identity.
func Get() Info {
	return Info{Version: Version, Commit: Commit, BuildDate: Date, GoVersion: runtime.Version()}
}

// UserAgent is sent with every API request, so audit logs show the tool.
func UserAgent() string { return "kubectl-pleg/" + Version }
