package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/internal/watch"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
)

// WatchLine is one line of `kubectl pleg watch`: the time, the node and what
// changed, "09:14:41  worker-3  Ready (was NotReady for 16m39s)  event NodeReady".
func WatchLine(o *watch.Observation, loc *time.Location) string {
	parts := make([]string, 0, len(o.Changes))
	for _, c := range o.Changes {
		parts = append(parts, clean(c))
	}
	return fmt.Sprintf("%s  %s  %s", o.Time.In(loc).Format("15:04:05"), clean(o.Node), strings.Join(parts, "  "))
}

// WatchStatus is the status line a terminal shows between lines: where
// every node stands now, and how long its goal has held.
func WatchStatus(obs []*watch.Observation, stable time.Duration, now time.Time) string {
	var parts []string
	for _, o := range obs {
		p := clean(o.Node) + ": " + string(o.Diagnosis.Verdict)
		if !o.PLEGLastSeen.IsZero() {
			p += ", relist " + humanize.Duration(max(0, now.Sub(o.PLEGLastSeen))) + " ago"
		}
		if o.GoalMet && stable > 0 {
			p += fmt.Sprintf(", %s/%s", humanize.Duration(now.Sub(o.GoalSince).Round(time.Second)), humanize.Duration(stable))
		}
		parts = append(parts, p)
	}
	return "watching " + strings.Join(parts, " · ")
}

// watchObservation is the JSON of one observation: the report schema's
// fields where they overlap (node, verdict, summary, causes), then the
// watch's own.
type watchObservation struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Node       string           `json:"node"`
	Time       time.Time        `json:"time"`
	Verdict    diagnose.Verdict `json:"verdict"`
	Summary    string           `json:"summary"`
	Causes     []diagnose.Cause `json:"causes"`
	*watch.Observation
}

// WatchJSON is one observation as a line of JSON Lines.
func WatchJSON(o *watch.Observation) ([]byte, error) {
	d := o.Diagnosis
	b, err := json.Marshal(watchObservation{
		APIVersion: diagnose.APIVersion, Kind: "Observation", Node: o.Node, Time: o.Time,
		Verdict: d.Verdict, Summary: d.Summary, Causes: d.Causes, Observation: o,
	})
	return append(b, '\n'), err
}
