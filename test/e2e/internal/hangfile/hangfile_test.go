package hangfile

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"ListPodSandbox\nListContainers", []string{"ListPodSandbox", "ListContainers"}},
		{"  ListContainers  \r\n\n", []string{"ListContainers"}},
		{"# the relist\n/containers/json\n", []string{"/containers/json"}},
		{"# ListContainers\n", nil},
		{"", nil},
	} {
		if got := Parse(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("Parse(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

// A heal empties or removes the file; both name nothing, as does no file.
func TestNamesReadsTheFileEachTime(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hang")
	if got := Names(file); got != nil {
		t.Errorf("missing file: %q", got)
	}
	if got := Names(""); got != nil {
		t.Errorf("no file named: %q", got)
	}
	if err := os.WriteFile(file, []byte("ListContainers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Names(file); !slices.Equal(got, []string{"ListContainers"}) {
		t.Errorf("after the fault: %q", got)
	}
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Names(file); got != nil {
		t.Errorf("after the heal: %q", got)
	}
}
