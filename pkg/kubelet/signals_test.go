package kubelet

import (
	"strings"
	"testing"
	"time"
)

// sigs builds a Signals set for test expectations.
func sigs(list ...Signal) Signals {
	var s Signals
	for _, sig := range list {
		s |= Signals(sig)
	}
	return s
}

// names lists the signals of s, for readable failure messages.
func names(s Signals) string {
	var out []string
	s.Each(func(sig Signal) { out = append(out, sig.String()) })
	return "[" + strings.Join(out, " ") + "]"
}

const (
	testContainerID = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
	testSandboxID   = "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
	testDigest      = "2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Signals
	}{
		// Kubelet log lines, oldest era first (SIGNALS.md §2).
		// sunrpc says a server is gone once, and once more when it answers.
		{
			name: "kernel: NFS server not responding",
			text: `Nov 27 07:46:00 worker-3 kernel: [1043622.118730] nfs: server filer-01 not responding, still trying`,
			want: sigs(StorageHang),
		},
		{
			name: "kernel: NFS server answers again",
			text: `Nov 27 08:02:11 worker-3 kernel: [1044593.004512] nfs: server filer-01 OK`,
			want: sigs(StorageRecovered),
		},
		{
			name: "kernel: lockd's server answers again",
			text: `[Thu Nov 27 08:02:11 2026] lockd: server 10.0.0.5 OK`,
			want: sigs(StorageRecovered),
		},
		{
			name: "an ordinary line with a server and an OK is no NFS recovery",
			text: `I1127 08:02:11.000000 1 log.go:1] "Probe" url="http://api: server responded OK"`,
			want: 0,
		},
		{
			name: "1.1 runtime not up",
			text: `I0914 11:02:07.414350    1016 kubelet.go:2122] Skipping pod synchronization, container runtime is not up.`,
			want: sigs(RuntimeDown),
		},
		{
			name: "1.2 GenericPLEG with dockertools timeout",
			text: `E0321 16:40:11.901123    2712 generic.go:192] GenericPLEG: Unable to retrieve pods: operation timeout: context deadline exceeded`,
			want: sigs(RelistFailed, RuntimeTimeout),
		},
		{
			name: "1.6 node status with numeric grpc code",
			text: `E0607 10:28:35.104711    1432 remote_runtime.go:163] ListPodSandbox with filter "nil" from runtime service failed: rpc error: code = 4 desc = context deadline exceeded`,
			want: sigs(RuntimeTimeout),
		},
		{
			name: "1.6 Node became not ready",
			text: `I0607 10:31:40.383466    1432 kubelet_node_status.go:410] Node became not ready: {Type:Ready Status:False LastHeartbeatTime:2017-06-07 10:31:40.383438 +0000 UTC LastTransitionTime:2017-06-07 10:31:40.383438 +0000 UTC Reason:KubeletNotReady Message:PLEG is not healthy: pleg was last seen active 3m5.30617997s ago; threshold is 3m0s}`,
			want: sigs(NodeNotReady, PLEGUnhealthy),
		},
		{
			name: "1.9 bracketed list with runtime down",
			text: `I0712 07:23:50.679120    2345 kubelet.go:1820] skipping pod synchronization - [container runtime is down, PLEG is not healthy: pleg was last seen active 16h17m9.1s ago; threshold is 3m0s]`,
			want: sigs(RuntimeDown, PLEGUnhealthy),
		},
		{
			name: "1.9 lowercase event channel full (klog.Error before 1.21)",
			text: `E0712 07:23:51.007720    2345 generic.go:271] event channel is full, discard this relist() cycle event`,
			want: sigs(EventChannelFull),
		},
		{
			name: "1.12 kubelet just started",
			text: `I1127 08:05:12.100301    1187 kubelet.go:1839] skipping pod synchronization - [container runtime status check may not have completed yet, PLEG is not healthy: pleg has yet to be successful]`,
			want: sigs(RuntimeStatusPending, PLEGNotYetSuccessful),
		},
		{
			name: "1.16 setters.go with m=+ suffix",
			text: `I1127 08:10:01.223344    1187 setters.go:555] Node became not ready: {Type:Ready Status:False LastHeartbeatTime:2020-11-27 08:10:01.223311 +0000 UTC m=+300.123456789 LastTransitionTime:2020-11-27 08:10:01.223311 +0000 UTC m=+300.123456789 Reason:KubeletNotReady Message:PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s}`,
			want: sigs(NodeNotReady, PLEGUnhealthy),
		},
		{
			name: "1.21 structured skipping",
			text: `E1127 08:09:46.700050    2211 kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s"`,
			want: sigs(PLEGUnhealthy),
		},
		{
			name: "1.21 structured ContainerStatus timeout",
			text: `E1127 08:06:40.512150    2211 remote_runtime.go:432] "ContainerStatus from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" containerID="` + testContainerID + `"`,
			want: sigs(RuntimeTimeout),
		},
		{
			name: "1.21 structured event channel full",
			text: `E1127 08:12:15.600050    2211 generic.go:256] "Event channel is full, discard this relist() cycle event"`,
			want: sigs(EventChannelFull),
		},
		{
			name: "EventedPLEG channel capacity",
			text: `E1127 08:12:15.600050    2211 evented.go:221] "EventedPLEG: pleg event channel capacity is full with 1000 events"`,
			want: sigs(EventChannelFull),
		},
		{
			name: "JSON logging",
			text: `{"ts":1795767001123.456,"caller":"kubelet/kubelet.go:2412","msg":"Skipping pod synchronization","v":0,"err":"PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s"}`,
			want: sigs(PLEGUnhealthy),
		},
		{
			name: "CNI not ready",
			text: `E1127 08:12:14.500050    2211 kubelet.go:2916] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"`,
			want: sigs(NetworkNotReady),
		},
		{
			name: "docker daemon unreachable",
			text: `E0712 07:23:52.330118    2345 kuberuntime_manager.go:859] getPodContainerStatuses for pod "web-0_default(5d0f6a2e-85b1-11e8-9a3c-0a58ac1f0b12)" failed: rpc error: code = Unknown desc = Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?`,
			want: sigs(RuntimeDown),
		},
		{
			name: "reset on the containerd socket",
			text: `E1127 08:14:21.300001    1187 remote_runtime.go:207] ListPodSandbox with filter nil from runtime service failed: rpc error: code = Unavailable desc = error reading from server: read unix @->/run/containerd/containerd.sock: read: connection reset by peer`,
			want: sigs(RuntimeDown),
		},
		{
			name: "EOF from the runtime service",
			text: `E1127 08:12:13.400050    2211 remote_runtime.go:633] "Status from runtime service failed" err="rpc error: code = Unavailable desc = error reading from server: EOF"`,
			want: sigs(RuntimeDown),
		},
		{
			name: "reset on the API server connection is not a runtime problem, but the status does not get through",
			text: `E1127 08:12:12.300050    2211 kubelet_node_status.go:540] "Error updating node status, will retry" err="error getting node \"worker-3\": Get \"https://10.0.0.1:6443/api/v1/nodes/worker-3?resourceVersion=0&timeout=10s\": read tcp 10.0.0.3:51234->10.0.0.1:6443: read: connection reset by peer"`,
			want: sigs(StatusUpdateFailed),
		},
		{
			name: "reset on an API watch is not a runtime problem",
			text: `W1127 08:12:12.400050    2211 reflector.go:462] k8s.io/client-go/informers/factory.go:159: watch of *v1.Node ended with: an error on the server ("unable to decode an event from the watch stream: read tcp 10.0.0.3:39450->10.0.0.1:6443: read: connection reset by peer") has prevented the request from succeeding`,
			want: 0,
		},
		{
			name: "reset while pulling from docker.io is a registry problem, not a runtime one",
			text: `E1127 08:12:11.200050    2211 remote_image.go:180] "PullImage from image service failed" err="rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/nginx:1.25\": failed to copy: httpReadSeeker: failed open: failed to do request: Get \"https://registry-1.docker.io/v2/library/nginx/manifests/latest\": read tcp 10.0.0.3:40022->54.227.20.253:443: read: connection reset by peer" image="docker.io/library/nginx:1.25"`,
			want: 0,
		},
		{
			name: "containerd daemon's own registry reset is only a daemon error",
			text: `Nov 27 08:12:11 worker-3 containerd[987]: time="2026-11-27T08:12:11.200000000Z" level=error msg="PullImage \"docker.io/library/nginx:1.25\" failed" error="failed to pull and unpack image: read tcp 10.0.0.3:40022->54.227.20.253:443: read: connection reset by peer"`,
			want: sigs(DaemonError),
		},
		{
			name: "API server timeout is not a runtime timeout",
			text: `E1127 08:12:12.300050    2211 kubelet_node_status.go:540] "Error updating node status, will retry" err="error getting node \"worker-3\": Get \"https://10.0.0.1:6443/api/v1/nodes/worker-3?timeout=10s\": context deadline exceeded"`,
			want: sigs(StatusUpdateFailed),
		},
		// Kernel and daemons.
		{
			name: "kernel OOM",
			text: `Nov 27 08:03:15 worker-5 kernel: [3456853.001122] Out of memory: Killed process 1234 (java) total-vm:2123456kB, anon-rss:1012345kB`,
			want: sigs(OOMKill),
		},
		{
			name: "memory cgroup OOM",
			text: `Nov 27 08:02:11 worker-5 kernel: Memory cgroup out of memory: Killed process 1234 (java) total-vm:8123456kB`,
			want: sigs(OOMKill),
		},
		{
			name: "hung runc",
			text: `Nov 27 08:04:20 worker-5 kernel: [3456918.400001] INFO: task runc:[2:INIT]:4321 blocked for more than 120 seconds.`,
			want: sigs(HungTask),
		},
		{
			name: "slow du (cadvisor wording in kubelets up to ~1.10)",
			text: `I0712 08:04:20.000001    2345 fsHandler.go:135] du and find on following dirs took 1m2.345s: [/var/lib/docker/overlay2/709e904d843733d746e5134e55e3c6553db4c0f5297d5e3c3a86c206bcb6b172/diff /var/lib/docker/containers/158725d2d975]`,
			want: sigs(SlowDiskUsage),
		},
		{
			name: "slow disk usage (kubelet wording)",
			text: `I1127 08:04:20.000001    2211 fsHandler.go:135] fs: disk usage and inodes count on following dirs took 13.233134111s: [/var/lib/docker/overlay2/709e904d843733d746e5134e55e3c6553db4c0f5297d5e3c3a86c206bcb6b172/diff /var/lib/docker/containers/158725d2d975]; will not log again for this container unless duration exceeds 2s`,
			want: sigs(SlowDiskUsage),
		},
		{
			name: "kubelet start",
			text: `I1127 08:01:02.000050    2211 kubelet.go:2337] "Starting kubelet main sync loop"`,
			want: sigs(KubeletStarted),
		},
		{
			name: "ordinary line",
			text: `I1127 08:01:02.000050    2211 kubelet.go:2400] "SyncLoop (housekeeping)"`,
			want: 0,
		},
		// Ready condition messages.
		{
			name: "condition joined without space",
			text: `container runtime is down,PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s`,
			want: sigs(RuntimeDown, PLEGUnhealthy),
		},
		{
			name: "condition runtime network",
			text: `runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:docker: network plugin is not ready: cni config uninitialized`,
			want: sigs(NetworkNotReady),
		},
		{
			name: "condition runtime not ready",
			text: `container runtime not ready: RuntimeReady=false reason:DockerDaemonNotReady message:docker: failed to get docker version: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?`,
			want: sigs(RuntimeDown),
		},
		{name: "empty", text: "", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify([]byte(tt.text))
			if got != tt.want {
				t.Errorf("Classify = %s, want %s", names(got), names(tt.want))
			}
			if s := ClassifyString(tt.text); s != got {
				t.Errorf("ClassifyString = %s, Classify = %s", names(s), names(got))
			}
		})
	}
}

