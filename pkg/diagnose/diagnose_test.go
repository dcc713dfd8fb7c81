package diagnose

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

func TestDiagnoseHealthy(t *testing.T) {
	for name, s := range map[string]*snapshot.Snapshot{
		"healthy": healthy(),
		"stale OutOfDisk=Unknown on a Ready node": mod(onNode(withCondition("OutOfDisk", corev1.ConditionUnknown, "NodeStatusNeverUpdated", "Kubelet never posted node status.", 400*24*time.Hour))),
	} {
		t.Run(name, func(t *testing.T) {
			d := Diagnose(s)
			if d.APIVersion != APIVersion || d.Kind != KindSingle || d.Node != "worker-3" || !d.CollectedAt.Equal(now) {
				t.Errorf("header %s %s %s %s", d.APIVersion, d.Kind, d.Node, d.CollectedAt)
			}
			if d.Verdict != Healthy || d.Summary != "Node worker-3: Ready for 2h" {
				t.Errorf("verdict %s %q", d.Verdict, d.Summary)
			}
			if len(d.Causes) != 0 {
				t.Errorf("causes on a healthy node: %v", causeIDs(d))
			}
			if d.Alarm() != NoAlarm {
				t.Errorf("alarm %v, want 0", d.Alarm())
			}
			for _, c := range d.Checks {
				if c.Status != CheckDone {
					t.Errorf("check %s %s: %s (%s)", c.ID, c.Name, c.Status, c.Detail)
				}
			}
		})
	}
}

