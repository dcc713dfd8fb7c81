package diagnose

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// gcFailures are the event reasons of the kubelet's image and container
// garbage collection failing; their messages carry the runtime's error.
var gcFailures = []string{"ContainerGCFailed", "ImageGCFailed"}

// SlowSource is how long a kubelet answer may take before its slowness is
// evidence: the kubelet answers /healthz and /configz from memory at once,
// but /metrics and /stats/summary call the runtime first.
const SlowSource = 5 * time.Second

// runtimeBoundSources are the kubelet answers that wait on runtime calls.
var runtimeBoundSources = []snapshot.SourceName{snapshot.SourceMetrics, snapshot.SourceStats}

// kubeletAnswer is the record of how the kubelet itself answered for
// source name: not one read another way (from Prometheus), whose time and
// failures are not the kubelet's.
func kubeletAnswer(s *snapshot.Snapshot, name snapshot.SourceName) (snapshot.Source, bool) {
	src, ok := s.Source(name)
	return src, ok && !src.Fallback
}

// waitsOnRuntime finds, in how the kubelet's own endpoints answered, the
// runtime trouble sig (RuntimeTimeout or RuntimeDown): a runtime-bound
// answer that timed out or came late while the kubelet answered /healthz
// or /configz at once (RuntimeTimeout), or failed quoting a runtime error.
func waitsOnRuntime(s *snapshot.Snapshot, sig kubelet.Signal) []string {
	quick, quickest := kubeletAnswersAtOnce(s)
	var out []string
	for _, name := range runtimeBoundSources {
		src, ok := kubeletAnswer(s, name)
		if !ok {
			continue
		}
		switch {
		case sig == kubelet.RuntimeTimeout && quick && src.Status == snapshot.StatusTimeout:
			out = append(out, fmt.Sprintf("kubelet /%s gave no answer in %s while %s: the kubelet waits on the runtime", endpointOf(name), humanize.Duration(src.Elapsed()), quickest))
		case sig == kubelet.RuntimeTimeout && quick && src.Status == snapshot.StatusOK && src.Elapsed() >= SlowSource:
			out = append(out, fmt.Sprintf("kubelet /%s answered only after %s while %s: its collectors waited on the runtime", endpointOf(name), humanize.Duration(src.Elapsed()), quickest))
		case src.Status == snapshot.StatusError && kubelet.ClassifyString(src.Reason).Has(sig):
			why := strings.TrimPrefix(src.Reason, "kubelet /"+endpointOf(name)+": ")
			out = append(out, fmt.Sprintf("kubelet /%s failed on a runtime error: %s", endpointOf(name), why))
		}
	}
	return out
}

// waitsShort says in a few words how the kubelet's endpoints showed it
// waiting on the runtime: "/metrics took 15s, /healthz 63ms".
func waitsShort(s *snapshot.Snapshot) string {
	var slow []string
	for _, name := range runtimeBoundSources {
		src, ok := kubeletAnswer(s, name)
		if ok && (src.Status == snapshot.StatusTimeout || src.Elapsed() >= SlowSource) {
			slow = append(slow, fmt.Sprintf("/%s took %s", endpointOf(name), humanize.Duration(src.Elapsed())))
		} else if ok && src.Status == snapshot.StatusError {
			slow = append(slow, fmt.Sprintf("/%s failed on a runtime error", endpointOf(name)))
		}
	}
	if _, quickest := kubeletAnswersAtOnce(s); quickest != "" {
		slow = append(slow, quickest)
	}
	return strings.Join(slow, ", ")
}

// kubeletAnswersAtOnce says the kubelet itself is alive and quick: /healthz
// or /configz answered well within SlowSource. quickest says which, how fast.
func kubeletAnswersAtOnce(s *snapshot.Snapshot) (bool, string) {
	for _, name := range []snapshot.SourceName{snapshot.SourceHealthz, snapshot.SourceConfigz} {
		if src, ok := s.Source(name); ok && src.Status == snapshot.StatusOK && src.ElapsedMillis > 0 && src.Elapsed() < SlowSource/5 {
			return true, fmt.Sprintf("/%s answered in %s", endpointOf(name), humanize.Duration(src.Elapsed()))
		}
	}
	return false, ""
}

func endpointOf(name snapshot.SourceName) string {
	if name == snapshot.SourceStats {
		return "stats/summary"
	}
	return string(name)
}

// kubeletSources are the sources read from the kubelet itself.
var kubeletSources = []snapshot.SourceName{
	snapshot.SourceHealthz, snapshot.SourceMetrics, snapshot.SourceStats, snapshot.SourceConfigz,
}

