package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// namesLister lists fixed node names, or fails.
type namesLister struct {
	names []string
	err   error
}

func (l namesLister) NodeNames(context.Context) ([]string, error) { return l.names, l.err }

func TestNodeNameCompleter(t *testing.T) {
	cluster := namesLister{names: []string{"control-1", "worker-10", "worker-3", "worker-7"}}
	tests := []struct {
		name       string
		connect    func() (nodeLister, error)
		args       []string
		toComplete string
		want       []string
	}{
		{name: "all nodes", args: nil, toComplete: "", want: []string{"control-1", "worker-10", "worker-3", "worker-7"}},
		{name: "prefix", toComplete: "worker-1", want: []string{"worker-10"}},
		{name: "already given names are not offered again", args: []string{"worker-3", "control-1"}, toComplete: "", want: []string{"worker-10", "worker-7"}},
		{name: "no match", toComplete: "gpu-", want: nil},
		{name: "kubeconfig broken", connect: func() (nodeLister, error) { return nil, errors.New("no kubeconfig") }, want: nil},
		{name: "list forbidden", connect: func() (nodeLister, error) {
			return namesLister{err: apierrors.NewForbidden(corev1.Resource("nodes"), "", errors.New("no list"))}, nil
		}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			connect := tt.connect
			if connect == nil {
				connect = func() (nodeLister, error) { return cluster, nil }
			}
			got, directive := nodeNameCompleter(connect)(&cobra.Command{}, tt.args, tt.toComplete)
			if !slices.Equal(got, tt.want) {
				t.Errorf("completions = %q, want %q", got, tt.want)
			}
			if directive != cobra.ShellCompDirectiveNoFileComp {
				t.Errorf("directive = %d, want NoFileComp (%d): node names are never files", directive, cobra.ShellCompDirectiveNoFileComp)
			}
		})
	}
}

// TestCompleteNodeNamesThroughCobra runs cobra's hidden __complete command,
// the way kubectl_complete-pleg and the shell scripts call it, against an
// API server that only knows GET /api/v1/nodes: the kubeconfig flags typed on
// the command line must reach the node LIST, which internal/collect sends from the
// watch cache (resourceVersion 0).
func TestCompleteNodeNamesThroughCobra(t *testing.T) {
	var lists atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/v1/nodes" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusNotFound)
			return
		}
		if got := r.URL.Query().Get("resourceVersion"); got != "0" {
			t.Errorf("resourceVersion = %q, want \"0\" (served from the watch cache)", got)
		}
		if ua := r.UserAgent(); !strings.HasPrefix(ua, "kubectl-pleg/") {
			t.Errorf("User-Agent = %q, want kubectl-pleg/...", ua)
		}
		lists.Add(1)
		list := corev1.NodeList{TypeMeta: metav1.TypeMeta{Kind: "NodeList", APIVersion: "v1"}}
		for _, n := range []string{"worker-7", "worker-3", "control-1"} {
			list.Items = append(list.Items, corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(list)
	}))
	defer srv.Close()
	// An empty kubeconfig, so the test never reads the developer's.
	empty := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", empty)

	run := func(args ...string) string {
		t.Helper()
		flags := genericclioptions.NewConfigFlags(true)
		root := &cobra.Command{Use: "kubectl-pleg"}
		flags.AddFlags(root.PersistentFlags())
		mustNotRun := func(*cobra.Command, []string) error { return errors.New("must not run") }
		root.AddCommand(&cobra.Command{
			Use:               "diagnose NODE [NODE...]",
			ValidArgsFunction: completeNodeNames(flags, clusterCollector),
			RunE:              mustNotRun,
		}, &cobra.Command{
			Use:               "collect NODE",
			ValidArgsFunction: completeOneNodeName(flags, clusterCollector),
			RunE:              mustNotRun,
		})
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&bytes.Buffer{})
		root.SetArgs(append([]string{cobra.ShellCompRequestCmd}, args...))
		if err := root.Execute(); err != nil {
			t.Fatalf("__complete %q: %v", args, err)
		}
		return out.String()
	}

	if got, want := run("--server", srv.URL, "diagnose", "worker-3", "w"), "worker-7\n:4\n"; got != want {
		t.Errorf("__complete diagnose worker-3 w =\n%s\nwant\n%s", got, want)
	}
	if got, want := run("--server", srv.URL, "collect", ""), "control-1\nworker-3\nworker-7\n:4\n"; got != want {
		t.Errorf("__complete collect '' =\n%s\nwant\n%s", got, want)
	}
	// collect takes one node: nothing more to offer, and no LIST for it.
	if got, want := run("--server", srv.URL, "collect", "worker-3", ""), ":4\n"; got != want {
		t.Errorf("__complete collect worker-3 '' =\n%s\nwant\n%s", got, want)
	}
	if lists.Load() != 2 {
		t.Errorf("node LISTs = %d, want 2", lists.Load())
	}
	// No API server answering: no suggestions, no file names, no error for
	// the shell to print.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	if got, want := run("--server", gone.URL, "diagnose", ""), ":4\n"; got != want {
		t.Errorf("__complete without a cluster =\n%s\nwant\n%s", got, want)
	}
}
