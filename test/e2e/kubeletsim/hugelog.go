package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"
)

// hugeLogSpan is the time the generated journal covers, ending at the
// request; inside the plugin's default --since 1h so that only a byte limit
// can protect it.
const hugeLogSpan = 55 * time.Minute

// hugeLogLines is a busy kubelet on a node whose runtime hangs. The
// DeadlineExceeded lines are spread through the whole stream so that any
// window (head, tail, or since) still shows the cause; the PLEG lines start
// once relist has been stale for 3m, as on a real node.
var hugeLogLines = []string{
	`I%s    2211 kubelet.go:2544] "SyncLoop (PLEG): event for pod" pod="shop/web-7f9c6d5b8-%05d" event={"ID":"3f1c2a4e-8d7b-4e55-9a61-%012d","Type":"ContainerStarted","Data":"9b2f4c1e7a3d%052d"}`,
	`I%s    2211 generic.go:413] "Generic (PLEG): container finished" podID="3f1c2a4e-8d7b-4e55-9a61-%012d" containerID="4e0d1c2b3a49%052d" exitCode=%d`,
	`I%s    2211 kubelet.go:2486] "SyncLoop UPDATE" source="api" pods=["shop/api-7f9c6d5b8-%05d"]`,
	`E%s    2211 remote_runtime.go:506] "ListContainers with filter from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" filter="&ContainerFilter{Id:,State:nil,PodSandboxId:,LabelSelector:map[string]string{},}"`,
	`E%s    2211 kubelet.go:2646] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active %s ago; threshold is 3m0s"`,
}

// streamHugeLog writes about size bytes of journal lines ending at now,
// generated on the fly, honoring the query's since/until/tail/pattern.
func streamHugeLog(ctx context.Context, w io.Writer, host string, size int64, now time.Time, q *logQuery) {
	const avgLine = 240 // measured average of the lines above with their prefix (see test)
	n := max(size/avgLine, 1)
	step := hugeLogSpan / time.Duration(n)
	start := now.Add(-hugeLogSpan)
	// Same staleness as the scenario's Ready condition (16m6.2s at capture).
	lastSeen := now.Add(-966200 * time.Millisecond)

	first := int64(0)
	if q.since != nil && q.since.After(start) {
		first = int64(q.since.Sub(start) / step)
	}
	if q.tail >= 0 && n-int64(q.tail) > first {
		first = n - int64(q.tail)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	defer bw.Flush()
	buf := make([]byte, 0, 512)
	lineBuf := make([]byte, 0, 768)
	for i := first; i < n; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return // client went away
		}
		t := start.Add(time.Duration(i) * step).UTC()
		if q.until != nil && t.After(*q.until) {
			break
		}
		klog := t.Add(-37 * time.Microsecond).Format("0102 15:04:05.000000")
		var msg []byte
		switch k := i % 50; {
		case k == 10:
			msg = fmt.Appendf(buf[:0], hugeLogLines[3], klog)
		case k == 35 && t.Sub(lastSeen) > 3*time.Minute:
			ago := t.Sub(lastSeen).Round(100 * time.Millisecond)
			msg = fmt.Appendf(buf[:0], hugeLogLines[4], klog, ago)
		case k%3 == 0:
			msg = fmt.Appendf(buf[:0], hugeLogLines[0], klog, i%100000, i, i)
		case k%3 == 1:
			msg = fmt.Appendf(buf[:0], hugeLogLines[1], klog, i, i, i%2)
		default:
			msg = fmt.Appendf(buf[:0], hugeLogLines[2], klog, i%100000)
		}
		if q.pattern != nil && !q.pattern.Match(msg) {
			continue
		}
		line := t.AppendFormat(lineBuf[:0], "Jan 02 15:04:05.000000")
		line = fmt.Appendf(line, " %s kubelet[2211]: %s\n", host, msg)
		lineBuf = line
		if _, err := bw.Write(line); err != nil {
			return
		}
	}
}
