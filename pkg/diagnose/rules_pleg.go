package diagnose

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// plegThreshold is the relist threshold in force on the node.
func plegThreshold(s *snapshot.Snapshot) time.Duration {
	// configz lists the gates set; the metric every gate's state (a scan
	// with --prometheus reads no configz).
	if s.Config != nil && s.Config.FeatureGates["EventedPLEG"] || s.Metrics != nil && s.Metrics.FeatureGates["EventedPLEG"] {
		return EventedPLEGThreshold
	}
	return PLEGThreshold
}

// metricsStaleness is how long before the metrics were read the kubelet
// last relisted, by kubelet_pleg_last_seen_seconds; ok is false without the
// metric.
func metricsStaleness(s *snapshot.Snapshot) (time.Duration, bool) {
	// Offline data may carry no capture time: then the gauge cannot be
	// judged, and today's clock must not stand in for it.
	if s.Metrics == nil || s.Metrics.PLEGLastSeen == nil || s.CollectedAt.IsZero() {
		return 0, false
	}
	read := s.CollectedAt
	if !s.MetricsAt.IsZero() {
		read = s.MetricsAt
	}
	return read.Sub(*s.Metrics.PLEGLastSeen), true
}

// metricsRead names the moment the relist's age is judged at: the
// collection, or the scrape a Prometheus or a watch read them from.
func metricsRead(s *snapshot.Snapshot) string {
	if s.MetricsAt.IsZero() {
		return "collection"
	}
	return "the scrape"
}

// RelistLate is how long the generic relist has not run, by the metric,
// when that is past RelistLateWarning but not yet the threshold: the node
// is about to be declared NotReady. Zero otherwise, and always with
// EventedPLEG, whose relist runs only every few minutes.
func RelistLate(s *snapshot.Snapshot) time.Duration {
	stale, ok := metricsStaleness(s)
	if !ok || plegThreshold(s) != PLEGThreshold || stale < RelistLateWarning || stale > PLEGThreshold {
		return 0
	}
	return stale
}

// readyPLEG returns the Ready=False condition when it blames PLEG, with the staleness it states.
func readyPLEG(s *snapshot.Snapshot) (*corev1.NodeCondition, kubelet.PLEGStaleness, bool) {
	ready := s.Ready()
	if ready == nil || ready.Status != corev1.ConditionFalse || !kubelet.ClassifyString(ready.Message).Has(kubelet.PLEGUnhealthy) {
		return nil, kubelet.PLEGStaleness{}, false
	}
	p, _ := kubelet.ParsePLEGStaleness(ready.Message)
	return ready, p, true
}

// plegStaleNow reports whether PLEG is stale at collection time, by the Ready
// condition or by the metric.
func plegStaleNow(s *snapshot.Snapshot) bool {
	if _, _, ok := readyPLEG(s); ok {
		return true
	}
	if s.Ready() == nil && weigh(s.KubeletLog, kubelet.PLEGUnhealthy).current {
		return true
	}
	if stale, ok := metricsStaleness(s); ok && stale > plegThreshold(s) {
		return true
	}
	// Without a Ready row, whatever gave the verdict (the relist's calls
	// timing out, a NotReady the threshold after the last relist) did.
	return s.Ready() == nil && stateOf(s).verdict == PLEGUnhealthy
}

// startedRecently reports whether the kubelet started (or the node turned
// NotReady) within StartupGrace of the collection.
func startedRecently(s *snapshot.Snapshot) bool {
	if st := s.KubeletLog.Signal(kubelet.KubeletStarted); !st.Last.IsZero() && s.CollectedAt.Sub(st.Last) <= StartupGrace {
		return true
	}
	ready := s.Ready()
	return ready != nil && s.CollectedAt.Sub(ready.LastTransitionTime.Time) <= StartupGrace
}

