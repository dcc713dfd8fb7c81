package cmd

import (
	"bytes"
	"os"
	"testing"
)

func TestColorOnlyOnATerminalWithoutNoColor(t *testing.T) {
	if colorWanted(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal: no color")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if colorWanted(f) {
		t.Error("a regular file is not a terminal: no color")
	}
	t.Setenv("NO_COLOR", "")
	if colorWanted(os.Stdout) {
		t.Error("NO_COLOR set (even empty) must turn color off")
	}
}
