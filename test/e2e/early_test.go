package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The early warning, measured on the real nodes: from the moment of each
// fault, diagnose every few seconds and a watch, as an on-call engineer
// would before the page, timed against the node going NotReady; and on
// the nodes left alone, a soak that must raise nothing.

// lead is what one faulted node showed, each time counted from its fault
// (zero: not seen).
type lead struct {
	fault time.Time
	// diagnose is when a diagnose run that began after the fault returned
	// its first warning or worse (cause: its top one); watch when the
	// watch first printed one.
	diagnose, watch time.Duration
	cause           string
	// alert is when the lab's Prometheus first had one of the shipped
	// alerts firing for the node (alertName: which).
	alert     time.Duration
	alertName string
	// notReady is when the node's Ready condition first was not True.
	notReady time.Duration
	samples  int
	// failed counts diagnose runs that gave no diagnosis; lastErr says why.
	failed  int
	lastErr error
}

func (l *lead) String() string {
	say := func(d time.Duration) string {
		if d == 0 {
			return "never"
		}
		return d.Round(time.Second).String()
	}
	early := "—"
	if l.diagnose > 0 && l.notReady > 0 {
		early = (l.notReady - l.diagnose).Round(time.Second).String()
	}
	alert := "no Prometheus"
	if prometheusURL() != "" {
		alert = say(l.alert)
		if l.alertName != "" {
			alert += " (" + l.alertName + ")"
		}
	}
	s := fmt.Sprintf("diagnose warns %s (%s), watch %s, alert %s, NotReady %s: diagnose %s ahead (%d samples)",
		say(l.diagnose), l.cause, say(l.watch), alert, say(l.notReady), early, l.samples)
	if l.failed > 0 {
		s += fmt.Sprintf("; %d runs gave no diagnosis, the last: %v", l.failed, l.lastErr)
	}
	return s
}

// serious is the top warning-or-worse cause of d, "" when there is none.
func serious(causes []Cause) string {
	for _, c := range causes {
		if c.Severity == "warning" || c.Severity == "critical" {
			return c.ID
		}
	}
	return ""
}

// diagnoseQuietly runs diagnose -o json without a test to log to: the
// followers run beside the test and sample far more often than anyone reads.
func diagnoseQuietly(ctx context.Context, node string) (Diagnosis, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "kubectl", "pleg", "diagnose", node, "-o", "json", "--kubeconfig", kubeconfig("admin")).Output()
	var d Diagnosis
	if jerr := json.Unmarshal(out, &d); jerr != nil {
		return d, fmt.Errorf("diagnose %s: %v (%v)", node, jerr, err)
	}
	return d, nil
}

