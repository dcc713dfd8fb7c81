// Package offline diagnoses from what an on-call engineer has in hand instead
// of a cluster: pasted `kubectl describe node` (whole or in pieces), Node
// objects, a journalctl dump, a scraped /metrics, a bundle written by
// `kubectl pleg collect`. Each file's kind is told by its content. There is
// no "now" offline: the capture time comes from the data (a bundle's
// manifest, heartbeats, event and stats times, the newest log line), never
// from the clock.
package offline

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/internal/bundle"
	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Input is one file given to diagnose -f; Name "-" is standard input.
type Input struct {
	Name string
	// Path is the file on disk, when it is one: an archive is unpacked
	// from it rather than copied.
	Path string
	R    io.Reader
}

// maxObjectBytes bounds a non-log file, which is read whole.
const maxObjectBytes = 512 << 20

// sniffBytes is how much of a file its kind is told from.
const sniffBytes = 64 << 10

// offline gathers the parsed inputs before they become snapshots.
type offline struct {
	node string // the node asked for, or "" for every node in the input
	// nodes are the nodes the input shows (Node objects, described nodes),
	// in the order met; objects of the same name are one node.
	nodes []*nodeData
	// events and pods not yet given to a node: Event objects name theirs,
	// pods run on theirs.
	events   []looseEvent
	pods     []loosePod
	podsSeen string // the file of a pod list, even an empty one
	// eventsSeen is the file of an event list, even one with no event
	// about a node: that none is there is what it says.
	eventsSeen string
	// The kubelet's own data belongs to one node: the one named, the only
	// one, or the one it names itself.
	metrics *kubelet.Metrics
	stats   *kubelet.NodeStats
	config  *kubelet.Config
	healthz *snapshot.Healthz
	units   []snapshot.Unit
	listed  []snapshot.Listed
	// logs wait until the capture time is known: year-less lines need it.
	logs           []pendingLog
	controllerLogs []pendingText
	sources        map[snapshot.SourceName]string // kubelet source → file it came from
	capture        time.Time
	// captureYearless says the capture time is a log line's without a year
	// of its own (BSD syslog, klog): reports show it without one.
	captureYearless bool
	// problems are files or parts that could not be used; they are reported
	// but do not stop the diagnosis of the rest.
	problems []error
}

// nodeData is what the input shows of one node.
type nodeData struct {
	node    *corev1.Node
	age     time.Duration // a table row's AGE, when no time anchors it
	events  []snapshot.Event
	pods    []snapshot.Pod
	sources map[snapshot.SourceName]string
}

type looseEvent struct {
	node string // the node it is about, "" when it names none
	file string
	ev   snapshot.Event
}

type loosePod struct {
	node string
	pod  snapshot.Pod
}

func newOffline(node string) *offline {
	return &offline{node: node, sources: map[snapshot.SourceName]string{}}
}

// FromFiles diagnoses offline from files whose kinds are told by content:
// one snapshot per node they show (a `kubectl describe nodes` text or a
// NodeList holds several), or the one node named. today gives year-less
// log lines a year when nothing in the files carries a date.
//
// It returns no snapshot when nothing usable remains. Otherwise a non-nil
// error lists the files (or parts) that could not be used: report them, and
// diagnose the rest.
//
// An archive among the files (.tar.gz, .tgz, .tar, .zip) is unpacked and
// read as a support archive's tree (see FromDir), the other files with it.
func FromFiles(inputs []Input, node string, today time.Time) ([]*snapshot.Snapshot, error) {
	plain, trees, cleanup, err := splitArchives(inputs)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if len(trees) == 0 {
		return fromInputs(plain, node, today)
	}
	var snaps []*snapshot.Snapshot
	var problems []error
	for i, root := range trees {
		extra := plain
		if i > 0 {
			extra = nil // the loose files go with the first archive only
		}
		s, err := fromTree(root, extra, node, today)
		snaps, problems = append(snaps, s...), append(problems, err)
	}
	return snaps, errors.Join(problems...)
}

