package kubelet

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The samples in testdata/describe are laid out by text/tabwriter with
// kubectl's own settings (current: padding 2 with spaces; 1.5–1.8: padding 1
// with tabs) from kubectl's own format strings, so their alignment, empty
// cells and trailing blanks are what kubectl prints.

func describeSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "describe", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func describeTime(s string) time.Time {
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return v
}

func parseDescribeString(t testing.TB, s string) *DescribedNode {
	t.Helper()
	ds, err := ParseDescribeNodes(strings.NewReader(s))
	if err != nil {
		t.Fatalf("ParseDescribeNodes: %v", err)
	}
	return ds[0]
}

// describeCond is a condition in one line, for comparing.
func describeCond(c corev1.NodeCondition) string {
	return fmt.Sprintf("%s=%s hb=%s tr=%s %s: %q", c.Type, c.Status,
		c.LastHeartbeatTime.UTC().Format(time.RFC3339), c.LastTransitionTime.UTC().Format(time.RFC3339), c.Reason, c.Message)
}

func describeEventLine(e DescribedEvent) string {
	f := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%s %s x%d first=%s last=%s from=%q %q", e.Type, e.Reason, e.Count, f(e.First), f(e.Last), e.From, e.Message)
}

func describeResources(l corev1.ResourceList) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		out[string(k)] = v.String()
	}
	return out
}

type describeWant struct {
	name       string
	created    string
	capture    string
	labels     int
	label      [2]string // one label, key and value
	taints     []string
	conditions []string
	addresses  []string
	capacity   map[string]string
	alloc      map[string]string
	info       corev1.NodeSystemInfo
	podCIDR    string
	providerID string
	podsTotal  int
	pods       int
	somePods   map[int]DescribedPod
	events     []string
}

func checkDescribed(t *testing.T, d *DescribedNode, w describeWant) {
	t.Helper()
	n := d.Node
	if n.Name != w.name {
		t.Errorf("name = %q, want %q", n.Name, w.name)
	}
	if got := n.CreationTimestamp.UTC().Format(time.RFC3339); got != w.created {
		t.Errorf("created = %s, want %s", got, w.created)
	}
	if got := d.CaptureTime.Format(time.RFC3339); got != w.capture {
		t.Errorf("CaptureTime = %s, want %s", got, w.capture)
	}
	if len(n.Labels) != w.labels || n.Labels[w.label[0]] != w.label[1] {
		t.Errorf("labels = %v, want %d with %s=%q", n.Labels, w.labels, w.label[0], w.label[1])
	}
	var taints []string
	for _, tn := range n.Spec.Taints {
		taints = append(taints, tn.ToString())
	}
	if !reflect.DeepEqual(taints, w.taints) {
		t.Errorf("taints = %q, want %q", taints, w.taints)
	}
	var conds []string
	for _, c := range n.Status.Conditions {
		conds = append(conds, describeCond(c))
	}
	if !reflect.DeepEqual(conds, w.conditions) {
		t.Errorf("conditions:\n got %s\nwant %s", strings.Join(conds, "\n     "), strings.Join(w.conditions, "\n     "))
	}
	var addrs []string
	for _, a := range n.Status.Addresses {
		addrs = append(addrs, string(a.Type)+"="+a.Address)
	}
	if !reflect.DeepEqual(addrs, w.addresses) {
		t.Errorf("addresses = %q, want %q", addrs, w.addresses)
	}
	if got := describeResources(n.Status.Capacity); !reflect.DeepEqual(got, w.capacity) {
		t.Errorf("capacity = %v, want %v", got, w.capacity)
	}
	if got := describeResources(n.Status.Allocatable); !reflect.DeepEqual(got, w.alloc) {
		t.Errorf("allocatable = %v, want %v", got, w.alloc)
	}
	if n.Status.NodeInfo != w.info {
		t.Errorf("node info:\n got %+v\nwant %+v", n.Status.NodeInfo, w.info)
	}
	if n.Spec.PodCIDR != w.podCIDR || n.Spec.ProviderID != w.providerID {
		t.Errorf("podCIDR, providerID = %q, %q; want %q, %q", n.Spec.PodCIDR, n.Spec.ProviderID, w.podCIDR, w.providerID)
	}
	if d.PodsTotal != w.podsTotal || len(d.Pods) != w.pods {
		t.Errorf("PodsTotal, len(Pods) = %d, %d; want %d, %d", d.PodsTotal, len(d.Pods), w.podsTotal, w.pods)
	}
	for i, p := range w.somePods {
		if i >= len(d.Pods) {
			t.Errorf("no pod %d", i)
			continue
		}
		if d.Pods[i] != p {
			t.Errorf("pod %d = %+v, want %+v", i, d.Pods[i], p)
		}
	}
	var events []string
	for _, e := range d.Events {
		events = append(events, describeEventLine(e))
	}
	if !reflect.DeepEqual(events, w.events) {
		t.Errorf("events:\n got %s\nwant %s", strings.Join(events, "\n     "), strings.Join(w.events, "\n     "))
	}
}

