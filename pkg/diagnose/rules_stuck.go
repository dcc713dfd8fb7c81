package diagnose

// One container or sandbox that blocks the runtime: the kubelet's calls on
// it time out again and again, the runtime cannot stop it, or a listing
// shows it stuck — and the steps for that one container.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// dominantObject returns the container/sandbox ID named most often in
// timeout lines, its count, and the share of all timeout lines that are
// about it: those naming it and those naming only its pod (the kubelet's
// "Error syncing pod" after a call on the container timed out).
func dominantObject(st *kubelet.SignalStats) (id string, n int, share float64) {
	total := 0
	for k, v := range st.Objects {
		total += v
		if v > n || (v == n && k < id) {
			id, n = k, v
		}
	}
	if total == 0 {
		return "", 0, 0
	}
	about := n
	for pod, v := range st.PodOnly {
		total += v
		if pod == st.ObjectPods[id] {
			about += v
		}
	}
	return id, n, float64(about) / float64(max(total, st.Count))
}

// shortID is the 12-character form of a container ID that docker ps and
// crictl ps print.
func shortID(id string) string { return id[:min(12, len(id))] }

func stuckContainer(s *snapshot.Snapshot) *Finding {
	st := s.KubeletLog.Signal(kubelet.RuntimeTimeout)
	type obj struct {
		id string
		n  int
	}
	var stuck []obj
	for id, n := range st.Objects {
		if n >= StuckObjectMin {
			stuck = append(stuck, obj{id, n})
		}
	}
	if len(stuck) == 0 {
		return unstoppableContainer(s)
	}
	sort.Slice(stuck, func(i, j int) bool {
		if stuck[i].n != stuck[j].n {
			return stuck[i].n > stuck[j].n
		}
		return stuck[i].id < stuck[j].id
	})
	_, _, share := dominantObject(st)
	if len(stuck) > 3 && share <= DominantShare {
		// Many containers time out alike: that is the runtime, not one container.
		return nil
	}
	owner := podsByContainerID(s)
	f := &Finding{Severity: Critical, Confidence: Medium}
	// When one container names most timeouts, it — not the runtime as a
	// whole — is the first thing to look at (runtime-unresponsive then drops
	// to medium confidence).
	if share > DominantShare {
		f.Confidence = High
	}
	top := stuck[0]
	for i, o := range stuck {
		if i == 3 {
			break
		}
		kind := st.ObjectKinds[o.id]
		if kind == "" {
			kind = "container/sandbox"
		}
		ev := fmt.Sprintf("%s %s timed out %s× in the kubelet log", kind, shortID(o.id), humanize.Count(o.n))
		if p, ok := owner[o.id]; ok {
			ev += fmt.Sprintf(" — pod %s/%s", p.Namespace, p.Name)
		} else if pod := st.ObjectPods[o.id]; pod != "" {
			ev += " — pod " + pod
		}
		f.Evidence = append(f.Evidence, ev)
	}
	if pod := st.ObjectPods[top.id]; st.PodOnly[pod] > 0 {
		// share, from dominantObject, is about top: both rank by count, then ID.
		f.Evidence = append(f.Evidence, fmt.Sprintf("%s× more timeouts name only its pod, the kubelet's sync of that pod failing: %d%% of the runtime timeouts are about this one container",
			humanize.Count(st.PodOnly[pod]), int(share*100)))
	}
	f.Evidence = append(f.Evidence, sampleNaming(st, top.id)...)
	f.Answer, f.Steps = stuckSteps(s, top.id, st, owner)
	return f
}

// unstoppableContainer finds, in the runtime's log, a container it could not
// stop in its grace period and had to kill: one container stuck in the
// kernel (a hung mount, a D-state process), seen from the runtime's side.
func unstoppableContainer(s *snapshot.Snapshot) *Finding {
	st := s.RuntimeLog.Signal(kubelet.StopTimedOut)
	id, n, _ := dominantObject(st)
	if n == 0 {
		return listedStuck(s)
	}
	f := &Finding{Severity: Warning, Confidence: Low}
	if n > 1 {
		f.Confidence = Medium
	}
	ev := fmt.Sprintf("container %s did not stop within its grace period; the runtime had to kill it (%s× in the runtime log)", shortID(id), humanize.Count(n))
	if p, ok := podsByContainerID(s)[id]; ok {
		ev += fmt.Sprintf(" — pod %s/%s", p.Namespace, p.Name)
	}
	f.Evidence = append([]string{ev}, sampleNaming(st, id)...)
	f.Answer, f.Steps = stuckSteps(s, id, st, podsByContainerID(s))
	f.Steps = f.Steps[:2] // it was killed: nothing is left to stop
	return f
}

