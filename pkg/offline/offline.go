package offline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/bundle"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// Offline diagnosis reads what an on-call engineer has in hand — pasted
// `kubectl describe node`, a journalctl dump, a scraped /metrics, a bundle —
// instead of a cluster. There is no "now" offline: the capture time comes from
// the data (a bundle's manifest, heartbeats, event and stats times, the newest
// log line), never from the clock.

// Input is one file given to diagnose -f; Name "-" is standard input.
type Input struct {
	Name string
	R    io.Reader
}

// maxObjectBytes bounds a non-log file, which is read whole.
const maxObjectBytes = 512 << 20

// sniffBytes is how much of a file its kind is told from.
const sniffBytes = 64 << 10

// offline gathers the parsed inputs before they become a snapshot.
type offline struct {
	node     string // the node asked for, or "" for the only one in the input
	nodes    []*corev1.Node
	events   []snapshot.Event
	pods     []snapshot.Pod
	podsSeen bool
	metrics  *kubelet.Metrics
	stats    *kubelet.NodeStats
	config   *kubelet.Config
	healthz  *snapshot.Healthz
	// logs wait until the capture time is known: year-less lines need it.
	logs    []pendingLog
	sources map[snapshot.SourceName]string // source → file it came from
	capture time.Time
	// logCap keeps only the newest bytes of each log, as a bundle's collection did (0: all).
	logCap int64
	// problems are files or parts that could not be used; they are reported
	// but do not stop the diagnosis of the rest.
	problems []error
}

type pendingLog struct {
	name string
	kind kubelet.LogKind
	r    io.Reader
}

// scan summarizes the log once per options, keeping its newest keep bytes.
func (l pendingLog) scan(keep int64, opts ...kubelet.ScanOptions) ([]*kubelet.LogSummary, error) {
	return kubelet.ScanLogTail(l.r, keep, opts...)
}

// FromFiles diagnoses offline from files whose kinds are told by content.
// node picks one node when the files hold several; fallbackYear gives
// year-less log lines a year when nothing in the files carries a date.
//
// It returns a nil snapshot when nothing usable remains. Otherwise a non-nil
// error lists the files (or parts) that could not be used: report them, and
// diagnose the rest.
func FromFiles(inputs []Input, node string, fallbackYear time.Time) (*snapshot.Snapshot, error) {
	o := &offline{node: node, sources: map[snapshot.SourceName]string{}}
	for _, in := range inputs {
		if err := o.add(in); err != nil {
			o.problem(in.Name, err)
		}
	}
	snap, err := o.snapshot(fallbackYear, 0)
	if err != nil {
		return nil, errors.Join(append(o.problems, err)...)
	}
	return snap, errors.Join(o.problems...)
}

func (o *offline) problem(file string, err error) {
	o.problems = append(o.problems, fmt.Errorf("%s: %w", file, err))
}

// add reads one input: objects and kubelet data at once, logs later.
func (o *offline) add(in Input) error {
	br := bufio.NewReaderSize(in.R, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return err
	}
	kind, logKind, err := detect(head)
	if err != nil {
		return err
	}
	if kind == kindLog {
		if logKind == kubelet.NotALog { // JSON logging lines
			logKind = kubelet.KubeletLog
		}
		o.logs = append(o.logs, pendingLog{name: in.Name, kind: logKind, r: br})
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(br, maxObjectBytes+1))
	if err != nil {
		return err
	}
	if len(body) > maxObjectBytes {
		return fmt.Errorf("larger than %s; only logs may be that large", humanize.Bytes(maxObjectBytes))
	}
	return o.parse(kind, in.Name, body)
}