func TestDiagnoseNothingCollected(t *testing.T) {
	d := Diagnose(&snapshot.Snapshot{NodeName: "worker-3", CollectedAt: now})
	if d.Verdict != Unknown {
		t.Errorf("verdict %s, want unknown", d.Verdict)
	}
	if d.Causes == nil || d.Sources == nil || d.Timeline == nil || len(d.Causes)+len(d.Sources)+len(d.Timeline) != 0 {
		t.Errorf("want empty non-nil causes, sources and timeline: %#v %#v %#v", d.Causes, d.Sources, d.Timeline)
	}
	for _, c := range d.Checks[:4] {
		if c.Status != CheckMissing || !strings.Contains(c.Detail, "not collected") {
			t.Errorf("check %s: %s %q, want missing / not collected", c.ID, c.Status, c.Detail)
		}
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"causes":[]`) || !strings.Contains(string(b), `"timeline":[]`) || !strings.Contains(string(b), `"sources":[]`) {
		t.Errorf("JSON lists must be [] not null: %s", b)
	}
}

// Real incidents: the cause with direct evidence ranks above the PLEG symptom
// at the same severity, and the exit code is critical.
func TestDiagnoseRanksRootCauseAboveSymptom(t *testing.T) {
	cases := []struct {
		name    string
		snap    *snapshot.Snapshot
		ids     []string
		verdict Verdict
	}{
		{
			name: "runtime timeouts behind a PLEG stall",
			snap: mod(
				onNode(notReady(plegStale16m, 13*time.Minute)),
				kubeletLog(append(
					klines(12, func(int) string { return listContainersTimeout }),
					kline(ago(30*time.Second), plegUnhealthyLog))...),
			),
			ids:     []string{"runtime-unresponsive", "pleg-relist-stalled"},
			verdict: PLEGUnhealthy,
		},
		{
			name: "runtime down, old comma-joined message",
			snap: mod(
				onNode(notReady("container runtime is down,PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s", 4*time.Minute)),
				kubeletLog(klines(3, func(int) string { return runtimeResetLog })...),
			),
			ids:     []string{"runtime-down", "pleg-relist-stalled"},
			verdict: RuntimeDown,
		},
		{
			name: "stuck container on a crowded node with an old runtime and no reservations",
			snap: mod(
				onNode(notReady(plegStale16m, 13*time.Minute), withVersions("v1.30.4", "docker://18.06.1-ce"), withAllocatable("8", "31Gi", "110")),
				kubeletLog(klines(6, func(int) string { return containerStatusTimeout(cid(7)) })...),
				func(s *snapshot.Snapshot) { s.Pods, s.Config.SystemReserved = append(pods(109), npdPod), nil },
			),
			// Critical: root causes (stuck-container high, runtime-unresponsive medium), then load
			// (pod-density), then the symptom; warnings: two risks, by ID.
			ids:     []string{"stuck-container", "runtime-unresponsive", "pod-density", "pleg-relist-stalled", "known-bug-version", "missing-reservations"},
			verdict: PLEGUnhealthy,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Diagnose(tc.snap)
			if got := causeIDs(d); !slices.Equal(got, tc.ids) {
				t.Errorf("causes %v, want %v", got, tc.ids)
			}
			for i, c := range d.Causes {
				if c.Rank != i+1 {
					t.Errorf("%s has rank %d at position %d", c.ID, c.Rank, i+1)
				}
			}
			if d.Verdict != tc.verdict || d.Alarm() != Critical {
				t.Errorf("verdict %s alarm %v, want %s 3", d.Verdict, d.Alarm(), tc.verdict)
			}
		})
	}
}

// A root cause inferred from a version alone must not outrank one observed in the logs.
func TestVersionInferenceBelowDirectEvidence(t *testing.T) {
	d := Diagnose(mod(
		onNode(notReady(plegStale16m, 13*time.Minute), withVersions("v1.13.5", "docker://18.9.9")),
		kubeletLog(klines(6, func(int) string { return containerStatusTimeout(cid(7)) })...),
	))
	if got := causeIDs(d); len(got) < 2 || got[0] != "stuck-container" {
		t.Errorf("causes %v, want stuck-container first", got)
	}
	for _, c := range d.Causes {
		if c.ID == "known-bug-version" && (c.Role != RootCause || c.Confidence != Medium) {
			t.Errorf("known-bug-version: %s/%s, want root-cause/medium (inferred from a version)", c.Role, c.Confidence)
		}
	}
}

func stubRule(id string, role Role, sev Severity, conf Confidence) Rule {
	return Rule{ID: CauseID(id), Title: "title of " + id, Role: role, Check: func(*snapshot.Snapshot) *Finding {
		return &Finding{Severity: sev, Confidence: conf, Evidence: []string{"evidence of " + id}, Steps: []Step{advice("fix " + id)}}
	}}
}

func TestRank(t *testing.T) {
	rules := []Rule{
		stubRule("pleg-relist-stalled", Symptom, Warning, High),
		stubRule("zz-root", RootCause, Warning, Low),
		stubRule("load", Load, Warning, High),
		stubRule("risk", Risk, Warning, High),
		stubRule("info-root", RootCause, Info, High),
		{ID: "silent", Role: RootCause, Check: func(*snapshot.Snapshot) *Finding { return nil }},
		stubRule("critical-symptom", Symptom, Critical, Low),
		stubRule("aa-root", RootCause, Warning, Low),
		stubRule("mm-root", RootCause, Warning, Medium),
		{ID: "promoted", Title: "title of promoted", Role: Risk, Check: func(*snapshot.Snapshot) *Finding {
			return &Finding{Severity: Warning, Confidence: Low, Role: RootCause, Evidence: []string{"e"}, Steps: []Step{advice("r")}}
		}},
	}
	// Severity first; then root cause > load > symptom > risk; then confidence; then ID.
	want := []string{"critical-symptom", "mm-root", "aa-root", "promoted", "zz-root", "load", "pleg-relist-stalled", "risk", "info-root"}
	d := diagnoseWith(healthy(), rules)
	if got := causeIDs(d); !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	// The order of the rule table never decides the ranking.
	reversed := slices.Clone(rules)
	slices.Reverse(reversed)
	if got := causeIDs(diagnoseWith(healthy(), reversed)); !slices.Equal(got, want) {
		t.Errorf("reversed table: order %v, want %v", got, want)
	}
	c := d.Causes[1]
	if c.Rank != 2 || c.Title != "title of mm-root" || c.Role != RootCause || c.Severity != Warning || c.Confidence != Medium ||
		!slices.Equal(c.Evidence, []string{"evidence of mm-root"}) || !slices.Equal(c.Remediation, []string{"fix mm-root"}) {
		t.Errorf("cause 2 = %+v", c)
	}
	if p := d.Causes[3]; p.ID != "promoted" || p.Role != RootCause {
		t.Errorf("a finding's role must override its rule's: %+v", p)
	}
	if d.Alarm() != Critical {
		t.Errorf("alarm %v, want 3", d.Alarm())
	}
}

func TestRankTiesBreakByID(t *testing.T) {
	causes := []Cause{
		{ID: "stuck-container", Role: RootCause, Severity: Critical, Confidence: High},
		{ID: "runtime-down", Role: RootCause, Severity: Critical, Confidence: High},
		{ID: "cni-not-ready", Role: RootCause, Severity: Critical, Confidence: High},
	}
	rank(causes)
	var got []string
	for _, c := range causes {
		got = append(got, fmt.Sprintf("%d:%s", c.Rank, c.ID))
	}
	if want := []string{"1:cni-not-ready", "2:runtime-down", "3:stuck-container"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestAlarm(t *testing.T) {
	c := func(sev ...Severity) []Cause {
		var out []Cause
		for _, s := range sev {
			out = append(out, Cause{Severity: s})
		}
		return out
	}
	for _, tc := range []struct {
		causes  []Cause
		verdict Verdict
		want    Severity
	}{
		{nil, Healthy, NoAlarm},
		{c(Info), Healthy, NoAlarm},
		{nil, Unknown, Warning},
		{c(Info, Warning), Healthy, Warning},
		{c(Warning, Warning), PLEGUnhealthy, Warning},
		{c(Warning, Info, Critical), PLEGUnhealthy, Critical},
		{c(Critical), Unknown, Critical},
	} {
		d := &Diagnosis{Causes: tc.causes, Verdict: tc.verdict}
		if got := d.Alarm(); got != tc.want {
			t.Errorf("%v %s: alarm %v, want %v", tc.causes, tc.verdict, got, tc.want)
		}
	}
}

func TestEnumsMarshalAsWords(t *testing.T) {
	b, err := json.Marshal(Cause{ID: "x", Role: Load, Severity: Critical, Confidence: Low})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"severity":"critical"`, `"confidence":"low"`, `"role":"load"`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("%s lacks %s", b, w)
		}
	}
	if _, err := json.Marshal(Cause{}); err == nil {
		t.Error("a zero severity marshalled without error")
	}
	if Info >= Warning || Warning >= Critical || Low >= Medium || Medium >= High || Risk >= Symptom || Symptom >= Load || Load >= RootCause {
		t.Error("enum order changed")
	}
}