func TestSignalNames(t *testing.T) {
	seen := map[string]Signal{}
	for sig := Signal(1); sig < signalEnd; sig <<= 1 {
		n := sig.String()
		if n == "unknown" {
			t.Errorf("signal %d has no name", sig)
		}
		if prev, dup := seen[n]; dup {
			t.Errorf("signals %d and %d share the name %q", prev, sig, n)
		}
		seen[n] = sig
	}
	if got := signalEnd.String(); got != "unknown" {
		t.Errorf("signalEnd.String() = %q, want unknown", got)
	}
	var order []Signal
	sigs(HungTask, PLEGUnhealthy, RuntimeDown).Each(func(s Signal) { order = append(order, s) })
	if len(order) != 3 || order[0] != PLEGUnhealthy || order[1] != RuntimeDown || order[2] != HungTask {
		t.Errorf("Each order = %v, want declaration order", order)
	}
}

func TestParsePLEGStaleness(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		want   PLEGStaleness
		wantOK bool
	}{
		{
			name:   "1.6 condition message",
			text:   `PLEG is not healthy: pleg was last seen active 3m5.30617997s ago; threshold is 3m0s`,
			want:   PLEGStaleness{Stale: 3*time.Minute + 5306179970*time.Nanosecond, Threshold: 3 * time.Minute},
			wantOK: true,
		},
		{
			name:   "bracketed list",
			text:   `skipping pod synchronization - [container runtime is down, PLEG is not healthy: pleg was last seen active 16h17m4.1s ago; threshold is 3m0s]`,
			want:   PLEGStaleness{Stale: 16*time.Hour + 17*time.Minute + 4100*time.Millisecond, Threshold: 3 * time.Minute},
			wantOK: true,
		},
		{
			name:   "klog structured quoting",
			text:   `"Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 90h19m2.19s ago; threshold is 3m0s"`,
			want:   PLEGStaleness{Stale: 90*time.Hour + 19*time.Minute + 2190*time.Millisecond, Threshold: 3 * time.Minute},
			wantOK: true,
		},
		{
			name:   "JSON escaped quotes",
			text:   `{"msg":"Node became not ready","condition":{"message":"PLEG is not healthy: pleg was last seen active 7m24.0513035s ago; threshold is 3m0s\"}}`,
			want:   PLEGStaleness{Stale: 7*time.Minute + 24051303500*time.Nanosecond, Threshold: 3 * time.Minute},
			wantOK: true,
		},
		{
			name:   "provider's trailing dot",
			text:   `PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s.`,
			want:   PLEGStaleness{Stale: 3*time.Minute + 5300*time.Millisecond, Threshold: 3 * time.Minute},
			wantOK: true,
		},
		{
			name:   "EventedPLEG threshold",
			text:   `PLEG is not healthy: pleg was last seen active 12m1.5s ago; threshold is 10m0s`,
			want:   PLEGStaleness{Stale: 12*time.Minute + 1500*time.Millisecond, Threshold: 10 * time.Minute},
			wantOK: true,
		},
		{
			name:   "microsecond unit",
			text:   `pleg was last seen active 850µs ago; threshold is 3m0s`,
			want:   PLEGStaleness{Stale: 850 * time.Microsecond, Threshold: 3 * time.Minute},
			wantOK: true,
		},
		{
			name:   "no threshold",
			text:   `pleg was last seen active 4m0s ago`,
			want:   PLEGStaleness{Stale: 4 * time.Minute},
			wantOK: true,
		},
		{name: "never successful", text: `PLEG is not healthy: pleg has yet to be successful`},
		{name: "no duration", text: `pleg was last seen active ago; threshold is 3m0s`},
		{name: "unitless number", text: `pleg was last seen active 185 ago`},
		{name: "empty", text: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParsePLEGStaleness(tt.text)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("ParsePLEGStaleness = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
