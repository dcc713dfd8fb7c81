// Command genlog writes a large, realistic kubelet log mixing every format
// kubectl-pleg reads, for the log-analysis benchmark (make bench-logs).
//
//	go run ./hack/genlog -size 500Mi > /tmp/kubelet-big.log
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// lines are the shapes of kubelet log lines of several eras and prefixes;
// %s is the time in the form the shape needs, %d a counter. About 2% carry a
// PLEG or runtime signal, as in a node in trouble.
var shapes = []struct {
	weight int
	format func(t time.Time, n int) string
}{
	{40, func(t time.Time, n int) string {
		return fmt.Sprintf(`%s worker-3 kubelet[2211]: I%s    2211 kubelet.go:2400] "SyncLoop (PLEG): event for pod" pod="default/web-%d" event={"ID":"5f3c","Type":"ContainerStarted"}`, journal(t), klog(t), n%500)
	}},
	{20, func(t time.Time, n int) string {
		return fmt.Sprintf(`I%s    2211 prober.go:107] "Probe failed" probeType="Readiness" pod="default/api-%d" podUID=3f1c containerName="api" probeResult=failure output="HTTP probe failed with statuscode: 503"`, klog(t), n%300)
	}},
	{15, func(t time.Time, n int) string {
		return fmt.Sprintf(`{"ts":%d.123,"caller":"kubelet/kubelet.go:2453","msg":"SyncLoop UPDATE","v":2,"source":"api","pods":["default/web-%d"]}`, t.UnixMilli(), n%500)
	}},
	{10, func(t time.Time, n int) string {
		return fmt.Sprintf(`%s worker-3 k3s[901]: I%s     901 reconciler_common.go:245] "operationExecutor.VerifyControllerAttachedVolume started for volume" volume="kube-api-access-%d"`, t.UTC().Format("2006-01-02T15:04:05.000000+00:00"), klog(t), n%1000)
	}},
	{10, func(t time.Time, n int) string {
		return fmt.Sprintf(`10.0.0.3: %s worker-3 kubenswrapper[1877]: I%s    1877 kubelet_getters.go:187] "Pod status is inconsistent with cached status for pod" pod="openshift/router-%d"`, journal(t), klog(t), n%50)
	}},
	{1, func(t time.Time, n int) string {
		return fmt.Sprintf(`%s worker-3 kubelet[2211]: E%s    2211 kubelet.go:2412] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active %dm%ds ago; threshold is 3m0s"`, journal(t), klog(t), 3+n%20, n%60)
	}},
	{1, func(t time.Time, n int) string {
		return fmt.Sprintf(`%s worker-3 kubelet[2211]: E%s    2211 remote_runtime.go:625] "ContainerStatus from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" containerID="%064x"`, journal(t), klog(t), n%7)
	}},
	{1, func(t time.Time, n int) string {
		return fmt.Sprintf(`E%s    2211 generic.go:205] GenericPLEG: Unable to retrieve pods: rpc error: code = DeadlineExceeded desc = context deadline exceeded`, klog(t))
	}},
}

func journal(t time.Time) string { return t.UTC().Format("Jan 02 15:04:05.000000") }
func klog(t time.Time) string    { return t.UTC().Format("0102 15:04:05.000000") }

func main() {
	size := flag.String("size", "500Mi", "bytes to write")
	flag.Parse()
	q, err := resource.ParseQuantity(*size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genlog:", err)
		os.Exit(2)
	}
	total := 0
	for _, s := range shapes {
		total += s.weight
	}
	rng := rand.New(rand.NewPCG(1, 2)) // fixed seed: the same file every run
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	t := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	for written, n := int64(0), 0; written < q.Value(); n++ {
		pick := rng.IntN(total)
		for _, s := range shapes {
			if pick -= s.weight; pick < 0 {
				line := s.format(t, n)
				written += int64(len(line)) + 1
				w.WriteString(line)
				w.WriteByte('\n')
				break
			}
		}
		t = t.Add(time.Millisecond)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "genlog:", err)
		os.Exit(1)
	}
}
