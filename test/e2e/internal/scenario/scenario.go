// Package scenario loads the simulated nodes under test/e2e/scenarios and
// moves their recorded timestamps to the present.
//
// Every scenario is a snapshot taken at a fixed capture time (scenario.yaml
// captureTime). Readers never see that date: each consumer shifts every
// timestamp by (now - captureTime) at the moment it serves or registers the
// data, so a scenario looks "just captured" no matter when the lab runs, and
// the files stay plain, reviewable text without placeholders.
package scenario

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// BasePort is the kubelet port of the first scenario (sorted by name); the
// others follow. Ports only need to be distinct inside the lab's network
// namespace, where nothing else listens.
const BasePort = 10250

// Config is scenario.yaml.
type Config struct {
	// CaptureTime is the moment the snapshot describes; it maps to "now".
	CaptureTime time.Time `json:"captureTime"`
	// NodeLogQuery mirrors the kubelet's NodeLogQuery gate plus
	// enableSystemLogQuery; when false /logs/ is only a file server.
	NodeLogQuery *bool `json:"nodeLogQuery,omitempty"`
	// PodReplicas creates every pod of pods.yaml that many times (names get
	// a -N suffix), so dense nodes need no thousand-line files.
	PodReplicas int    `json:"podReplicas,omitempty"`
	Faults      Faults `json:"faults"`
}

// Faults are injected by the kubelet simulator.
type Faults struct {
	// Latency is added to every request.
	Latency metav1.Duration `json:"latency,omitempty"`
	// Hang never answers; the request ends only when the client gives up.
	Hang bool `json:"hang,omitempty"`
	// ErrorPaths answer HTTP 500 for request paths with these prefixes.
	ErrorPaths []string `json:"errorPaths,omitempty"`
	// ErrorBody is the text of those 500s (default "simulated failure").
	ErrorBody string `json:"errorBody,omitempty"`
	// Refuse does not listen at all: the API server sees "connection refused".
	Refuse bool `json:"refuse,omitempty"`
	// HugeLogBytes streams that many bytes of generated kubelet journal for
	// /logs/?query=kubelet instead of journal/kubelet.log.
	HugeLogBytes int64 `json:"hugeLogBytes,omitempty"`
}

// Scenario is one simulated node; its name is its directory name.
type Scenario struct {
	Name   string
	Dir    string
	Port   int
	Config Config
}

// LogQueryEnabled reports whether /logs/?query= is served (default true).
func (s *Scenario) LogQueryEnabled() bool {
	return s.Config.NodeLogQuery == nil || *s.Config.NodeLogQuery
}

// Shift is how far the snapshot must move to look captured at now.
func (s *Scenario) Shift(now time.Time) time.Duration {
	return now.Sub(s.Config.CaptureTime)
}

// Path returns a file of the scenario.
func (s *Scenario) Path(name string) string { return filepath.Join(s.Dir, name) }

// LoadAll reads every scenario under dir, sorted by name so that ports are
// assigned identically by every consumer.
func LoadAll(dir string) ([]*Scenario, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []*Scenario
	for i, name := range names {
		s := &Scenario{Name: name, Dir: filepath.Join(dir, name), Port: BasePort + i}
		if err := readYAML(s.Path("scenario.yaml"), &s.Config); err != nil {
			return nil, err
		}
		if s.Config.CaptureTime.IsZero() {
			return nil, fmt.Errorf("%s: scenario.yaml has no captureTime", name)
		}
		out = append(out, s)
	}
	return out, nil
}

// readYAML decodes a YAML (or JSON) file into v.
func readYAML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ReadShifted decodes a YAML or JSON file into v after moving every RFC3339
// string in it by d. Missing files leave v untouched and report os.ErrNotExist.
func ReadShifted(path string, d time.Duration, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var tree any
	if err := json.Unmarshal(j, &tree); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if j, err = json.Marshal(shiftTree(tree, d)); err != nil {
		return err
	}
	if err := json.Unmarshal(j, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// shiftTree moves every string that parses as an RFC3339 time. Kubernetes
// objects and the kubelet's JSON carry no other RFC3339-looking strings, so
// no per-field list is needed.
func shiftTree(v any, d time.Duration) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = shiftTree(e, d)
		}
	case []any:
		for i, e := range t {
			t[i] = shiftTree(e, d)
		}
	case string:
		if ts, err := time.Parse(time.RFC3339Nano, t); err == nil {
			return ts.Add(d).UTC().Format(time.RFC3339Nano)
		}
	}
	return v
}

// List is the `kind: List` wrapper used by events.yaml and pods.yaml.
type List[T any] struct {
	Items []T `json:"items"`
}

// Node reads node.yaml shifted to now.
func (s *Scenario) Node(now time.Time) (*corev1.Node, error) {
	var n corev1.Node
	if err := ReadShifted(s.Path("node.yaml"), s.Shift(now), &n); err != nil {
		return nil, err
	}
	n.Name = s.Name
	return &n, nil
}

// Events reads events.yaml (optional) shifted to now.
func (s *Scenario) Events(now time.Time) ([]corev1.Event, error) {
	var l List[corev1.Event]
	if err := ReadShifted(s.Path("events.yaml"), s.Shift(now), &l); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	return l.Items, nil
}

// Pods reads pods.yaml (optional) shifted to now and expanded by PodReplicas.
func (s *Scenario) Pods(now time.Time) ([]corev1.Pod, error) {
	var l List[corev1.Pod]
	if err := ReadShifted(s.Path("pods.yaml"), s.Shift(now), &l); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	n := max(s.Config.PodReplicas, 1)
	var out []corev1.Pod
	for i := range n {
		for _, p := range l.Items {
			p := *p.DeepCopy()
			if n > 1 {
				p.Name = fmt.Sprintf("%s-%d", p.Name, i)
			}
			p.Spec.NodeName = s.Name
			out = append(out, p)
		}
	}
	return out, nil
}
