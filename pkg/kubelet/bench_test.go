package kubelet

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// benchLog generates about size bytes of a node's /var/log/messages during a
// PLEG incident: mostly routine kubelet and containerd chatter in journald,
// RFC 3339 and JSON forms, with one line in fifty carrying a signal.
func benchLog(size int) []byte {
	start := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	b.Grow(size + 1024)
	for i := 0; b.Len() < size; i++ {
		ts := start.Add(time.Duration(i) * 37 * time.Millisecond)
		j := ts.Format("Jan _2 15:04:05.000000")
		k := ts.Format("0102 15:04:05.000000")
		id := fmt.Sprintf("%064x", i%97)
		switch i % 50 {
		case 0:
			fmt.Fprintf(&b, "%s worker-3 kubelet[2211]: E%s    2211 kubelet.go:2412] \"Skipping pod synchronization\" err=\"PLEG is not healthy: pleg was last seen active %s ago; threshold is 3m0s\"\n", j, k, 3*time.Minute+time.Duration(i)*time.Millisecond)
		case 10:
			fmt.Fprintf(&b, "%s worker-3 kubelet[2211]: E%s    2211 remote_runtime.go:432] \"ContainerStatus from runtime service failed\" err=\"rpc error: code = DeadlineExceeded desc = context deadline exceeded\" containerID=\"%s\"\n", j, k, id)
		case 20:
			fmt.Fprintf(&b, "%s worker-3 kernel: [3456853.001122] Out of memory: Killed process %d (java) total-vm:2123456kB, anon-rss:1012345kB\n", j, 1000+i%5000)
		case 30:
			fmt.Fprintf(&b, "{\"ts\":%d.%03d,\"caller\":\"pleg/generic.go:238\",\"msg\":\"GenericPLEG: Unable to retrieve pods\",\"err\":\"rpc error: code = DeadlineExceeded desc = context deadline exceeded\"}\n", ts.UnixMilli(), i%1000)
		case 40:
			fmt.Fprintf(&b, "%s worker-3 kubelet[2211]: E%s    2211 kubelet_node_status.go:540] \"Error updating node status, will retry\" err=\"error getting node \\\"worker-3\\\": Get \\\"https://10.0.0.1:6443/api/v1/nodes/worker-3?timeout=10s\\\": read tcp 10.0.0.3:51234->10.0.0.1:6443: read: connection reset by peer\"\n", j, k)
		case 1, 11, 21, 31, 41:
			fmt.Fprintf(&b, "%s worker-3 containerd[987]: time=\"%s\" level=info msg=\"ImageStatus for \\\"registry.k8s.io/pause:3.9\\\" returns image reference \\\"sha256:%s\\\"\"\n", ts.Format(time.RFC3339Nano), ts.Format(time.RFC3339Nano), id)
		case 2, 12, 22, 32, 42:
			fmt.Fprintf(&b, "%s worker-3 systemd[1]: Started Session %d of user root.\n", j, i)
		default:
			fmt.Fprintf(&b, "%s worker-3 kubelet[2211]: I%s    2211 prober.go:107] \"Probe failed\" probeType=\"Readiness\" pod=\"shop/web-%d\" podUID=%s containerName=\"web\" probeResult=\"failure\" output=\"HTTP probe failed with statuscode: 503\"\n", j, k, i%40, id[:36])
		}
	}
	return b.Bytes()
}

func BenchmarkScanLog(b *testing.B) {
	data := benchLog(4 << 20)
	opts := ScanOptions{Ref: time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC), Idents: KubeletIdents}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, err := scanLog(bytes.NewReader(data), opts)
		if err != nil {
			b.Fatal(err)
		}
		if s.Signal(PLEGUnhealthy).Count == 0 {
			b.Fatal("no PLEG lines found in the generated log")
		}
	}
}

// TestBenchLogIsRealistic keeps the benchmark input honest: it must parse and
// carry the signals it was built with.
func TestBenchLogIsRealistic(t *testing.T) {
	data := benchLog(200 << 10)
	s, err := scanLog(bytes.NewReader(data), ScanOptions{Ref: time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	n := int(s.Lines)
	per50 := func(sig Signal, want int) {
		if got := s.Signal(sig).Count; got < want*(n/50) || got > want*(n/50+1) {
			t.Errorf("%s: %d in %d lines, want about %d per 50", sig, got, n, want)
		}
	}
	per50(PLEGUnhealthy, 1)
	per50(RuntimeTimeout, 2) // ContainerStatus + GenericPLEG
	per50(RelistFailed, 1)
	per50(OOMKill, 1)
	if c := s.Signal(RuntimeDown).Count; c != 0 {
		t.Errorf("API server resets counted as RuntimeDown %d times", c)
	}
	ids := map[int]bool{} // the container IDs the ContainerStatus lines carry
	for i := 10; i < n; i += 50 {
		ids[i%97] = true
	}
	if got := len(s.Signal(RuntimeTimeout).Objects); got != len(ids) {
		t.Errorf("%d objects, want the %d generated (digests excluded)", got, len(ids))
	}
	checkInvariants(t, s)
}
