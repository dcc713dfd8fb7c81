package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// logOnly is a snapshot of nothing but a kubelet log: a journal pasted into
// a ticket.
func logOnly(lines ...string) *snapshot.Snapshot {
	return &snapshot.Snapshot{NodeName: "worker-3", CollectedAt: now, KubeletLog: scan(lines...)}
}

// logAt is a kubelet journal line at d before now.
func logAt(d time.Duration, msg string) string { return kline(ago(d), msg) }

const (
	plegLine     = `kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 3m5s ago; threshold is 3m0s"`
	dockerDown   = `kubelet.go:2100] "Skipping pod synchronization" err="container runtime is down" ... Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?`
	readyLine    = `kubelet_node_status.go:694] "Recording event message for node" node="worker-3" event="NodeReady"`
	probeLine    = `kubelet.go:2453] "SyncLoop (probe)" probe="readiness" status="ready" pod="shop/app-1"`
	notYetLine   = `kubelet.go:2412] "Skipping pod synchronization" err="[container runtime status check may not have completed yet, PLEG is not healthy: pleg has yet to be successful]"`
	stoppedLine  = `node_lifecycle_controller.go:1163] "Node is not ready" node="worker-3" reason="NodeStatusUnknown" message="Kubelet stopped posting node status."`
	statusFailed = `kubelet_node_status.go:540] "Error updating node status, will retry" err="error getting node \"worker-3\": Get \"https://10.0.0.1:6443/api/v1/nodes/worker-3\": dial tcp 10.0.0.1:6443: connect: connection refused"`
)

// The verdict is the node's state where its log ends.
func TestVerdictFromWhereTheLogEnds(t *testing.T) {
	tests := []struct {
		name string
		snap *snapshot.Snapshot
		want Verdict
	}{
		{"ends in PLEG is not healthy", logOnly(logAt(40*time.Second, plegLine), logAt(30*time.Second, plegLine), logAt(20*time.Second, plegLine)), PLEGUnhealthy},
		{"PLEG recovered: NodeReady after", logOnly(logAt(5*time.Minute, plegLine), logAt(4*time.Minute, plegLine), logAt(3*time.Minute, readyLine)), Healthy},
		{"PLEG lines, then ten quiet minutes and a ready probe", logOnly(logAt(12*time.Minute, plegLine), logAt(11*time.Minute, plegLine), logAt(time.Minute, probeLine)), Unknown},
		{"ends with the runtime down", logOnly(logAt(20*time.Second, dockerDown), logAt(15*time.Second, dockerDown), logAt(10*time.Second, dockerDown)), RuntimeDown},
		{"runtime down and PLEG: the deeper failure wins", logOnly(logAt(20*time.Second, plegLine), logAt(10*time.Second, dockerDown)), RuntimeDown},
		{"ends with the network plugin not ready", logOnly(logAt(10*time.Second, networkNotReadyLog)), NetworkNotReady},
		{"the controller gave up on the kubelet", logOnly(klog('I', ago(time.Minute), stoppedLine)), KubeletUnreachable},
		{"the kubelet cannot post its status", logOnly(logAt(30*time.Second, statusFailed), logAt(20*time.Second, statusFailed)), KubeletUnreachable},
		{"started 20s ago, PLEG not yet successful", logOnly(logAt(21*time.Second, startLog), logAt(20*time.Second, notYetLine)), Starting},
		{"not yet successful for ten minutes: the first relist hangs", logOnly(logAt(11*time.Minute, notYetLine), logAt(6*time.Minute, notYetLine), logAt(10*time.Second, notYetLine)), PLEGUnhealthy},
		{"the relist's calls time out", logOnly(klines(3, func(int) string { return listContainersTimeout })...), PLEGUnhealthy},
		{"nothing about readiness", logOnly(logAt(time.Minute, `kubelet.go:1] "some ordinary line"`)), Unknown},
		{"PLEG events flow", logOnly(logAt(time.Minute, `kubelet.go:2405] "SyncLoop (PLEG): event for pod" pod="shop/app-1" event={"ID":"1","Type":"ContainerStarted"}`)), Healthy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, why := verdict(tt.snap); got != tt.want {
				t.Errorf("verdict %s (%s), want %s", got, why, tt.want)
			}
		})
	}
}

// A log without times is weighed by its lines: what ends it holds.
func TestVerdictFromAnUntimedLog(t *testing.T) {
	snap := &snapshot.Snapshot{NodeName: "w", KubeletLog: scan(
		"KubeletNotReady   container runtime is down,PLEG is not healthy: pleg was last seen active 1h56m24s ago; threshold is 3m0s",
		"rpc error: code = Unknown desc = Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
	)}
	if v, why := verdict(snap); v != RuntimeDown {
		t.Errorf("verdict %s (%s), want runtime-down", v, why)
	}
	// The same two lines followed by a long stretch of other lines are history.
	lines := []string{"rpc error: Cannot connect to the Docker daemon at unix:///var/run/docker.sock.", "rpc error: Cannot connect to the Docker daemon at unix:///var/run/docker.sock."}
	for i := 0; i < 200; i++ {
		lines = append(lines, "I1127 kubelet.go:1] ordinary work")
	}
	if v, _ := verdict(&snapshot.Snapshot{NodeName: "w", KubeletLog: scan(lines...)}); v == RuntimeDown {
		t.Error("two old lines followed by 200 others must not make the runtime down now")
	}
}

