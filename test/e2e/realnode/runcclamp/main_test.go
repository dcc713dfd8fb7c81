package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestCreateBundle(t *testing.T) {
	for _, c := range []struct {
		args   []string
		bundle string
		create bool
	}{
		{[]string{"--root", "/r", "create", "--bundle", "/b", "--pid-file", "p", "id"}, "/b", true},
		{[]string{"create", "--bundle=/b2", "id"}, "/b2", true},
		{[]string{"create", "id"}, ".", true},
		{[]string{"--root", "/r", "start", "id"}, ".", false},
	} {
		bundle, create := createBundle(c.args)
		if bundle != c.bundle || create != c.create {
			t.Errorf("%v: %q %v, want %q %v", c.args, bundle, create, c.bundle, c.create)
		}
	}
}

// A negative oomScoreAdj becomes 0; every other field stays; a positive one
// is left alone.
func TestClampOOMScoreAdj(t *testing.T) {
	for in, want := range map[int]int{-998: 0, 500: 500} {
		path := filepath.Join(t.TempDir(), "config.json")
		spec := map[string]any{"ociVersion": "1.0.2", "process": map[string]any{"oomScoreAdj": in, "args": []string{"/pause"}}}
		b, _ := json.Marshal(spec)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := clampOOMScoreAdj(path); err != nil {
			t.Fatal(err)
		}
		var got struct {
			OCIVersion string
			Process    struct {
				OOMScoreAdj int `json:"oomScoreAdj"`
				Args        []string
			}
		}
		b, _ = os.ReadFile(path)
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Process.OOMScoreAdj != want || got.OCIVersion != "1.0.2" || len(got.Process.Args) != 1 {
			t.Errorf("%d: got %s", in, b)
		}
	}
}
