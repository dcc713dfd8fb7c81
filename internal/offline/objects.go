package offline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// addObjects reads Kubernetes objects in any of kubectl's shapes: one object,
// a List of them, JSON or (multi-document) YAML, with or without kind and
// apiVersion (some exporters strip them). JSON cut short keeps what came
// before the cut.
func (o *offline) addObjects(name string, body []byte) error {
	docs := [][]byte{body}
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] != '{' && t[0] != '[' {
		docs = splitYAML(body)
	}
	found := 0
	for _, doc := range docs {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			closed, ok := closeJSON(doc)
			if !ok {
				return fmt.Errorf("not valid JSON or YAML (cut short?): %w", err)
			}
			o.problem(name, errors.New("cut short: read up to the last complete value"))
			j = closed
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
		return unreadable("no Node, Pod or Event objects in it")
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
			NodeInfo          json.RawMessage         `json:"nodeInfo"`
			Conditions        []struct{ Type string } `json:"conditions"`
			ContainerStatuses json.RawMessage         `json:"containerStatuses"`
		} `json:"status"`
		Items json.RawMessage `json:"items"`
	}
	if json.Unmarshal(j, &probe) != nil {
		return ""
	}
	switch {
	case probe.InvolvedObject != nil, probe.Reason != nil && probe.Spec.Containers == nil:
		return "Event"
	case probe.Spec.Containers != nil, probe.Status.ContainerStatuses != nil:
		return "Pod"
	case probe.Status.NodeInfo != nil:
		return "Node"
	case probe.Items != nil:
		return "List"
	}
	// Conditions and nothing of a pod: a node whose export kept only its
	// status (pods and nodes both have a Ready condition).
	if len(probe.Status.Conditions) > 0 {
		return "Node"
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
		return 0, fmt.Errorf("not a Kubernetes object: %w", err)
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
		switch meta.Kind {
		case "PodList":
			o.podsSeen = name
		case "EventList":
			o.eventsSeen = name
		}
		return n, nil
	case "Node":
		var n corev1.Node
		if err := json.Unmarshal(j, &n); err != nil {
			return 0, fmt.Errorf("reading a Node: %w", err)
		}
		o.addNode(name, &n)
		return 1, nil
	case "Pod":
		var p corev1.Pod
		if err := json.Unmarshal(j, &p); err != nil {
			return 0, fmt.Errorf("reading a Pod: %w", err)
		}
		o.pods = append(o.pods, loosePod{node: p.Spec.NodeName, pod: snapshot.ReducePod(&p)})
		o.podsSeen = name
		return 1, nil
	case "Event":
		var e corev1.Event
		if err := json.Unmarshal(j, &e); err != nil {
			return 0, fmt.Errorf("reading an Event: %w", err)
		}
		o.eventsSeen = name
		// An event that names no object is taken to be about the node it
		// was given with; events about pods are not the node's.
		if k := e.InvolvedObject.Kind; k == "" || k == "Node" {
			ev := snapshot.ReduceEvent(&e)
			o.events = append(o.events, looseEvent{node: e.InvolvedObject.Name, file: name, ev: ev})
			o.extendCaptureTo(ev.Last)
		}
		return 1, nil
	}
	return 0, nil
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

// closeJSON returns JSON text cut short (a paste that stopped mid-object)
// cut after its last complete value and closed, so that what came before
// the cut still reads; ok is false when nothing complete remains.
func closeJSON(text []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(text))
	var (
		stack   []json.Delim // open objects and arrays
		keyNext []bool       // per open object: the next string is a key
		good    int64        // offset just past the last complete value
		goodAt  []json.Delim // stack at good
	)
	markGood := func() {
		good = dec.InputOffset()
		goodAt = append(goodAt[:0], stack...)
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) && len(stack) == 0 {
			return text, good > 0
		}
		if err != nil {
			break
		}
		inObject := len(stack) > 0 && stack[len(stack)-1] == '{'
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, t)
				keyNext = append(keyNext, t == '{')
				continue
			default:
				stack, keyNext = stack[:len(stack)-1], keyNext[:len(keyNext)-1]
			}
		case string:
			if inObject && keyNext[len(keyNext)-1] {
				keyNext[len(keyNext)-1] = false
				continue // a key: its value is still to come
			}
		}
		if len(keyNext) > 0 && stack[len(stack)-1] == '{' {
			keyNext[len(keyNext)-1] = true
		}
		markGood()
	}
	if good == 0 {
		return nil, false
	}
	out := append([]byte{}, text[:good]...)
	for i := len(goodAt) - 1; i >= 0; i-- {
		if goodAt[i] == '{' {
			out = append(out, '}')
		} else {
			out = append(out, ']')
		}
	}
	return out, true
}
