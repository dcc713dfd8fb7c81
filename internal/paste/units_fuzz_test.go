package paste

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseUnitStatus checks that no paste makes ParseUnitStatus panic or
// return more than the paste holds, and that the sniffer agrees with it.
func FuzzParseUnitStatus(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join(unitCorpus, "systemctl-*"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no systemctl-* seeds in %s (%v)", unitCorpus, err)
	}
	for _, seed := range seeds {
		data, err := os.ReadFile(seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		units, err := ParseUnitStatus(bytes.NewReader(data))
		if (err == nil) != (len(units) > 0) {
			t.Fatalf("got %d units and error %v: want units or an error", len(units), err)
		}
		if len(data) <= unitStatusHeadSize && LooksLikeUnitStatus(data) != (err == nil) {
			t.Fatalf("LooksLikeUnitStatus disagrees with ParseUnitStatus, whose error is %v", err)
		}
		// Every unit takes a header line and a Loaded: or Active: line, and
		// every field is cut from a different part of the paste, save the
		// ".service" added to a bare name.
		lines := bytes.Count(data, []byte("\n")) + 1
		size, journal := 0, 0
		for _, u := range units {
			if u.Unit == "" || u.For < 0 || u.For > maxUnitAge || u.Restarts < 0 || len(u.Journal) > maxUnitJournalLines {
				t.Fatalf("unit out of bounds: %+v", u)
			}
			size += len(u.Unit) + len(u.Description) + len(u.Active) + len(u.Sub) + len(u.Result) + len(u.MainExit)
			for _, line := range u.Journal {
				if len(line) > maxUnitLineSize {
					t.Fatalf("journal line of %d bytes, want at most %d", len(line), maxUnitLineSize)
				}
				size += len(line)
			}
			journal += len(u.Journal)
		}
		if 2*len(units)+journal > lines {
			t.Fatalf("%d units and %d journal lines from %d lines", len(units), journal, lines)
		}
		if size > len(data)+len(".service")*len(units) {
			t.Fatalf("%d bytes of fields from a paste of %d", size, len(data))
		}
	})
}
