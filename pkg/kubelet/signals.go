// Package kubelet turns what a kubelet and its node produce — log lines, Ready
// condition messages, Prometheus text, /stats/summary, /configz — into typed
// values. It never talks to a cluster and never reads the clock: callers pass
// the text and the reference time in.
package kubelet

import (
	"bytes"
	"strings"
	"time"
)

// Signal is one kind of evidence a kubelet, runtime or kernel message can carry.
// A single line may carry several (for example "container runtime is down,PLEG is
// not healthy: ..."), so signals are bits of a Signals set.
type Signal uint32

const (
	// PLEGUnhealthy: "PLEG is not healthy: pleg was last seen active X ago; threshold is Y".
	PLEGUnhealthy Signal = 1 << iota
	// PLEGNotYetSuccessful: "pleg has yet to be successful" (kubelet just started or never relisted).
	PLEGNotYetSuccessful
	// RelistFailed: "GenericPLEG: Unable to retrieve pods" (the relist itself returned an error).
	RelistFailed
	// RuntimeTimeout: a CRI or docker call hit its deadline (DeadlineExceeded, "operation timeout").
	RuntimeTimeout
	// RuntimeDown: the runtime is unreachable or reports itself not ready.
	RuntimeDown
	// RuntimeStatusPending: "container runtime status check may not have completed yet".
	RuntimeStatusPending
	// NetworkNotReady: the CNI plugin is not ready.
	NetworkNotReady
	// NodeNotReady: the kubelet logged its own Ready=False transition.
	NodeNotReady
	// EventChannelFull: PLEG discarded events because its channel was full.
	EventChannelFull
	// KubeletStarted: the kubelet (re)started its main sync loop.
	KubeletStarted
	// HungTaskNote and OOMInvoked are the other lines of a hung-task and an
	// OOM report ("…hung_task_timeout_secs" disables this message", "java
	// invoked oom-killer"): an excerpt cut through a report keeps one line
	// or the other, so rules count the larger.
	HungTaskNote
	OOMInvoked
	// RuntimeStarted: systemd (or node-problem-detector watching it)
	// starting the container runtime; many of them are a runtime that
	// keeps dying.
	RuntimeStarted
	// OOMKill: the kernel OOM killer killed a process.
	OOMKill
	// HungTask: the kernel reported a task blocked for more than 120 seconds (D state).
	HungTask
	// SlowDiskUsage: the kubelet's du/inode scan of a directory was slow (disk I/O saturation).
	SlowDiskUsage
	// DaemonError: an error- or fatal-level line of the container runtime daemon.
	DaemonError
	// NodeReady: the node became (or was reported) Ready again.
	NodeReady
	// PLEGActive: the relist delivered a pod lifecycle event ("SyncLoop (PLEG)"),
	// so PLEG was working at that moment.
	PLEGActive
	// RuntimeReady: the kubelet found the runtime and its network ready.
	RuntimeReady
	// NodeStatusUnknown: the node controller gave up on the kubelet
	// ("Kubelet stopped posting node status").
	NodeStatusUnknown
	// StatusUpdateFailed: the kubelet cannot post its node status to the
	// API server ("Error updating node status"); repeated, the node turns
	// Unknown.
	StatusUpdateFailed
	// StorageHang: the kernel reports a network filesystem not answering
	// (processes on it hang in D state). The kernel says so once, and once
	// more when the server answers again (StorageRecovered).
	StorageHang
	// StorageRecovered: "nfs: server filer-01 OK", the network filesystem's
	// server answers again.
	StorageRecovered
	// StopTimedOut: the runtime could not stop a container in its grace
	// period and had to kill it ("failed to exit within 30 seconds of signal
	// 15 - using the force"): a container stuck in the kernel.
	StopTimedOut
	// DiskError: the kernel reports a failing disk or filesystem (I/O errors,
	// a device gone offline, ext4/xfs errors).
	DiskError
	// FSReadOnly: the kernel remounted a filesystem read-only, or its
	// journal aborted; writes there fail from then on.
	FSReadOnly
	// DiskTimeout: the disk's controller timed out commands (NVMe, SCSI).
	DiskTimeout
	// KernelLockup: a CPU stuck in the kernel (soft or hard lockup, RCU stall).
	KernelLockup
	// NetdevLeak: "unregister_netdevice: waiting for … to become free": a
	// network device the kernel cannot release, which stalls pod teardown.
	NetdevLeak
	// KernelOops: a kernel BUG, oops or panic.
	KernelOops

	signalEnd
)