// staleByStatus adds what the node's Ready condition and the relist metric
// say of a relist past its threshold to f, and counts them.
func staleByStatus(s *snapshot.Snapshot, f *Finding) int {
	n := 0
	if ready, p, ok := readyPLEG(s); ok {
		n++
		ev := fmt.Sprintf("Ready=False for %s: PLEG is not healthy", age(s, ready.LastTransitionTime.Time))
		if p.Stale > 0 {
			ev += fmt.Sprintf(" (relist last seen %s ago; threshold %s)", humanize.Duration(p.Stale), humanize.Duration(p.Threshold))
			f.Answer = fmt.Sprintf("the PLEG relist has not finished for %s (threshold %s)", humanize.Duration(p.Stale), humanize.Duration(p.Threshold))
		}
		f.Evidence = append(f.Evidence, ev)
	}
	if stale, ok := metricsStaleness(s); ok && stale > plegThreshold(s) {
		n++
		f.Answer = fmt.Sprintf("the PLEG relist has not finished for %s (threshold %s)", humanize.Duration(stale), humanize.Duration(plegThreshold(s)))
		f.Evidence = append(f.Evidence, fmt.Sprintf("kubelet_pleg_last_seen_seconds: last relist %s before %s (threshold %s)",
			humanize.Duration(stale), metricsRead(s), humanize.Duration(plegThreshold(s))))
	}
	return n
}

// lateEvidence says what a relist late by late, not yet past the
// threshold, means: when the node is expected to go NotReady.
func lateEvidence(s *snapshot.Snapshot, f *Finding, late time.Duration) {
	when, expected := "at any moment", "at any moment"
	if left := PLEGThreshold - late; left >= time.Second {
		when, expected = "~"+humanize.Duration(left)+" from "+metricsRead(s), "in ~"+humanize.Duration(left)
	}
	// A node already NotReady for another reason (the runtime down)
	// is not about to go NotReady: PLEG is about to fail as well.
	what := "NotReady"
	if notReadyNow(s) {
		what = "PLEG unhealthy"
	}
	f.Answer = fmt.Sprintf("the relist has not run for %s: %s expected %s unless the runtime answers", humanize.Duration(late), what, expected)
	f.Evidence = append(f.Evidence, fmt.Sprintf("kubelet_pleg_last_seen_seconds: last relist %s before %s, though it runs every second; at %s the kubelet declares PLEG unhealthy and the node NotReady, %s",
		humanize.Duration(late), metricsRead(s), humanize.Duration(PLEGThreshold), when))
}

// stalledSinceStart adds a PLEG that never relisted since the kubelet
// started (past the start-up grace) and a stalled sync loop to f, and
// counts them.
func stalledSinceStart(s *snapshot.Snapshot, f *Finding) int {
	n := 0
	if ready := s.Ready(); ready != nil && ready.Status == corev1.ConditionFalse &&
		kubelet.ClassifyString(ready.Message).Has(kubelet.PLEGNotYetSuccessful) && !startedRecently(s) {
		n++
		f.Evidence = append(f.Evidence, fmt.Sprintf("PLEG has not relisted once in %s since the kubelet started: %s",
			age(s, ready.LastTransitionTime.Time), ready.Message))
	}
	if syncLoopFailing(s) {
		n++
		f.Evidence = append(f.Evidence, "kubelet /healthz fails its syncloop check while the kubelet answers: the sync loop is stalled ("+s.Healthz.Body+")")
	}
	return n
}

