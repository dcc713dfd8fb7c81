package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Where says where a step's command runs.
type Where string

// Places to run a command.
const (
	// OnNode is a shell on the node itself (ssh, a debug pod, the console).
	OnNode Where = "node"
	// OnCluster is wherever kubectl reaches the cluster.
	OnCluster Where = "cluster"
)

// Step is one next step: what it is for, in words, and the command that
// does it, exactly as it is typed — a report never cuts it, and prints it
// where it copies alone.
type Step struct {
	// Do says what the step is for: "see whether the runtime answers".
	Do string `json:"do"`
	// On says where Run runs ("" for a step without a command).
	On Where `json:"on,omitempty"`
	// Run is the command.
	Run string `json:"run,omitempty"`
	// Expect says what to look for in its output: "a hang confirms it".
	Expect string `json:"expect,omitempty"`
	// LastResort marks a step that takes the node out of service (drain,
	// reboot): only a critical cause keeps it; a lesser one gets a cordon.
	LastResort bool `json:"lastResort,omitempty"`
}

// String is the step in one line, as the remediation list has it:
// "on the node, see whether the runtime answers: time crictl ps (a hang confirms it)".
func (s Step) String() string {
	out := s.Do
	if s.On == OnNode {
		out = "on the node, " + out
	}
	if s.Run != "" {
		out += ": " + s.Run
	}
	if s.Expect != "" {
		out += " (" + s.Expect + ")"
	}
	return out
}

// Commandline is the command as a person runs it, with where: "on the
// node: time crictl ps", or "kubectl cordon worker-3"; "" without one.
func (s Step) Commandline() string {
	if s.On == OnNode && s.Run != "" {
		return "on the node: " + s.Run
	}
	return s.Run
}

// nodeStep is a step whose command runs on the node.
func nodeStep(do, run string) Step { return Step{Do: do, On: OnNode, Run: run} }

// clusterStep is a step whose command runs wherever kubectl works.
func clusterStep(do, run string) Step { return Step{Do: do, On: OnCluster, Run: run} }

// advice is a step with no command to run.
func advice(do string) Step { return Step{Do: do} }

// expecting says what to look for in the step's output.
func (s Step) expecting(what string) Step { s.Expect = what; return s }

// drainStep takes the node out of service, the last resort of a critical cause.
func drainStep(s *snapshot.Snapshot, do string) Step {
	st := clusterStep(do, fmt.Sprintf("kubectl drain %s --ignore-daemonsets --delete-emptydir-data", nodeInCommand(s)))
	st.LastResort = true
	return st
}

// cordonStep keeps new pods off the node without moving the running ones:
// what a warning deserves instead of a drain.
func cordonStep(s *snapshot.Snapshot) Step {
	return clusterStep("keep new pods off the node while you look", "kubectl cordon "+nodeInCommand(s))
}

// dStateStep looks for processes stuck in uninterruptible sleep.
var dStateStep = nodeStep("look for processes stuck in D state (uninterruptible I/O)", "ps -eo state,pid,etime,wchan:32,cmd | awk '$1 ~ /D/'")

// runtimeInfo is the node's container runtime and how to talk to it.
type runtimeInfo struct {
	// name is "containerd", "docker" or "cri-o".
	name string
	// units are the systemd units to restart, in order (cri-dockerd:
	// "docker cri-docker").
	units string
	// cli lists and inspects its containers: crictl, or docker with dockershim.
	cli string
	// assumed says the data names no runtime: containerd is a guess.
	assumed bool
}

// runtimeOf tells the node's runtime from the data, most direct first: the
// Node's containerRuntimeVersion, the kubelet's containerRuntimeEndpoint,
// then what the kubelet and the runtime logged (a "Cannot connect to the
// Docker daemon" names Docker). Docker on a kubelet of 1.24 or later runs
// behind cri-dockerd. Only when nothing names it is containerd assumed.
func runtimeOf(s *snapshot.Snapshot) runtimeInfo {
	kubeletVersion := ""
	if s.Node != nil {
		kubeletVersion = s.Node.Status.NodeInfo.KubeletVersion
		switch v := s.Node.Status.NodeInfo.ContainerRuntimeVersion; {
		case strings.HasPrefix(v, "docker"):
			return dockerRuntime(kubeletVersion, s)
		case strings.HasPrefix(v, "cri-o"):
			return crio
		case strings.HasPrefix(v, "containerd"):
			return containerd
		}
	}
	if s.Config != nil {
		if rt, ok := runtimeNamedIn(s.Config.ContainerRuntimeEndpoint, kubeletVersion, s); ok {
			return rt
		}
	}
	for _, u := range s.Units { // a runtime's own unit, as systemctl showed it
		switch strings.TrimSuffix(u.Name, ".service") {
		case "docker", "cri-docker":
			return dockerRuntime(kubeletVersion, s)
		case "crio", "cri-o":
			return crio
		case "containerd":
			return containerd
		}
	}
	if rt, ok := runtimeNamedIn(runtimeEvidenceText(s), kubeletVersion, s); ok {
		return rt
	}
	rt := containerd
	rt.assumed = true
	return rt
}

var (
	containerd = runtimeInfo{name: "containerd", units: "containerd", cli: "crictl"}
	crio       = runtimeInfo{name: "cri-o", units: "crio", cli: "crictl"}
	criDockerd = runtimeInfo{name: "docker", units: "docker cri-docker", cli: "crictl"}
	dockershim = runtimeInfo{name: "docker", units: "docker", cli: "docker"}
)

