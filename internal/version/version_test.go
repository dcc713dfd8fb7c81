package version

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	stamps := []debug.BuildSetting{{Key: "vcs.revision", Value: "54adcef0123456789abc"}, {Key: "vcs.time", Value: "2026-12-03T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}
	info := Info{Commit: "unknown", BuildDate: "unknown"}
	fromBuildInfo(&info, stamps)
	if info.Commit != "54adcef01234-dirty" || info.BuildDate != "2026-12-03T10:00:00Z" {
		t.Errorf("from go build's stamps: %+v", info)
	}
	// What -ldflags set wins.
	info = Info{Commit: "abc1234", BuildDate: "2026-11-27"}
	fromBuildInfo(&info, stamps)
	if info.Commit != "abc1234" || info.BuildDate != "2026-11-27" {
		t.Errorf("the linker's stamps were replaced: %+v", info)
	}
}
