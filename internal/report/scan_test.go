package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

func TestScanRowsFromSnapshot(t *testing.T) {
	at := time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)
	seen, p99, running := at.Add(-16*time.Minute-6*time.Second), 12*time.Second, 108
	dense := &snapshot.Snapshot{
		NodeName: "dense\x1b[31m", CollectedAt: at,
		Node: &corev1.Node{Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("110")}}},
		Metrics: &kubelet.Metrics{PLEGLastSeen: &seen, RelistP99: &p99, RunningPods: &running,
			Containers: map[string]int{"running": 216, "exited": 934}},
		Sources: []snapshot.Source{{Name: snapshot.SourceMetrics, Status: snapshot.StatusOK}},
	}
	forbidden := &snapshot.Snapshot{NodeName: "locked", CollectedAt: at,
		Sources: []snapshot.Source{{Name: snapshot.SourceMetrics, Status: snapshot.StatusForbidden}}}
	critical := &diagnose.Diagnosis{Node: dense.NodeName, Verdict: diagnose.PLEGUnhealthy,
		Causes: []diagnose.Cause{{ID: "pleg-relist-stalled", Severity: diagnose.Critical}, {ID: "pod-density", Severity: diagnose.Warning}}}
	quiet := &diagnose.Diagnosis{Node: "locked", Verdict: diagnose.Unknown}
	rows := []ScanRow{NewScanRow(quiet, forbidden), NewScanRow(critical, dense)}
	RankScan(rows)

	got := ScanTableRows(rows, false)
	want := [][]string{
		{"dense [31m", "pleg-unhealthy", "pleg-relist-stalled", "critical", "108/110", "1,150 (934 exited)", "12s", "16m6s ago", "ok"},
		{"locked", "unknown", "-", "-", "?", "-", "-", "-", "forbidden"},
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
	if s := CountScan(rows).String(); s != "2 nodes: 1 critical, 1 warning, 0 ok; 0 unreachable, 1 forbidden (kubelet metrics need get nodes/proxy)" {
		t.Errorf("summary %q", s)
	}
	var b bytes.Buffer
	if err := RenderScan(&b, "table", rows, Options{}); err != nil || strings.Contains(b.String(), "\x1b") {
		t.Errorf("table: %v, control characters kept:\n%q", err, b.String())
	}
	if err := RenderScan(&b, "xml", rows, Options{}); err == nil {
		t.Error("unknown format rendered")
	}
}

// Among Ready nodes that warn, the one about to fail (its relist late)
// comes before the merely dense ones, however many warnings they carry.
func TestRankScanPutsTheNodesAboutToFailFirst(t *testing.T) {
	warn := func(id diagnose.CauseID, role diagnose.Role) diagnose.Cause {
		return diagnose.Cause{ID: id, Severity: diagnose.Warning, Role: role}
	}
	dense := &diagnose.Diagnosis{Node: "a-dense", Verdict: diagnose.Healthy, Causes: []diagnose.Cause{
		warn(diagnose.CausePodDensity, diagnose.Load), warn(diagnose.CauseNodeOverload, diagnose.Load), warn(diagnose.CauseUnboundedPods, diagnose.Risk)}}
	late := &diagnose.Diagnosis{Node: "z-late", Verdict: diagnose.Healthy, Causes: []diagnose.Cause{warn(diagnose.CausePLEGRelistStalled, diagnose.Symptom)}}
	rows := []ScanRow{NewScanRow(dense, &snapshot.Snapshot{NodeName: "a-dense"}), NewScanRow(late, &snapshot.Snapshot{NodeName: "z-late"})}
	RankScan(rows)
	if rows[0].Diagnosis.Node != "z-late" {
		t.Errorf("order %s, %s: want the late relist first", rows[0].Diagnosis.Node, rows[1].Diagnosis.Node)
	}
}