// Signals is a set of Signal bits.
type Signals uint32

// Has reports whether s contains sig.
func (s Signals) Has(sig Signal) bool { return uint32(s)&uint32(sig) != 0 }

// Each calls fn for every signal in s, in declaration order.
func (s Signals) Each(fn func(Signal)) {
	for sig := Signal(1); sig < signalEnd; sig <<= 1 {
		if s.Has(sig) {
			fn(sig)
		}
	}
}

var signalNames = map[Signal]string{
	PLEGUnhealthy:        "pleg-unhealthy",
	PLEGNotYetSuccessful: "pleg-not-yet-successful",
	RelistFailed:         "relist-failed",
	RuntimeTimeout:       "runtime-timeout",
	RuntimeDown:          "runtime-down",
	RuntimeStatusPending: "runtime-status-pending",
	NetworkNotReady:      "network-not-ready",
	NodeNotReady:         "node-not-ready",
	EventChannelFull:     "event-channel-full",
	KubeletStarted:       "kubelet-started",
	RuntimeStarted:       "runtime-started",
	HungTaskNote:         "hung-task-note",
	OOMInvoked:           "oom-invoked",
	OOMKill:              "oom-kill",
	HungTask:             "hung-task",
	SlowDiskUsage:        "slow-disk-usage",
	DaemonError:          "daemon-error",
	NodeReady:            "node-ready",
	PLEGActive:           "pleg-active",
	RuntimeReady:         "runtime-ready",
	NodeStatusUnknown:    "node-status-unknown",
	StorageHang:          "storage-hang",
	StorageRecovered:     "storage-recovered",
	StatusUpdateFailed:   "status-update-failed",
	StopTimedOut:         "stop-timed-out",
	DiskError:            "disk-error",
	FSReadOnly:           "fs-read-only",
	DiskTimeout:          "disk-timeout",
	KernelLockup:         "kernel-lockup",
	NetdevLeak:           "netdev-leak",
	KernelOops:           "kernel-oops",
}

// String is the signal's stable name, used in JSON and timelines.
func (s Signal) String() string {
	if n, ok := signalNames[s]; ok {
		return n
	}
	return "unknown"
}

// A matcher maps a literal substring to the signal it proves. The table is the
// single place that knows the exact strings kubelets of every era print
// (../shared/SIGNALS.md); condition messages and log lines both go through it.
type matcher struct {
	text   []byte
	signal Signal
	// context, when set, must also appear in the line: "connection reset by
	// peer" proves a dead runtime only on the runtime's socket, not on the
	// kubelet's connection to the API server.
	context [][]byte
	// except, when set, cancels the match when one of them appears in the line.
	except [][]byte
}

// unless adds texts whose presence cancels the match.
func (mt matcher) unless(texts ...string) matcher {
	for _, t := range texts {
		mt.except = append(mt.except, []byte(t))
	}
	return mt
}

// kernel matches what the kernel says, except in node-problem-detector's
// rules, which quote the kernel's words as patterns ("Rules:[{…
// Pattern:Remounting filesystem read-only}]") in its configuration dump.
func kernel(text string, sig Signal) matcher { return m(text, sig).unless("Pattern:") }

func m(text string, sig Signal, context ...string) matcher {
	mt := matcher{text: []byte(text), signal: sig}
	for _, c := range context {
		mt.context = append(mt.context, []byte(c))
	}
	return mt
}

// runtimeSockets name the runtime in a connection error.
var runtimeSockets = []string{"containerd", "docker", "crio", "cri-o", "runtime"}

