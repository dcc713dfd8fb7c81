package diagnose

import (
	"fmt"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// A log is evidence in proportion to the span it covers: what it says at its
// end is the node's state when it was captured, and what it said before and
// stopped saying is history. These helpers weigh one signal of one log.

const (
	// RecentGap is how close to a log's end a repeating signal must last
	// occur to be still happening: the kubelet repeats "PLEG is not healthy"
	// and runtime errors every few seconds while they last.
	RecentGap = 2 * time.Minute
	// recentLines is the same for a log without times: how many lines may
	// follow the last occurrence (or recentShare of the log, if more).
	recentLines = 20
	recentShare = 0.2
	// NoiseShare is the share of a log's lines below which a few lines of a
	// signal that is no longer happening are noise, not an incident.
	NoiseShare = 0.01
	// noiseCount is how many occurrences are never noise.
	noiseCount = 10
)

// recoveries are the signals that end each kind of trouble when they come
// after it: the node Ready again, the relist delivering events, the runtime
// reporting itself ready.
var recoveries = map[kubelet.Signal][]kubelet.Signal{
	kubelet.PLEGUnhealthy:        {kubelet.NodeReady, kubelet.PLEGActive},
	kubelet.PLEGNotYetSuccessful: {kubelet.NodeReady, kubelet.PLEGActive},
	kubelet.RuntimeDown:          {kubelet.NodeReady, kubelet.PLEGActive, kubelet.RuntimeReady},
	kubelet.RuntimeStatusPending: {kubelet.NodeReady, kubelet.PLEGActive, kubelet.RuntimeReady},
	kubelet.RuntimeTimeout:       {kubelet.NodeReady},
	kubelet.RelistFailed:         {kubelet.NodeReady, kubelet.PLEGActive},
	kubelet.NetworkNotReady:      {kubelet.NodeReady, kubelet.RuntimeReady},
	kubelet.NodeNotReady:         {kubelet.NodeReady},
	kubelet.NodeStatusUnknown:    {kubelet.NodeReady},
	kubelet.StatusUpdateFailed:   {kubelet.NodeReady},
	kubelet.StorageHang:          {kubelet.StorageRecovered},
}

// transitions are logged once, not repeated while they hold: they stay
// true until a recovery follows, however long the log goes on.
var transitions = map[kubelet.Signal]bool{kubelet.NodeNotReady: true, kubelet.NodeStatusUnknown: true, kubelet.StorageHang: true}

// logSignal is one signal of one log, weighed against the log.
type logSignal struct {
	*kubelet.SignalStats
	log *kubelet.LogSummary
	// current says it still holds where the log ends.
	current bool
	// recoveredBy names the signal that ended it, if one did.
	recoveredBy kubelet.Signal
	// held says it is current only because it is a transition that nothing
	// ended, said long before the log's end.
	held bool
}

// weigh places sig in sum: whether it still holds at the log's end.
func weigh(sum *kubelet.LogSummary, sig kubelet.Signal) logSignal {
	l := logSignal{SignalStats: sum.Signal(sig), log: sum}
	if l.Count == 0 {
		return l
	}
	for _, r := range recoveries[sig] {
		if rec := sum.Signal(r); rec.Count > 0 && rec.LastLine > l.LastLine {
			l.recoveredBy = r
			return l
		}
	}
	l.current = transitions[sig] || l.recent()
	l.held = transitions[sig] && !l.recent()
	return l
}

// recent says the last occurrence is close to the log's end: in time when
// both carry times, else in lines.
func (l logSignal) recent() bool {
	if !l.Last.IsZero() && !l.log.Last.IsZero() {
		return l.log.Last.Sub(l.Last) <= RecentGap
	}
	after := l.log.Lines - l.LastLine
	return after <= recentLines || float64(after) <= recentShare*float64(l.log.Lines)
}

// noise says a few lines of a signal that no longer holds are lost in a log
// many times their size: three "Cannot connect to the Docker daemon" lines
// in a day of healthy log.
func (l logSignal) noise() bool {
	if l.current || l.Count == 0 || l.Count >= noiseCount || l.log.Lines == 0 {
		return false
	}
	return float64(l.Count)/float64(l.log.Lines) < NoiseShare
}

// substantial says there is enough of a signal to call it trouble: min
// occurrences, or, in a short excerpt, a fair share of its lines.
func (l logSignal) substantial(min int) bool {
	return l.Count >= min || l.Count >= 2 && l.log != nil && l.log.Lines > 0 && float64(l.Count) >= substantialShare*float64(l.log.Lines)
}

// substantialShare is the share of an excerpt's lines that makes two
// occurrences trouble rather than chance.
const substantialShare = 0.1

// confidence grows with the evidence: one line is never high confidence.
func (l logSignal) confidence() Confidence {
	switch {
	case l.Count >= 3 && l.current:
		return High
	case l.Count >= 2:
		return Medium
	}
	return Low
}

// ending describes where the signal stands at the log's end, for evidence:
// "still at the log's end", "ended by NodeReady 4m before the log's end".
func (l logSignal) ending() string {
	switch {
	case l.current && l.log.Lines == l.LastLine:
		return "the log ends with it"
	case l.held:
		return "nothing after it says it recovered"
	case l.current:
		return "still at the log's end"
	case l.recoveredBy != 0:
		return "then " + l.recoveredBy.String() + " after it"
	case !l.Last.IsZero() && !l.log.Last.IsZero():
		return fmt.Sprintf("none in the last %s of the log", humanize.Duration(l.log.Last.Sub(l.Last)))
	}
	return fmt.Sprintf("none in the last %s lines of the log", humanize.Count(l.log.Lines-l.LastLine))
}

// logState reads the node's state from where the kubelet's log ends: the
// deepest trouble still happening there, or the node healthy when the log's
// last word on readiness is that it recovered or works. ok is false when the
// log says nothing of readiness (or there is no log).
func logState(s *snapshot.Snapshot) (nodeState, bool) {
	sum := s.KubeletLog
	if sum == nil {
		return nodeState{}, false
	}
	runtime := weigh(sum, kubelet.RuntimeDown)
	pleg := weigh(sum, kubelet.PLEGUnhealthy)
	network := weigh(sum, kubelet.NetworkNotReady)
	unknown := weigh(sum, kubelet.NodeStatusUnknown)
	cutOff := weigh(sum, kubelet.StatusUpdateFailed)
	notYet := weigh(sum, kubelet.PLEGNotYetSuccessful)
	pending := weigh(sum, kubelet.RuntimeStatusPending)
	notReady := weigh(sum, kubelet.NodeNotReady)
	says := func(what string, l logSignal) string {
		return fmt.Sprintf("the kubelet log ends with %s (%s× in %s lines, %s)", what, humanize.Count(l.Count), humanize.Count(sum.Lines), l.ending())
	}
	switch {
	case runtime.current:
		return nodeState{verdict: RuntimeDown, summary: says("the container runtime unreachable", runtime), notReady: true}, true
	case pleg.current:
		what := "PLEG is not healthy"
		if pleg.MaxStale > 0 {
			what += fmt.Sprintf(" (relist last seen up to %s ago)", humanize.Duration(pleg.MaxStale))
		}
		return nodeState{verdict: PLEGUnhealthy, summary: says(what, pleg), notReady: true}, true
	case relistTimesOut(sum):
		return nodeState{verdict: PLEGUnhealthy, summary: says("the relist's runtime calls timing out (ListPodSandbox, ListContainers): PLEG cannot complete a relist", weigh(sum, kubelet.RuntimeTimeout)), notReady: true}, true
	case network.current:
		return nodeState{verdict: NetworkNotReady, summary: says("the network plugin not ready", network), notReady: true}, true
	case unknown.current:
		return nodeState{verdict: KubeletUnreachable, summary: says("the kubelet no longer posting node status (NodeStatusUnknown)", unknown), notReady: true}, true
	case cutOff.current:
		return nodeState{verdict: KubeletUnreachable, summary: says("the kubelet unable to post its node status to the API server", cutOff), notReady: true}, true
	case notYet.current || pending.current:
		// "Not yet" is what a kubelet says in its first seconds; said for
		// longer than a start takes, the first relist is what hangs.
		if startedWithin(sum, StartupGrace) || saidSince(sum, StartupGrace, notYet, pending) {
			return nodeState{verdict: Starting, summary: says("the kubelet starting: PLEG or the runtime status not checked once yet", firstCurrent(notYet, pending)), notReady: true}, true
		}
		if notYet.current {
			return nodeState{verdict: PLEGUnhealthy, summary: says("PLEG not relisted once, long after the kubelet started", notYet), notReady: true}, true
		}
		return nodeState{verdict: RuntimeDown, summary: says("the runtime status check never completing", pending), notReady: true}, true
	case notReady.current:
		// The kubelet turns NotReady for PLEG exactly when the relist has
		// been stale for the threshold: a last relist event that long
		// before it, and none after, is the reason the line does not give.
		if active := sum.Signal(kubelet.PLEGActive); active.Count > 0 && !active.Last.IsZero() && !notReady.Last.IsZero() &&
			active.LastLine < notReady.LastLine && notReady.Last.Sub(active.Last) >= PLEGThreshold {
			return nodeState{verdict: PLEGUnhealthy, notReady: true, summary: says(fmt.Sprintf("the node NotReady %s after the last PLEG event, past the relist threshold (%s)",
				humanize.Duration(notReady.Last.Sub(active.Last)), humanize.Duration(PLEGThreshold)), notReady)}, true
		}
		return nodeState{verdict: NotReady, summary: says("the node NotReady, for a reason the log does not give", notReady), notReady: true}, true
	}
	if sig, ok := lastReadyStatement(sum); ok {
		return nodeState{verdict: Healthy, summary: fmt.Sprintf("the kubelet log's last word on readiness is %s (%s lines), with no trouble at its end", sig, humanize.Count(sum.Lines))}, true
	}
	return nodeState{}, false
}

// saidSince says the current ones of ls were first said within d of the
// log's end (or, without times, at all).
func saidSince(sum *kubelet.LogSummary, d time.Duration, ls ...logSignal) bool {
	for _, l := range ls {
		if !l.current {
			continue
		}
		if l.First.IsZero() || sum.Last.IsZero() || sum.Last.Sub(l.First) > d {
			return l.First.IsZero() || sum.Last.IsZero()
		}
	}
	return true
}

// relistOperations are the runtime calls a PLEG relist makes.
var relistOperations = []string{"ListPodSandbox", "ListContainers"}

// relistTimesOut says the log ends with the relist failing: its calls time
// out, or the relist itself reports it cannot retrieve the pods.
func relistTimesOut(sum *kubelet.LogSummary) bool {
	if weigh(sum, kubelet.RelistFailed).current {
		return true
	}
	timeouts := weigh(sum, kubelet.RuntimeTimeout)
	if !timeouts.current {
		return false
	}
	for _, op := range relistOperations {
		if timeouts.Operations[op] > 0 {
			return true
		}
	}
	return false
}

func firstCurrent(ls ...logSignal) logSignal {
	for _, l := range ls {
		if l.current {
			return l
		}
	}
	return ls[0]
}

// startedWithin says the kubelet's latest start is within d of the log's end
// (or, without times, that the log shows a start at all).
func startedWithin(sum *kubelet.LogSummary, d time.Duration) bool {
	st := sum.Signal(kubelet.KubeletStarted)
	if st.Count == 0 {
		return false
	}
	if st.Last.IsZero() || sum.Last.IsZero() {
		return true
	}
	return sum.Last.Sub(st.Last) <= d
}

// readyStatements say the node or its parts work.
var readyStatements = []kubelet.Signal{kubelet.NodeReady, kubelet.PLEGActive, kubelet.RuntimeReady}

// lastReadyStatement is the newest statement that the node works, if any.
func lastReadyStatement(sum *kubelet.LogSummary) (kubelet.Signal, bool) {
	var best kubelet.Signal
	var line int64
	for _, sig := range readyStatements {
		if st := sum.Signal(sig); st.Count > 0 && st.LastLine > line {
			best, line = sig, st.LastLine
		}
	}
	return best, line > 0
}