func TestChecks(t *testing.T) {
	s := healthy()
	s.Sources = []snapshot.Source{
		{Name: snapshot.SourceNode, Status: snapshot.StatusOK},
		{Name: snapshot.SourceEvents, Status: snapshot.StatusForbidden, Reason: "forbidden"},
		{Name: snapshot.SourceKubeletLog, Status: snapshot.StatusOK, Detail: "node log query, 1h, 12,345 lines"},
		{Name: snapshot.SourceSystemLog, Status: snapshot.StatusOK, Detail: "/var/log/messages"},
		{Name: snapshot.SourcePods, Status: snapshot.StatusOK},
		{Name: snapshot.SourceStats, Status: snapshot.StatusUnavailable},
		{Name: snapshot.SourceMetrics, Status: snapshot.StatusOK},
		{Name: snapshot.SourceConfigz, Status: snapshot.StatusOK},
	}
	causes := []Cause{{Remediation: []string{"a", "b"}}, {Remediation: []string{"c", "d", "e"}}}
	want := []Check{
		{ID: "A", Name: "conditions+events", Status: CheckPartial, Detail: "events forbidden"},
		{ID: "B", Name: "kubelet log", Status: CheckDone, Detail: "node log query, 1h, 12,345 lines"},
		{ID: "C", Name: "system log", Status: CheckPartial, Detail: "runtime-log not collected"},
		{ID: "D", Name: "load+density", Status: CheckPartial, Detail: "stats unavailable"},
		{ID: "E", Name: "remediation", Status: CheckDone, Detail: "5 next steps"},
	}
	if got := checks(s, causes); !reflect.DeepEqual(got, want) {
		t.Errorf("checks\n got %+v\nwant %+v", got, want)
	}

	setSource(s, snapshot.SourceKubeletLog, snapshot.StatusForbidden, "forbidden")
	got := checks(s, nil)
	if b := got[1]; b.Status != CheckMissing || b.Detail != "kubelet-log forbidden" {
		t.Errorf("B = %+v, want missing / kubelet-log forbidden", b)
	}
	if e := got[4]; e.Detail != "nothing to remediate" {
		t.Errorf("E = %+v", e)
	}
}

