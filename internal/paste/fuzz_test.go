package paste

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// addTableSeeds seeds f with the artifacts whose names match the patterns.
func addTableSeeds(f *testing.F, patterns ...string) {
	for _, pattern := range patterns {
		seeds, err := filepath.Glob(filepath.Join(tableCorpus, pattern))
		if err != nil || len(seeds) == 0 {
			f.Fatalf("no %s seeds in %s (%v)", pattern, tableCorpus, err)
		}
		for _, seed := range seeds {
			data, err := os.ReadFile(seed)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// pasteBounds are what a reader can take from data: a row per line at most,
// and no more text than data holds plus a space joining each wrapped line.
// Text is counted as the readers see it, in runes: a byte that is no UTF-8
// reads as U+FFFD, three bytes.
func pasteBounds(data []byte) (lines, size int) {
	lines = bytes.Count(data, []byte("\n")) + 1
	return lines, len(string([]rune(string(data)))) + lines
}

// FuzzParseNodeTable checks that no paste makes ParseNodeTable panic or
// return more than the paste holds, and that the sniffer never claims a
// paste the reader finds nothing in.
func FuzzParseNodeTable(f *testing.F) {
	addTableSeeds(f, "getnodes-*", "describe-kopsnotes-*", "describe-kubectlmcp25-*", "events-k8s4396-*")
	f.Fuzz(func(t *testing.T, data []byte) {
		table, err := ParseNodeTable(bytes.NewReader(data))
		if (err == nil) != (table != nil && len(table.Rows) > 0) {
			t.Fatalf("got %v and error %v: want rows or an error", table, err)
		}
		if LooksLikeNodeTable(data) && err != nil && len(data) <= tableHeadSize {
			t.Fatalf("LooksLikeNodeTable claims a paste ParseNodeTable rejects: %v", err)
		}
		if err != nil {
			return
		}
		lines, size := pasteBounds(data)
		if len(table.Rows) > min(lines, maxTableRows) {
			t.Fatalf("%d rows from %d lines", len(table.Rows), lines)
		}
		for _, row := range table.Rows {
			text := len(row.Name) + len(row.Roles) + len(row.Version) + len(row.InternalIP) +
				len(row.OSImage) + len(row.KernelVersion) + len(row.ContainerRuntime)
			if row.Name == "" || !slices.Contains([]string{"Ready", "NotReady", "Unknown"}, row.Ready) ||
				row.Age < 0 || row.Age > maxTableAge || text > size {
				t.Fatalf("row out of bounds: %+v", row)
			}
		}
	})
}

// FuzzParseListing checks the same of ParseListing and LooksLikeListing.
func FuzzParseListing(f *testing.F) {
	addTableSeeds(f, "rtlog-*crictl*", "rtlog-*docker-ps*", "rtlog-*container-status*", "getnodes-raspik3s-*")
	f.Fuzz(func(t *testing.T, data []byte) {
		listing, err := ParseListing(bytes.NewReader(data))
		if (err == nil) != (listing != nil && len(listing.Rows) > 0) {
			t.Fatalf("got %v and error %v: want rows or an error", listing, err)
		}
		if len(data) <= tableHeadSize && LooksLikeListing(data) != (err == nil) {
			t.Fatalf("LooksLikeListing disagrees with ParseListing, whose error is %v", err)
		}
		if err != nil {
			return
		}
		lines, size := pasteBounds(data)
		if len(listing.Rows) > min(lines, maxTableRows) || (listing.Tool != "crictl" && listing.Tool != "docker") {
			t.Fatalf("%d rows from %d lines, tool %q", len(listing.Rows), lines, listing.Tool)
		}
		for _, row := range listing.Rows {
			text := len(row.ID) + len(row.Name) + len(row.Pod) + len(row.Namespace)
			if !runtimeID.MatchString(row.ID) || row.State == "" || row.Age < 0 || row.Age > maxTableAge ||
				row.For < 0 || row.For > maxTableAge || text > 2*size {
				t.Fatalf("row out of bounds: %+v", row)
			}
		}
	})
}
