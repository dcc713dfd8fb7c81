package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-pleg/kubectl-pleg/internal/access"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/diagnose"
)

// AccessFormats are the outputs of `kubectl pleg rbac`.
var AccessFormats = []string{"table", "json", "yaml"}

// accessDocument is `kubectl pleg rbac -o json|yaml`.
type accessDocument struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	access.Review
	// Tier is the fullest shipped ClusterRole whose every grant the user has ("" for none).
	Tier string `json:"tier"`
	// Missing are the rules to add for the full diagnosis.
	Missing []access.Permission `json:"missing"`
}

// RenderAccess writes what the user may do: who, each permission and the
// commands that use it, what they do without the missing ones, the shipped
// ClusterRole the user has, and the rules to ask for.
func RenderAccess(w io.Writer, format string, r *access.Review) error {
	doc := accessDocument{APIVersion: diagnose.APIVersion, Kind: "AccessReview", Review: *r, Missing: r.Missing()}
	if t := r.Tier(); t != nil {
		doc.Tier = t.Role
	}
	switch format {
	case "json":
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(doc)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case "table":
		return writeAccess(w, doc)
	}
	return fmt.Errorf("unknown output format %q (use one of: %s)", format, strings.Join(AccessFormats, ", "))
}

func writeAccess(w io.Writer, doc accessDocument) error {
	who := "You are " + doc.User
	if doc.User == "" {
		who = "You (the API server would not say who)"
	}
	if len(doc.Groups) > 0 {
		who += " (groups " + strings.Join(doc.Groups, ", ") + ")"
	}
	fmt.Fprintf(w, "%s.\n\n", who)
	var rows [][]string
	for _, g := range doc.Grants {
		allowed := "yes"
		if !g.Allowed {
			allowed = "NO"
		}
		var cmds []string
		for _, u := range access.CommandsUsing(g.Permission) {
			cmds = append(cmds, u.Command)
		}
		rows = append(rows, []string{g.String(), allowed, strings.Join(cmds, ", ")})
	}
	if err := writeTable(w, []string{"PERMISSION", "ALLOWED", "USED BY"}, rows); err != nil {
		return err
	}
	for _, p := range doc.Missing {
		fmt.Fprintf(w, "\nWithout %s:\n", p)
		for _, u := range access.CommandsUsing(p) {
			without := u.Without
			if without == "" {
				without = "cannot run"
			}
			fmt.Fprintf(w, "  %s: %s\n", u.Command, without)
		}
	}
	fmt.Fprintln(w)
	if t := doc.Review.Tier(); t != nil {
		fmt.Fprintf(w, "You have every grant of ClusterRole %s: %s.\n", t.Role, t.Sees)
	} else {
		fmt.Fprintln(w, "You lack grants of both shipped ClusterRoles (deploy/rbac.yaml).")
	}
	if len(doc.Missing) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nFor the full diagnosis, ask for these rules (ClusterRole kubectl-pleg, deploy/rbac.yaml):")
	for _, p := range doc.Missing {
		fmt.Fprintf(w, "  - apiGroups: [\"\"]\n    resources: [%q]\n    verbs: [%q]\n", p.Resource, p.Verb)
		if p == access.GetNodesProxy {
			fmt.Fprintln(w, "    # nodes/proxy also allows exec-level access to the kubelet: README, RBAC")
		}
	}
	return nil
}
