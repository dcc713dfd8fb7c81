package diagnose

import (
	"fmt"
	"strings"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// checklist maps the expert's checklist onto the sources that feed it.
var checklist = []struct {
	id, name string
	sources  []snapshot.SourceName
}{
	{"A", "conditions+events", []snapshot.SourceName{snapshot.SourceNode, snapshot.SourceEvents}},
	{"B", "kubelet log", []snapshot.SourceName{snapshot.SourceKubeletLog}},
	{"C", "system log", []snapshot.SourceName{snapshot.SourceSystemLog, snapshot.SourceRuntimeLog}},
	{"D", "load+density", []snapshot.SourceName{snapshot.SourcePods, snapshot.SourceStats, snapshot.SourceMetrics, snapshot.SourceConfigz}},
}

func checks(s *snapshot.Snapshot, causes []Cause) []Check {
	var out []Check
	for _, item := range checklist {
		c := Check{ID: item.id, Name: item.name}
		var done, details []string
		for _, name := range item.sources {
			src, ok := s.Source(name)
			switch {
			case !ok:
				details = append(details, string(name)+" not collected")
			case src.Status == snapshot.StatusOK:
				done = append(done, string(name))
				if src.Detail != "" && len(item.sources) == 1 {
					details = append(details, src.Detail)
				}
			default:
				details = append(details, fmt.Sprintf("%s %s", name, src.Status))
			}
		}
		switch len(done) {
		case len(item.sources):
			c.Status = CheckDone
		case 0:
			c.Status = CheckMissing
		default:
			c.Status = CheckPartial
		}
		c.Detail = strings.Join(details, "; ")
		out = append(out, c)
	}
	steps := 0
	for _, cause := range causes {
		steps += len(cause.Remediation)
	}
	e := Check{ID: "E", Name: "remediation", Status: CheckDone, Detail: fmt.Sprintf("%d next steps", steps)}
	if len(causes) == 0 {
		e.Detail = "nothing to remediate"
	}
	return append(out, e)
}
