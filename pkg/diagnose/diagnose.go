// Package diagnose runs the checklist over a snapshot: one ordered table of
// rules, each a pure function of the snapshot that returns a finding with its
// evidence, then a ranking and a verdict. Rules never call the API, never read
// the clock (the snapshot's CollectedAt is "now") and never print.
package diagnose

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Schema identifiers of the JSON/YAML output; bump the version on any
// incompatible change.
const (
	APIVersion  = "pleg.kubectl.io/v1alpha1"
	KindSingle  = "Diagnosis"
	KindList    = "DiagnosisList"
	maxTimeline = 40
)

// Severity orders findings: info < warning < critical.
type Severity int

// Severities.
const (
	Info Severity = iota + 1
	Warning
	Critical
)

var severityNames = map[Severity]string{Info: "info", Warning: "warning", Critical: "critical"}

func (s Severity) String() string { return severityNames[s] }

// MarshalText writes the severity as a word, never a number.
func (s Severity) MarshalText() ([]byte, error) {
	if n, ok := severityNames[s]; ok {
		return []byte(n), nil
	}
	return nil, fmt.Errorf("invalid severity %d", int(s))
}

// Confidence says how sure a finding is of its evidence.
type Confidence int

// Confidences.
const (
	Low Confidence = iota + 1
	Medium
	High
)

var confidenceNames = map[Confidence]string{Low: "low", Medium: "medium", High: "high"}

func (c Confidence) String() string { return confidenceNames[c] }

// MarshalText writes the confidence as a word.
func (c Confidence) MarshalText() ([]byte, error) {
	if n, ok := confidenceNames[c]; ok {
		return []byte(n), nil
	}
	return nil, fmt.Errorf("invalid confidence %d", int(c))
}

// Role says where in the chain of events a cause stands. At equal severity a
// root cause with direct evidence ranks above load that slows the relist,
// load above the symptom they explain (runtime-unresponsive above
// pleg-relist-stalled), and the symptom above a risk that only makes trouble
// likelier (missing reservations, no monitoring).
type Role int

// Roles, lowest rank first.
const (
	Risk Role = iota + 1
	Symptom
	Load
	RootCause
)

var roleNames = map[Role]string{Risk: "risk", Symptom: "symptom", Load: "load", RootCause: "root-cause"}

func (r Role) String() string { return roleNames[r] }

// MarshalText writes the role as a word.
func (r Role) MarshalText() ([]byte, error) {
	if n, ok := roleNames[r]; ok {
		return []byte(n), nil
	}
	return nil, fmt.Errorf("invalid role %d", int(r))
}

// Finding is what a rule's check returns when it fires.
type Finding struct {
	Severity   Severity
	Confidence Confidence
	// Answer is the finding in one phrase with its strongest evidence, as
	// the report's first line says it: "containerd is not answering: 182
	// runtime calls timed out in 6m".
	Answer string
	// Evidence holds the exact values and lines that triggered the rule.
	Evidence []string
	// Steps are the next steps, most useful first; the tool never runs them.
	Steps []Step
	// Role, when set, overrides the rule's role: a risk that explains the
	// present trouble (a kubelet with the relist deadlock whose PLEG is stale)
	// is that trouble's root cause.
	Role Role
}

// Rule is one entry of the checklist.
type Rule struct {
	// ID is stable: scripts and runbooks key on it.
	ID    CauseID
	Title string
	Role  Role
	Check func(*snapshot.Snapshot) *Finding
}

// Cause is a fired rule in the report.
type Cause struct {
	Rank       int        `json:"rank"`
	ID         CauseID    `json:"id"`
	Title      string     `json:"title"`
	Role       Role       `json:"role"`
	Severity   Severity   `json:"severity"`
	Confidence Confidence `json:"confidence"`
	// Answer is the cause in one phrase with its strongest evidence.
	Answer   string   `json:"answer"`
	Evidence []string `json:"evidence"`
	// Steps are the next steps, each with its command apart from its words;
	// Remediation says them in one line each, as earlier versions did.
	Steps       []Step   `json:"steps"`
	Remediation []string `json:"remediation"`
}

// Check is one item of the expert's checklist (A–E) and how well the data covered it.
type Check struct {
	ID     string      `json:"id"`
	Name   string      `json:"name"`
	Status CheckStatus `json:"status"`
	Detail string      `json:"detail,omitempty"`
}

// CheckStatus says whether a checklist item could be run on the data collected.
type CheckStatus string