// runtimeUnits are the runtimes' systemd units.
var runtimeUnits = []string{"containerd.service", "docker.service", "crio.service"}

// tcpConns mark a Go net error on a TCP connection ("read tcp 10.0.0.3:40022->
// 54.227.20.253:443: read: connection reset by peer"). The runtime socket is a
// unix socket, so a reset on TCP is the API server or an image registry, even
// when the line names "docker.io" or comes from kuberuntime_*.go.
var tcpConns = []string{"read tcp ", "write tcp "}

// tcpDials mark a refused TCP connection ("dial tcp 10.0.0.1:6443: connect:
// connection refused"): the API server, not the runtime's unix socket.
var tcpDials = []string{"dial tcp "}

var matchers = []matcher{
	// "PLEG is not healthy: pleg has yet to be successful" is a kubelet that
	// has not relisted once yet, not a stale relist.
	m("PLEG is not healthy", PLEGUnhealthy).unless("pleg has yet to be successful"),
	m("pleg was last seen active", PLEGUnhealthy),
	m("pleg has yet to be successful", PLEGNotYetSuccessful),
	m("Unable to retrieve pods", RelistFailed), // GenericPLEG, ~1.2 onwards
	m("DeadlineExceeded", RuntimeTimeout),
	// grpc-go before 1.3 (Kubernetes ≤1.7) printed codes as numbers: 4 is DeadlineExceeded.
	m("rpc error: code = 4 desc", RuntimeTimeout),
	m("operation timeout", RuntimeTimeout), // dockershim era
	// The runtime's own log when the kubelet gave up on a call: "CreateCtr:
	// context was either canceled or the deadline was exceeded" (cri-o).
	m("the deadline was exceeded", RuntimeTimeout),
	// cri-o refusing the kubelet's retry of a create that never finished
	// ("error reserving ctr name k8s_… for id …: name is reserved"): the
	// kubelet's call timed out while the runtime still works on it.
	m("error reserving ctr name", RuntimeTimeout),
	m("error reserving pod name", RuntimeTimeout),
	// dockerd answering a client that gave up waiting ("Handler for GET
	// /containers/json returned error: write unix /var/run/docker.sock->@:
	// write: broken pipe"): the kubelet's call timed out.
	m("write: broken pipe", RuntimeTimeout, "docker.sock"),
	m("container runtime is down", RuntimeDown),
	m("container runtime not ready", RuntimeDown),
	m("Container runtime not ready", RuntimeDown),
	m("container runtime is not up", RuntimeDown), // ≤1.1
	m("Cannot connect to the Docker daemon", RuntimeDown),
	m("cannot connect to Docker endpoint", RuntimeDown), // ~1.2
	// The runtime daemon dying under its supervisor: systemd, supervisord.
	m(".service: Main process exited", RuntimeDown, runtimeUnits...),
	m("exited: docker (", RuntimeDown),
	m("exited: containerd (", RuntimeDown),
	m("connection reset by peer", RuntimeDown, runtimeSockets...).unless(tcpConns...),
	m("error reading from server: EOF", RuntimeDown, runtimeSockets...),
	// The runtime's socket refuses or is gone (the daemon stopped):
	// "dial unix /run/containerd/containerd.sock: connect: connection refused".
	m("connect: connection refused", RuntimeDown, runtimeSockets...).unless(tcpDials...),
	// cAdvisor tries every runtime's socket at the kubelet's start: crio's
	// missing on a containerd node is no runtime down.
	// containerd up without its CRI plugin: nothing answers the kubelet.
	m("no plugins registered for io.containerd.cri", RuntimeDown),
	m("failed to load plugin io.containerd.grpc.v1.cri", RuntimeDown),
	m("connect: no such file or directory", RuntimeDown, runtimeSockets...).unless("container factory failed"),
	m("status check may not have completed yet", RuntimeStatusPending),
	m("network not ready", NetworkNotReady), // "container runtime network not ready", "runtime network not ready"
	m("NetworkPluginNotReady", NetworkNotReady),
	m("cni config uninitialized", NetworkNotReady),
	m("cni plugin not initialized", NetworkNotReady),
	m("Node became not ready", NodeNotReady),
	m("status is now: NodeNotReady", NodeNotReady),  // the NodeNotReady event, as controllers and describe print it
	m("Recording NodeNotReady event", NodeNotReady), // ≤1.20
	// The way back: the kubelet records a NodeReady event, a controller
	// sees Ready=True again.
	m("Recording NodeReady event", NodeReady), // ≤1.20
	m(`event="NodeReady"`, NodeReady),         // structured, 1.21+
	m("status is now: NodeReady", NodeReady),  // the event's message
	m("as it just became ready", NodeReady),   // 1.27+: "Fast updating node status as it just became ready"
	m("to &{Ready True", NodeReady),           // node controller: "transitioned from Unknown to &{Ready True ...}"
	m("some Nodes are Ready", NodeReady),      // node controller leaving master disruption mode
	m("SyncLoop (PLEG)", PLEGActive),          // a relist produced an event
	m("RuntimeReady=true", RuntimeReady).unless("NetworkReady=false"),
	m("success: docker entered RUNNING state", RuntimeReady), // supervisord
	m("success: containerd entered RUNNING state", RuntimeReady),
	m("Started Docker Application Container Engine", RuntimeReady), // systemd
	m("Started containerd container runtime", RuntimeReady),
	m("Kubelet stopped posting node status", NodeStatusUnknown),
	m("NodeStatusUnknown", NodeStatusUnknown),
	m("Error updating node status", StatusUpdateFailed), // the kubelet cannot reach the API server
	m("Unable to update node status", StatusUpdateFailed),
	m("Unable to register node with API server", StatusUpdateFailed), // "…" err="Post …/api/v1/nodes: i/o timeout"
	m("Failed to ensure lease exists", StatusUpdateFailed),
	kernel("not responding, still trying", StorageHang), // "nfs: server 10.0.0.5 not responding, still trying"
	kernel("not responding, timed out", StorageHang),    // nfs with soft mounts
	// sunrpc's "%s: server %s OK" when the server answers again.
	m("nfs: server ", StorageRecovered, " OK").unless("not responding"),
	m("lockd: server ", StorageRecovered, " OK").unless("not responding"),
	// The kernel on disks and filesystems (none under 16 bytes: a short
	// text slows the one-pass search of every line).
	kernel("I/O error, dev ", DiskError).unless("I/O error, dev fd0"), // blk_update_request / print_req_error
	kernel("Buffer I/O error on dev", DiskError),
	kernel("rejecting I/O to offline device", DiskError),
	kernel("hostbyte=DID_BAD_TARGET", DiskError),
	kernel("EXT4-fs error (device", DiskError),
	kernel("metadata I/O error", DiskError), // xfs
	kernel("Remounting filesystem read-only", FSReadOnly),
	kernel("remounting filesystem read-only", FSReadOnly),
	kernel("Aborting journal on device", FSReadOnly),
	kernel("xfs_do_force_shutdown", FSReadOnly),
	kernel("timeout, aborting", DiskTimeout),          // "nvme nvme0: I/O 12 QID 3 timeout, aborting"
	kernel("timeout, reset controller", DiskTimeout),  // nvme
	kernel("timing out command, waited", DiskTimeout), // scsi
	// The kernel on itself.
	kernel("BUG: soft lockup", KernelLockup),
	kernel("soft lockup - CPU#", KernelLockup),
	kernel("detected hard LOCKUP", KernelLockup),
	kernel("detected stalls on CPU", KernelLockup), // rcu_sched / rcu_preempt
	kernel("self-detected stall on CPU", KernelLockup),
	kernel("unregister_netdevice: waiting for", NetdevLeak),
	kernel("BUG: unable to handle", KernelOops),
	kernel("Kernel panic - not syncing", KernelOops),
	kernel("general protection fault", KernelOops),
	m("failed to exit within", StopTimedOut),              // dockerd: "Container ID failed to exit within 30 seconds of signal 15 - using the force"
	m("Event channel is full", EventChannelFull),          // klog.ErrorS, 1.21+
	m("event channel is full", EventChannelFull),          // glog/klog.Error before 1.21
	m("event channel capacity is full", EventChannelFull), // EventedPLEG
	m("Starting kubelet main sync loop", KubeletStarted),
	m("Reason:ContainerdStart", RuntimeStarted), // node-problem-detector's systemd-monitor
	m("Reason:DockerStart Message", RuntimeStarted),
	m("Starting containerd.service", RuntimeStarted),
	m("Starting Docker Application Container Engine", RuntimeStarted),
	m("Starting Container Runtime Interface for OCI", RuntimeStarted), // crio.service
	kernel("ut of memory: Kill", OOMKill),                             // "Out of memory: Killed process", "Memory cgroup out of memory: Kill process"
	kernel("blocked for more than", HungTask),
	kernel("hung_task_timeout_secs", HungTaskNote),
	kernel("invoked oom-killer", OOMInvoked),
	m("disk usage and inodes count on following dirs took", SlowDiskUsage),
	m("du and find on following dirs took", SlowDiskUsage), // cadvisor's older wording (kubelets ≤ ~1.10)
	// logrus text lines of containerd, dockerd and cri-o: `level=error msg="..."`.
	m("level=error msg=", DaemonError),
	m("level=fatal msg=", DaemonError),
}