// parse reads a whole non-log file of a known kind.
func (o *offline) parse(kind fileKind, name string, body []byte) error {
	switch kind {
	case kindObjects:
		return o.addObjects(name, body)
	case kindDescribe:
		d, err := kubelet.ParseDescribeNode(bytes.NewReader(body))
		if err != nil {
			return err
		}
		o.addDescribed(name, d)
	case kindMetrics:
		m, err := kubelet.ParseMetrics(bytes.NewReader(body))
		if m == nil {
			return err
		}
		o.metrics, o.sources[snapshot.SourceMetrics] = m, name
		if err != nil { // a partial parse is used, and its error still reported
			o.problem(name, err)
		}
	case kindStats:
		st, err := kubelet.ParseStatsSummary(bytes.NewReader(body))
		if err != nil {
			return err
		}
		o.stats, o.sources[snapshot.SourceStats] = st, name
		o.seen(st.Time)
	case kindConfigz:
		cfg, err := kubelet.ParseConfigz(bytes.NewReader(body))
		if err != nil {
			return err
		}
		o.config, o.sources[snapshot.SourceConfigz] = cfg, name
	case kindHealthz:
		b := strings.TrimSpace(string(body))
		o.healthz, o.sources[snapshot.SourceHealthz] = &snapshot.Healthz{OK: b == "ok", Body: b}, name
	case kindManifest:
		return fmt.Errorf("a bundle's manifest: give the bundle directory with --from-dir")
	}
	return nil
}

func (o *offline) seen(t time.Time) {
	if t.After(o.capture) {
		o.capture = t.UTC()
	}
}

// addObjects reads Kubernetes objects in any of kubectl's shapes: one object,
// a List of them, JSON or (multi-document) YAML.
func (o *offline) addObjects(name string, body []byte) error {
	docs := [][]byte{body}
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] != '{' && t[0] != '[' {
		docs = splitYAML(body)
	}
	found := 0
	for _, doc := range docs {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return fmt.Errorf("not valid JSON or YAML (cut short?): %w", err)
		}
		if len(bytes.TrimSpace(j)) == 0 || string(bytes.TrimSpace(j)) == "null" {
			continue
		}
		n, err := o.addObject(name, j)
		if err != nil {
			return err
		}
		found += n
	}
	if found == 0 {
		return fmt.Errorf("no Node, Pod or Event objects in it; %s", expected)
	}
	return nil
}

// inferKind names the kind of an object written without one (hand-made
// lists, some tools' exports) by the fields only that kind has.
func inferKind(j []byte) string {
	var probe struct {
		InvolvedObject json.RawMessage `json:"involvedObject"`
		Reason         json.RawMessage `json:"reason"`
		Spec           struct {
			Containers json.RawMessage `json:"containers"`
		} `json:"spec"`
		Status struct {
			NodeInfo json.RawMessage `json:"nodeInfo"`
		} `json:"status"`
		Items json.RawMessage `json:"items"`
	}
	if json.Unmarshal(j, &probe) != nil {
		return ""
	}
	switch {
	case probe.InvolvedObject != nil, probe.Reason != nil && probe.Spec.Containers == nil:
		return "Event"
	case probe.Spec.Containers != nil:
		return "Pod"
	case probe.Status.NodeInfo != nil:
		return "Node"
	case probe.Items != nil:
		return "List"
	}
	return ""
}

func splitYAML(body []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(body, []byte("\n---")) {
		docs = append(docs, bytes.TrimPrefix(d, []byte("---")))
	}
	return docs
}