// Three "Cannot connect" lines in a 10-second excerpt are the runtime down;
// the same three in an hour of healthy log are noise; one line is never
// high confidence.
func TestRuntimeDownWeighsTheSpan(t *testing.T) {
	excerpt := logOnly(logAt(20*time.Second, dockerDown), logAt(15*time.Second, dockerDown), logAt(10*time.Second, dockerDown))
	assertFinding(t, runtimeDown(excerpt), &want{sev: Critical, conf: High, evidence: []string{"3× runtime connection failure", "the log ends with it"}})

	inAnHour := []string{logAt(58*time.Minute, dockerDown), logAt(57*time.Minute, dockerDown), logAt(56*time.Minute, dockerDown)}
	for i := 55; i > 0; i-- {
		for j := 0; j < 6; j++ {
			inAnHour = append(inAnHour, logAt(time.Duration(i)*time.Minute-time.Duration(j)*10*time.Second, probeLine))
		}
	}
	assertFinding(t, runtimeDown(logOnly(inAnHour...)), nil)

	one := logOnly(logAt(10*time.Second, dockerDown))
	if f := runtimeDown(one); f == nil || f.Confidence == High {
		t.Errorf("one line: %+v, want a finding below high confidence", f)
	}
}

// The kubelet answered, so it is not down: a failing syncloop check is the
// stalled sync loop's symptom.
func TestSyncLoopFailingIsNotAKubeletDown(t *testing.T) {
	s := &snapshot.Snapshot{NodeName: "w", Healthz: &snapshot.Healthz{OK: false, Body: "[+]ping ok\n[+]log ok\n[-]syncloop failed: reason withheld\nhealthz check failed"}}
	d := Diagnose(s)
	if d.Verdict != PLEGUnhealthy {
		t.Errorf("verdict %s (%s), want pleg-unhealthy", d.Verdict, d.Summary)
	}
	for _, c := range d.Causes {
		if c.ID == "kubelet-down" {
			t.Errorf("kubelet-down fired on a kubelet that answered: %q", c.Evidence)
		}
	}
	if len(d.Causes) == 0 || d.Causes[0].ID != "pleg-relist-stalled" {
		t.Errorf("causes %v, want pleg-relist-stalled first", causeIDs(d))
	}
}

// A healthy kubeadm node reserves nothing: that is information, not a
// warning, until it compounds a real problem.
func TestRisksAreInfoOnAHealthyNode(t *testing.T) {
	kubeadm := mod(func(s *snapshot.Snapshot) {
		s.Config.SystemReserved, s.Config.KubeReserved = nil, nil
		s.Node.Status.Allocatable = s.Node.Status.Capacity
		s.Node.Status.NodeInfo.ContainerRuntimeVersion = "containerd://1.4.4"
	})
	d := Diagnose(kubeadm)
	if d.Alarm() != NoAlarm {
		t.Errorf("alarm %v, want 0 on a healthy node; causes %v", d.Alarm(), causeIDs(d))
	}
	risks := 0
	for _, c := range d.Causes {
		if c.Role == Risk {
			risks++
			if c.Severity != Info {
				t.Errorf("%s is %s on a healthy node, want info", c.ID, c.Severity)
			}
		}
	}
	if risks < 2 {
		t.Errorf("the risks must still be listed (as info): %v", causeIDs(d))
	}

	troubled := mod(func(s *snapshot.Snapshot) {
		s.Config.SystemReserved, s.Config.KubeReserved = nil, nil
		s.Node.Status.Allocatable = s.Node.Status.Capacity
	}, onNode(notReady("PLEG is not healthy: pleg was last seen active 3m5s ago; threshold is 3m0s", 4*time.Minute)))
	for _, c := range Diagnose(troubled).Causes {
		if c.ID == "missing-reservations" && c.Severity != Warning {
			t.Errorf("missing-reservations is %s on a NotReady node, want warning", c.Severity)
		}
	}
}

// The data's name for the node, or "(unnamed)", never an empty name.
func TestSummaryNamesTheNode(t *testing.T) {
	d := Diagnose(&snapshot.Snapshot{KubeletLog: scan(logAt(10*time.Second, plegLine))})
	if !strings.HasPrefix(d.Summary, "Node (unnamed):") {
		t.Errorf("summary %q", d.Summary)
	}
}

// From files, the report says what more data would tell; a live collection
// lists its failed sources instead.
func TestFullerInput(t *testing.T) {
	pasted := logOnly(logAt(10*time.Second, plegLine))
	pasted.Offline = true
	pasted.Sources = []snapshot.Source{{Name: snapshot.SourceKubeletLog, Status: snapshot.StatusOK}}
	more := strings.Join(Diagnose(pasted).FullerInput, "\n")
	for _, want := range []string{"kubectl describe node worker-3", "proxy/metrics", "kubectl pleg collect worker-3"} {
		if !strings.Contains(more, want) {
			t.Errorf("fuller input lacks %q:\n%s", want, more)
		}
	}
	if strings.Contains(more, "journalctl -u kubelet") {
		t.Error("asks for the kubelet log it was given")
	}
	if got := Diagnose(healthy()).FullerInput; got != nil {
		t.Errorf("a live collection got %q", got)
	}
}
