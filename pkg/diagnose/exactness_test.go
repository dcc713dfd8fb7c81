package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// commands are every step's command of a diagnosis, one per line.
func commands(d *Diagnosis) string {
	var out []string
	for _, c := range d.Causes {
		for _, st := range c.Steps {
			if st.Run != "" {
				out = append(out, st.Run)
			}
		}
	}
	return strings.Join(out, "\n")
}

// Without the Node object, the runtime in commands is the one the data
// names — the Docker daemon, cri-o's socket, containerd's — never a default;
// only when nothing names one is containerd assumed, and the step says so.
func TestRuntimeInCommandsFollowsTheEvidence(t *testing.T) {
	for _, tc := range []struct {
		name, line, want, not string
	}{
		{"docker", `"Failed to get docker version" err="Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"`, "systemctl status docker", "containerd"},
		{"cri-o", `remote_runtime.go:390] "ListContainers with filter from runtime service failed" err="rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing dial unix /var/run/crio/crio.sock: connect: connection refused\""`, "systemctl status crio", "containerd"},
		{"containerd", runtimeResetLog, "systemctl status containerd", "docker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mod(func(s *snapshot.Snapshot) { s.Node = nil; s.Config = nil }, kubeletLog(inAnHourOfLog(klines(6, func(int) string { return tc.line })...)...))
			got := commands(Diagnose(s))
			if !strings.Contains(got, tc.want) || strings.Contains(got, tc.not) {
				t.Errorf("commands want %q and no %q:\n%s", tc.want, tc.not, got)
			}
		})
	}
	s := &snapshot.Snapshot{NodeName: "w", CollectedAt: now, KubeletLog: scan(inAnHourOfLog(klines(12, func(int) string { return listContainersTimeout })...)...)}
	for _, c := range Diagnose(s).Causes {
		for _, st := range c.Steps {
			if strings.Contains(st.Run, "containerd") && !strings.Contains(st.Expect, "containerd is assumed") {
				t.Errorf("a guessed runtime is not said: %+v", st)
			}
		}
	}
}

// A node named in the log's node="…" fields is named so in commands, not
// by the short host journald prints.
func TestNodeNameFromTheLogsFields(t *testing.T) {
	log := scan(
		"Nov 27 08:58:00 ip-10-0-3-17 kubelet[1234]: "+klog('I', ago(2*time.Minute), `kubelet_node_status.go:710] "Node became not ready" node="ip-10-0-3-17.eu-west-1.compute.internal" condition={"type":"Ready","status":"False"}`),
		"Nov 27 08:59:00 ip-10-0-3-17 kubelet[1234]: "+klog('E', ago(time.Minute), plegUnhealthyLog),
	)
	if log.Host != "ip-10-0-3-17" || log.NodeName != "ip-10-0-3-17.eu-west-1.compute.internal" {
		t.Errorf("host %q, node %q", log.Host, log.NodeName)
	}
}

// A sandbox whose calls time out is named by its full ID and its pod, and
// stopped with crictl stopp; a pod the log names is force-deleted last.
func TestStuckSandboxIsNamedWithItsPod(t *testing.T) {
	id := cid(7)
	line := func(int) string {
		return `kuberuntime_manager.go:1050] "Failed to stop sandbox" podSandboxID=` + `"` + id + `"` + ` pod="shop/web-1" err="rpc error: code = DeadlineExceeded desc = StopPodSandbox: context deadline exceeded"`
	}
	s := mod(kubeletLog(inAnHourOfLog(klines(5, line)...)...))
	st := s.KubeletLog.Signal(kubelet.RuntimeTimeout)
	if st.ObjectPods[id] != "shop/web-1" || st.ObjectKinds[id] != "sandbox" {
		t.Fatalf("the scanner did not tie %s to its pod: %v %v", shortID(id), st.ObjectPods, st.ObjectKinds)
	}
	f := stuckContainer(s)
	if f == nil {
		t.Fatal("did not fire")
	}
	got := stepsText(f)
	for _, want := range []string{"crictl inspectp " + id, "crictl stopp " + id, "kubectl -n shop delete pod web-1 --grace-period=0 --force"} {
		if !strings.Contains(got, want) {
			t.Errorf("steps lack %q:\n%s", want, got)
		}
	}
	if !strings.Contains(f.Answer, "sandbox "+shortID(id)+" of pod shop/web-1") || strings.Contains(got, "<") {
		t.Errorf("answer %q; steps with a placeholder:\n%s", f.Answer, got)
	}
}

// Parts add up to the whole they break down.
func TestCountsAddUp(t *testing.T) {
	got := countsByName(map[string]int{"ListContainers": 9, "ListPodSandbox": 5, "ContainerStatus": 3, "ImageStatus": 2, "Version": 1, "Status": 1}, 4)
	if got != "ListContainers 9, ListPodSandbox 5, ContainerStatus 3, ImageStatus 2, others 2" {
		t.Errorf("countsByName = %q", got)
	}
}

// A warning never takes the node out of service: its drain becomes a
// cordon; a critical cause keeps the drain as its last step.
func TestStepsAreProportionate(t *testing.T) {
	dense := Diagnose(mod(onNode(withAllocatable("8", "31Gi", "110")), func(s *snapshot.Snapshot) { s.Pods = pods(95) }))
	var density *Cause
	for i := range dense.Causes {
		if dense.Causes[i].ID == CausePodDensity {
			density = &dense.Causes[i]
		}
	}
	if density == nil || density.Severity != Warning {
		t.Fatalf("pod density: %+v", dense.Causes)
	}
	if s := strings.Join(density.Remediation, "\n"); strings.Contains(s, "drain") || !strings.Contains(s, "kubectl cordon worker-3") {
		t.Errorf("a warning's steps:\n%s", s)
	}
	full := Diagnose(mod(onNode(withAllocatable("8", "31Gi", "110")), func(s *snapshot.Snapshot) { s.Pods = pods(110) }))
	if !strings.Contains(commands(full), "kubectl drain worker-3") {
		t.Errorf("a full node (critical) lost its drain:\n%s", commands(full))
	}
}

// The first line is the conclusion: the node, its state, the top cause and
// its command; a healthy node says so in one line.
func TestHeadline(t *testing.T) {
	d := Diagnose(mod(onNode(notReady("PLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s", 16*time.Minute)),
		kubeletLog(inAnHourOfLog(klines(12, func(int) string { return listContainersTimeout })...)...)))
	if !strings.HasPrefix(d.Headline, "worker-3: NotReady 16m — containerd is not answering: 12 runtime calls timed out in 1m50s → on the node: time crictl ps") {
		t.Errorf("headline %q", d.Headline)
	}
	if d.Next == nil || d.Conclusion()+" → "+d.Next.Commandline() != d.Headline {
		t.Errorf("conclusion %q and next %+v do not make the headline", d.Conclusion(), d.Next)
	}
	ok := Diagnose(healthy())
	if ok.Headline != "worker-3: Ready 2h — nothing wrong found" {
		t.Errorf("healthy headline %q", ok.Headline)
	}
	if strings.Contains(ok.Headline, "→") || ok.Next != nil {
		t.Errorf("a healthy node gets a command: %q", ok.Headline)
	}
}