// followFaults follows each faulted node until stop is called, which
// returns what each showed.
func followFaults(faulted map[string]time.Time, nodes []string, every time.Duration) (stop func() map[string]*lead) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var wg sync.WaitGroup
	leads := map[string]*lead{}
	for _, node := range nodes {
		l := &lead{fault: faulted[node]}
		leads[node] = l
		since := func() time.Duration { return time.Since(l.fault) }
		wg.Add(4)
		go func() { // the shipped alerts in the lab's Prometheus
			defer wg.Done()
			for ctx.Err() == nil && prometheusURL() != "" {
				if firing := firingAlerts(ctx, node); len(firing) > 0 {
					mu.Lock()
					if l.alert == 0 {
						l.alert, l.alertName = since(), firing[0]
					}
					mu.Unlock()
				}
				sleepUntil(ctx, time.Now().Add(2*time.Second))
			}
		}()
		go func() { // diagnose, as someone would run it again and again
			defer wg.Done()
			for ctx.Err() == nil {
				next := time.Now().Add(every)
				d, err := diagnoseQuietly(ctx, node)
				mu.Lock()
				switch {
				case err != nil && ctx.Err() == nil:
					l.failed, l.lastErr = l.failed+1, err
				case err == nil:
					l.samples++
					if c := serious(d.Causes); c != "" && l.diagnose == 0 {
						l.diagnose, l.cause = since(), c
					}
				}
				mu.Unlock()
				sleepUntil(ctx, next)
			}
		}()
		go func() { // the Ready condition, as the kubelet reports it
			defer wg.Done()
			for ctx.Err() == nil {
				if st, _ := readyCondition(node); st != "" && st != "True" {
					mu.Lock()
					if l.notReady == 0 {
						l.notReady = since()
					}
					mu.Unlock()
				}
				sleepUntil(ctx, time.Now().Add(time.Second))
			}
		}()
		go func() { // watch, as a runbook would leave it running
			defer wg.Done()
			cmd := exec.CommandContext(ctx, "kubectl", "pleg", "watch", node, "-o", "json", "--interval", every.String(), "--timeout", "10m", "--kubeconfig", kubeconfig("admin"))
			out, err := cmd.StdoutPipe()
			if err != nil || cmd.Start() != nil {
				return
			}
			sc := bufio.NewScanner(out)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				var o struct {
					Kind   string  `json:"kind"`
					Causes []Cause `json:"causes"`
				}
				if json.Unmarshal(sc.Bytes(), &o) == nil && o.Kind == "Observation" && serious(o.Causes) != "" {
					mu.Lock()
					if l.watch == 0 {
						l.watch = since()
					}
					mu.Unlock()
				}
			}
			cmd.Wait()
		}()
	}
	return func() map[string]*lead {
		cancel()
		wg.Wait()
		return leads
	}
}

// prometheusURL is the lab's Prometheus, "" when it runs none.
func prometheusURL() string {
	b, err := os.ReadFile(filepath.Join(labDir, "prometheus.url"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// firingAlerts are the names of the shipped alerts firing for node in the
// lab's Prometheus.
func firingAlerts(ctx context.Context, node string) []string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, prometheusURL()+"/api/v1/alerts", nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&body) != nil {
		return nil
	}
	var names []string
	for _, a := range body.Data.Alerts {
		if a.State == "firing" && a.Labels["node"] == node {
			names = append(names, a.Labels["alertname"])
		}
	}
	sort.Strings(names)
	return names
}

// soakResult is what diagnose said of a node left alone.
type soakResult struct {
	samples int
	alarms  []string // "12:03:04 runtime-unresponsive: evidence", one per sample that raised any
}

// soak diagnoses nodes every interval until stop; a warning or worse other
// than those allowed for the node is an alarm, and so is any of the shipped
// alerts firing for it in the lab's Prometheus.
func soak(nodes map[string][]string, every time.Duration) (stop func() map[string]*soakResult) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	results := map[string]*soakResult{}
	for node, allowed := range nodes {
		r := &soakResult{}
		results[node] = r
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				next := time.Now().Add(every)
				d, err := diagnoseQuietly(ctx, node)
				if err == nil {
					r.samples++
					for _, c := range d.Causes {
						if (c.Severity == "warning" || c.Severity == "critical") && !slices.Contains(allowed, c.ID) {
							r.alarms = append(r.alarms, fmt.Sprintf("%s %s %s: %s", time.Now().Format("15:04:05"), c.Severity, c.ID, strings.Join(c.Evidence, "; ")))
						}
					}
				}
				if prometheusURL() != "" {
					for _, a := range firingAlerts(ctx, node) {
						r.alarms = append(r.alarms, fmt.Sprintf("%s alert %s firing", time.Now().Format("15:04:05"), a))
					}
				}
				sleepUntil(ctx, next)
			}
		}()
	}
	return func() map[string]*soakResult {
		cancel()
		wg.Wait()
		return results
	}
}

func sleepUntil(ctx context.Context, t time.Time) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(t)):
	}
}