// sampleNaming quotes the newest sample line that names id: the stuck
// container's own line, not another one's.
func sampleNaming(st *kubelet.SignalStats, id string) []string {
	for i := len(st.Samples) - 1; i >= 0; i-- {
		if strings.Contains(st.Samples[i], id) {
			return []string{"latest: " + st.Samples[i]}
		}
	}
	return nil
}

// stuckSteps are the steps for one container or sandbox that blocks the
// runtime: inspect it (its mounts), find its processes, stop it — named by
// its full ID, with its pod beside it when the pods list or the log lines
// tell it — and, last, force-delete its pod.
func stuckSteps(s *snapshot.Snapshot, id string, st *kubelet.SignalStats, owner map[string]snapshot.Pod) (string, []Step) {
	rt := runtimeOf(s)
	pod := st.ObjectPods[id]
	if p, ok := owner[id]; ok {
		pod = p.Namespace + "/" + p.Name
	}
	kind := st.ObjectKinds[id]
	if kind == "" {
		kind = "container"
		if _, isContainer := owner[id]; !isContainer && pod != "" {
			kind = "sandbox"
		}
	}
	who := fmt.Sprintf("%s %s", kind, shortID(id))
	if pod != "" {
		who += " of pod " + pod
	}
	inspect, stop := rt.cli+" inspect "+id, "crictl stop "+id
	if kind == "sandbox" {
		inspect, stop = "crictl inspectp "+id, "crictl stopp "+id
	}
	if rt.cli == "docker" {
		stop = "docker kill " + id
	}
	steps := []Step{
		rt.noteAssumed(nodeStep(fmt.Sprintf("inspect the %s, above all its mounts: a hung NFS or disk volume is the usual reason", kind), inspect)),
		nodeStep("find its processes, and whether they are stuck in D state", fmt.Sprintf("ps -eo state,pid,etime,wchan:32,cmd | grep %s", id[:min(12, len(id))])),
		rt.noteAssumed(nodeStep("stop it, or kill its hung runc/shim process", stop)),
	}
	if ns, name, ok := strings.Cut(pod, "/"); ok {
		steps = append(steps, Step{Do: "force-delete its pod", On: OnCluster,
			Run: fmt.Sprintf("kubectl -n %s delete pod %s --grace-period=0 --force", ns, name), LastResort: true})
	}
	return who + " blocks the runtime", steps
}

func podsByContainerID(s *snapshot.Snapshot) map[string]snapshot.Pod {
	out := map[string]snapshot.Pod{}
	for _, p := range s.Pods {
		for _, id := range p.ContainerIDs {
			out[id] = p
		}
	}
	return out
}

// listedStuck reads a runtime listing (crictl ps -a, docker ps -a): a
// container created long ago that never started, or one whose state the
// runtime cannot tell, is stuck in it.
func listedStuck(s *snapshot.Snapshot) *Finding {
	var stuck []snapshot.Listed
	for _, c := range s.Listed {
		if !c.Sandbox && (c.State == "unknown" || c.State == "created" && c.ForKnown && c.For >= StuckCreatedAfter) {
			stuck = append(stuck, c)
		}
	}
	if len(stuck) == 0 {
		return nil
	}
	rt := runtimeOf(s)
	f := &Finding{Severity: Warning, Confidence: Low, Answer: fmt.Sprintf("container %s is stuck in the runtime", stuck[0].Name)}
	for i, c := range stuck {
		if i == 3 {
			f.Evidence = append(f.Evidence, fmt.Sprintf("and %d more", len(stuck)-3))
			break
		}
		ev := fmt.Sprintf("runtime listing: container %s (%s) %s", c.Name, shortID(c.ID), c.State)
		if c.State == "created" {
			ev += " " + humanize.Duration(c.For) + " ago and never started"
		}
		if c.Pod != "" {
			ev += fmt.Sprintf(" — pod %s/%s", c.Namespace, c.Pod)
		}
		f.Evidence = append(f.Evidence, ev)
	}
	f.Steps = []Step{
		nodeStep("inspect the container, above all its mounts: a hung NFS or disk volume is the usual reason", rt.cli+" inspect "+stuck[0].ID),
		dStateStep,
	}
	return f
}
