package e2e

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// watchNode is the scenario node the watch tests fix and break again: it
// starts as pleg-stalled (Ready=False, PLEG stale for 16m).
const watchNode = "watch-recovery"

// kubectlAdmin runs kubectl as the lab's admin (the tests may write; the
// plugin never does).
func kubectlAdmin(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("kubectl", append(args, "--kubeconfig", kubeconfig("admin"))...).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// serveAs switches what the node's simulated kubelet serves to another
// scenario's data (PUT /_sim/serve-as, straight to the simulator).
func serveAs(t *testing.T, node, scenario string) {
	t.Helper()
	port := strings.TrimSpace(kubectlAdmin(t, "get", "node", node, "-o", "jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}"))
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("https://198.18.0.2:%s/_sim/serve-as", port), strings.NewReader(scenario))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("switching %s to %s: %v", node, scenario, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("switching %s to %s: %s", node, scenario, resp.Status)
	}
}

// setReady writes the node's Ready condition, as its kubelet would.
func setReady(t *testing.T, node string, ready bool) {
	t.Helper()
	now := time.Now().UTC().Format(time.RFC3339)
	cond := map[string]string{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
		"lastHeartbeatTime": now, "lastTransitionTime": now}
	if !ready {
		cond["status"], cond["reason"], cond["message"] = "False", "KubeletNotReady", "PLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s"
	}
	patch, _ := json.Marshal(map[string]any{"status": map[string]any{"conditions": []any{cond}}})
	kubectlAdmin(t, "patch", "node", node, "--subresource=status", "--type=strategic", "-p", string(patch))
}

// breakWatchNode puts the node back as it started: its kubelet stalled, NotReady.
func breakWatchNode(t *testing.T) {
	serveAs(t, watchNode, watchNode)
	setReady(t, watchNode, false)
}

// startWatch runs `kubectl pleg watch` as the admin in the background, its
// JSON lines arriving on the returned channel; wait returns its exit code.
func startWatch(t *testing.T, args ...string) (lines <-chan string, wait func() int) {
	t.Helper()
	return startWatchAs(t, kubeconfig("admin"), args...)
}

// startWatchAs is startWatch with the kubeconfig kc.
func startWatchAs(t *testing.T, kc string, args ...string) (lines <-chan string, wait func() int) {
	t.Helper()
	cmd := exec.Command("kubectl", append(append([]string{"pleg", "watch"}, args...), "-o", "json", "--kubeconfig", kc)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if o, ok := parseObservation(sc.Text()); ok {
				t.Logf("watch: %s %s: %s", o.Time.Format("15:04:05.000"), o.Verdict, strings.Join(o.Changes, " | "))
			} else {
				t.Logf("watch: %s", abbreviate(sc.Text()))
			}
			ch <- sc.Text()
		}
	}()
	return ch, func() int {
		<-done
		cmd.Wait()
		if stderr.Len() > 0 {
			t.Logf("watch stderr: %s", stderr.String())
		}
		return cmd.ProcessState.ExitCode()
	}
}

func abbreviate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// observation is the part of a watch line the tests read.
type observation struct {
	Time                time.Time
	Kind, Node, Verdict string
	Changes             []string
	GoalMet             bool
}

func parseObservation(line string) (observation, bool) {
	var o observation
	return o, json.Unmarshal([]byte(line), &o) == nil && o.Kind == "Observation"
}

// firstObservation waits for the watch's first line.
func firstObservation(t *testing.T, lines <-chan string) observation {
	t.Helper()
	select {
	case line := <-lines:
		o, ok := parseObservation(line)
		if !ok {
			t.Fatalf("first line is no observation: %s", line)
		}
		return o
	case <-time.After(time.Minute):
		t.Fatal("no first observation within a minute")
	}
	return observation{}
}

