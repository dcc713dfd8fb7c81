package paste

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// tableCorpus holds the real pastes the table readers are checked against.
const tableCorpus = "../../test/corpus/artifacts"

// readTableCorpus returns every file under tableCorpus (the support-archive
// trees included) by its path inside it.
func readTableCorpus(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(tableCorpus, func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		name, _ := filepath.Rel(tableCorpus, path)
		files[filepath.ToSlash(name)] = data
		return nil
	})
	if err != nil || len(files) < 300 {
		t.Fatalf("reading %s: %d files, %v", tableCorpus, len(files), err)
	}
	return files
}

// readTestTables reads paste with a reader of kind and returns each row as
// "table: COLUMN=cell, …", cells in column order.
func readTestTables(paste string, kind tableKind) []string {
	var rows []string
	reader := tableReader{kind: kind, emit: func(row tableRow) {
		cells := make([]string, len(row.columns))
		for i, column := range row.columns {
			cells[i] = column + "=" + row.cells[i]
		}
		rows = append(rows, strings.Join(append([]string{string(rune('0' + row.table))}, cells...), " | "))
	}}
	for _, line := range strings.Split(paste, "\n") {
		reader.read(cleanTableLine(line))
	}
	reader.close()
	return rows
}

// anyNamedRow is a table kind for tests: headers starting with NAME, rows whose NAME starts with "n".
var anyNamedRow = tableKind{
	accepts:   func(columns []string) bool { return columns[0] == "NAME" },
	startsRow: func(row tableRow) bool { return strings.HasPrefix(row.cell("NAME"), "n") },
}

