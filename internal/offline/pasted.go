package offline

import (
	"bytes"
	"strings"

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