func TestTimeline(t *testing.T) {
	at := func(hh, mm, ss int) time.Time { return time.Date(2026, time.November, 27, hh, mm, ss, 0, time.UTC) }
	s := mod(
		onNode(
			notReady(plegStale16m, 13*time.Minute),
			withCondition(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "", time.Hour),
			withCondition(corev1.NodeDiskPressure, corev1.ConditionTrue, "KubeletHasDiskPressure", "", 30*time.Minute),
		),
		func(s *snapshot.Snapshot) {
			s.Events = []snapshot.Event{
				{Reason: "NodeNotReady", Count: 3, First: at(8, 15, 0), Last: at(8, 55, 0)},
				{Reason: "NodeReady", Count: 1, First: at(8, 20, 0), Last: at(8, 20, 0)},
			}
			s.Metrics.PLEGLastSeen = ptr(at(8, 43, 54))
			s.SystemLog = scan(kernelLine(at(8, 40, 0), "Out of memory: Killed process 4321 (java)"))
			s.RuntimeLog = nil
		},
		kubeletLog(
			jline(at(8, 0, 0), "kubelet", klog('I', at(8, 0, 0), startLog)),
			kline(at(8, 46, 0), plegUnhealthyLog),
			kline(at(8, 50, 0), listContainersTimeout),
			kline(at(8, 55, 0), plegUnhealthyLog),
		),
	)
	want := []TimelineEntry{
		{at(8, 0, 0), "kubelet-log", "kubelet started", 0},
		{at(8, 15, 0), "events", "NodeNotReady (first)", 3},
		{at(8, 20, 0), "events", "NodeReady", 1},
		{at(8, 30, 0), "node", "DiskPressure=True (KubeletHasDiskPressure)", 0},
		{at(8, 40, 0), "system-log", "first OOM kills", 1},
		{at(8, 43, 54), "metrics", "last successful PLEG relist", 0},
		{at(8, 46, 0), "kubelet-log", "first PLEG is not healthy", 2},
		{at(8, 47, 0), "node", "Ready=False (KubeletNotReady)", 0},
		{at(8, 50, 0), "kubelet-log", "first runtime call timeouts", 1},
		{at(8, 55, 0), "events", "NodeNotReady", 3},
		{at(8, 55, 0), "kubelet-log", "last PLEG is not healthy", 2},
	}
	if got := timeline(s); !reflect.DeepEqual(got, want) {
		t.Errorf("timeline\n got %v\nwant %v", got, want)
	}
}

func TestTimelineKeepsNewest(t *testing.T) {
	s := &snapshot.Snapshot{NodeName: "worker-3", CollectedAt: now}
	for i := 0; i < 50; i++ {
		s.Events = append(s.Events, snapshot.Event{Reason: fmt.Sprintf("E%02d", i), Count: 1, Last: ago(time.Duration(50-i) * time.Minute)})
	}
	got := timeline(s)
	if len(got) != maxTimeline || got[0].Event != "E10" || got[len(got)-1].Event != "E49" {
		t.Errorf("kept %d entries, %s..%s; want %d, E10..E49", len(got), got[0].Event, got[len(got)-1].Event, maxTimeline)
	}
	s.Events = nil
	if got := timeline(s); got == nil || len(got) != 0 {
		t.Errorf("empty timeline = %#v, want []", got)
	}
}

// Evidence says "Ready=False for 13m", not "Ready=False for 13m ago".
func TestEvidenceDurations(t *testing.T) {
	bad := regexp.MustCompile(`\bfor [0-9hms.]+ ago\b`)
	s := mod(onNode(
		notReady("container runtime is down,PLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s", 13*time.Minute),
		withCondition(corev1.NodeMemoryPressure, corev1.ConditionTrue, "KubeletHasInsufficientMemory", "kubelet has insufficient memory available", 10*time.Minute),
	))
	for _, c := range Diagnose(s).Causes {
		for _, e := range c.Evidence {
			if bad.MatchString(e) {
				t.Errorf("%s: %q", c.ID, e)
			}
		}
	}
}

