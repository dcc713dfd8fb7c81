package paste

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Listed is one row of a runtime listing.
type Listed struct {
	ID      string
	Sandbox bool   // a crictl pods row (POD ID / PODSANDBOX ID)
	Name    string // container name, or the pod name for a sandbox
	// Pod and Namespace are crictl pods' NAME and NAMESPACE, crictl ps' POD
	// and NAMESPACE, or split from docker's k8s_CONTAINER_POD_NAMESPACE_UID_ATTEMPT
	// names; "" when not given.
	Pod, Namespace string
	// State is normalized: "running", "created", "exited", "unknown", "ready",
	// "notready" (sandboxes), or the cell lower-cased when none of these.
	// docker's STATUS is named by its first word ("restarting", "dead"),
	// "paused" for a paused container, "removing" while it is removed.
	State    string
	Age      time.Duration // since created; AgeKnown false when not given
	AgeKnown bool
	// For is how long it has been in its state when the listing says (docker
	// "Up 5 minutes", "Exited (1) 3 hours ago"); ForKnown false otherwise.
	For      time.Duration
	ForKnown bool
}

// Listing is the rows of every listing in a paste; Tool is "crictl" or
// "docker", as the first listing's header shows.
type Listing struct {
	Tool string
	Rows []Listed
}

// LooksLikeListing says the start of a paste (its first 64 KiB) holds a
// `crictl ps`, `crictl pods` or `docker ps` listing.
func LooksLikeListing(head []byte) bool {
	_, err := ParseListing(bytes.NewReader(head[:min(len(head), tableHeadSize)]))
	return err == nil
}

// ParseListing reads every `crictl ps [-a]`, `crictl pods` and `docker ps
// [-a]` listing in r, including the crictl ps -a under `minikube logs`'
// "==> container status <==". An error only when r holds no listed row at
// all, or fails to read (then with the rows read before).
func ParseListing(r io.Reader) (*Listing, error) {
	var listing Listing
	tables := tableReader{kind: listingTables, emit: func(row tableRow) {
		if len(listing.Rows) == maxTableRows {
			return
		}
		if listing.Tool == "" {
			listing.Tool = listingTool(row)
		}
		listing.Rows = append(listing.Rows, listedOf(row))
	}}
	err := eachTableLine(r, func(line []rune) { tables.read(line) })
	tables.close()
	if err != nil {
		return &listing, fmt.Errorf("reading runtime listing: %w", err)
	}
	if len(listing.Rows) == 0 {
		return nil, errors.New(`no runtime listing found: expected a "crictl ps", "crictl pods" or "docker ps" header such as "CONTAINER ID   IMAGE   CREATED   STATE   NAME   ATTEMPT" followed by rows`)
	}
	return &listing, nil
}

var listingTables = tableKind{accepts: isListingHeader, startsRow: isListingRow}

// listingIDColumns are the first column of `crictl ps` (CONTAINER ID, or
// CONTAINER since crictl 1.26), `crictl pods` (POD ID, PODSANDBOX ID before
// crictl 1.0) and `docker ps` (CONTAINER ID).
var listingIDColumns = []string{"CONTAINER ID", "CONTAINER", "POD ID", "PODSANDBOX ID"}

// sandboxIDColumns are the ID columns of `crictl pods`.
var sandboxIDColumns = []string{"POD ID", "PODSANDBOX ID"}

// isListingHeader wants a state column too: `crictl stats` and `docker
// stats` also start with CONTAINER (ID).
func isListingHeader(columns []string) bool {
	return slices.Contains(listingIDColumns, columns[0]) &&
		(slices.Contains(columns, "STATE") || slices.Contains(columns, "STATUS"))
}

// runtimeID is a container or sandbox ID as listings print it: 12 (docker)
// or 13 (crictl) hex digits, all 64 with --no-trunc.
var runtimeID = regexp.MustCompile(`^[0-9a-f]{12,64}$`)

// isListingRow wants a state as well as an ID: `crictl runp` and `docker
// run -d` print an ID alone on its line.
func isListingRow(row tableRow) bool {
	return runtimeID.MatchString(row.cells[0]) && row.cell(listingStateColumn(row)) != ""
}

// listingStateColumn is crictl's STATE or, in docker's listings, STATUS.
func listingStateColumn(row tableRow) string {
	if slices.Contains(row.columns, "STATE") {
		return "STATE"
	}
	return "STATUS"
}

// listingTool tells crictl's listings from docker's by their state column.
func listingTool(row tableRow) string {
	if listingStateColumn(row) == "STATE" {
		return "crictl"
	}
	return "docker"
}

func listedOf(row tableRow) Listed {
	listed := Listed{ID: row.cells[0]}
	listed.Age, listed.AgeKnown = parseAge(row.cell("CREATED"))
	if listingTool(row) == "docker" {
		status := row.cell("STATUS")
		listed.State = dockerState(status)
		listed.For, listed.ForKnown = parseAge(status)
		listed.Name = row.cell("NAMES")
		if m := dockershimName.FindStringSubmatch(listed.Name); m != nil {
			listed.Name, listed.Pod, listed.Namespace = m[1], m[2], m[3]
		}
		return listed
	}
	listed.State = crictlState(row.cell("STATE"))
	listed.Name, listed.Pod, listed.Namespace = row.cell("NAME"), row.cell("POD"), row.cell("NAMESPACE")
	if listed.Sandbox = slices.Contains(sandboxIDColumns, row.columns[0]); listed.Sandbox {
		listed.Pod = listed.Name
	}
	return listed
}

// crictlStates are the states of containers and sandboxes crictl prints:
// older releases print the CRI's enum names (CONTAINER_RUNNING,
// SANDBOX_NOTREADY), newer ones words (Running, NotReady).
var crictlStates = []string{"running", "created", "exited", "unknown", "ready", "notready"}

// crictlState normalizes crictl's STATE to one of crictlStates, or else the cell lower-cased.
func crictlState(cell string) string {
	state := strings.ToLower(cell)
	if word := strings.TrimPrefix(strings.TrimPrefix(state, "container_"), "sandbox_"); slices.Contains(crictlStates, word) {
		return word
	}
	return state
}

// dockerState reads docker's STATUS: "Up 5 minutes (healthy)", "Up 3
// seconds (Paused)", "Exited (0) 3 hours ago", "Created", "Restarting (1) 5
// seconds ago", "Removal In Progress", "Dead".
func dockerState(status string) string {
	word, _, _ := strings.Cut(status, " ")
	switch {
	case word == "Up" && strings.HasSuffix(status, "(Paused)"):
		return "paused"
	case word == "Up":
		return "running"
	case status == "Removal In Progress":
		return "removing"
	}
	return strings.ToLower(word)
}

// dockershimName is the name dockershim gave a pod's container:
// k8s_<container>_<pod>_<namespace>_<pod uid>_<attempt> (the pod's sandbox is the container "POD").
var dockershimName = regexp.MustCompile(`^k8s_([^_]+)_([^_]+)_([^_]+)_[^_]+_\d+$`)