// Check outcomes.
const (
	CheckDone    CheckStatus = "ok"
	CheckPartial CheckStatus = "partial"
	CheckMissing CheckStatus = "missing"
)

// TimelineEntry is one moment of the incident.
type TimelineEntry struct {
	Time   time.Time `json:"time"`
	Source string    `json:"source"`
	Event  string    `json:"event"`
	Count  int       `json:"count,omitempty"`
}

// Diagnosis is the result for one node; its JSON is the tool's stable schema.
type Diagnosis struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Node       string `json:"node"`
	// CollectedAt is absent when nothing in offline data carries a time.
	CollectedAt time.Time `json:"collectedAt,omitzero"`
	// CollectedAtYearGuessed says the data carried no year for it.
	CollectedAtYearGuessed bool `json:"collectedAtYearGuessed,omitempty"`
	// Headline is the conclusion in one line: the node, its state, the top
	// cause with its strongest evidence, the command to run next.
	Headline string `json:"headline"`
	// Next is the one step to run next, the headline's command.
	Next    *Step   `json:"next,omitempty"`
	Verdict Verdict `json:"verdict"`
	// Summary is the node's state and its symptom: "NotReady for 16m — PLEG
	// is not healthy (relist last seen 16m6s ago; threshold 3m)".
	Summary  string            `json:"summary"`
	Causes   []Cause           `json:"causes"`
	Checks   []Check           `json:"checks"`
	Sources  []snapshot.Source `json:"sources"`
	Timeline []TimelineEntry   `json:"timeline"`
	// Tracks are the rows of the incident's time strip.
	Tracks []Track `json:"tracks,omitempty"`
	// WindowStart is where the data's window begins: the log window before
	// the capture time, live; offline, the oldest time the tracks hold.
	WindowStart time.Time `json:"windowStart,omitzero"`
	// FullerInput says what more data would tell, for a diagnosis from files.
	FullerInput []string `json:"fullerInput,omitempty"`
}

// DiagnosisList holds the diagnoses of several nodes.
type DiagnosisList struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Summary is the fleet in one line, worst first: "5 nodes: 1
	// not-ready (kubelet3), 4 healthy".
	Summary string       `json:"summary"`
	Items   []*Diagnosis `json:"items"`
}

// NewList wraps diagnoses in a DiagnosisList.
func NewList(items []*Diagnosis) *DiagnosisList {
	return &DiagnosisList{APIVersion: APIVersion, Kind: KindList, Summary: FleetSummary(items), Items: items}
}

// FleetSummary says how many nodes are in each state, the worst first,
// naming the nodes in trouble (up to three of a state).
func FleetSummary(diags []*Diagnosis) string {
	type group struct {
		verdict Verdict
		alarm   Severity
		nodes   []string
	}
	var groups []*group
	for _, d := range diags {
		i := slices.IndexFunc(groups, func(g *group) bool { return g.verdict == d.Verdict })
		if i < 0 {
			groups = append(groups, &group{verdict: d.Verdict})
			i = len(groups) - 1
		}
		g := groups[i]
		g.alarm = max(g.alarm, d.Alarm())
		g.nodes = append(g.nodes, cmp.Or(d.Node, "(unnamed)"))
	}
	slices.SortStableFunc(groups, func(a, b *group) int { return cmp.Compare(b.alarm, a.alarm) })
	var parts []string
	for _, g := range groups {
		part := fmt.Sprintf("%d %s", len(g.nodes), g.verdict)
		if g.verdict != Healthy {
			names := g.nodes[:min(3, len(g.nodes))]
			more := ""
			if len(g.nodes) > 3 {
				more = fmt.Sprintf(" and %d more", len(g.nodes)-3)
			}
			part += " (" + strings.Join(names, ", ") + more + ")"
		}
		parts = append(parts, part)
	}
	return fmt.Sprintf("%d nodes: %s", len(diags), strings.Join(parts, ", "))
}

// NoAlarm is the Alarm of a diagnosis with nothing to say.
const NoAlarm Severity = 0

// Alarm is how loud the diagnosis is: Critical with a critical cause;
// Warning with a warning, or when the node's state could not be told
// (verdict unknown: a runbook must not read missing data as "fine");
// NoAlarm otherwise. Commands turn it into their exit code.
func (d *Diagnosis) Alarm() Severity {
	alarm := NoAlarm
	if d.Verdict == Unknown {
		alarm = Warning
	}
	for _, c := range d.Causes {
		switch c.Severity {
		case Critical:
			return Critical
		case Warning:
			alarm = Warning
		}
	}
	return alarm
}