// A NotReady node that no rule explains must not exit 0 ("no warning or
// critical cause") as if it were fine.
func TestUnexplainedNotReadyIsNotOK(t *testing.T) {
	d := Diagnose(mod(onNode(notReady("node is shutting down", 2*time.Minute))))
	if d.Verdict != NotReady || d.Alarm() == NoAlarm {
		t.Errorf("verdict %s alarm %v, causes %v", d.Verdict, d.Alarm(), causeIDs(d))
	}
}

// Every rule must stay quiet on a complete healthy snapshot and on an empty one.
func TestRulesQuietWithoutEvidence(t *testing.T) {
	empty := &snapshot.Snapshot{NodeName: "worker-3", CollectedAt: now}
	logsOnly := &snapshot.Snapshot{NodeName: "worker-3", CollectedAt: now, KubeletLog: &kubelet.LogSummary{}, Sources: okSources()}
	for _, r := range Rules {
		for name, s := range map[string]*snapshot.Snapshot{"healthy": healthy(), "empty": empty, "empty logs": logsOnly} {
			if f := r.Check(s); f != nil {
				t.Errorf("%s fired on the %s snapshot: %s %q", r.ID, name, f.Severity, f.Evidence)
			}
		}
	}
	if len(Rules) < 14 {
		t.Errorf("only %d rules", len(Rules))
	}
}

// The fleet's line: worst state first, the nodes in trouble named, at most
// three of a state.
func TestFleetSummary(t *testing.T) {
	d := func(node string, v Verdict, sev Severity) *Diagnosis {
		var causes []Cause
		if sev > 0 {
			causes = []Cause{{ID: CauseNodeNotReady, Severity: sev}}
		}
		return &Diagnosis{Node: node, Verdict: v, Causes: causes}
	}
	got := FleetSummary([]*Diagnosis{
		d("a", Healthy, 0), d("b", NotReady, Warning), d("c", KubeletUnreachable, Critical),
		d("e", NotReady, Warning), d("f", NotReady, Warning), d("g", NotReady, Warning), d("", Healthy, 0),
	})
	want := "7 nodes: 1 kubelet-unreachable (c), 4 not-ready (b, e, f and 1 more), 2 healthy"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// Risks are warnings only when they compound trouble: a dense node that
// works warns of its density alone; the same node NotReady, or under memory
// pressure, gets its risks as warnings too.
func TestRisksCompoundTroubleNotLoad(t *testing.T) {
	dense := func(fns ...func(*snapshot.Snapshot)) *snapshot.Snapshot {
		return mod(append([]func(*snapshot.Snapshot){
			onNode(withAllocatable("2", "8Gi", "16")),
			func(s *snapshot.Snapshot) { s.Pods, s.Config.MaxPods, s.Config.SystemReserved = pods(14), 16, nil },
		}, fns...)...)
	}
	for _, tc := range []struct {
		name string
		snap *snapshot.Snapshot
		want Severity
	}{
		{"dense and working", dense(), Info},
		{"dense and NotReady", dense(onNode(notReady(plegStale16m, 13*time.Minute))), Warning},
		{"dense under memory pressure", dense(onNode(withCondition(corev1.NodeMemoryPressure, corev1.ConditionTrue, "KubeletHasInsufficientMemory", "kubelet has insufficient memory available", time.Minute))), Warning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Diagnose(tc.snap)
			sev := map[CauseID]Severity{}
			for _, c := range d.Causes {
				sev[c.ID] = c.Severity
			}
			if sev[CausePodDensity] < Warning {
				t.Fatalf("pod-density %s, want a warning at 14/16 pods (causes %v)", sev[CausePodDensity], causeIDs(d))
			}
			if sev[CauseMissingReservations] != tc.want {
				t.Errorf("missing-reservations %s, want %s", sev[CauseMissingReservations], tc.want)
			}
		})
	}
}
