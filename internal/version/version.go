// Package version holds the build's identity, stamped at link time:
//
//	go build -ldflags "-X github.com/kubectl-pleg/kubectl-pleg/internal/version.Version=v0.1.0 ..."
package version

import (
	"runtime"
	"runtime/debug"
)

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

// Get returns the build identity. A plain `go build` or `go install` of a
// checkout stamps nothing, but Go records the commit and its time in the
// binary's build info: those fill what -ldflags left at its default.
func Get() Info {
	info := Info{Version: Version, Commit: Commit, BuildDate: Date, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		fromBuildInfo(&info, bi.Settings)
	}
	return info
}

// fromBuildInfo fills the commit and date from Go's VCS stamps when the
// linker set none; a modified checkout's commit says so.
func fromBuildInfo(info *Info, settings []debug.BuildSetting) {
	var revision, when string
	dirty := false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if info.Commit == "unknown" && revision != "" {
		info.Commit = revision[:min(12, len(revision))]
		if dirty {
			info.Commit += "-dirty"
		}
	}
	if info.BuildDate == "unknown" && when != "" {
		info.BuildDate = when
	}
}

// UserAgent is sent with every API request, so audit logs show the tool.
func UserAgent() string { return "kubectl-pleg/" + Version }
