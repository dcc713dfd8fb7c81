package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// ScanRow is one node of a scan: its diagnosis and the few figures of its
// snapshot the scan table shows. JSON and YAML carry the diagnosis alone.
type ScanRow struct {
	Diagnosis *diagnose.Diagnosis
	// Pods counts the pods occupying the node (-1: unknown); MaxPods is its
	// allocatable pods (0: unknown).
	Pods, MaxPods int
	// Containers and Exited come from kubelet_running_containers (-1: unknown).
	Containers, Exited int
	RelistP99          *time.Duration
	// PLEGLastSeen is how long before collection the last relist ran.
	PLEGLastSeen *time.Duration
	// Kubelet is how reading the kubelet's /metrics ended.
	Kubelet snapshot.SourceStatus
	// KubeletVersion and Runtime are the node's (from its status).
	KubeletVersion, Runtime string
}

// NewScanRow takes the table's figures from a node's snapshot.
func NewScanRow(d *diagnose.Diagnosis, s *snapshot.Snapshot) ScanRow {
	r := ScanRow{Diagnosis: d, Pods: -1, Containers: -1, Exited: -1, Kubelet: "not-read"}
	if src, ok := s.Source(snapshot.SourceMetrics); ok {
		r.Kubelet = src.Status
	}
	if s.Has(snapshot.SourcePods) {
		r.Pods = len(s.RunningPods())
	} else if s.Metrics != nil && s.Metrics.RunningPods != nil {
		r.Pods = *s.Metrics.RunningPods
	}
	if s.Node != nil {
		if q, ok := s.Node.Status.Allocatable[corev1.ResourcePods]; ok {
			r.MaxPods = int(q.Value())
		}
		r.KubeletVersion, r.Runtime = s.Node.Status.NodeInfo.KubeletVersion, s.Node.Status.NodeInfo.ContainerRuntimeVersion
	}
	if m := s.Metrics; m != nil {
		if len(m.Containers) > 0 {
			r.Containers, r.Exited = 0, m.Containers["exited"]
			for _, n := range m.Containers {
				r.Containers += n
			}
		}
		r.RelistP99 = m.RelistP99
		if m.PLEGLastSeen != nil && !s.CollectedAt.IsZero() {
			ago := s.CollectedAt.Sub(*m.PLEGLastSeen)
			r.PLEGLastSeen = &ago
		}
	}
	return r
}

// RankScan orders the rows worst first: by exit code (critical, warning,
// fine), a verdict other than healthy first, then a node about to fail (a
// cause that is Trouble — the relist late, the runtime slow — not load or
// risk: a dense node is not failing), then by the number of critical and
// warning causes; ties break by node name so the order is stable.
func RankScan(rows []ScanRow) {
	troubled := func(d *diagnose.Diagnosis) bool {
		return slices.ContainsFunc(d.Causes, diagnose.Cause.Trouble)
	}
	count := func(d *diagnose.Diagnosis, sev diagnose.Severity) int {
		n := 0
		for _, c := range d.Causes {
			if c.Severity == sev {
				n++
			}
		}
		return n
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].Diagnosis, rows[j].Diagnosis
		if ea, eb := a.Alarm(), b.Alarm(); ea != eb {
			return ea > eb
		}
		if ha, hb := a.Verdict == diagnose.Healthy, b.Verdict == diagnose.Healthy; ha != hb {
			return hb
		}
		if ta, tb := troubled(a), troubled(b); ta != tb {
			return ta
		}
		if ca, cb := count(a, diagnose.Critical), count(b, diagnose.Critical); ca != cb {
			return ca > cb
		}
		if wa, wb := count(a, diagnose.Warning), count(b, diagnose.Warning); wa != wb {
			return wa > wb
		}
		return a.Node < b.Node
	})
}

// ScanCounts sums up a scan.
type ScanCounts struct {
	Nodes, Critical, Warning, OK int
	// Unreachable counts kubelets whose /metrics gave no answer (refused,
	// unreachable or timed out); Forbidden those the RBAC kept from reading.
	Unreachable, Forbidden int
}

// CountScan counts the rows by alarm and kubelet reachability.
func CountScan(rows []ScanRow) ScanCounts {
	c := ScanCounts{Nodes: len(rows)}
	for _, r := range rows {
		switch r.Diagnosis.Alarm() {
		case diagnose.Critical:
			c.Critical++
		case diagnose.Warning:
			c.Warning++
		default:
			c.OK++
		}
		switch r.Kubelet {
		case snapshot.StatusUnavailable, snapshot.StatusTimeout:
			c.Unreachable++
		case snapshot.StatusForbidden:
			c.Forbidden++
		}
	}
	return c
}

// String is the summary line: "18 nodes: 12 critical, 4 warning, 2 ok; 2 unreachable".
func (c ScanCounts) String() string {
	nodes := "nodes"
	if c.Nodes == 1 {
		nodes = "node"
	}
	s := fmt.Sprintf("%d %s: %d critical, %d warning, %d ok; %d unreachable", c.Nodes, nodes, c.Critical, c.Warning, c.OK, c.Unreachable)
	if c.Forbidden > 0 {
		s += fmt.Sprintf(", %d forbidden (kubelet metrics need get nodes/proxy)", c.Forbidden)
	}
	return s
}