// kubeletUnreachable returns the failures of every kubelet source when none of
// them could be reached (connection refused or timeout), or nil. A source
// read another way (the metrics from a Prometheus) says nothing of whether
// the kubelet answers, and is passed over.
func kubeletUnreachable(s *snapshot.Snapshot) []snapshot.Source {
	var failed []snapshot.Source
	for _, name := range kubeletSources {
		src, ok := s.Source(name)
		if ok && src.Fallback && src.Status == snapshot.StatusOK {
			continue
		}
		if !ok || (src.Status != snapshot.StatusUnavailable && src.Status != snapshot.StatusTimeout) {
			return nil
		}
		failed = append(failed, src)
	}
	return failed
}

func kubeletDown(s *snapshot.Snapshot) *Finding {
	f := &Finding{Answer: "the kubelet is not posting status or answering", Steps: []Step{
		nodeStep("see whether the kubelet runs, and what it last said", "systemctl status kubelet; journalctl -u kubelet -n 200 --no-pager"),
		advice("check that the node is up (cloud console, ping) and that the API server reaches the kubelet port (10250)"),
		drainStep(s, "if the node is gone or wedged, drain it, then reboot or replace it"),
	}}
	ready := s.Ready()
	if ready != nil && ready.Status == corev1.ConditionUnknown {
		f.Severity, f.Confidence = Critical, High
		if !ready.LastHeartbeatTime.IsZero() {
			f.Answer = "the kubelet stopped posting status; last heartbeat " + humanize.Ago(ready.LastHeartbeatTime.Time, s.CollectedAt)
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("Ready=Unknown since %s (%s: %s)",
			humanize.Ago(ready.LastTransitionTime.Time, s.CollectedAt), ready.Reason, ready.Message))
		if !ready.LastHeartbeatTime.IsZero() {
			f.Evidence = append(f.Evidence, "last kubelet heartbeat "+humanize.Ago(ready.LastHeartbeatTime.Time, s.CollectedAt))
		}
	}
	if why, conf, ok := controllerGaveUp(s); ok && ready == nil {
		f.Severity, f.Confidence = Critical, conf
		f.Evidence = append(f.Evidence, why)
	}
	if failed := kubeletUnreachable(s); failed != nil {
		if f.Severity == 0 {
			// Ready=True but no answer: the node controller will mark it Unknown
			// within its grace period unless only the API server's path is cut.
			f.Severity, f.Confidence = Warning, Medium
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("kubelet not reachable through the API server: %s", failed[0].Reason))
	}
	// A failing syncloop check is the kubelet answering that its sync loop is
	// stalled (pleg-relist-stalled says so): only other failing checks
	// point at the kubelet itself.
	if s.Healthz != nil && !s.Healthz.OK && !syncLoopFailing(s) {
		f.Severity = severityMax(f.Severity, Warning)
		if f.Confidence == 0 {
			f.Confidence = High
		}
		f.Evidence = append(f.Evidence, "kubelet /healthz failing: "+s.Healthz.Body)
	}
	// A controller's log may be all there is: it saying the kubelet stopped
	// posting status, with no recovery after, is the node Unknown now.
	for _, sig := range []struct {
		signal kubelet.Signal
		what   string
	}{{kubelet.NodeStatusUnknown, `"Kubelet stopped posting node status"`}, {kubelet.StatusUpdateFailed, `"Error updating node status"`}} {
		if gone := weigh(s.KubeletLog, sig.signal); gone.current && s.Ready() == nil {
			f.Severity, f.Confidence = Critical, gone.confidence()
			f.Evidence = append(f.Evidence, signalEvidence(sig.what, gone.SignalStats, "log", s.CollectedAt)+"; "+gone.ending())
		}
	}
	for i, st := range unitsWrong(s, snapshot.KubeletUnit) {
		f.Severity, f.Confidence = Critical, High
		f.Answer = "the kubelet is not running: " + strings.TrimPrefix(st.what, "systemctl status: ")
		f.Evidence = slices.Insert(f.Evidence, i, st.what) // the unit's own state says it best
		if i == 0 {
			f.Steps = append([]Step{whyItExits(st.unit)}, f.Steps[1:]...) // its status is known already
		}
	}
	if said := npdSays(s, 1, "KubeletUnhealthy", "FrequentKubeletRestart"); said != "" {
		f.Severity = severityMax(f.Severity, Warning)
		f.Confidence = max(f.Confidence, Medium)
		f.Evidence = append(f.Evidence, said)
	}
	// Whatever else shows the node unreachable (a controller's events, its
	// log), the verdict it gives is this cause's.
	if st := stateOf(s); f.Severity == 0 && st.verdict == KubeletUnreachable {
		f.Severity, f.Confidence = Critical, Medium
		f.Evidence = append(f.Evidence, st.evidence(s))
	}
	if f.Severity == 0 {
		return nil
	}
	return f
}