// Diagnose runs every rule over the snapshot and ranks what fired.
func Diagnose(snap *snapshot.Snapshot) *Diagnosis {
	return diagnoseWith(snap, Rules)
}

func diagnoseWith(snap *snapshot.Snapshot, rules []Rule) *Diagnosis {
	d := &Diagnosis{
		APIVersion: APIVersion, Kind: KindSingle, Node: snap.NodeName, CollectedAt: snap.CollectedAt, CollectedAtYearGuessed: snap.CaptureYearGuessed,
		Causes: []Cause{}, Sources: snap.Sources,
	}
	for _, r := range rules {
		f := r.Check(snap)
		if f == nil {
			continue
		}
		role := r.Role
		if f.Role != 0 {
			role = f.Role
		}
		d.Causes = append(d.Causes, Cause{
			ID: r.ID, Title: r.Title, Role: role, Severity: f.Severity, Confidence: f.Confidence,
			Answer: f.Answer, Evidence: f.Evidence, Steps: f.Steps,
		})
	}
	d.Verdict, d.Summary = verdict(snap)
	risksInfoUnlessTroubled(d)
	rank(d.Causes)
	finishSteps(d, snap)
	d.Headline, d.Next = headline(d, snap)
	d.Checks = checks(snap, d.Causes)
	d.Timeline = timeline(snap)
	d.Tracks = tracks(snap)
	d.WindowStart = windowStart(snap, d.Tracks)
	d.FullerInput = whatMoreWouldTell(snap)
	if d.Sources == nil {
		d.Sources = []snapshot.Source{}
	}
	return d
}

// Trouble says the cause is a problem of the node now, not a standing
// condition: a warning or worse that is neither a risk nor load (PLEG
// trouble, the runtime, flapping), or critical load (memory pressure, a
// node past its maxPods). A busy, densely packed node that works is load.
func (c Cause) Trouble() bool {
	switch c.Role {
	case Risk:
		return false
	case Load:
		return c.Severity >= Critical
	}
	return c.Severity >= Warning
}

// risksInfoUnlessTroubled makes risks (no reservations, pods without limits, a version
// with known hangs, no node monitoring) info on a node with no current
// problem: kubeadm reserves nothing by default, and a fleet of healthy nodes
// must not warn. A risk stays a warning when it compounds a problem the data
// shows — the node not Ready, a warning or critical cause that is neither a
// risk nor load (PLEG trouble, the runtime, flapping), or critical load
// (memory pressure, a node past its maxPods). A busy, densely packed node
// that works is load, not trouble: the lab's real dense node warns of its
// density alone.
func risksInfoUnlessTroubled(d *Diagnosis) {
	troubled := d.Verdict != Healthy && d.Verdict != Unknown && d.Verdict != Starting
	for _, c := range d.Causes {
		troubled = troubled || c.Trouble()
	}
	if troubled {
		return
	}
	for i := range d.Causes {
		if d.Causes[i].Role == Risk {
			d.Causes[i].Severity = Info
		}
	}
}

// rank orders causes by severity, then role, then confidence; ties break by ID
// so that the output is stable. The order of the rule table never matters.
func rank(causes []Cause) {
	sort.SliceStable(causes, func(i, j int) bool {
		a, b := causes[i], causes[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Role != b.Role {
			return a.Role > b.Role
		}
		if a.Confidence != b.Confidence {
			return a.Confidence > b.Confidence
		}
		return a.ID < b.ID
	})
	for i := range causes {
		causes[i].Rank = i + 1
	}
}

// UnmarshalText reads a severity word back.
func (s *Severity) UnmarshalText(b []byte) error {
	return unmarshalWord(b, severityNames, s, "severity")
}

// UnmarshalText reads a confidence word back.
func (c *Confidence) UnmarshalText(b []byte) error {
	return unmarshalWord(b, confidenceNames, c, "confidence")
}

// UnmarshalText reads a role word back.
func (r *Role) UnmarshalText(b []byte) error { return unmarshalWord(b, roleNames, r, "role") }

// unmarshalWord finds the value whose name is b: the JSON schema's words
// read back into the types (a library reading a saved diagnosis).
func unmarshalWord[T comparable](b []byte, names map[T]string, v *T, what string) error {
	for k, name := range names {
		if name == string(b) {
			*v = k
			return nil
		}
	}
	return fmt.Errorf("unknown %s %q", what, b)
}