// fromInputs diagnoses files none of which is an archive.
func fromInputs(inputs []Input, node string, today time.Time) ([]*snapshot.Snapshot, error) {
	o := newOffline(node)
	for _, in := range inputs {
		if err := o.add(in); err != nil {
			o.problem(in.Name, err)
		}
	}
	snaps, err := o.snapshots(today)
	if err != nil {
		return nil, errors.Join(append(o.problems, err, o.whatIsRead())...)
	}
	for _, s := range snaps {
		s.Offline = true
	}
	return snaps, errors.Join(append(o.problems, o.whatIsRead())...)
}

// whatIsRead says, once, what -f reads when some file was none of it; nil
// otherwise.
func (o *offline) whatIsRead() error {
	var u unreadable
	for _, p := range o.problems {
		if errors.As(p, &u) {
			return errors.New(accepted)
		}
	}
	return nil
}

func (o *offline) problem(file string, err error) {
	o.problems = append(o.problems, fmt.Errorf("%s: %w", file, err))
}

// add reads one input: objects and kubelet data at once, logs later.
func (o *offline) add(in Input) error {
	br, err := decompressed(bufio.NewReaderSize(in.R, sniffBytes))
	if err != nil {
		return err
	}
	head, err := br.Peek(sniffBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return err
	}
	if bundle.IsArchive(head) {
		return errors.New("an archive inside what was given: unpack it and give its directory with --from-dir")
	}
	d, err := detect(head)
	if err != nil {
		return err
	}
	if d.kind == kindLog {
		o.logs = append(o.logs, pendingLog{name: in.Name, kind: d.log, r: br})
		return nil
	}
	if _, err := br.Discard(d.skip); err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(br, maxObjectBytes+1))
	if err != nil {
		return err
	}
	if len(body) > maxObjectBytes {
		return fmt.Errorf("larger than %s; only logs may be that large", humanize.Bytes(maxObjectBytes))
	}
	return o.parse(d.kind, in.Name, body)
}

// parse reads a whole non-log file of a known kind.
func (o *offline) parse(kind fileKind, name string, body []byte) error {
	switch kind {
	case kindObjects:
		err := o.addObjects(name, body)
		if err != nil && o.addConditionFragments(name, body) == nil {
			return nil // not objects, but their conditions were read
		}
		return err
	case kindDescribe:
		nodes, err := kubelet.ParseDescribeNodes(strings.NewReader(string(body)))
		if err != nil {
			return err
		}
		for _, d := range nodes {
			o.addDescribed(name, d)
		}
	case kindConditions:
		return o.addConditionFragments(name, body)
	case kindMetrics:
		m, err := kubelet.ParseMetrics(strings.NewReader(string(body)))
		if m == nil {
			return err
		}
		o.metrics, o.sources[snapshot.SourceMetrics] = m, name
		if err != nil { // a partial parse is used, and its error still reported
			o.problem(name, err)
		}
	case kindStats:
		st, err := parseCutJSON(name, body, o, kubelet.ParseStatsSummary)
		if err != nil {
			return o.fragment(snapshot.SourceStats, name, err)
		}
		o.stats, o.sources[snapshot.SourceStats] = st, name
		o.extendCaptureTo(st.Time)
	case kindConfigz:
		cfg, err := parseCutJSON(name, body, o, kubelet.ParseConfigz)
		if err != nil {
			// jq often unwraps it: read the object as the kubeletconfig.
			if cfg, err = parseCutJSON(name, wrapKubeletconfig(body), o, kubelet.ParseConfigz); err != nil {
				return o.fragment(snapshot.SourceConfigz, name, err)
			}
		}
		o.config, o.sources[snapshot.SourceConfigz] = cfg, name
	case kindHealthz:
		o.healthz, o.sources[snapshot.SourceHealthz] = healthzOf(body), name
	case kindUnits:
		return o.addUnits(name, body)
	case kindNodeTable:
		return o.addNodeTable(name, body)
	case kindListing:
		return o.addListing(name, body)
	case kindControllerLog:
		// Its year-less times need the capture time: read with the logs.
		o.controllerLogs = append(o.controllerLogs, pendingText{name: name, body: body})
	case kindManifest:
		return fmt.Errorf("a bundle's manifest: give the bundle directory with --from-dir")
	}
	return nil
}