// hungNotStopped says a runtime the kubelet calls down is still running but
// hung (SIGSTOPped, deadlocked): its calls time out, where a stopped one's
// fail to connect. systemctl shows such a runtime active — the classic
// "runtime down though docker is active" — so the first step times a call.
func hungNotStopped(s *snapshot.Snapshot) bool {
	timeouts, down := weigh(s.KubeletLog, kubelet.RuntimeTimeout), weigh(s.KubeletLog, kubelet.RuntimeDown)
	return timeouts.current && timeouts.Count > down.Count
}

func runtimeDown(s *snapshot.Snapshot) *Finding {
	rt := runtimeOf(s)
	f := &Finding{Answer: rt.name + " is down or not ready", Steps: []Step{
		rt.statusStep(),
		rt.journalStep("tail -100"),
		rt.noteAssumed(nodeStep("check that the runtime's socket answers", rt.cli+" version").expecting("its socket is the kubelet's containerRuntimeEndpoint")),
		rt.restartStep(),
	}}
	if ready := s.Ready(); ready != nil && ready.Status == corev1.ConditionFalse {
		sigs := kubelet.ClassifyString(ready.Message)
		switch {
		case sigs.Has(kubelet.RuntimeDown):
			f.Severity, f.Confidence = Critical, High
			f.Evidence = append(f.Evidence, fmt.Sprintf("Ready=False for %s: %s", age(s, ready.LastTransitionTime.Time), ready.Message))
			f.Answer = fmt.Sprintf("%s is down: the kubelet has said so for %s", rt.name, age(s, ready.LastTransitionTime.Time))
			if hungNotStopped(s) {
				f.Answer = fmt.Sprintf("%s hangs: the kubelet has called it down for %s, but its calls time out rather than fail to connect",
					rt.name, age(s, ready.LastTransitionTime.Time))
				f.Steps = append([]Step{rt.answersStep()}, f.Steps...)
			}
		case sigs.Has(kubelet.RuntimeStatusPending) && !startedRecently(s):
			f.Severity, f.Confidence = Critical, Medium
			f.Evidence = append(f.Evidence, fmt.Sprintf("runtime status check has not completed for %s: %s",
				age(s, ready.LastTransitionTime.Time), ready.Message))
		}
	}
	for _, lg := range []struct {
		name string
		sum  *kubelet.LogSummary
	}{{"kubelet log", s.KubeletLog}, {"runtime log", s.RuntimeLog}} {
		st := weigh(lg.sum, kubelet.RuntimeDown)
		switch {
		case st.Count == 0 || st.noise():
			continue
		case st.current && s.Ready() == nil:
			// Nothing better tells the node's state: the log's end does.
			f.Severity, f.Confidence = Critical, st.confidence()
		case !st.substantial(RuntimeErrorsMin):
			continue
		case f.Severity == 0:
			f.Severity, f.Confidence = Warning, Medium
		}
		f.Evidence = append(f.Evidence, signalEvidence("runtime connection failure", st.SignalStats, lg.name, s.CollectedAt)+"; "+st.ending())
		f.Evidence = append(f.Evidence, sampleEvidence(st.SignalStats)...)
	}
	if waits := waitsOnRuntime(s, kubelet.RuntimeDown); len(waits) > 0 {
		if f.Severity == 0 {
			f.Severity, f.Confidence = Warning, Medium
		}
		f.Evidence = append(f.Evidence, waits...)
	}
	if n, first, last := eventsMatching(s, kubelet.RuntimeDown, gcFailures...); n > 0 {
		if f.Severity == 0 {
			f.Severity, f.Confidence = Warning, Medium
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s× GC failures naming the runtime unreachable in events (first %s, last %s)",
			humanize.Count(n), humanize.Clock(first, s.CollectedAt), humanize.Clock(last, s.CollectedAt)))
	}
	for i, st := range unitsWrong(s, snapshot.RuntimeUnit) {
		f.Severity, f.Confidence = Critical, High
		f.Answer = rt.name + " is not running: " + strings.TrimPrefix(st.what, "systemctl status: ")
		f.Evidence = slices.Insert(f.Evidence, i, st.what) // the unit's own state says it best
		if i == 0 {
			f.Steps = append([]Step{whyItExits(st.unit)}, f.Steps[1:]...) // its status is known already
		}
	}
	// One start is a restart someone made; three are a runtime that keeps dying.
	for _, said := range []string{
		npdSays(s, 1, "ContainerRuntimeUnhealthy", "FrequentContainerdRestart", "FrequentDockerRestart", "FrequentCrioRestart"),
		npdSays(s, RuntimeRestartsWarning, "ContainerdStart", "DockerStart", "CrioStart"),
	} {
		if said != "" {
			f.Severity = severityMax(f.Severity, Warning)
			f.Confidence = max(f.Confidence, Medium)
			f.Evidence = append(f.Evidence, said)
		}
	}
	for _, lg := range []struct {
		name string
		sum  *kubelet.LogSummary
	}{{"kubelet log", s.KubeletLog}, {"runtime log", s.RuntimeLog}, {"system log", s.SystemLog}} {
		if st := weigh(lg.sum, kubelet.RuntimeStarted); st.Count >= RuntimeRestartsWarning && !st.noise() {
			f.Severity = severityMax(f.Severity, Warning)
			f.Confidence = max(f.Confidence, st.confidence())
			f.Evidence = append(f.Evidence, signalEvidence("runtime start", st.SignalStats, lg.name, s.CollectedAt)+": the runtime keeps restarting; "+st.ending())
			break
		}
	}
	if f.Severity == 0 {
		return nil
	}
	return f
}