func TestWatch(t *testing.T) {
	needPlugin(t)
	breakWatchNode(t)
	t.Cleanup(func() { breakWatchNode(t) })

	t.Run("until healthy exits 0 within --stable and one interval of the fix", func(t *testing.T) {
		const stable, interval = 5 * time.Second, 2 * time.Second
		started := time.Now()
		lines, wait := startWatch(t, watchNode, "--until", "healthy", "--stable", stable.String(), "--interval", interval.String(), "--timeout", "2m")
		first := firstObservation(t, lines)
		if first.Verdict != "pleg-unhealthy" || first.GoalMet {
			t.Fatalf("first observation %+v, want pleg-unhealthy", first)
		}
		fixed := time.Now()
		serveAs(t, watchNode, "healthy")
		setReady(t, watchNode, true)
		var sawReady bool
		for line := range lines {
			if o, ok := parseObservation(line); ok && strings.Contains(strings.Join(o.Changes, " "), "Ready (was NotReady for") {
				sawReady = true
			}
		}
		code := wait()
		took := time.Since(fixed)
		if code != 0 || !sawReady {
			t.Fatalf("exit %d, saw Ready %v", code, sawReady)
		}
		if limit := stable + interval + 3*time.Second; took > limit {
			t.Errorf("exited %v after the fix, want within %v (--stable + --interval + 3s)", took.Round(time.Millisecond), limit)
		}
		t.Logf("exited 0 %v after the fix", took.Round(time.Millisecond))
		checkWatchRequests(t, started, time.Now(), interval)
	})

	t.Run("an API server restart in the middle is survived", func(t *testing.T) {
		breakWatchNode(t)
		lines, wait := startWatch(t, watchNode, "--until", "healthy", "--stable", "3s", "--interval", "2s", "--timeout", "3m")
		firstObservation(t, lines)
		if err := lab("restart-apiserver"); err != nil {
			t.Fatalf("restarting the API server: %v", err)
		}
		serveAs(t, watchNode, "healthy")
		setReady(t, watchNode, true)
		// Whichever read meets the API server down says so: the node watch's
		// reopen may not (client-go waits out the new server's Retry-After),
		// the /metrics read in the gap does, naming the API server, not the
		// kubelet.
		var said, back bool
		for line := range lines {
			o, _ := parseObservation(line)
			changes := strings.Join(o.Changes, " ")
			said = said || (strings.Contains(changes, "the API server (node) unavailable") || strings.Contains(changes, "cannot reach the API server")) && strings.Contains(changes, "retrying")
			back = back || said && strings.Contains(changes, "answers again")
		}
		if code := wait(); code != 0 || !said || !back {
			t.Errorf("exit %d; said the API server went %v, came back %v", code, said, back)
		}
	})

	t.Run("timeout exits 3 with the last diagnosis", func(t *testing.T) {
		breakWatchNode(t)
		lines, wait := startWatch(t, watchNode, "--until", "healthy", "--timeout", "8s", "--interval", "2s")
		var last string
		for line := range lines {
			last = line
		}
		if code := wait(); code != 3 {
			t.Fatalf("exit %d, want 3", code)
		}
		var d Diagnosis
		if err := json.Unmarshal([]byte(last), &d); err != nil || d.Kind != "Diagnosis" || d.Verdict != "pleg-unhealthy" {
			t.Errorf("last output %q is not the node's last diagnosis (%v)", abbreviate(last), err)
		}
	})
}

// checkWatchRequests reads the audit log for what one watch run sent about
// the watch node: reads only, one WATCH of the node, and after the first
// diagnosis one proxy GET (of /metrics) per interval.
func checkWatchRequests(t *testing.T, from, to time.Time, interval time.Duration) {
	t.Helper()
	var nodeWatches, metricsGets, otherProxy int
	for _, ev := range auditEvents(t, 0) {
		if ev.Stage != "ResponseStarted" && ev.Stage != "ResponseComplete" || !strings.Contains(ev.RequestURI, watchNode) ||
			ev.RequestReceivedTimestamp.Before(from) || ev.RequestReceivedTimestamp.After(to) {
			continue
		}
		if ev.Verb != "get" && ev.Verb != "list" && ev.Verb != "watch" {
			t.Errorf("the watch sent %s %s", ev.Verb, ev.RequestURI)
		}
		switch {
		case ev.Verb == "watch" && strings.HasPrefix(ev.RequestURI, "/api/v1/nodes") && ev.Stage == "ResponseStarted":
			nodeWatches++
		case strings.Contains(ev.RequestURI, "/proxy/metrics") && ev.Stage == "ResponseComplete":
			metricsGets++
		case strings.Contains(ev.RequestURI, "/proxy/") && ev.Stage == "ResponseComplete":
			otherProxy++
		}
	}
	// The first diagnosis reads /metrics once, the follower every interval.
	maxGets := int(to.Sub(from)/interval) + 2
	if nodeWatches != 1 || metricsGets > maxGets || metricsGets < 2 {
		t.Errorf("node watches %d (want 1), /metrics reads %d (want 2..%d over %v)", nodeWatches, metricsGets, maxGets, to.Sub(from).Round(time.Second))
	}
	t.Logf("audit: %d node watch, %d /metrics reads over %v, %d other proxy reads (the first diagnosis)", nodeWatches, metricsGets, to.Sub(from).Round(time.Second), otherProxy)
}