func plegRelistStalled(s *snapshot.Snapshot) *Finding {
	rt := runtimeOf(s)
	f := &Finding{Answer: "the PLEG relist is stalled", Steps: []Step{
		rt.answersStep(),
		rt.journalStep("tail -100"),
		nodeStep("look for hung tasks and OOM kills in the kernel's log", "journalctl -k --since -1h --no-pager | grep -iE 'blocked for more|oom'"),
		dStateStep,
		rt.restartStep(),
		drainStep(s, "if it persists, drain the node before a reboot"),
	}}
	// Independent sources that say PLEG is stale now; the early warning
	// only while none does.
	current := staleByStatus(s, f)
	late := RelistLate(s)
	if late > 0 && current == 0 {
		lateEvidence(s, f, late)
	}
	current += stalledSinceStart(s, f)
	logged := weigh(s.KubeletLog, kubelet.PLEGUnhealthy)
	// Without a Ready condition, a log still saying so at its end is the
	// evidence that PLEG is stale now.
	logNow := logged.current && s.Ready() == nil
	if logNow {
		current++
	}
	if logged.Count > 0 {
		ev := signalEvidence(`"PLEG is not healthy"`, logged.SignalStats, "kubelet log", s.CollectedAt)
		if logged.MaxStale > 0 {
			ev += fmt.Sprintf("; longest staleness %s", humanize.Duration(logged.MaxStale))
		}
		f.Evidence = append(f.Evidence, ev+"; "+logged.ending())
	}
	// Whatever else shows the relist stale now (a NotReady that follows the
	// last relist event by the threshold, the relist's runtime calls timing
	// out), the verdict it gives is this cause's.
	if st := stateOf(s); current == 0 && logged.Count == 0 && st.verdict == PLEGUnhealthy {
		current++
		f.Evidence = append(f.Evidence, st.evidence(s))
	}
	var slowRelist bool
	if s.Metrics != nil && s.Metrics.RelistP99 != nil && *s.Metrics.RelistP99 >= RelistP99Warning {
		slowRelist = true
		f.Evidence = append(f.Evidence, fmt.Sprintf("relist duration p99 %s (≥ %s)", humanize.Duration(*s.Metrics.RelistP99), humanize.Duration(RelistP99Warning)))
	}
	if d := s.KubeletLog.Signal(kubelet.EventChannelFull); d.Count > 0 {
		f.Evidence = append(f.Evidence, signalEvidence("PLEG event channel full", d, "kubelet log", s.CollectedAt))
	}
	hist := readRelistHistory(s)
	f.Evidence = append(f.Evidence, hist.evidence...)
	switch {
	case current > 0:
		f.Severity, f.Confidence = Critical, Medium
		if current > 1 || logged.Count > 0 && !logNow {
			f.Confidence = High
		}
		if logNow && current == 1 {
			f.Confidence = logged.confidence()
		}
	case late > 0:
		// Still Ready, not for long: the early warning.
		f.Severity, f.Confidence = Warning, Medium
	case logged.Count > 0:
		// PLEG recovered but was unhealthy within the window.
		f.Severity, f.Confidence = Warning, High
	case slowRelist || !hist.slowSince.IsZero():
		f.Severity, f.Confidence = Warning, Medium
	case len(hist.unseen) > 0:
		// Earlier in the day, on a node whose relist runs now: a note,
		// and what to read of it, not what to restart.
		f.Severity, f.Confidence = Info, Medium
		f.Answer = hist.unseenAnswer()
		f.Steps = []Step{hist.unseenStep()}
	default:
		return nil
	}
	f.Evidence = append(f.Evidence, sampleEvidence(logged.SignalStats)...)
	return f
}

func startupTransient(s *snapshot.Snapshot) *Finding {
	v, why := verdict(s)
	if v != Starting {
		return nil
	}
	f := &Finding{Severity: Info, Confidence: High, Answer: "the kubelet is still starting", Steps: []Step{
		clusterStep(fmt.Sprintf("wait %s and diagnose again: it is a problem only if it persists", humanize.Duration(StartupGrace)), "kubectl pleg diagnose "+nodeInCommand(s)),
	}}
	if ready := s.Ready(); ready != nil {
		f.Evidence = append(f.Evidence, fmt.Sprintf("Ready=False for %s: %s", age(s, ready.LastTransitionTime.Time), ready.Message))
	} else {
		f.Confidence = Medium
		f.Evidence = append(f.Evidence, why)
	}
	if st := s.KubeletLog.Signal(kubelet.KubeletStarted); !st.Last.IsZero() && !s.CollectedAt.IsZero() && s.CollectedAt.Sub(st.Last) <= StartupGrace {
		f.Evidence = append(f.Evidence, "kubelet started "+humanize.Ago(st.Last, s.CollectedAt))
	}
	if a, ok := nodeAge(s); ok && a <= StartupGrace {
		f.Evidence = append(f.Evidence, fmt.Sprintf("the node registered %s before the capture: a new node's kubelet and network take minutes to become Ready", humanize.Duration(a)))
	}
	return f
}