func runtimeUnresponsive(s *snapshot.Snapshot) *Finding {
	rt := runtimeOf(s)
	timeouts := weigh(s.KubeletLog, kubelet.RuntimeTimeout)
	st := timeouts.SignalStats
	if timeouts.noise() {
		st = &kubelet.SignalStats{} // a few timeouts long before the log's end
	}
	relist := s.KubeletLog.Signal(kubelet.RelistFailed)
	var dockerTimeouts float64
	if s.Metrics != nil {
		for _, op := range s.Metrics.Operations {
			dockerTimeouts += op.Timeouts
		}
	}
	gcTimeouts, gcFirst, gcLast := eventsMatching(s, kubelet.RuntimeTimeout, gcFailures...)
	// The runtime logs the calls the kubelet gave up on as well.
	own := weigh(s.RuntimeLog, kubelet.RuntimeTimeout)
	waits := waitsOnRuntime(s, kubelet.RuntimeTimeout)
	if !timeouts.substantial(RuntimeTimeoutsWarning) && dockerTimeouts == 0 && gcTimeouts == 0 && !own.substantial(RuntimeTimeoutsWarning) && len(waits) == 0 {
		return nil
	}
	f := &Finding{Severity: Warning, Confidence: Medium, Answer: rt.name + " is not answering", Steps: []Step{
		rt.answersStep(),
		rt.journalStep("grep -iE 'error|timeout|deadline' | tail -50"),
		dStateStep,
		rt.restartStep(),
		drainStep(s, "if it keeps hanging, drain the node and reboot it"),
	}}
	if timeouts.substantial(RuntimeTimeoutsWarning) {
		ev := signalEvidence("runtime call timeout (DeadlineExceeded)", st, "kubelet log", s.CollectedAt)
		named := 0
		for _, n := range st.Operations {
			named += n
		}
		switch {
		case named == st.Count:
			ev += "; by call: " + countsByName(st.Operations, 4)
		case named > 0:
			ev += fmt.Sprintf("; %s of them name the call: %s", humanize.Count(named), countsByName(st.Operations, 4))
		}
		// Timeouts the node recovered from (Ready again after the last
		// one, the relist fresh) are the incident before, not the node now.
		recovered := timeouts.recoveredBy != 0 && !plegStaleNow(s)
		if recovered {
			ev += "; " + timeouts.ending()
		}
		f.Evidence = append(f.Evidence, ev)
		f.Answer = fmt.Sprintf("%s is not answering: %s runtime calls timed out%s", rt.name, humanize.Count(st.Count), spanOf(st))
		if recovered {
			f.Answer = fmt.Sprintf("%s stopped answering: %s runtime calls timed out%s, and the node recovered", rt.name, humanize.Count(st.Count), spanOf(st))
		}
		if st.Count >= RuntimeTimeoutsCritical && !recovered || plegStaleNow(s) {
			f.Severity = Critical
		}
		if len(st.Operations) > 0 && st.Count >= RuntimeTimeoutsCritical {
			f.Confidence = High
		}
		f.Evidence = append(f.Evidence, sampleEvidence(st)...)
	}
	if gcTimeouts > 0 {
		// The kubelet's garbage collection calls the runtime too: its
		// failures are timeouts seen from the events alone.
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s× GC failures on runtime call timeouts (DeadlineExceeded) in events (first %s, last %s)",
			humanize.Count(gcTimeouts), humanize.Clock(gcFirst, s.CollectedAt), humanize.Clock(gcLast, s.CollectedAt)))
	}
	if len(waits) > 0 {
		f.Evidence = append(f.Evidence, waits...)
		if !timeouts.substantial(RuntimeTimeoutsWarning) {
			f.Answer = fmt.Sprintf("%s is not answering: the kubelet waits on it (%s)", rt.name, waitsShort(s))
		}
		if plegStaleNow(s) {
			f.Severity = Critical
		}
	}
	if own.substantial(RuntimeTimeoutsWarning) {
		f.Evidence = append(f.Evidence, signalEvidence("call that ran past its deadline", own.SignalStats, "runtime log", s.CollectedAt)+"; "+own.ending())
		f.Evidence = append(f.Evidence, sampleEvidence(own.SignalStats)...)
	}
	if relist.Count > 0 {
		f.Evidence = append(f.Evidence, signalEvidence(`"GenericPLEG: Unable to retrieve pods"`, relist, "kubelet log", s.CollectedAt))
	}
	if dockerTimeouts > 0 {
		f.Evidence = append(f.Evidence, fmt.Sprintf("kubelet_docker_operations_timeout: %.0f since kubelet start", dockerTimeouts))
	}
	if id, n, share := dominantObject(st); share > DominantShare && n >= StuckObjectMin {
		// One container explains most timeouts: the runtime as a whole may be fine.
		f.Confidence = Medium
		f.Evidence = append(f.Evidence, fmt.Sprintf("%d%% of the timeouts are about one container %s, named or through its pod (see stuck-container)", int(share*100), shortID(id)))
	}
	return f
}

