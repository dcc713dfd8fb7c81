package diagnose

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
)

// knownBug is a release, or a run of releases, that upstream reports to
// hang or stall the PLEG relist, with the report that says so.
//
// A Node tells the kubelet's, the runtime's and the kernel's versions, not
// runc's: a runc bug is listed under the runtime releases that shipped
// that runc, and its step has the person check `runc --version`.
type knownBug struct {
	// component is "kubelet", "kernel", or the runtime's name in
	// containerRuntimeVersion ("docker", "containerd").
	component string
	// affected are [from, below) ranges; from "" means every earlier
	// release. A single bad release is [v, v+patch).
	affected [][2]string
	// kernelFlavor, for a kernel entry, is the vendor suffix its releases
	// carry ("amzn2"): vendor kernels number their own patches.
	kernelFlavor string
	// onRuntime limits a kubelet bug to nodes of that runtime (dockershim's
	// are the kubelet's own code, but only on Docker).
	onRuntime string
	why       string
	source    string
	// check is what to run on the node to confirm it ("" when the version
	// alone says it).
	check string
}

// knownBugs: each entry's source was read upstream (the issue, pull request
// or release note that names the affected and fixed releases). The relist
// deadlock (kubelet before 1.14) is relistDeadlock, kept apart because a
// stale relist on such a kubelet is most likely it.
var knownBugs = []knownBug{
	{component: "kubelet", affected: [][2]string{{"", "1.17.0"}}, onRuntime: "docker",
		why:    "dockershim before 1.17 waits without limit on a CNI call that never returns, and the relist waits behind it",
		source: "kubernetes#65743, fixed by kubernetes#71653 in 1.17"},
	{component: "kubelet", affected: [][2]string{{"1.21.0", "1.21.5"}},
		why:    "with the systemd cgroup driver on cgroup v1, pod cgroups can be left frozen, and runtime calls on their containers time out",
		source: "kubernetes#104280, fixed in 1.21.5 by kubernetes#104530"},
	{component: "docker", affected: [][2]string{{"", "17.7.0"}},
		why:    "docker ps takes every container's lock: one stuck container hangs docker ps, and with it the relist",
		source: "moby#28183, fixed in 17.07 by moby#31273"},
	{component: "docker", affected: [][2]string{{"18.6.0", "18.9.1"}},
		why:    "Docker 18.06 and 18.09.0 ship containerd 1.1/1.2.0, whose shim hangs when many execs run in a container (docker inspect of it hangs)",
		source: "containerd#2709, fixed in containerd 1.1.5 and 1.2.1"},
	{component: "docker", affected: [][2]string{{"19.3.6", "19.3.7"}},
		why:    "Docker 19.03.6 ships containerd 1.2.12, whose containers and shims can hang (mostly on single-CPU hosts)",
		source: "containerd#4023, fixed in containerd 1.2.13"},
	{component: "docker", affected: [][2]string{{"20.10.5", "20.10.7"}},
		why:    "Docker 20.10.5 and 20.10.6 ship runc 1.0.0-rc93, whose runc init can deadlock: containers stay Created and docker inspect hangs",
		source: "runc#2865, fixed in runc 1.0.0-rc94 by runc#2871", check: "runc --version"},
	{component: "containerd", affected: [][2]string{{"", "1.1.5"}, {"1.2.0", "1.2.1"}},
		why:    "the shim hangs when many execs run in a container, and status calls on it hang",
		source: "containerd#2709, fixed in 1.1.5 and 1.2.1"},
	{component: "containerd", affected: [][2]string{{"1.2.1", "1.2.8"}},
		why:    "a shim deadlock hangs status calls on its container, and the node goes NotReady on PLEG",
		source: "containerd#3529, fixed in 1.2.8 by containerd#3561"},
	{component: "containerd", affected: [][2]string{{"1.2.12", "1.2.13"}},
		why:    "containers and shims can hang (mostly on single-CPU hosts)",
		source: "containerd#4023, fixed in 1.2.13 by containerd#4025"},
	{component: "containerd", affected: [][2]string{{"1.4.4", "1.4.5"}},
		why:    "containerd.io 1.4.4 ships runc 1.0.0-rc93, whose runc init can deadlock: containers stay Created and status calls hang",
		source: "containerd#5274 and runc#2865, fixed in 1.4.5 (runc 1.0.0-rc94)", check: "runc --version"},
	{component: "containerd", affected: [][2]string{{"1.6.22", "1.6.25"}, {"1.7.3", "1.7.8"}},
		why:    "the runc shim deadlocks when a container's process exits early, and every call to that shim hangs",
		source: "containerd#9103, fixed in 1.6.25 and 1.7.8 (containerd#9210, containerd#9209)"},
	{component: "containerd", affected: [][2]string{{"1.6.30", "1.6.31"}, {"1.7.14", "1.7.15"}},
		why:    "with many execs at once the shim loses their exits: exec probes hang",
		source: "containerd#10038 and containerd#10037, fixed in 1.6.31 and 1.7.15"},
	{component: "containerd", affected: [][2]string{{"1.7.0", "1.7.17"}},
		why:    "a shim pipe write that blocks deadlocks containerd's client of that shim, and every call to it hangs",
		source: "containerd/ttrpc#168, fixed in 1.7.17"},
	{component: "kernel", kernelFlavor: "amzn2", affected: [][2]string{{"5.4.214-120.368", "5.4.219-126.411"}},
		why:    "every docker command on an affected container hangs and PLEG flaps",
		source: "awslabs/amazon-eks-ami#1071, fixed in kernel 5.4.219-126.411.amzn2"},
}