// addObject reads one JSON object (or List) and returns how many objects it used.
func (o *offline) addObject(name string, j []byte) (int, error) {
	var meta struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(j, &meta); err != nil {
		return 0, fmt.Errorf("not valid JSON (cut short?): %w", err)
	}
	if meta.Kind == "" {
		meta.Kind = inferKind(j)
	}
	switch meta.Kind {
	case "List", "NodeList", "PodList", "EventList":
		n := 1 // an empty list is still an answer: no pods, no events
		for _, item := range meta.Items {
			used, err := o.addObject(name, item)
			if err != nil {
				return n, err
			}
			n += used
		}
		if meta.Kind == "PodList" {
			o.podsSeen, o.sources[snapshot.SourcePods] = true, name
		}
		if meta.Kind == "EventList" {
			o.sources[snapshot.SourceEvents] = name
		}
		return n, nil
	case "Node":
		var n corev1.Node
		if err := json.Unmarshal(j, &n); err != nil {
			return 0, fmt.Errorf("reading a Node: %w", err)
		}
		o.nodes = append(o.nodes, &n)
		o.sources[snapshot.SourceNode] = name
		for _, c := range n.Status.Conditions {
			o.seen(c.LastHeartbeatTime.Time)
		}
		return 1, nil
	case "Pod":
		var p corev1.Pod
		if err := json.Unmarshal(j, &p); err != nil {
			return 0, fmt.Errorf("reading a Pod: %w", err)
		}
		if o.node != "" && p.Spec.NodeName != "" && p.Spec.NodeName != o.node {
			return 1, nil
		}
		o.pods = append(o.pods, snapshot.ReducePod(&p))
		o.podsSeen, o.sources[snapshot.SourcePods] = true, name
		return 1, nil
	case "Event":
		var e corev1.Event
		if err := json.Unmarshal(j, &e); err != nil {
			return 0, fmt.Errorf("reading an Event: %w", err)
		}
		// An event that names no object is taken to be about the node it was given with.
		if e.InvolvedObject.Kind == "" || e.InvolvedObject.Kind == "Node" && (o.node == "" || e.InvolvedObject.Name == o.node) {
			ev := snapshot.ReduceEvent(&e)
			o.events = append(o.events, ev)
			o.seen(ev.Last)
		}
		o.sources[snapshot.SourceEvents] = name
		return 1, nil
	}
	return 0, nil
}

// addDescribed takes what `kubectl describe node` showed: the node, its
// events, and its non-terminated pods with their requests and limits.
func (o *offline) addDescribed(name string, d *kubelet.DescribedNode) {
	if d.Node != nil {
		o.nodes = append(o.nodes, d.Node)
		o.sources[snapshot.SourceNode] = name
	}
	o.seen(d.CaptureTime)
	for _, e := range d.Events {
		o.events = append(o.events, snapshot.Event{Type: e.Type, Reason: e.Reason, Message: e.Message, Count: e.Count, First: e.First, Last: e.Last, Source: e.From})
	}
	if d.Events != nil {
		o.sources[snapshot.SourceEvents] = name
	}
	if d.PodsTotal >= 0 {
		o.podsSeen, o.sources[snapshot.SourcePods] = true, name
		for _, p := range d.Pods {
			o.pods = append(o.pods, describedPod(p))
		}
	}
}

// describedPod turns a describe-node pod row into a Pod: a pod whose requests
// and limits are all zero is BestEffort.
func describedPod(p kubelet.DescribedPod) snapshot.Pod {
	zero := func(q string) bool {
		v, err := resource.ParseQuantity(q)
		return err == nil && v.IsZero()
	}
	out := snapshot.Pod{Namespace: p.Namespace, Name: p.Name, Phase: corev1.PodRunning, Containers: 1, QOSClass: corev1.PodQOSBurstable}
	if zero(p.CPURequests) && zero(p.CPULimits) && zero(p.MemoryRequests) && zero(p.MemoryLimits) {
		out.QOSClass = corev1.PodQOSBestEffort
	}
	if zero(p.MemoryLimits) {
		out.ContainersWithoutLimits = 1
	}
	return out
}

// snapshot assembles what was read. window > 0 limits logs to that long
// before the capture time (bundles); offline files keep whole logs.
func (o *offline) snapshot(fallbackYear time.Time, window time.Duration) (*snapshot.Snapshot, error) {
	snap := &snapshot.Snapshot{Events: o.events, Metrics: o.metrics, Stats: o.stats, Config: o.config, Healthz: o.healthz, LogWindow: window}
	node, err := o.pickNode()
	if err != nil {
		return nil, err
	}
	snap.Node = node
	snap.NodeName = o.node
	if node != nil {
		snap.NodeName = node.Name
	}
	if o.podsSeen {
		snap.Pods = o.pods
	}
	ref := o.capture
	if ref.IsZero() {
		ref = fallbackYear
	}
	var since time.Time
	if window > 0 && !o.capture.IsZero() {
		since = o.capture.Add(-window)
	}
	o.scanLogs(snap, ref, since)
	snap.CollectedAt = o.capture
	if snap.NodeName == "" && snap.Node == nil && snap.Metrics == nil && snap.KubeletLog == nil && snap.Stats == nil &&
		snap.Config == nil && len(snap.Events) == 0 && !o.podsSeen && snap.SystemLog == nil && snap.RuntimeLog == nil {
		return nil, fmt.Errorf("nothing usable in the files given; %s", expected)
	}
	snap.Sources = o.sourceRecords()
	return snap, nil
}