var scanHeader = []string{"NODE", "VERDICT", "TOP CAUSE", "SEVERITY", "PODS", "CONTAINERS", "RELIST P99", "PLEG LAST SEEN", "KUBELET"}

// scanWideHeader adds what -o wide shows: the node's versions and the top
// cause in words with the command to run next.
var scanWideHeader = append(append([]string{}, scanHeader...), "KUBELET VERSION", "RUNTIME", "HEADLINE")

// ScanSortKeys are the orders --sort-by takes; "risk" is the default.
var ScanSortKeys = []string{"risk", "node", "pods", "containers", "relist-p99", "pleg-last-seen"}

// SortScan orders rows by key, worst or largest first (node names A to Z);
// ties keep the risk order, which the rows must already have.
func SortScan(rows []ScanRow, key string) {
	num := func(r ScanRow) float64 {
		switch key {
		case "pods":
			return float64(r.Pods)
		case "containers":
			return float64(r.Containers)
		case "relist-p99":
			if r.RelistP99 != nil {
				return float64(*r.RelistP99)
			}
		case "pleg-last-seen":
			if r.PLEGLastSeen != nil {
				return float64(*r.PLEGLastSeen)
			}
		}
		return -1
	}
	switch key {
	case "risk", "":
	case "node":
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].Diagnosis.Node < rows[j].Diagnosis.Node })
	default:
		sort.SliceStable(rows, func(i, j int) bool { return num(rows[i]) > num(rows[j]) })
	}
}

// ScanTableRows is the scan table as plain text, one row per node in the
// order given; wide adds the node's versions and its headline.
func ScanTableRows(rows []ScanRow, wide bool) [][]string {
	out := make([][]string, 0, len(rows))
	for _, r := range rows {
		d := r.Diagnosis
		cause, sev := "-", "-"
		if len(d.Causes) > 0 {
			cause, sev = string(d.Causes[0].ID), d.Causes[0].Severity.String()
		}
		pods := "?"
		switch {
		case r.Pods >= 0 && r.MaxPods > 0:
			pods = fmt.Sprintf("%d/%d", r.Pods, r.MaxPods)
		case r.Pods >= 0:
			pods = fmt.Sprint(r.Pods)
		}
		containers, p99, seen := "-", "-", "-"
		if r.Containers >= 0 {
			containers = fmt.Sprintf("%s (%s exited)", humanize.Count(r.Containers), humanize.Count(r.Exited))
		}
		if r.RelistP99 != nil {
			p99 = humanize.Duration(*r.RelistP99)
		}
		if r.PLEGLastSeen != nil {
			seen = humanize.Duration(*r.PLEGLastSeen) + " ago"
		}
		row := []string{clean(d.Node), string(d.Verdict), cause, sev, pods, containers, p99, seen, string(r.Kubelet)}
		if wide {
			row = append(row, orDash(r.KubeletVersion), orDash(r.Runtime), clean(d.Headline))
		}
		out = append(out, row)
	}
	return out
}

// RenderScan writes a scan: a ranked table with a summary line, a Markdown
// table, or a DiagnosisList (JSON/YAML, the same per-node schema as diagnose).
// The rows must already be ranked.
func RenderScan(w io.Writer, format string, rows []ScanRow, opts Options) error {
	diags := make([]*diagnose.Diagnosis, len(rows))
	for i := range rows {
		diags[i] = rows[i].Diagnosis
	}
	switch format {
	case "table", "wide":
		return renderScanTable(w, rows, format == "wide", opts)
	case "json":
		b, err := json.MarshalIndent(diagnose.NewList(diags), "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(diagnose.NewList(diags))
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case "markdown":
		fmt.Fprintf(w, "## Node scan: %s\n\n", CountScan(rows))
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(scanHeader, " | "), strings.Repeat("---|", len(scanHeader)))
		for _, row := range ScanTableRows(rows, false) {
			for j := range row {
				row[j] = mdEscape(row[j])
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
		return nil
	default:
		return fmt.Errorf("unknown output format %q (use one of: %s)", format, strings.Join(Formats, ", "))
	}
}

func renderScanTable(w io.Writer, rows []ScanRow, wide bool, opts Options) error {
	cells := ScanTableRows(rows, wide)
	header := scanHeader
	if wide {
		header = scanWideHeader
	}
	if opts.NoHeaders {
		// Rows alone, for scripts: no header, no summary line.
		header = nil
	}
	if opts.Color {
		for i, r := range rows {
			if len(r.Diagnosis.Causes) > 0 {
				cells[i][3] = severityColors[r.Diagnosis.Causes[0].Severity] + cells[i][3] + "\x1b[0m"
			}
		}
	}
	if err := writeTable(w, header, cells); err != nil {
		return err
	}
	if !opts.NoHeaders {
		fmt.Fprintln(w, CountScan(rows))
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
