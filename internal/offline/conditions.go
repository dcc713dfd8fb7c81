package offline

import (
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Node conditions are often pasted without the object around them: the
// `status.conditions` list of a YAML, one condition of a JSON, `jq
// .status.conditions` output cut short, a REST answer with its keys
// lowercased, node dumps inside a tool's log lines. None of these parse as
// a Kubernetes object; all of them carry the same keys. This reader picks
// the conditions out of such text by their keys.

// conditionKey matches one key of a condition (or a node's name) and its
// value, in JSON or YAML: quoted, single-quoted (YAML may fold it over
// lines) or bare to the end of the line; a key whose value is an object or
// a list matches with no value. Markdown bold around a key
// ("**conditions**") is allowed.
var conditionKey = regexp.MustCompile(`(?i)["']?\**\b(type|status|reason|message|lastHeartbeatTime|lastTransitionTime|name)\**["']?[ \t]*:[ \t]*(?:"((?:[^"\\\n]|\\.)*)"|'([^']*)'|([^,{}\[\]\n"'][^,}\]\n]*))?`)

// conditionFields are the keys that belong to a condition.
var conditionFields = map[string]bool{
	"type": true, "status": true, "reason": true, "message": true,
	"lastheartbeattime": true, "lasttransitiontime": true,
}

// scrapedNode is one node's conditions as found in text.
type scrapedNode struct {
	name       string
	conditions []corev1.NodeCondition
}

// scrapeConditions finds the node conditions in text: a condition is a run
// of condition keys with a type and a status True, False or Unknown; a
// "name" key before a node's conditions names the node.
func scrapeConditions(text string) []scrapedNode {
	var (
		nodes []scrapedNode
		cur   = map[string]string{}
	)
	flush := func() {
		c, ok := conditionOf(cur)
		cur = map[string]string{}
		if !ok {
			return
		}
		if len(nodes) == 0 {
			nodes = append(nodes, scrapedNode{})
		}
		last := &nodes[len(nodes)-1]
		last.conditions = append(last.conditions, c)
	}
	for _, m := range conditionKey.FindAllStringSubmatch(text, -1) {
		key := strings.ToLower(m[1])
		val := strings.TrimSpace(m[2] + m[3] + m[4])
		if val == "" {
			continue // an object or list follows ("status": {...}), not a value
		}
		if m[3] != "" {
			val = strings.Join(strings.Fields(val), " ") // a folded YAML scalar
		}
		if key == "name" {
			// A name between conditions starts the next node (node dumps
			// one after another); inside a condition it is something else.
			if _, complete := conditionOf(cur); complete {
				flush()
			}
			if len(cur) == 0 {
				nodes = append(nodes, scrapedNode{name: val})
			}
			continue
		}
		if _, dup := cur[key]; dup {
			flush()
		}
		cur[key] = val
	}
	flush()
	var out []scrapedNode
	for _, n := range nodes {
		if len(n.conditions) > 0 {
			out = append(out, n)
		}
	}
	return out
}

// conditionOf builds a condition from its fields; ok is false unless it has
// a type and a condition's status.
func conditionOf(f map[string]string) (corev1.NodeCondition, bool) {
	status := corev1.ConditionStatus(f["status"])
	if f["type"] == "" || status != corev1.ConditionTrue && status != corev1.ConditionFalse && status != corev1.ConditionUnknown {
		return corev1.NodeCondition{}, false
	}
	c := corev1.NodeCondition{Type: corev1.NodeConditionType(f["type"]), Status: status, Reason: f["reason"], Message: f["message"]}
	if t, err := time.Parse(time.RFC3339, f["lastheartbeattime"]); err == nil {
		c.LastHeartbeatTime = metav1.NewTime(t.UTC())
	}
	if t, err := time.Parse(time.RFC3339, f["lasttransitiontime"]); err == nil {
		c.LastTransitionTime = metav1.NewTime(t.UTC())
	}
	return c, true
}

// looksLikeConditions says the text holds at least one node condition.
func looksLikeConditions(head []byte) bool {
	return len(scrapeConditions(string(head))) > 0
}

// addConditionFragments takes the conditions found in a fragment, one node
// per name found (or one unnamed node).
func (o *offline) addConditionFragments(file string, body []byte) error {
	nodes := scrapeConditions(string(body))
	if len(nodes) == 0 {
		return unreadable("no node conditions in it")
	}
	for _, n := range nodes {
		node := &corev1.Node{}
		node.Name = n.name
		node.Status.Conditions = n.conditions
		o.addNode(file, node)
	}
	return nil
}