// pickNode chooses the node to diagnose among those in the input.
func (o *offline) pickNode() (*corev1.Node, error) {
	var names []string
	for _, n := range o.nodes {
		if o.node == "" || n.Name == o.node {
			names = append(names, n.Name)
		}
	}
	switch {
	case len(o.nodes) == 0:
		return nil, nil
	case len(names) == 0:
		return nil, fmt.Errorf("no node %q in the files given", o.node)
	case len(names) > 1 && o.node == "":
		sort.Strings(names)
		return nil, fmt.Errorf("the files hold %d nodes (%s): name the one to diagnose", len(names), strings.Join(names, ", "))
	}
	for _, n := range o.nodes {
		if n.Name == names[0] {
			o.node = n.Name
			return n, nil
		}
	}
	return nil, nil
}

// scanLogs reads the logs once the capture time is known, then moves the
// capture time to the newest log line if that is later.
func (o *offline) scanLogs(snap *snapshot.Snapshot, ref, since time.Time) {
	var haveKubelet bool
	for _, l := range o.logs {
		haveKubelet = haveKubelet || l.kind == kubelet.KubeletLog
	}
	for _, l := range o.logs {
		opts := kubelet.ScanOptions{Ref: ref, Since: since}
		kopts := opts
		kopts.Idents = kubelet.KubeletIdents
		var sum, kubeletPart *kubelet.LogSummary
		var err error
		var sums []*kubelet.LogSummary
		// A bundle's cap is the live collection's, so its logs read the same.
		switch {
		case l.kind == kubelet.SystemLog && !haveKubelet:
			// A syslog is also where the kubelet's lines are when it has no log of its own.
			if sums, err = l.scan(o.logCap, opts, kopts); err == nil {
				sum, kubeletPart = sums[0], sums[1]
			}
		case l.kind == kubelet.KubeletLog:
			if sums, err = l.scan(o.logCap, kopts); err == nil {
				kubeletPart = sums[0]
			}
		default:
			if sums, err = l.scan(o.logCap, opts); err == nil {
				sum = sums[0]
			}
		}
		if err != nil {
			o.problem(l.name, err)
			continue
		}
		if kubeletPart != nil {
			o.keepLog(&snap.KubeletLog, snapshot.SourceKubeletLog, kubeletPart, l.name)
		}
		if sum != nil {
			target, source := &snap.SystemLog, snapshot.SourceSystemLog
			if l.kind == kubelet.RuntimeLog {
				target, source = &snap.RuntimeLog, snapshot.SourceRuntimeLog
			}
			o.keepLog(target, source, sum, l.name)
		}
	}
}

// keepLog keeps one log per source: a second log of the same kind is refused
// rather than merged, since the same lines in two dumps would count twice.
func (o *offline) keepLog(target **kubelet.LogSummary, source snapshot.SourceName, sum *kubelet.LogSummary, file string) {
	if *target != nil {
		o.problem(file, fmt.Errorf("a second %s; only %s was used (give one log per kind)", source, o.sources[source]))
		return
	}
	*target, o.sources[source] = sum, file
	o.seen(sum.Last)
}