func cniNotReady(s *snapshot.Snapshot) *Finding {
	f := &Finding{Answer: "the network (CNI) plugin is not ready", Steps: []Step{
		clusterStep("see whether the CNI agent's pod runs on the node", fmt.Sprintf("kubectl get pods -A -o wide --field-selector spec.nodeName=%s | grep -iE 'calico|cilium|flannel|weave|canal|aws-node|azure|antrea|kube-router'", nodeInCommand(s))),
		nodeStep("see whether the CNI config and plugins are there, and what the kubelet says of them", "ls -l /etc/cni/net.d /opt/cni/bin; journalctl -u kubelet --since -1h --no-pager | grep -i cni | tail -20"),
		advice("restart the CNI agent's pod on this node (delete it: its DaemonSet recreates it)"),
	}}
	if ready := s.Ready(); ready != nil && ready.Status == corev1.ConditionFalse && kubelet.ClassifyString(ready.Message).Has(kubelet.NetworkNotReady) {
		f.Severity, f.Confidence = Critical, High
		// "…reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"
		if i := strings.LastIndex(ready.Message, "message:"); i >= 0 {
			f.Answer += ": " + strings.TrimSpace(ready.Message[i+len("message:"):])
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("Ready=False for %s: %s", age(s, ready.LastTransitionTime.Time), ready.Message))
	}
	if c := s.Condition(corev1.NodeNetworkUnavailable); c != nil && c.Status == corev1.ConditionTrue {
		f.Severity, f.Confidence = Critical, High
		f.Evidence = append(f.Evidence, fmt.Sprintf("NetworkUnavailable=True (%s: %s)", c.Reason, c.Message))
	}
	if st := weigh(s.KubeletLog, kubelet.NetworkNotReady); st.Count > 0 && !st.noise() {
		switch {
		case st.current && s.Ready() == nil:
			f.Severity, f.Confidence = Critical, st.confidence()
		case f.Severity == 0:
			f.Severity, f.Confidence = Warning, Medium
		}
		f.Evidence = append(f.Evidence, signalEvidence("network-not-ready line", st.SignalStats, "kubelet log", s.CollectedAt)+"; "+st.ending())
		f.Evidence = append(f.Evidence, sampleEvidence(st.SignalStats)...)
	}
	// Sandbox status timeouts point at the CNI only when they are most of the timeouts.
	if st := s.KubeletLog.Signal(kubelet.RuntimeTimeout); st.Operations["PodSandboxStatus"] >= RuntimeTimeoutsWarning && 2*st.Operations["PodSandboxStatus"] > st.Count {
		n := st.Operations["PodSandboxStatus"]
		if f.Severity == 0 {
			f.Severity, f.Confidence = Warning, Low
		}
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s× PodSandboxStatus timeouts (the sandbox network status call waits on the CNI plugin)", humanize.Count(n)))
	}
	if f.Severity == 0 {
		return nil
	}
	return f
}