var describeSamples = map[string]describeWant{
	"current-healthy.txt": {
		name:    "worker-1",
		created: "2023-11-02T15:04:05Z",
		// The lease renewal (10:15:26) is newer than the heartbeats (10:13:19).
		capture: "2024-03-12T10:15:26Z",
		labels:  7,
		label:   [2]string{"topology.kubernetes.io/zone", "us-east-1a"},
		conditions: []string{
			`MemoryPressure=False hb=2024-03-12T10:13:19Z tr=2024-03-10T07:02:41Z KubeletHasSufficientMemory: "kubelet has sufficient memory available"`,
			`DiskPressure=False hb=2024-03-12T10:13:19Z tr=2024-03-10T07:02:41Z KubeletHasNoDiskPressure: "kubelet has no disk pressure"`,
			`PIDPressure=False hb=2024-03-12T10:13:19Z tr=2024-03-10T07:02:41Z KubeletHasSufficientPID: "kubelet has sufficient PID available"`,
			`Ready=True hb=2024-03-12T10:13:19Z tr=2024-03-10T07:02:53Z KubeletReady: "kubelet is posting ready status. AppArmor enabled"`,
		},
		addresses: []string{"InternalIP=10.0.1.17", "Hostname=worker-1"},
		capacity:  map[string]string{"cpu": "8", "ephemeral-storage": "101430960Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "32779604Ki", "pods": "110"},
		alloc:     map[string]string{"cpu": "7910m", "ephemeral-storage": "92403684617", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "31762772Ki", "pods": "110"},
		info: corev1.NodeSystemInfo{
			MachineID: "ec2a7c3b5f1e4d2a9b8c7d6e5f4a3b2c", SystemUUID: "ec2a7c3b-5f1e-4d2a-9b8c-7d6e5f4a3b2c", BootID: "3c5f9e1a-6b7d-4e2f-8a9c-0d1e2f3a4b5c",
			KernelVersion: "5.15.0-1051-aws", OSImage: "Ubuntu 22.04.3 LTS", OperatingSystem: "linux", Architecture: "amd64",
			ContainerRuntimeVersion: "containerd://1.7.2", KubeletVersion: "v1.28.2", KubeProxyVersion: "v1.28.2",
		},
		podCIDR:    "10.244.1.0/24",
		providerID: "aws:///us-east-1a/i-0a1b2c3d4e5f60718",
		podsTotal:  6,
		pods:       6,
		somePods: map[int]DescribedPod{
			1: {Namespace: "kube-system", Name: "coredns-5dd5756b68-q8w4t", CPURequests: "100m", CPULimits: "0", MemoryRequests: "70Mi", MemoryLimits: "170Mi"},
			5: {Namespace: "shop", Name: "cart-7f9c6d8b4d-2zqlm", CPURequests: "500m", CPULimits: "1", MemoryRequests: "512Mi", MemoryLimits: "1Gi"},
		},
		events: []string{
			// kube-proxy's Starting has an empty message; 2d3h before 10:15:26.
			`Normal Starting x1 first=2024-03-10T07:15:26Z last=2024-03-10T07:15:26Z from="kube-proxy" ""`,
			`Normal RegisteredNode x1 first=2024-03-12T10:14:43Z last=2024-03-12T10:14:43Z from="node-controller" "Node worker-1 event: Registered Node worker-1 in Controller"`,
			`Normal NodeHasSufficientMemory x2 first=2024-03-12T10:06:56Z last=2024-03-12T10:06:56Z from="kubelet" "Node worker-1 status is now: NodeHasSufficientMemory"`,
		},
	},
	"current-pleg-notready.txt": {
		name:    "worker-7",
		created: "2023-08-14T09:30:12Z",
		capture: "2024-05-20T03:41:05Z",
		labels:  6,
		label:   [2]string{"node-role.kubernetes.io/worker", ""},
		taints:  []string{"node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/not-ready:NoSchedule"},
		conditions: []string{
			`MemoryPressure=False hb=2024-05-20T03:40:58Z tr=2024-04-02T11:20:00Z KubeletHasSufficientMemory: "kubelet has sufficient memory available"`,
			`DiskPressure=False hb=2024-05-20T03:40:58Z tr=2024-04-02T11:20:00Z KubeletHasNoDiskPressure: "kubelet has no disk pressure"`,
			`PIDPressure=False hb=2024-05-20T03:40:58Z tr=2024-04-02T11:20:00Z KubeletHasSufficientPID: "kubelet has sufficient PID available"`,
			`Ready=False hb=2024-05-20T03:40:58Z tr=2024-05-20T03:37:47Z KubeletNotReady: "PLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s"`,
		},
		addresses: []string{"InternalIP=10.0.3.21", "ExternalIP=54.210.7.33", "Hostname=worker-7", "InternalDNS=ip-10-0-3-21.ec2.internal"},
		capacity:  map[string]string{"cpu": "8", "ephemeral-storage": "101430960Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "32779604Ki", "pods": "110"},
		alloc:     map[string]string{"cpu": "8", "ephemeral-storage": "101430960Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "32779604Ki", "pods": "110"},
		info: corev1.NodeSystemInfo{
			MachineID: "0f4b2d7e9a1c4e3b8d6f5a2c1e0b9d8f", SystemUUID: "ec2b6d1f-3a9e-7c4d-2b8a-5f6e1d0c9b7a", BootID: "9e8d7c6b-5a4f-3e2d-1c0b-a9f8e7d6c5b4",
			KernelVersion: "5.10.215-203.850.amzn2.x86_64", OSImage: "Amazon Linux 2", OperatingSystem: "linux", Architecture: "amd64",
			ContainerRuntimeVersion: "containerd://1.6.19", KubeletVersion: "v1.27.4-eks-8ccc7ba", KubeProxyVersion: "v1.27.4-eks-8ccc7ba",
		},
		podCIDR:    "10.244.7.0/24",
		providerID: "aws:///us-east-1c/i-07e5d3c1b9a8f6e4d",
		podsTotal:  108,
		pods:       108,
		somePods: map[int]DescribedPod{
			2:   {Namespace: "kube-system", Name: "kube-proxy-9sd4m", CPURequests: "25m", CPULimits: "0", MemoryRequests: "0", MemoryLimits: "0"},
			107: {Namespace: "team-gold", Name: "auth-107-6d9f8c7b5-cede5", CPURequests: "50m", CPULimits: "500m", MemoryRequests: "64Mi", MemoryLimits: "256Mi"},
		},
		events: []string{
			// "3m (x14 over 27h)": last 3m, first 27h before 03:41:05.
			`Normal NodeNotReady x14 first=2024-05-19T00:41:05Z last=2024-05-20T03:38:05Z from="node-controller" "Node worker-7 status is now: NodeNotReady"`,
			`Normal NodeReady x13 first=2024-05-19T01:41:05Z last=2024-05-20T03:32:05Z from="kubelet" "Node worker-7 status is now: NodeReady"`,
			`Normal NodeNotReady x14 first=2024-05-19T00:41:05Z last=2024-05-20T03:37:45Z from="kubelet" "Node worker-7 status is now: NodeNotReady"`,
			`Warning ContainerGCFailed x543 first=2024-05-19T00:41:05Z last=2024-05-20T03:37:05Z from="kubelet" "rpc error: code = DeadlineExceeded desc = context deadline exceeded"`,
			`Warning ImageGCFailed x1 first=2024-05-18T00:41:05Z last=2024-05-18T00:41:05Z from="kubelet" "failed to get imageFs info: non-existent label \"containerd-image\""`,
		},
	},
	"old-1.6-pleg.txt": {
		name:    "worker-3",
		created: "2017-01-02T15:04:05Z",
		capture: "2017-06-14T16:27:38Z",
		labels:  3,
		label:   [2]string{"kubernetes.io/hostname", "worker-3"},
		conditions: []string{
			`OutOfDisk=False hb=2017-06-14T16:27:38Z tr=2017-05-30T08:00:12Z KubeletHasSufficientDisk: "kubelet has sufficient disk space available"`,
			`MemoryPressure=False hb=2017-06-14T16:27:38Z tr=2017-05-30T08:00:12Z KubeletHasSufficientMemory: "kubelet has sufficient memory available"`,
			`DiskPressure=False hb=2017-06-14T16:27:38Z tr=2017-05-30T08:00:12Z KubeletHasNoDiskPressure: "kubelet has no disk pressure"`,
			`Ready=False hb=2017-06-14T16:27:38Z tr=2017-06-14T16:22:42Z KubeletNotReady: "container runtime is down,PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s"`,
		},
		// "10.0.0.3,10.0.0.3,worker-3": kubectl 1.6 drops the types.
		addresses: []string{"InternalIP=10.0.0.3", "Hostname=worker-3"},
		capacity:  map[string]string{"cpu": "8", "memory": "32779604Ki", "pods": "110"},
		alloc:     map[string]string{"cpu": "8", "memory": "32677204Ki", "pods": "110"},
		info: corev1.NodeSystemInfo{
			MachineID: "5b8f0c0e3b2a4a6f9e1d7c3b2a1f0e9d", SystemUUID: "4C4C4544-0047-3510-8058-B4C04F4B3232", BootID: "b7f1c2d3-e4f5-4a6b-8c9d-0e1f2a3b4c5d",
			KernelVersion: "4.4.0-78-generic", OSImage: "Ubuntu 16.04.2 LTS", OperatingSystem: "linux", Architecture: "amd64",
			ContainerRuntimeVersion: "docker://1.12.6", KubeletVersion: "v1.6.4", KubeProxyVersion: "v1.6.4",
		},
		podCIDR:   "10.244.3.0/24",
		podsTotal: 12,
		pods:      12,
		somePods: map[int]DescribedPod{
			0: {Namespace: "default", Name: "app-0-1375632021-abqxk", CPURequests: "100m", CPULimits: "200m", MemoryRequests: "100Mi", MemoryLimits: "160Mi"},
			1: {Namespace: "kube-system", Name: "kube-proxy-7k2xq", CPURequests: "0", CPULimits: "0", MemoryRequests: "0", MemoryLimits: "0"},
		},
		events: []string{
			// FirstSeen, LastSeen, Count; the empty SubObjectPath cell is skipped.
			`Normal Starting x1 first=2017-06-14T16:00:38Z last=2017-06-14T16:00:38Z from="kubelet, worker-3" "Starting kubelet."`,
			`Normal NodeNotReady x3 first=2017-06-14T16:00:38Z last=2017-06-14T16:22:38Z from="kubelet, worker-3" "Node worker-3 status is now: NodeNotReady"`,
			`Normal NodeReady x2 first=2017-06-14T16:01:38Z last=2017-06-14T16:16:38Z from="kubelet, worker-3" "Node worker-3 status is now: NodeReady"`,
			`Warning ContainerGCFailed x7 first=2017-06-14T14:27:38Z last=2017-06-14T16:26:38Z from="kubelet, worker-3" "operation timeout: context deadline exceeded"`,
		},
	},
	"current-ready-unknown.txt": {
		name:    "worker-9",
		created: "2023-11-02T15:04:05Z",
		// The node controller's transition (21:23:31) is newer than the
		// kubelet's last heartbeat (21:22:48) and lease renewal (21:22:58).
		capture: "2024-09-03T21:23:31Z",
		labels:  3,
		label:   [2]string{"kubernetes.io/arch", "arm64"},
		taints:  []string{"node.kubernetes.io/unreachable:NoExecute", "node.kubernetes.io/unreachable:NoSchedule"},
		conditions: []string{
			`MemoryPressure=Unknown hb=2024-09-03T21:22:48Z tr=2024-09-03T21:23:31Z NodeStatusUnknown: "Kubelet stopped posting node status."`,
			`DiskPressure=Unknown hb=2024-09-03T21:22:48Z tr=2024-09-03T21:23:31Z NodeStatusUnknown: "Kubelet stopped posting node status."`,
			`PIDPressure=Unknown hb=2024-09-03T21:22:48Z tr=2024-09-03T21:23:31Z NodeStatusUnknown: "Kubelet stopped posting node status."`,
			`Ready=Unknown hb=2024-09-03T21:22:48Z tr=2024-09-03T21:23:31Z NodeStatusUnknown: "Kubelet stopped posting node status."`,
		},
		addresses: []string{"InternalIP=192.168.10.29", "Hostname=worker-9"},
		capacity:  map[string]string{"cpu": "4", "ephemeral-storage": "61255492Ki", "memory": "8028288Ki", "pods": "110"},
		alloc:     map[string]string{"cpu": "3800m", "ephemeral-storage": "56453061334", "memory": "7311488Ki", "pods": "110"},
		info: corev1.NodeSystemInfo{
			MachineID: "d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6", SystemUUID: "d1e2f3a4-b5c6-d7e8-f9a0-b1c2d3e4f5a6", BootID: "77aa88bb-99cc-00dd-11ee-22ff33aa44bb",
			KernelVersion: "6.1.0-21-arm64", OSImage: "Debian GNU/Linux 12 (bookworm)", OperatingSystem: "linux", Architecture: "arm64",
			ContainerRuntimeVersion: "containerd://1.7.20", KubeletVersion: "v1.30.4", KubeProxyVersion: "v1.30.4",
		},
		podCIDR:    "10.244.9.0/24",
		providerID: "k3s://worker-9",
		podsTotal:  3,
		pods:       3,
		somePods: map[int]DescribedPod{
			1: {Namespace: "kube-system", Name: "calico-node-8fd2q", CPURequests: "250m", CPULimits: "0", MemoryRequests: "0", MemoryLimits: "0"},
		},
		events: nil, // "Events: <none>"
	},
}

func TestParseDescribeNodeSamples(t *testing.T) {
	for name, want := range describeSamples {
		t.Run(name, func(t *testing.T) {
			data := describeSample(t, name)
			if !LooksLikeDescribeNode(data[:min(len(data), 512)]) {
				t.Error("LooksLikeDescribeNode = false")
			}
			ds, err := ParseDescribeNodes(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			d := ds[0]
			checkDescribed(t, d, want)
			if d.Events == nil {
				t.Error("Events is nil: the Events section was read as missing")
			}
		})
	}
}

// describeExpandTabs does what a terminal does to tabs, as when output is copied
// from a terminal window.
func describeExpandTabs(s string) string {
	var b strings.Builder
	col := 0
	for _, r := range s {
		switch r {
		case '\t':
			for {
				b.WriteByte(' ')
				col++
				if col%8 == 0 {
					break
				}
			}
		case '\n':
			b.WriteRune(r)
			col = 0
		default:
			b.WriteRune(r)
			col++
		}
	}
	return b.String()
}

// The same text, as it reaches the tool by other routes, parses the same.
func TestParseDescribeNodeTransport(t *testing.T) {
	transforms := map[string]func(string) string{
		"CRLF":                   func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") },
		"copied from a terminal": describeExpandTabs,
		"with the command line and a BOM": func(s string) string {
			return "\xef\xbb\xbf$ kubectl describe node x\n\n" + s
		},
		"no final newline":       func(s string) string { return strings.TrimSuffix(s, "\n") },
		"followed by a 2nd node": func(s string) string { return s + "\n\nName:  other\nRoles:  <none>\nUnschedulable:  true\n" },
	}
	for name, want := range describeSamples {
		data := string(describeSample(t, name))
		for tname, tr := range transforms {
			t.Run(name+"/"+tname, func(t *testing.T) {
				checkDescribed(t, parseDescribeString(t, tr(data)), want)
			})
		}
	}
}

func TestParseDescribeNodeVariants(t *testing.T) {
	const head = "Name:               worker-7\nRoles:              <none>\n"
	const condHeader = "Conditions:\n" +
		"  Type             Status  LastHeartbeatTime                 LastTransitionTime                Reason                       Message\n" +
		"  ----             ------  -----------------                 ------------------                ------                       -------\n"
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, d *DescribedNode)
	}{{
		name: "bracketed reasons, another zone, empty message",
		in: head + condHeader +
			"  MemoryPressure   False   Mon, 27 May 2019 16:43:12 +0200   Mon, 27 May 2019 14:47:29 +0200   KubeletHasSufficientMemory   \n" +
			"  Ready            False   Mon, 27 May 2019 16:43:12 +0200   Mon, 27 May 2019 16:39:37 +0200   KubeletNotReady              [container runtime is down, PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s]\n",
		check: func(t *testing.T, d *DescribedNode) {
			c := d.Node.Status.Conditions
			if len(c) != 2 || c[0].Message != "" || c[0].Reason != "KubeletHasSufficientMemory" {
				t.Fatalf("conditions = %+v", c)
			}
			if want := "[container runtime is down, PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s]"; c[1].Message != want {
				t.Errorf("message = %q", c[1].Message)
			}
			if want := describeTime("2019-05-27T14:43:12Z"); !c[1].LastHeartbeatTime.Time.Equal(want) || !d.CaptureTime.Equal(want) {
				t.Errorf("heartbeat %v, capture %v; want %v", c[1].LastHeartbeatTime, d.CaptureTime, want)
			}
		},
	}, {
		name: "empty reason cell, message with double spaces",
		in: head + condHeader +
			"  CustomProblem    True    Mon, 27 May 2019 16:43:12 +0000   Mon, 27 May 2019 16:43:12 +0000                                kernel:  task blocked  for more than 120 seconds\n",
		check: func(t *testing.T, d *DescribedNode) {
			c := d.Node.Status.Conditions
			if len(c) != 1 || c[0].Reason != "" || c[0].Message != "kernel:  task blocked  for more than 120 seconds" {
				t.Errorf("conditions = %+v", c)
			}
		},
	}, {
		// Cells separated by one tab each, not aligned (hand-edited text).
		name: "unaligned tab-separated cells",
		in: "Name:\tworker-3\nRole:\t\nConditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n  ----\t------\t-----------------\t------------------\t------\t-------\n" +
			"  OutOfDisk \tFalse \tMon, 02 Jan 2017 15:04:05 +0000 \tMon, 02 Jan 2017 15:00:00 +0000 \tKubeletHasSufficientDisk \tkubelet has sufficient disk space available\n" +
			"  Ready \tFalse \tMon, 02 Jan 2017 15:04:05 +0000 \tMon, 02 Jan 2017 15:01:00 +0000 \tKubeletNotReady \tPLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s\n" +
			"Events:\n  FirstSeen\tLastSeen\tCount\tFrom\tSubObjectPath\tType\tReason\tMessage\n  ---------\t--------\t-----\t----\t-------------\t--------\t------\t-------\n" +
			"  27m\t3m\t14\tkubelet, worker-3\t\tNormal\tNodeNotReady\tNode worker-3 status is now: NodeNotReady\n" +
			"  1h\t1h\t1\tkubelet, worker-3\tspec.containers{x}\tWarning\tUnhealthy\tLiveness probe failed\n",
		check: func(t *testing.T, d *DescribedNode) {
			var got []string
			for _, c := range d.Node.Status.Conditions {
				got = append(got, describeCond(c))
			}
			want := []string{
				`OutOfDisk=False hb=2017-01-02T15:04:05Z tr=2017-01-02T15:00:00Z KubeletHasSufficientDisk: "kubelet has sufficient disk space available"`,
				`Ready=False hb=2017-01-02T15:04:05Z tr=2017-01-02T15:01:00Z KubeletNotReady: "PLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s"`,
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("conditions:\n got %q\nwant %q", got, want)
			}
			var events []string
			for _, e := range d.Events {
				events = append(events, describeEventLine(e))
			}
			wantEvents := []string{
				`Normal NodeNotReady x14 first=2017-01-02T14:37:05Z last=2017-01-02T15:01:05Z from="kubelet, worker-3" "Node worker-3 status is now: NodeNotReady"`,
				`Warning Unhealthy x1 first=2017-01-02T14:04:05Z last=2017-01-02T14:04:05Z from="kubelet, worker-3" "Liveness probe failed"`,
			}
			if !reflect.DeepEqual(events, wantEvents) {
				t.Errorf("events:\n got %q\nwant %q", events, wantEvents)
			}
		},
	}, {
		name: "kubectl 1.10-era events, unknown and invalid ages, no pods permission",
		in: head + condHeader +
			"  Ready            True    Mon, 02 Jul 2018 10:00:00 +0000   Mon, 02 Jul 2018 09:00:00 +0000   KubeletReady                 kubelet is posting ready status\n" +
			"Addresses:\n  InternalIP:  fd00::3\n  Hostname:    worker-7\n" +
			"Pods:                         not authorized\n" +
			"Events:\n" +
			"  Type     Reason                   Age                        From                  Message\n" +
			"  ----     ------                   ----                       ----                  -------\n" +
			"  Normal   Starting                 <unknown>                  kubelet, worker-7     Starting kubelet.\n" +
			"  Normal   NodeHasSufficientDisk    <invalid> (x2 over 5m)     kubelet, worker-7     Node worker-7 status is now: NodeHasSufficientDisk\n" +
			"  Warning  ContainerGCFailed        90s (x3 over 2y10d)        kubelet, worker-7     rpc error: code = Unknown desc = Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
		check: func(t *testing.T, d *DescribedNode) {
			if d.PodsTotal != -1 || len(d.Pods) != 0 {
				t.Errorf("PodsTotal, pods = %d, %d; want -1, 0", d.PodsTotal, len(d.Pods))
			}
			if a := d.Node.Status.Addresses; len(a) != 2 || a[0].Address != "fd00::3" || a[0].Type != corev1.NodeInternalIP {
				t.Errorf("addresses = %+v", a)
			}
			var events []string
			for _, e := range d.Events {
				events = append(events, describeEventLine(e))
			}
			want := []string{
				`Normal Starting x1 first=- last=- from="kubelet, worker-7" "Starting kubelet."`,
				// No last time: First stays what "over" says.
				`Normal NodeHasSufficientDisk x2 first=2018-07-02T09:55:00Z last=- from="kubelet, worker-7" "Node worker-7 status is now: NodeHasSufficientDisk"`,
				`Warning ContainerGCFailed x3 first=2016-06-22T10:00:00Z last=2018-07-02T09:58:30Z from="kubelet, worker-7" "rpc error: code = Unknown desc = Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"`,
			}
			if !reflect.DeepEqual(events, want) {
				t.Errorf("events:\n got %s\nwant %s", strings.Join(events, "\n     "), strings.Join(want, "\n     "))
			}
		},
	}, {
		name: "multi-line event message, prompt pasted after",
		in: head + "Events:\n" +
			"  Type     Reason          Age   From     Message\n" +
			"  ----     ------          ----  ----     -------\n" +
			"  Warning  SystemOOM       5m    kubelet  System OOM encountered, victim process: java, pid: 4242\n" +
			"  Warning  InvalidCapacity 4m    kubelet  first line of the message\n" +
			"second line, printed from column 0\n" +
			"  Normal   NodeNotReady    3m    kubelet  Node worker-7 status is now: NodeNotReady\n" +
			"[root@master ~]# \n",
		check: func(t *testing.T, d *DescribedNode) {
			var got []string
			for _, e := range d.Events {
				got = append(got, e.Reason+": "+e.Message)
			}
			want := []string{
				"SystemOOM: System OOM encountered, victim process: java, pid: 4242",
				"InvalidCapacity: first line of the message",
				"NodeNotReady: Node worker-7 status is now: NodeNotReady",
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("events = %q, want %q", got, want)
			}
		},
	}, {
		name: "no conditions: no capture time, so no event times",
		in:   head + "Labels:  a=b\nEvents:\n  Type    Reason    Age  From     Message\n  ----    ------    ---- ----     -------\n  Normal  Starting  3m   kubelet  Starting kubelet.\n",
		check: func(t *testing.T, d *DescribedNode) {
			if !d.CaptureTime.IsZero() || len(d.Events) != 1 || !d.Events[0].Last.IsZero() || !d.Events[0].First.IsZero() {
				t.Errorf("capture %v, events %+v", d.CaptureTime, d.Events)
			}
		},
	}, {
		name: "unknown sections, invalid quantities, taint with value, unschedulable",
		in: head +
			"Taints:             dedicated=gpu:NoSchedule\n                    node.kubernetes.io/unschedulable:NoSchedule\n" +
			"Unschedulable:      true\n" +
			"FutureSection:\n  Type  Status\n  ----  ------\n  Ready  False\n" +
			"Capacity:\n  cpu:     8\n  memory:  lots\n  nvidia.com/gpu:  2\n",
		check: func(t *testing.T, d *DescribedNode) {
			n := d.Node
			if len(n.Status.Conditions) != 0 {
				t.Errorf("conditions read from an unknown section: %+v", n.Status.Conditions)
			}
			if got := describeResources(n.Status.Capacity); !reflect.DeepEqual(got, map[string]string{"cpu": "8", "nvidia.com/gpu": "2"}) {
				t.Errorf("capacity = %v", got)
			}
			if !n.Spec.Unschedulable || len(n.Spec.Taints) != 2 || n.Spec.Taints[0] != (corev1.Taint{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}) {
				t.Errorf("spec = %+v", n.Spec)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, parseDescribeString(t, tt.in))
		})
	}
}

func TestParseDescribeNodeErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty input"},
		{"blank lines", "\n\n  \n", `no "Name:" line`},
		{"garbage", "lorem ipsum dolor sit amet\nconsectetur: adipiscing\n", `no "Name:" line`},
		{"binary", "\x7fELF\x02\x01\x01\x00\x00\x00\nName: x\x00\n", "binary data"},
		{"kubectl get nodes", "NAME       STATUS     ROLES    AGE   VERSION\nworker-7   NotReady   <none>   98d   v1.27.4\n", `no "Name:" line`},
		{"kubectl get node -o yaml", "apiVersion: v1\nkind: Node\nmetadata:\n  name: worker-7\n", `no "Name:" line`},
		{"kubectl get node -o json", "{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"Node\",\n    \"metadata\": {\n        \"name\": \"worker-7\"\n", `no "Name:" line`},
		{"describe pod", "Name:         nginx-7854ff8877-xk4cv\nNamespace:    default\nPriority:     0\nNode:         worker-9/192.168.10.29\n", `"Namespace:" line`},
		{"name only", "Name:   worker-7\n", `"Name: worker-7" is followed by none of the sections`},
		{"name cut", "Name:", `"Name:" line has no name`},
		{"name and unknown sections", "Name:  worker-7\nFoo:  bar\nBaz:\n  qux\n", `"Name: worker-7" is followed by none of the sections`},
		{"describe namespace", "Name:         default\nLabels:       kubernetes.io/metadata.name=default\nAnnotations:  <none>\nStatus:       Active\n\nNo resource quota.\n\nNo LimitRange resource.\n", `none of the sections a node has`},
		{"describe pv", "Name:            pvc-3f2a\nLabels:          <none>\nStorageClass:    gp2\nStatus:          Bound\nEvents:          <none>\n", `none of the sections a node has`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDescribeNodes(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("no error; got %+v", d)
			}
			if d != nil {
				t.Error("result returned with an error")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "not kubectl describe node output: ") {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if LooksLikeDescribeNode([]byte(tt.in)) {
				t.Error("LooksLikeDescribeNode = true")
			}
		})
	}
}