// relistDeadlockFixed is the first release with kubernetes#72709 (the relist
// deadlock fix; no backport to 1.11-1.13 is in their release notes).
var relistDeadlockFixed = version.MustParseGeneric("1.14.0")

// matches says whether the component's version v is in one of the bug's
// ranges.
func (b knownBug) matches(v string) bool {
	if b.component == "kernel" {
		return b.matchesKernel(v)
	}
	parsed, err := version.ParseGeneric(v)
	if err != nil {
		return false
	}
	for _, r := range b.affected {
		if (r[0] == "" || parsed.AtLeast(version.MustParseGeneric(r[0]))) && parsed.LessThan(version.MustParseGeneric(r[1])) {
			return true
		}
	}
	return false
}

// kernelNumbers are the numbers of a kernel release in order:
// "5.4.217-126.408.amzn2.x86_64" is 5 4 217 126 408 2 64.
var kernelNumbers = regexp.MustCompile(`\d+`)

func (b knownBug) matchesKernel(release string) bool {
	if !strings.Contains(release, "."+b.kernelFlavor) {
		return false
	}
	for _, r := range b.affected {
		if compareKernel(release, r[0]) >= 0 && compareKernel(release, r[1]) < 0 {
			return true
		}
	}
	return false
}

// compareKernel orders two kernel releases by their numbers, as far as the
// shorter one goes: the flavor and architecture after them do not count.
func compareKernel(a, b string) int {
	an, bn := kernelNumbers.FindAllString(a, -1), kernelNumbers.FindAllString(b, -1)
	for i := 0; i < len(an) && i < len(bn); i++ {
		x, _ := strconv.Atoi(an[i])
		y, _ := strconv.Atoi(bn[i])
		if x != y {
			return x - y
		}
	}
	return 0
}

// knownBugsOf lists, as evidence lines and steps, the known bugs of the
// node's kubelet, runtime and kernel versions.
func knownBugsOf(kubeletVersion, runtimeVersion, kernelVersion string) (evidence []string, steps []Step) {
	runtimeName, runtimeVer, _ := strings.Cut(runtimeVersion, "://")
	for _, b := range knownBugs {
		var label, v string
		switch b.component {
		case "kubelet":
			if b.onRuntime != "" && b.onRuntime != runtimeName {
				continue
			}
			label, v = "kubelet "+kubeletVersion, kubeletVersion
		case "kernel":
			label, v = "kernel "+kernelVersion, kernelVersion
		default:
			if runtimeName != b.component {
				continue
			}
			label, v = "runtime "+runtimeVersion, runtimeVer
		}
		if v == "" || !b.matches(v) {
			continue
		}
		evidence = append(evidence, fmt.Sprintf("%s: %s (%s)", label, b.why, b.source))
		if b.check != "" {
			steps = appendStep(steps, nodeStep("see whether the node runs the affected runc", b.check))
		}
		steps = appendStep(steps, advice(upgradeAdvice(b.component)))
	}
	return evidence, steps
}

// appendStep adds st unless the same step is there already: two bugs of
// one component need one upgrade.
func appendStep(steps []Step, st Step) []Step {
	for _, have := range steps {
		if have == st {
			return steps
		}
	}
	return append(steps, st)
}

func upgradeAdvice(component string) string {
	switch component {
	case "kubelet":
		return "upgrade Kubernetes to a supported release, draining the node first"
	case "kernel":
		return "move the node to a fixed kernel (reboot after the update), draining it first"
	}
	return fmt.Sprintf("upgrade %s to a current release, draining the node first", component)
}
