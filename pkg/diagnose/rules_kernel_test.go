package diagnose

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// systemLog replaces the healthy node's system log with lines.
func systemLog(lines ...string) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) { s.SystemLog = scan(lines...) }
}

const (
	nfsGone = "nfs: server filer-01 not responding, still trying"
	nfsBack = "nfs: server filer-01 OK"
	hungNFS = "INFO: task writer:48211 blocked for more than 120 seconds."
)

func TestStorageHung(t *testing.T) {
	runRule(t, storageHung, []ruleCase{
		{name: "a healthy node", snap: healthy(), want: nil},
		{
			// The kernel says it once and again only when the server answers:
			// forty quiet minutes after it are no recovery.
			name: "an NFS server not responding, said once long ago",
			snap: mod(systemLog(
				kernelLine(ago(40*time.Minute), nfsGone),
				kernelLine(ago(time.Minute), "eth0: link up"),
			)),
			want: &want{sev: Warning, conf: Low, evidence: []string{
				"1× network filesystem not responding", "nothing after it says it recovered", "latest: ", "filer-01",
			}},
		},
		{
			name: "an NFS server that answered again is history",
			snap: mod(systemLog(
				kernelLine(ago(40*time.Minute), nfsGone),
				kernelLine(ago(35*time.Minute), nfsBack),
				kernelLine(ago(time.Minute), "eth0: link up"),
			)),
			want: &want{sev: Info, conf: Low, evidence: []string{"then storage-recovered after it"}, notEvidence: []string{"hung task"}},
		},
		{
			name: "another NFS server answering again ends no hang",
			snap: mod(systemLog(
				kernelLine(ago(40*time.Minute), nfsGone),
				kernelLine(ago(35*time.Minute), "nfs: server filer-02 OK"),
				kernelLine(ago(time.Minute), "eth0: link up"),
			)),
			want: &want{sev: Warning, conf: Low, evidence: []string{"nothing after it says it recovered"}},
		},
		{
			name: "NFS gone, its writers hung, the node NotReady",
			snap: mod(onNode(notReady("PLEG is not healthy: pleg was last seen active 4m2s ago; threshold is 3m0s", time.Minute)), systemLog(
				kernelLine(ago(40*time.Minute), nfsGone),
				kernelLine(ago(30*time.Minute), hungNFS),
				kernelLine(ago(10*time.Minute), hungNFS),
			)),
			want: &want{sev: Critical, conf: High, evidence: []string{
				"nothing after it says it recovered", "2× hung task (blocked for more than 120 seconds) in system log",
			}},
		},
		{
			name: "one stray I/O error on a working node",
			snap: mod(systemLog(
				kernelLine(ago(30*time.Minute), "blk_update_request: I/O error, dev sr0, sector 0 op 0x0:(READ)"),
				kernelLine(ago(time.Minute), "eth0: link up"),
			)),
			want: &want{sev: Info, conf: Low, evidence: []string{"1× disk or filesystem I/O error"}},
		},
		{
			name: "a filesystem remounted read-only stays so",
			snap: mod(systemLog(
				kernelLine(ago(50*time.Minute), "EXT4-fs error (device sdb1): ext4_journal_check_start:83: Detected aborted journal"),
				kernelLine(ago(50*time.Minute), "EXT4-fs (sdb1): Remounting filesystem read-only"),
				kernelLine(ago(time.Minute), "eth0: link up"),
			)),
			want: &want{sev: Warning, conf: Low, evidence: []string{"filesystem remounted read-only", "disk or filesystem I/O error"}},
		},
		{
			name: "node-problem-detector says the filesystem is read-only",
			snap: mod(onNode(withCondition("ReadonlyFilesystem", corev1.ConditionTrue, "FilesystemIsReadOnly", "Filesystem is read-only", time.Hour))),
			want: &want{sev: Warning, conf: High, evidence: []string{"node-problem-detector: ReadonlyFilesystem=True"}},
		},
		{
			// node-problem-detector logs its rules at start: its patterns
			// are not the kernel speaking.
			name: "node-problem-detector's own patterns",
			snap: mod(systemLog(jline(ago(time.Minute), "node-problem-detector", `I1127 08:59:00.000000 1 log_monitor.go:79] Finish parsing log monitor config file: {... Pattern:nfs: server .* not responding, still trying ...}`))),
			want: nil,
		},
	})
}

func TestKernelTrouble(t *testing.T) {
	const (
		lockup = "watchdog: BUG: soft lockup - CPU#3 stuck for 23s! [containerd:1234]"
		netdev = "unregister_netdevice: waiting for eth0 to become free. Usage count = 1"
	)
	runRule(t, kernelTrouble, []ruleCase{
		{name: "a healthy node", snap: healthy(), want: nil},
		{
			name: "a soft lockup on a working node",
			snap: mod(systemLog(kernelLine(ago(20*time.Minute), lockup), kernelLine(ago(time.Minute), "eth0: link up"))),
			want: &want{sev: Warning, conf: Low, evidence: []string{"1× CPU lockup or RCU stall in system log", "containerd:1234"}},
		},
		{
			name: "soft lockups with the node NotReady",
			snap: mod(onNode(notReady("PLEG is not healthy: pleg was last seen active 3m30s ago; threshold is 3m0s", time.Minute)),
				systemLog(kernelLine(ago(3*time.Minute), lockup), kernelLine(ago(2*time.Minute), lockup), kernelLine(ago(time.Minute), lockup))),
			want: &want{sev: Critical, conf: High, evidence: []string{"3× CPU lockup or RCU stall"}},
		},
		{
			// Two are a note (a pod's teardown took a while); three and on,
			// the device is leaked.
			name: "two netdevice waits are a note",
			snap: mod(systemLog(kernelLine(ago(20*time.Minute), netdev), kernelLine(ago(19*time.Minute), netdev), kernelLine(ago(time.Minute), "eth0: link up"))),
			want: &want{sev: Info, conf: Medium, evidence: []string{"2× unregister_netdevice waiting"}},
		},
		{
			name: "node-problem-detector says the kernel deadlocked",
			snap: mod(onNode(withCondition("KernelDeadlock", corev1.ConditionTrue, "DockerHung", "kernel: INFO: task docker:20744 blocked for more than 120 seconds.", time.Hour))),
			want: &want{sev: Warning, conf: High, evidence: []string{"node-problem-detector: KernelDeadlock=True (DockerHung"}},
		},
	})
}