// sortedKeys lists a map's keys in order, for stable logs.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestBenchEarlyWarning is the long form of the early-warning measurement,
// a benchmark rather than CI (make bench-early, about 45 minutes): each
// fault of earlyFaults made PLEG_BENCH_ROUNDS times (default 3) and
// followed to NotReady, the median lead printed; then the healthy and
// dense real nodes soaked for PLEG_BENCH_SOAK (default 30m) with every CPU
// of the machine kept busy, which must raise no false alarm.
func TestBenchEarlyWarning(t *testing.T) {
	if os.Getenv("PLEG_BENCH_EARLY") == "" {
		t.Skip("a benchmark: make bench-early")
	}
	needPlugin(t)
	nodes := realNodes(t)
	for _, n := range append(earlyFaults, "real-healthy", "real-dense") {
		if !nodes[n] {
			t.Skipf("no real node %s in this lab", n)
		}
	}
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("PLEG_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	soakFor := 30 * time.Minute
	if v, err := time.ParseDuration(os.Getenv("PLEG_BENCH_SOAK")); err == nil {
		soakFor = v
	}

	ahead := map[string][]time.Duration{}
	t.Cleanup(func() { // a fatal round leaves no node faulted
		for _, n := range earlyFaults {
			lab("heal", n)
		}
	})
	for round := 1; round <= rounds; round++ {
		faulted := map[string]time.Time{}
		for _, n := range earlyFaults {
			if err := lab("fault", n); err != nil {
				t.Fatalf("fault %s: %v", n, err)
			}
			faulted[n] = time.Now()
		}
		stop := followFaults(faulted, earlyFaults, 5*time.Second)
		// Until every node is NotReady, and a little after.
		deadline := time.Now().Add(6 * time.Minute)
		for time.Now().Before(deadline) {
			down := 0
			for _, n := range earlyFaults {
				if st, _ := readyCondition(n); st != "" && st != "True" {
					down++
				}
			}
			if down == len(earlyFaults) {
				break
			}
			time.Sleep(2 * time.Second)
		}
		time.Sleep(10 * time.Second)
		leads := stop()
		for _, n := range earlyFaults {
			if err := lab("heal", n); err != nil {
				t.Errorf("heal %s: %v", n, err)
			}
		}
		for _, n := range sortedKeys(leads) {
			l := leads[n]
			t.Logf("round %d %s: %s", round, n, l)
			if l.diagnose > 0 && l.notReady > 0 {
				ahead[n] = append(ahead[n], l.notReady-l.diagnose)
			}
		}
		for _, n := range earlyFaults {
			if err := lab("wait-ready", n, "180"); err != nil {
				t.Fatalf("%s did not come back: %v", n, err)
			}
		}
		// The next round's alert must be its own: wait until the last
		// round's have resolved in Prometheus.
		for _, n := range earlyFaults {
			for deadline := time.Now().Add(3 * time.Minute); prometheusURL() != "" && time.Now().Before(deadline); time.Sleep(2 * time.Second) {
				if len(firingAlerts(context.Background(), n)) == 0 {
					break
				}
			}
		}
	}
	for _, n := range sortedKeys(ahead) {
		d := ahead[n]
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		t.Logf("early warning %s: median %v ahead of NotReady over %d rounds (all: %v)", n, d[len(d)/2].Round(time.Second), len(d), d)
	}

	stopBurn := burnCPU()
	stopSoak := soak(map[string][]string{"real-healthy": nil, "real-dense": {"pod-density"}}, 10*time.Second)
	time.Sleep(soakFor)
	soaked := stopSoak()
	stopBurn()
	for _, n := range sortedKeys(soaked) {
		r := soaked[n]
		t.Logf("soak %s: %v with every CPU busy, %d samples every 10s, %d false alarms", n, soakFor, r.samples, len(r.alarms))
		if r.samples < int(soakFor/(20*time.Second)) || len(r.alarms) > 0 {
			t.Errorf("soak %s: %d samples (want one every 10s, at least half), alarms:\n%s", n, r.samples, strings.Join(r.alarms, "\n"))
		}
	}
}

// burnCPU keeps every CPU of the machine busy (the real nodes share them)
// until stopped.
func burnCPU() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				for i := 0; i < 1e6; i++ {
				}
			}
		}()
	}
	return func() { cancel(); wg.Wait() }
}