// dockerRuntime is Docker through cri-dockerd (kubelet 1.24 and later, or
// when the data names it) or through the kubelet's own dockershim.
func dockerRuntime(kubeletVersion string, s *snapshot.Snapshot) runtimeInfo {
	if v, err := version.ParseGeneric(kubeletVersion); err == nil && v.AtLeast(version.MajorMinor(1, 24)) {
		return criDockerd
	}
	endpoint := ""
	if s.Config != nil {
		endpoint = s.Config.ContainerRuntimeEndpoint
	}
	if strings.Contains(endpoint+runtimeEvidenceText(s), "cri-dockerd") {
		return criDockerd
	}
	return dockershim
}

// dockerWords name Docker in what kubelets and dockershim say of it: the
// daemon ("Cannot connect to the Docker daemon"), its socket, the kubelet's
// own words before 1.5 ("cannot connect to Docker endpoint", "docker:
// failed to get docker version"), the Ready condition's reason, and Docker
// container IDs. "docker.io" is not one: containerd pulls from it too.
var dockerWords = []string{"docker daemon", "docker.sock", "dockershim", "dockerd", "docker endpoint",
	"docker version", "dockerdaemonnotready", "docker://"}

// runtimeNamedIn finds a runtime named in text (a socket path, log lines).
func runtimeNamedIn(text, kubeletVersion string, s *snapshot.Snapshot) (runtimeInfo, bool) {
	lower := strings.ToLower(text)
	switch {
	case strings.Contains(lower, "cri-dockerd"):
		return criDockerd, true
	case slices.ContainsFunc(dockerWords, func(w string) bool { return strings.Contains(lower, w) }):
		return dockerRuntime(kubeletVersion, s), true
	case strings.Contains(lower, "crio.sock"), strings.Contains(lower, "cri-o"):
		return crio, true
	case strings.Contains(lower, "containerd"):
		return containerd, true
	}
	return runtimeInfo{}, false
}

// runtimeEvidenceText is what the data says about the runtime in words:
// the Ready message, the samples of runtime trouble in the logs, the
// messages of runtime-related events.
func runtimeEvidenceText(s *snapshot.Snapshot) string {
	var b strings.Builder
	if r := s.Ready(); r != nil {
		b.WriteString(r.Message + "\n")
	}
	for _, log := range []*kubelet.LogSummary{s.KubeletLog, s.RuntimeLog} {
		for _, sig := range []kubelet.Signal{kubelet.RuntimeDown, kubelet.RuntimeTimeout, kubelet.RelistFailed, kubelet.DaemonError} {
			for _, line := range log.Signal(sig).Samples {
				b.WriteString(line + "\n")
			}
		}
	}
	for _, e := range s.Events {
		if kubelet.ClassifyString(e.Message) != 0 {
			b.WriteString(e.Message + "\n")
		}
	}
	return b.String()
}

// The runtime's steps, named after what they are for.

func (rt runtimeInfo) answersStep() Step {
	run := "time crictl ps; time crictl pods"
	if rt.cli == "docker" {
		run = "time docker ps"
	}
	return rt.noteAssumed(nodeStep("see whether the runtime answers", run).expecting("a hang confirms it"))
}

func (rt runtimeInfo) removeExitedStep() Step {
	run := "crictl rm $(crictl ps -a -q --state exited)"
	if rt.cli == "docker" {
		run = "docker rm $(docker ps -a -q --filter status=exited)"
	}
	return rt.noteAssumed(nodeStep("remove exited containers, each of which every relist inspects", run))
}

func (rt runtimeInfo) journalStep(filter string) Step {
	var units []string
	for _, u := range strings.Fields(rt.units) {
		units = append(units, "-u "+u)
	}
	run := fmt.Sprintf("journalctl %s --since -1h --no-pager", strings.Join(units, " "))
	if filter != "" {
		run += " | " + filter
	}
	return rt.noteAssumed(nodeStep("read what the runtime logged in the last hour", run))
}

func (rt runtimeInfo) statusStep() Step {
	return rt.noteAssumed(nodeStep("see whether the runtime runs", "systemctl status "+rt.units))
}

func (rt runtimeInfo) restartStep() Step {
	return rt.noteAssumed(nodeStep("restart the runtime, then the kubelet", fmt.Sprintf("systemctl restart %s && systemctl restart kubelet", rt.units)))
}

// noteAssumed says when the runtime was guessed: the command may need
// another unit or CLI.
func (rt runtimeInfo) noteAssumed(s Step) Step {
	if rt.assumed {
		s.Expect = strings.TrimPrefix(s.Expect+"; the data names no runtime, containerd is assumed", "; ")
	}
	return s
}

// finishSteps makes every cause's steps proportionate to its severity and
// says them in words: a cause below critical never takes the node out of
// service (a warning's drain becomes a cordon, an info's is dropped), and
// Remediation is each step in one line.
func finishSteps(d *Diagnosis, s *snapshot.Snapshot) {
	for i := range d.Causes {
		c := &d.Causes[i]
		steps := make([]Step, 0, len(c.Steps))
		for _, st := range c.Steps {
			if st.LastResort && c.Severity < Critical {
				if cordon := cordonStep(s); c.Severity == Warning && !slices.Contains(steps, cordon) {
					steps = append(steps, cordon)
				}
				continue
			}
			steps = append(steps, st)
		}
		c.Steps = steps
		c.Remediation = make([]string, len(steps))
		for j, st := range steps {
			c.Remediation[j] = st.String()
		}
		if c.Answer == "" {
			c.Answer = strings.ToLower(c.Title[:1]) + c.Title[1:]
		}
	}
}