func TestTableReader(t *testing.T) {
	for _, tc := range []struct {
		name, paste string
		want        []string
	}{{
		name: "cells with single spaces and an empty cell, from getnodes-pksnotes",
		paste: "NAME    STATUS     EXTERNAL-IP   OS-IMAGE             KERNEL-VERSION\n" +
			"node1   NotReady                 Ubuntu 16.04.6 LTS   4.15.0-50-generic\n",
		want: []string{"1 | NAME=node1 | STATUS=NotReady | EXTERNAL-IP= | OS-IMAGE=Ubuntu 16.04.6 LTS | KERNEL-VERSION=4.15.0-50-generic"},
	}, {
		name: "a row one column to the right of its header, from getnodes-dockin10",
		paste: " kubectl get nodes\n" +
			"NAME             STATUS     ROLES    AGE   VERSION\n" +
			"192-168-193-109   NotReady   master   21d   v1.16.6\n",
		want: nil, // the row's NAME does not start with "n": the kind decides
	}, {
		name: "a row drifting left with an empty cell: words cut by the header positions go to their own cells",
		paste: "NAME        STATUS      EXTERNAL-IP   VERSION\n" +
			"node1     NotReady                 v1.16.6\n",
		want: []string{"1 | NAME=node1 | STATUS=NotReady | EXTERNAL-IP= | VERSION=v1.16.6"},
	}, {
		name: "a cell overflowing its column keeps its end",
		paste: "NAME   STATUS   EXTERNAL-IP   VERSION\n" +
			"node1234 Ready                v1.16.6\n",
		want: []string{"1 | NAME=node1234 | STATUS=Ready | EXTERNAL-IP= | VERSION=v1.16.6"},
	}, {
		name: "kubectl -w rows drift from the header; whole rows are read in order",
		paste: "NAME    STATUS   AGE\n" +
			"node1   Ready   5m\n" +
			"node1-with-a-long-name   NotReady   6m\n",
		want: []string{"1 | NAME=node1 | STATUS=Ready | AGE=5m", "1 | NAME=node1-with-a-long-name | STATUS=NotReady | AGE=6m"},
	}, {
		name: "short and long rows, trailing spaces, a shared indent",
		paste: "    NAME    STATUS   AGE   VERSION \n" +
			"    node1   Ready \n" +
			"    node2   Ready    5d    v1.30.0   extra words\n",
		want: []string{"1 | NAME=node1 | STATUS=Ready | AGE= | VERSION=", "1 | NAME=node2 | STATUS=Ready | AGE=5d | VERSION=v1.30.0   extra words"},
	}, {
		name:  "tabs instead of spaces",
		paste: "NAME\tSTATUS\tAGE\nnode1\tNot Ready\t5m\nnode2\t\tReady\n",
		want:  []string{"1 | NAME=node1 | STATUS=Not Ready | AGE=5m", "1 | NAME=node2 | STATUS=Ready | AGE="},
	}, {
		name: "a header and rows a terminal wrapped, from getnodes-raspik3s",
		paste: "NAME           STATUS     ROLES    OS-IMAGE\n" +
			"              KERNEL-VERSION   CONTAINER-RUNTIME\n" +
			"node3          Ready      <none>   Raspbian GNU/Linux\n" +
			"10 (buster)   5.10.60-v8+      containerd://1.4.9-k3s1\n" +
			"node1          NotReady   <none>   Raspbian GNU/Linux\n" +
			"10 (buster)   5.10.60-v7l+     containerd://1.4.9-k3s1\n",
		want: []string{
			"1 | NAME=node3 | STATUS=Ready | ROLES=<none> | OS-IMAGE=Raspbian GNU/Linux 10 (buster) | KERNEL-VERSION=5.10.60-v8+ | CONTAINER-RUNTIME=containerd://1.4.9-k3s1",
			"1 | NAME=node1 | STATUS=NotReady | ROLES=<none> | OS-IMAGE=Raspbian GNU/Linux 10 (buster) | KERNEL-VERSION=5.10.60-v7l+ | CONTAINER-RUNTIME=containerd://1.4.9-k3s1",
		},
	}, {
		name: "a wrapped row whose second line is missing is kept as far as it goes",
		paste: "NAME    STATUS\n" +
			"AGE\n" +
			"node1   Ready\n" +
			"node2   Ready\n" +
			"5m\n",
		want: []string{"1 | NAME=node1 | STATUS=Ready", "1 | NAME=node2 | STATUS=Ready | AGE=5m"},
	}, {
		name: "a line that is no row ends the table; a blank line does not",
		paste: "NAME    STATUS\n" +
			"node1   Ready\n" +
			"\n" +
			"node2   Ready\n" +
			"$ kubectl get nodes\n" +
			"node3   Ready\n" +
			"NAME    STATUS\n" +
			"node4   Ready\n",
		want: []string{"1 | NAME=node1 | STATUS=Ready", "1 | NAME=node2 | STATUS=Ready", "2 | NAME=node4 | STATUS=Ready"},
	}, {
		name: "quoting, minikube's bullet, colours and non-breaking spaces are not part of the table",
		paste: "* NAME    STATUS\n" +
			"> node1   \x1b[32mReady\x1b[0m\n" +
			"node2\u00a0\u00a0\u00a0Ready\n",
		want: []string{"1 | NAME=node1 | STATUS=Ready", "1 | NAME=node2 | STATUS=Ready"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if got := readTestTables(tc.paste, anyNamedRow); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("rows:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestSplitFields(t *testing.T) {
	got := splitFields([]rune("  CONTAINER ID   IMAGE\tPOD ID  \"/usr/local/bin/entr…\"   x "))
	want := []field{{"CONTAINER ID", 2}, {"IMAGE", 17}, {"POD ID", 23}, {`"/usr/local/bin/entr…"`, 31}, {"x", 56}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("splitFields:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseAge(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		cell  string
		want  time.Duration
		known bool
	}{
		{"55s", 55 * time.Second, true},
		{"0s", 0, true},
		{"7m32s", 7*time.Minute + 32*time.Second, true},
		{"3h43m", 3*time.Hour + 43*time.Minute, true},
		{"16h", 16 * time.Hour, true},
		{"5d6h", 5*day + 6*time.Hour, true},
		{"203d", 203 * day, true},
		{"2y3d", 2*365*day + 3*day, true},
		{"<invalid>", 0, false},
		{"<unknown>", 0, false},
		{"", 0, false},
		{"4 minutes ago", 4 * time.Minute, true},
		{"About a minute ago", time.Minute, true},
		{"Less than a second ago", 0, true},
		{"1 second ago", time.Second, true},
		{"2 days ago", 2 * day, true},
		{"36 seconds ago", 36 * time.Second, true},
		{"About an hour ago", time.Hour, true},
		{"3 weeks ago", 21 * day, true},
		{"2 months ago", 60 * day, true},
		{"Up 5 minutes", 5 * time.Minute, true},
		{"Up About a minute", time.Minute, true},
		{"Up 2 hours (healthy)", 2 * time.Hour, true},
		{"Up 3 seconds (Paused)", 3 * time.Second, true},
		{"Exited (0) 3 hours ago", 3 * time.Hour, true},
		{"Exited (137) 2 days ago", 2 * day, true},
		{"Restarting (1) 5 seconds ago", 5 * time.Second, true},
		{"Created", 0, false},
		{"Dead", 0, false},
		{"Running", 0, false},
		{"5 parsecs ago", 0, false},
		{"99999999999y", 0, false},
		{"9999999999 years ago", 0, false},
		{"300y", 0, false},
	} {
		got, known := parseAge(tc.cell)
		if got != tc.want || known != tc.known {
			t.Errorf("parseAge(%q) = %v, %v; want %v, %v", tc.cell, got, known, tc.want, tc.known)
		}
	}
}

func TestTableLinesBounded(t *testing.T) {
	// A line longer than maxTableLineSize is cut rather than failing the
	// read, and the lines after it still count.
	paste := "NAME    STATUS   AGE\n" + strings.Repeat("x", maxTableLineSize+10) + "\nnode1   Ready    5m\n"
	var lines []string
	err := eachTableLine(strings.NewReader(paste), func(line []rune) {
		lines = append(lines, string(line[:min(len(line), 5)]))
	})
	if err != nil || !reflect.DeepEqual(lines, []string{"NAME ", "xxxxx", "node1"}) {
		t.Errorf("eachTableLine: lines %q, error %v", lines, err)
	}
}

func TestTableColumnsBounded(t *testing.T) {
	// A header of more columns than any tool prints is no header: each row
	// would otherwise cost as much as the header is long.
	wide := "NAME   STATUS" + strings.Repeat("   AGE", maxTableColumns) + "\nnode1   Ready\n"
	if got := readTestTables(wide, anyNamedRow); got != nil {
		t.Errorf("rows %q under a header of %d columns, want none", got, maxTableColumns+2)
	}
}