// parseCutJSON parses a kubelet JSON answer, and one cut short (pasted
// in part) up to its last complete value, saying so.
func parseCutJSON[T any](name string, body []byte, o *offline, parse func(io.Reader) (*T, error)) (*T, error) {
	v, err := parse(bytes.NewReader(body))
	if err == nil {
		return v, nil
	}
	closed, ok := closeJSON(body)
	if !ok {
		return nil, err
	}
	if v, cerr := parse(bytes.NewReader(closed)); cerr == nil {
		o.problem(name, errors.New("cut short: read up to the last complete value"))
		return v, nil
	}
	return nil, err
}

// fragment takes a piece of the kubelet's JSON too broken to read: it is
// that source, seen, with nothing the rules can use; saying so beats an
// "unrecognized" error for what a person plainly pasted.
func (o *offline) fragment(source snapshot.SourceName, name string, err error) error {
	o.sources[source] = name + " (a fragment: nothing in it to judge)"
	o.problem(name, fmt.Errorf("a piece of the kubelet's %s, read for what it is: %w", source, err))
	return nil
}

// wrapKubeletconfig puts an object that is /configz's kubeletconfig
// (unwrapped by jq) back in its wrapper; anything else stays as it is.
func wrapKubeletconfig(body []byte) []byte {
	t := bytes.TrimSpace(body)
	if !bytes.HasPrefix(t, []byte("{")) || bytes.Contains(t[:min(len(t), 64)], []byte(`"kubeletconfig"`)) {
		return body
	}
	return append(append([]byte(`{"kubeletconfig":`), t...), '}')
}

// healthzOf reads the kubelet's /healthz answer: "ok", or its verbose list
// of checks ("[+]ping ok", "[-]syncloop failed: reason withheld").
func healthzOf(body []byte) *snapshot.Healthz {
	b := strings.TrimSpace(string(body))
	ok := b == "ok" || !strings.Contains(b, "[-]") && strings.Contains(b, "healthz check passed")
	return &snapshot.Healthz{OK: ok, Body: b}
}

// extendCaptureTo makes t the capture time if it is later: the capture
// time is the newest time the data carries.
func (o *offline) extendCaptureTo(t time.Time) { o.extendCapture(t, false) }

// extendCapture is extendCaptureTo for a time whose year may not have been
// in the data (yearless): reports then show the capture time without one.
func (o *offline) extendCapture(t time.Time, yearless bool) {
	if t.After(o.capture) {
		o.capture, o.captureYearless = t.UTC(), yearless
	}
}

// nodeNamed returns the node of that name, adding it when new. An unnamed
// node is always new: two fragments without names may be of two nodes.
func (o *offline) nodeNamed(name string) *nodeData {
	if name != "" {
		for _, n := range o.nodes {
			if n.node != nil && n.node.Name == name {
				return n
			}
		}
	}
	n := &nodeData{sources: map[snapshot.SourceName]string{}}
	o.nodes = append(o.nodes, n)
	return n
}

// addNode takes a Node object: the first one of a name is kept, and its
// heartbeats tell the capture time.
func (o *offline) addNode(file string, node *corev1.Node) *nodeData {
	n := o.nodeNamed(node.Name)
	if n.node == nil {
		n.node = node
	}
	n.sources[snapshot.SourceNode] = file
	for _, c := range node.Status.Conditions {
		o.extendCaptureTo(c.LastHeartbeatTime.Time)
	}
	return n
}

// addDescribed takes what `kubectl describe node` showed of one node: the
// node, its events, and its non-terminated pods with their requests and limits.
func (o *offline) addDescribed(file string, d *kubelet.DescribedNode) {
	n := o.addNode(file, d.Node)
	o.extendCaptureTo(d.CaptureTime)
	for _, e := range d.Events {
		n.events = append(n.events, snapshot.Event{Type: e.Type, Reason: e.Reason, Message: e.Message, Count: e.Count, First: e.First, Last: e.Last, Source: e.From, Ago: e.Ago, AgoKnown: e.AgoKnown})
	}
	if d.Events != nil {
		n.sources[snapshot.SourceEvents] = file
	}
	if d.PodsTotal >= 0 {
		n.sources[snapshot.SourcePods] = file
		for _, p := range d.Pods {
			n.pods = append(n.pods, describedPod(p))
		}
	}
}