type describeErrReader struct{ data []byte }

func (r *describeErrReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, errors.New("connection reset by peer")
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestParseDescribeNodeReadError(t *testing.T) {
	_, err := ParseDescribeNodes(&describeErrReader{data: describeSample(t, "current-healthy.txt")[:700]})
	if err == nil || !strings.Contains(err.Error(), "connection reset by peer") {
		t.Errorf("err = %v", err)
	}
}

// Cut anywhere, a sample gives an error or a partial result; cut inside a
// table, the rows before the cut are kept.
func TestParseDescribeNodeTruncated(t *testing.T) {
	for name := range describeSamples {
		data := describeSample(t, name)
		// At each line's start, after its first byte, and in its middle.
		var cuts []int
		for start := 0; start < len(data); {
			end := bytes.IndexByte(data[start:], '\n') + start + 1
			if end <= start {
				end = len(data)
			}
			cuts = append(cuts, start, start+1, (start+end)/2)
			start = end
		}
		cuts = append(cuts, len(data))
		for _, cut := range cuts {
			ds, err := ParseDescribeNodes(bytes.NewReader(data[:cut]))
			if err != nil {
				if ds != nil {
					t.Fatalf("%s cut at %d: result with error", name, cut)
				}
				continue
			}
			if d := ds[0]; d.Node == nil || d.Node.Name == "" {
				t.Fatalf("%s cut at %d: no name", name, cut)
			}
		}
	}
	data := string(describeSample(t, "current-pleg-notready.txt"))
	// Cut in the middle of the name of the 51st pod: section line, header
	// and dashes come before the rows.
	i := strings.Index(data, "Non-terminated Pods:")
	lines := strings.SplitAfter(data[i:], "\n")
	for _, l := range lines[:3+50] {
		i += len(l)
	}
	row := lines[3+50]
	d := parseDescribeString(t, data[:i+40])
	if d.PodsTotal != 108 || len(d.Pods) != 51 || d.Events != nil || len(d.Node.Status.Conditions) != 4 {
		t.Fatalf("PodsTotal %d, pods %d, events %v, conditions %d; want 108, 51, nil (not seen), 4", d.PodsTotal, len(d.Pods), d.Events, len(d.Node.Status.Conditions))
	}
	want := DescribedPod{Namespace: strings.Fields(row)[0], Name: strings.Fields(row[:40])[1]}
	if last := d.Pods[50]; last != want || !strings.HasPrefix(strings.Fields(row)[1], last.Name) || len(last.Name) >= len(strings.Fields(row)[1]) {
		t.Errorf("cut row = %+v, want %+v", last, want)
	}
	// Cut in the middle of a condition's times.
	i = strings.Index(data, "  Ready            False   Mon, 20 May")
	d = parseDescribeString(t, data[:i+33])
	if c := d.Node.Status.Conditions; len(c) != 4 || c[3].Type != "Ready" || c[3].Status != "False" || !c[3].LastHeartbeatTime.IsZero() {
		t.Errorf("conditions = %+v", c)
	}
}

func TestLooksLikeDescribeNode(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"Name:               worker-7\nRoles:              <none>\n", true},
		{"Name:\t\t\tworker-3\nRole:\t\t\t\nLabels:\t\t\ta=b\n", true},
		{"$ kubectl describe node worker-7\nName:  worker-7\nLabels:  a=b\nConditions:\n  Type  Status  LastHeartbeatTime\n", true},
		{"\r\n\r\nName:  worker-7\r\nRoles:  <none>\r\n", true},
		{"Name:         nginx\nNamespace:    default\nPriority:     0\n", false},
		{"Name:  worker-7", false}, // too short to tell
		{"Nov 27 08:10:01 worker-3 kubelet[1234]: Name: x\nRoles:\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := LooksLikeDescribeNode([]byte(tt.in)); got != tt.want {
			t.Errorf("LooksLikeDescribeNode(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseDescribeAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"43s", 43 * time.Second, true},
		{"3m", 3 * time.Minute, true},
		{"3m5s", 3*time.Minute + 5*time.Second, true},
		{"27h", 27 * time.Hour, true},
		{"6h12m", 6*time.Hour + 12*time.Minute, true},
		{"2d3h", 51 * time.Hour, true},
		{"131d", 131 * 24 * time.Hour, true},
		{"2y10d", (2*365 + 10) * 24 * time.Hour, true},
		{"0s", 0, true},
		{"<unknown>", 0, false},
		{"<invalid>", 0, false},
		{"", 0, false},
		{"3", 0, false},
		{"m", 0, false},
		{"3x", 0, false},
		{"-3m", 0, false},
		{"999999y", 0, false},
		{"199y199y", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseDescribeAge(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseDescribeAge(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseDescribeNodes(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "describe", "*"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed files in testdata/describe: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add([]byte(describeExpandTabs(string(b))))
	}
	f.Add([]byte("Name: x\nEvents:\n  Type\tReason\tAge\n  a\tb\t99999999999y (x99999999999 over 1s)\nConditions:\n  Type Status\n  \xff\t\xfe  x\n"))
	f.Add([]byte("Name:\tx\nEvents:\n  FirstSeen\tLastSeen\tCount\tFrom\tSubObjectPath\tType\tReason\tMessage\n  1s\t\tWarning\t\t\t\tNormal\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		LooksLikeDescribeNode(data)
		ds, err := ParseDescribeNodes(bytes.NewReader(data))
		if err != nil {
			if ds != nil {
				t.Fatal("result returned with an error")
			}
			if !strings.HasPrefix(err.Error(), "not kubectl describe node output: ") {
				t.Fatalf("error %q does not say what was expected", err)
			}
			return
		}
		if len(ds) == 0 {
			t.Fatal("no node and no error")
		}
		for _, d := range ds {
			checkFuzzedNode(t, d)
		}
	})
}

func checkFuzzedNode(t *testing.T, d *DescribedNode) {
	if d.Node == nil {
		t.Fatal("result without a node")
	}
	if d.PodsTotal < -1 {
		t.Fatalf("PodsTotal = %d", d.PodsTotal)
	}
	for _, c := range d.Node.Status.Conditions {
		for _, ts := range []time.Time{c.LastHeartbeatTime.Time, c.LastTransitionTime.Time} {
			if ts.After(d.CaptureTime) {
				t.Fatalf("condition time %v after CaptureTime %v", ts, d.CaptureTime)
			}
		}
	}
	for _, e := range d.Events {
		if e.Count < 1 {
			t.Fatalf("event count %d", e.Count)
		}
		if d.CaptureTime.IsZero() && (!e.Last.IsZero() || !e.First.IsZero()) {
			t.Fatalf("event times %v, %v without a capture time", e.First, e.Last)
		}
		if !e.Last.IsZero() && (e.First.After(e.Last) || e.Last.After(d.CaptureTime)) {
			t.Fatalf("event times first %v, last %v, capture %v", e.First, e.Last, d.CaptureTime)
		}
	}
}