// sourceRecords says, per source, which file fed it or that none did.
func (o *offline) sourceRecords() []snapshot.Source {
	var out []snapshot.Source
	for _, name := range snapshot.SourceOrder {
		if file, ok := o.sources[name]; ok {
			out = append(out, snapshot.Source{Name: name, Status: snapshot.StatusOK, Detail: "file " + file})
		} else {
			out = append(out, snapshot.Source{Name: name, Status: snapshot.StatusNotFound, Reason: "not in the files given"})
		}
	}
	return out
}

// FromDir diagnoses a bundle written by `kubectl pleg collect` (a directory
// or its .tar.gz): the same
// capture time, window and source outcomes as the live collection, so the
// same diagnosis. A directory without a manifest is read as loose files.
func FromDir(dir string, fallbackYear time.Time) (*snapshot.Snapshot, error) {
	if st, err := os.Stat(dir); err == nil && st.Mode().IsRegular() {
		unpacked, cleanup, err := bundle.Extract(dir)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		dir = unpacked
	}
	raw, err := os.ReadFile(filepath.Join(dir, bundle.ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return fromLooseDir(dir, fallbackYear)
	}
	if err != nil {
		return nil, err
	}
	var m bundle.Manifest
	if err := json.Unmarshal(raw, &m); err != nil || m.Kind != bundle.Kind {
		return nil, fmt.Errorf("%s: not a kubectl-pleg bundle manifest (%v)", bundle.ManifestFile, err)
	}
	window, err := time.ParseDuration(m.Since)
	if err != nil {
		return nil, fmt.Errorf("%s: bad since %q", bundle.ManifestFile, m.Since)
	}
	o := &offline{node: m.Node, sources: map[snapshot.SourceName]string{}, capture: m.CollectedAt.UTC(), logCap: m.MaxLogBytes}
	for _, name := range snapshot.SourceOrder {
		file, ok := m.Files[name]
		if !ok {
			continue
		}
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("bundle incomplete: %w", err)
		}
		defer f.Close()
		if err := o.addBundleFile(name, file, f); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	capture := o.capture
	snap, err := o.snapshot(fallbackYear, window)
	if err != nil {
		return nil, errors.Join(append(o.problems, err)...)
	}
	// The manifest, not the newest line, is the capture time, and its source
	// records say how each source ended when it was collected.
	snap.CollectedAt, snap.NodeName, snap.Sources = capture, m.Node, m.Sources
	return snap, errors.Join(o.problems...)
}

// addBundleFile reads a bundle file by the source it is known to hold.
func (o *offline) addBundleFile(name snapshot.SourceName, file string, r io.Reader) error {
	logKinds := map[snapshot.SourceName]kubelet.LogKind{
		snapshot.SourceKubeletLog: kubelet.KubeletLog, snapshot.SourceRuntimeLog: kubelet.RuntimeLog, snapshot.SourceSystemLog: kubelet.SystemLog,
	}
	if lk, isLog := logKinds[name]; isLog {
		o.logs = append(o.logs, pendingLog{name: file, kind: lk, r: r})
		return nil
	}
	kinds := map[snapshot.SourceName]fileKind{
		snapshot.SourceNode: kindObjects, snapshot.SourceEvents: kindObjects, snapshot.SourcePods: kindObjects,
		snapshot.SourceMetrics: kindMetrics, snapshot.SourceStats: kindStats, snapshot.SourceConfigz: kindConfigz, snapshot.SourceHealthz: kindHealthz,
	}
	body, err := io.ReadAll(io.LimitReader(r, maxObjectBytes))
	if err != nil {
		return err
	}
	// The capture time is the manifest's; times inside the files must not move it.
	capture := o.capture
	defer func() { o.capture = capture }()
	return o.parse(kinds[name], file, body)
}

func fromLooseDir(dir string, fallbackYear time.Time) (*snapshot.Snapshot, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var inputs []Input
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		inputs = append(inputs, Input{Name: filepath.Join(dir, e.Name()), R: f})
	}
	if len(inputs) == 0 {
		return nil, fmt.Errorf("%s holds no files and no %s", dir, bundle.ManifestFile)
	}
	return FromFiles(inputs, "", fallbackYear)
}