// snapshots assembles what was read, one snapshot per node, logs whole.
func (o *offline) snapshots(today time.Time) ([]*snapshot.Snapshot, error) {
	ref := o.capture
	if ref.IsZero() {
		ref = today
	}
	o.readControllerLogs(ref)
	nodes, err := o.pickNodes()
	if err != nil {
		return nil, err
	}
	kubeletData := o.scanLogs(ref)
	owner := o.kubeletDataOwner(nodes, kubeletData)
	var snaps []*snapshot.Snapshot
	for i, n := range nodes {
		snap := &snapshot.Snapshot{NodeName: o.node, CollectedAt: o.capture, CaptureYearGuessed: o.captureYearless}
		sources := map[snapshot.SourceName]string{}
		if n != nil {
			snap.Node, snap.NodeAge, snap.Events, snap.Pods = n.node, n.age, n.events, n.pods
			if n.node != nil && n.node.Name != "" {
				snap.NodeName = n.node.Name
			}
			for k, v := range n.sources {
				sources[k] = v
			}
		}
		o.attachLooseObjects(snap, sources)
		if i == owner {
			kubeletData.fill(snap, sources)
		}
		if snap.NodeName == "" {
			snap.NodeName = kubeletData.name()
		}
		snap.Sources = sourceRecords(sources)
		snaps = append(snaps, snap)
	}
	if owner < 0 && !kubeletData.empty() {
		o.problems = append(o.problems, fmt.Errorf("the kubelet's data (%s) was not used: the files hold %d nodes and it names none of them; give the node it comes from: diagnose -f ... NODE",
			strings.Join(kubeletData.files(), ", "), len(nodes)))
	}
	if len(snaps) == 1 && snaps[0].Node == nil && kubeletData.empty() && len(snaps[0].Events) == 0 && snaps[0].Pods == nil && o.eventsSeen == "" {
		return nil, errors.New("nothing usable in the files given")
	}
	return snaps, nil
}

// pickNodes chooses the nodes to diagnose: the one named, or every one the
// input shows; a single nil entry when it shows none (logs, metrics alone).
func (o *offline) pickNodes() ([]*nodeData, error) {
	if len(o.nodes) == 0 {
		return []*nodeData{nil}, nil
	}
	if o.node == "" {
		return o.nodes, nil
	}
	var names []string
	for _, n := range o.nodes {
		if n.node.Name == o.node {
			return []*nodeData{n}, nil
		}
		if n.node.Name != "" {
			names = append(names, n.node.Name)
		}
	}
	sort.Strings(names)
	return nil, fmt.Errorf("no node %q in the files given (they hold: %s)", o.node, strings.Join(names, ", "))
}

// attachLooseObjects hands a node the events about it and the pods on it; with a
// single node, events and pods that name none are its own.
func (o *offline) attachLooseObjects(snap *snapshot.Snapshot, sources map[snapshot.SourceName]string) {
	only := len(o.nodes) <= 1
	if o.eventsSeen != "" && (only || snap.NodeName != "") {
		sources[snapshot.SourceEvents] = o.eventsSeen
	}
	for _, e := range o.events {
		if e.node == snap.NodeName || e.node == "" && only {
			snap.Events = append(snap.Events, e.ev)
			sources[snapshot.SourceEvents] = e.file
		}
	}
	if o.podsSeen != "" && (only || snap.NodeName != "") {
		sources[snapshot.SourcePods] = o.podsSeen
		if snap.Pods == nil {
			snap.Pods = []snapshot.Pod{}
		}
		for _, p := range o.pods {
			if p.node == snap.NodeName || p.node == "" && only {
				snap.Pods = append(snap.Pods, p.pod)
			}
		}
	}
}

// kubeletDataOwner is the index of the node the kubelet's data belongs to:
// the only one, or the one its logs or stats name; -1 when none can be told.
func (o *offline) kubeletDataOwner(nodes []*nodeData, k *kubeletData) int {
	if len(nodes) == 1 {
		return 0
	}
	name := k.name()
	for i, n := range nodes {
		if name != "" && n.node.Name == name {
			return i
		}
	}
	return -1
}