func flapping(s *snapshot.Snapshot) *Finding {
	f := &Finding{Answer: "the node flaps between Ready and NotReady", Steps: []Step{
		clusterStep("see the transitions", fmt.Sprintf("kubectl get events -A --field-selector involvedObject.name=%s --sort-by=.lastTimestamp", nodeInCommand(s))),
		advice("a flapping node usually has one of the root causes above: fix it rather than restarting the kubelet again"),
		cordonStep(s),
	}}
	flaps := 0
	if n, first, last := eventsMatching(s, 0, "NodeNotReady"); n > 0 {
		flaps = n
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s× NodeNotReady events (first %s, last %s)",
			humanize.Count(n), humanize.Clock(first, s.CollectedAt), humanize.Clock(last, s.CollectedAt)))
	}
	if st := s.KubeletLog.Signal(kubelet.NodeNotReady); st.Count > 0 {
		flaps = max(flaps, st.Count)
		f.Evidence = append(f.Evidence, signalEvidence(`"Node became not ready"`, st, "kubelet log", s.CollectedAt))
	}
	if n, _, last := eventsMatching(s, 0, "NodeReady"); n > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s× NodeReady events (last %s)", humanize.Count(n), humanize.Clock(last, s.CollectedAt)))
	}
	if st := s.KubeletLog.Signal(kubelet.KubeletStarted); st.Count > 1 {
		f.Evidence = append(f.Evidence, signalEvidence("kubelet start", st, "kubelet log", s.CollectedAt))
	}
	// On a node that goes NotReady again and again, each kubelet restart is
	// one more turn (restarts with the node NotReady once or never are
	// someone's work: a restart itself makes the node NotReady briefly).
	if n, first, last := kubeletStartEvents(s); n > 1 && flaps > 1 {
		flaps = max(flaps, flaps+n-1)
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s× kubelet starts in events (first %s, last %s)",
			humanize.Count(n), humanize.Clock(first, s.CollectedAt), humanize.Clock(last, s.CollectedAt)))
	}
	// Prometheus remembers the day; events only the last hour.
	if n, ev := historyFlaps(s); n > 0 {
		flaps = max(flaps, n)
		f.Evidence = append(f.Evidence, ev)
		f.Steps = append(f.Steps, advice(fmt.Sprintf(`graph the day's transitions in Prometheus: kube_node_status_condition{node=%q,condition="Ready",status="true"}`, s.NodeName)))
	}
	// Flapping is a warning whatever its count: the node's state now is told
	// by the verdict and by the causes that explain the flaps.
	if flaps < FlapsWarning {
		return nil
	}
	f.Severity, f.Confidence = Warning, High
	return f
}

func unexplainedNotReady(s *snapshot.Snapshot) *Finding {
	st := stateOf(s)
	if st.verdict != NotReady {
		return nil
	}
	f := &Finding{Severity: Warning, Confidence: Low,
		Answer: "the node is NotReady for a reason no rule knows",
		Steps: []Step{
			clusterStep("read the node's conditions and events", "kubectl describe node "+nodeInCommand(s)),
			nodeStep("read what the kubelet logged", "journalctl -u kubelet --since -1h --no-pager | tail -100"),
		},
	}
	if ready := s.Ready(); ready != nil {
		if ready.Status != corev1.ConditionFalse {
			return nil
		}
		f.Evidence = []string{fmt.Sprintf("Ready=False for %s: %s", age(s, ready.LastTransitionTime.Time), firstNonEmpty(ready.Message, ready.Reason))}
		return f
	}
	// Without a Ready condition, a log or an event may still show the node
	// NotReady without saying why.
	f.Evidence = []string{st.summary}
	return f
}

// kubeletStartEvents counts the kubelet's "Starting kubelet." events.
func kubeletStartEvents(s *snapshot.Snapshot) (count int, first, last time.Time) {
	for _, e := range s.Events {
		if e.Reason != "Starting" || !strings.Contains(e.Source+" "+e.Message, "kubelet") {
			continue
		}
		count += int(e.Count)
		if first.IsZero() || e.First.Before(first) {
			first = e.First
		}
		if e.Last.After(last) {
			last = e.Last
		}
	}
	return count, first, last
}