// Classify returns the signals that text (one log line or one condition message) carries.
func Classify(text []byte) Signals {
	var s Signals
	// The prefilter finds which matcher texts occur in one pass over text,
	// instead of one search per matcher.
	signalPrefilter.each(text, func(i int) {
		mt := &matchers[i]
		if !s.Has(mt.signal) && containsAny(text, mt.context) &&
			(len(mt.except) == 0 || !containsAny(text, mt.except)) {
			s |= Signals(mt.signal)
		}
	})
	return s
}

// containsAny reports whether text holds one of subs; no subs means no condition.
func containsAny(text []byte, subs [][]byte) bool {
	if len(subs) == 0 {
		return true
	}
	for _, sub := range subs {
		if bytes.Contains(text, sub) {
			return true
		}
	}
	return false
}

// ClassifyString is Classify for condition messages and event texts.
func ClassifyString(text string) Signals { return Classify([]byte(text)) }

// PLEGStaleness is what a "pleg was last seen active X ago; threshold is Y"
// message says.
type PLEGStaleness struct {
	Stale     time.Duration
	Threshold time.Duration
}

// ParsePLEGStaleness reads the staleness and threshold out of a PLEG message in
// any of its forms (bracketed lists, klog quoting, a provider's trailing dot).
func ParsePLEGStaleness(text string) (PLEGStaleness, bool) {
	return parsePLEGStaleness([]byte(text))
}

// parsePLEGStaleness is ParsePLEGStaleness on a log line, without copying it.
func parsePLEGStaleness(text []byte) (PLEGStaleness, bool) {
	seen, thr := []byte("last seen active "), []byte("threshold is ")
	i := bytes.Index(text, seen)
	if i < 0 {
		return PLEGStaleness{}, false
	}
	rest := text[i+len(seen):]
	stale, ok := leadingDuration(rest)
	if !ok {
		return PLEGStaleness{}, false
	}
	p := PLEGStaleness{Stale: stale}
	if j := bytes.Index(rest, thr); j >= 0 {
		p.Threshold, _ = leadingDuration(rest[j+len(thr):])
	}
	return p, true
}

// leadingDuration parses the Go duration at the start of s ("16m6.2s ago;").
func leadingDuration(s []byte) (time.Duration, bool) {
	end := 0
	// The set holds every byte a Go duration uses, µ's two UTF-8 bytes included.
	for end < len(s) && strings.IndexByte("0123456789.hmsuµn", s[end]) >= 0 {
		end++
	}
	d, err := time.ParseDuration(strings.TrimRight(string(s[:end]), "."))
	return d, err == nil
}
