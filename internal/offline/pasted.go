package offline

import (
	"bytes"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-pleg/kubectl-pleg/internal/paste"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Command output operators paste (internal/paste reads it), turned into
// what the rules read.

// addUnits takes `systemctl status` output: each unit's state, and the
// journal lines shown under it, read as that unit's log.
func (o *offline) addUnits(name string, body []byte) error {
	units, err := paste.ParseUnitStatus(bytes.NewReader(body))
	if len(units) == 0 {
		return err
	}
	if err != nil {
		o.problem(name, err) // read in part: the units before the damage are used
	}
	journals := map[kubelet.LogKind][]string{}
	for _, u := range units {
		unit := snapshot.Unit{Name: u.Unit, Active: u.Active, Sub: u.Sub, Result: u.Result,
			For: u.For, ForKnown: u.ForKnown, MainExit: u.MainExit, Restarts: u.Restarts}
		o.units = append(o.units, unit)
		if !u.Since.IsZero() && u.ForKnown {
			o.extendCaptureTo(u.Since.Add(u.For)) // when the status was taken
		}
		if kind := unitLogKind(unit); kind != kubelet.NotALog && len(u.Journal) > 0 {
			journals[kind] = append(journals[kind], u.Journal...)
		}
	}
	o.sources[snapshot.SourceUnits] = name
	for _, kind := range []kubelet.LogKind{kubelet.KubeletLog, kubelet.RuntimeLog} {
		if lines := journals[kind]; len(lines) > 0 {
			o.logs = append(o.logs, pendingLog{name: name + " (the journal lines under the status)", kind: kind, r: strings.NewReader(strings.Join(lines, "\n") + "\n")})
		}
	}
	return nil
}

// unitLogKind is whose log a unit's journal is: the kubelet's, the
// runtime's, or neither.
func unitLogKind(u snapshot.Unit) kubelet.LogKind {
	switch u.Role() {
	case snapshot.KubeletUnit:
		return kubelet.KubeletLog
	case snapshot.RuntimeUnit:
		return kubelet.RuntimeLog
	}
	return kubelet.NotALog
}

// addNodeTable takes `kubectl get nodes` rows: each node's readiness, age
// and versions, as a Node object would hold them. The table says nothing
// of when a node turned NotReady, so no transition time is made up.
func (o *offline) addNodeTable(name string, body []byte) error {
	table, err := paste.ParseNodeTable(bytes.NewReader(body))
	if table == nil || len(table.Rows) == 0 {
		return err
	}
	if err != nil {
		o.problem(name, err)
	}
	o.extendCaptureTo(table.Taken)
	for _, row := range table.Rows {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: row.Name}}
		if row.AgeKnown && !table.Taken.IsZero() {
			n.CreationTimestamp = metav1.NewTime(table.Taken.Add(-row.Age))
		}
		n.Spec.Unschedulable = slices.Contains(row.Flags, "SchedulingDisabled")
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: readyStatus(row.Ready),
			Message: "kubectl get nodes: " + strings.Join(append([]string{row.Ready}, row.Flags...), ",")}}
		n.Status.NodeInfo = corev1.NodeSystemInfo{KubeletVersion: row.Version, ContainerRuntimeVersion: row.ContainerRuntime,
			OSImage: row.OSImage, KernelVersion: row.KernelVersion}
		nd := o.addNode(name, n)
		if row.AgeKnown && table.Taken.IsZero() {
			nd.age = row.Age
		}
	}
	return nil
}

func readyStatus(ready string) corev1.ConditionStatus {
	switch ready {
	case "Ready":
		return corev1.ConditionTrue
	case "NotReady":
		return corev1.ConditionFalse
	}
	return corev1.ConditionUnknown
}

// addListing takes crictl's or docker's listing of the runtime's
// containers and sandboxes.
func (o *offline) addListing(name string, body []byte) error {
	l, err := paste.ParseListing(bytes.NewReader(body))
	if l == nil || len(l.Rows) == 0 {
		return err
	}
	if err != nil {
		o.problem(name, err)
	}
	for _, r := range l.Rows {
		inState, known := r.For, r.ForKnown
		if !known { // crictl gives the age only: a state is at most that old
			inState, known = r.Age, r.AgeKnown
		}
		o.listed = append(o.listed, snapshot.Listed{ID: r.ID, Sandbox: r.Sandbox, Name: r.Name, Pod: r.Pod,
			Namespace: r.Namespace, State: r.State, For: inState, ForKnown: known})
	}
	o.sources[snapshot.SourceListing] = name
	return nil
}

// pendingText is a file read whole whose reading waits for the capture time.
type pendingText struct {
	name string
	body []byte
}

// readControllerLogs takes what the node controller concluded about each
// node as that node's events: the control plane's view of its history,
// which tells its state when nothing from the node itself does. A node the
// log names that no other file shows becomes a node of its own.
func (o *offline) readControllerLogs(ref time.Time) {
	for _, l := range o.controllerLogs {
		events, err := paste.ParseControllerLog(bytes.NewReader(l.body), ref)
		if err != nil && len(events) == 0 {
			o.problem(l.name, err)
			continue
		}
		// Disruption mode is about every node: when the log names one
		// node only, "some Nodes are Ready" is that node Ready again.
		only := ""
		for _, e := range events {
			if e.Node != "" && only != "" && e.Node != only {
				only = ""
				break
			}
			if e.Node != "" {
				only = e.Node
			}
		}
		o.eventsSeen = l.name // read, even when it names no node
		for _, e := range events {
			if e.Node == "" {
				if e.Node = only; only == "" {
					continue
				}
			}
			n := o.nodeNamed(e.Node)
			if n.node == nil {
				n.node = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: e.Node}}
			}
			// The controller restates a state every few seconds ("is
			// NotReady as of …"): a restatement is no new transition.
			if last := len(n.events) - 1; last >= 0 && n.events[last].Reason == e.Reason && n.events[last].Source == "node-controller" {
				n.events[last].Last, n.events[last].Message = e.Time, e.Message
			} else {
				n.events = append(n.events, snapshot.Event{Type: "Normal", Reason: e.Reason, Message: e.Message,
					Count: 1, First: e.Time, Last: e.Time, Source: "node-controller"})
			}
			n.sources[snapshot.SourceEvents] = l.name + " (the controller-manager's log)"
			o.extendCapture(e.Time, e.Yearless)
		}
	}
}
