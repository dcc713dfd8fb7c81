package cmd

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubectl-pleg/kubectl-pleg/internal/collect"
	"github.com/kubectl-pleg/kubectl-pleg/internal/redact"
)

// collectFlags are the collection bounds shared by diagnose and collect.
type collectFlags struct {
	Since         time.Duration
	SourceTimeout time.Duration
	MaxLogBytes   string
	maxLogBytes   int64
}

func newCollectFlags() collectFlags {
	d := collect.DefaultOptions()
	return collectFlags{Since: d.Since, SourceTimeout: d.SourceTimeout,
		MaxLogBytes: resource.NewQuantity(d.MaxLogBytes, resource.BinarySI).String()}
}

func (f *collectFlags) addTo(fs *pflag.FlagSet) {
	fs.DurationVar(&f.Since, "since", f.Since, "how far back to read logs")
	fs.DurationVar(&f.SourceTimeout, "source-timeout", f.SourceTimeout, "time limit for each source (node, events, pods, each kubelet endpoint)")
	fs.StringVar(&f.MaxLogBytes, "max-log-bytes", f.MaxLogBytes, "newest bytes of each log kept for analysis (e.g. 32Mi)")
}

// complete parses --max-log-bytes and checks every bound.
func (f *collectFlags) complete() error {
	q, err := resource.ParseQuantity(f.MaxLogBytes)
	if err != nil {
		return fmt.Errorf("--max-log-bytes %q: %v (use a size such as 32Mi)", f.MaxLogBytes, err)
	}
	f.maxLogBytes = q.Value()
	switch {
	case f.Since <= 0:
		return fmt.Errorf("--since must be positive, got %s", f.Since)
	case f.SourceTimeout <= 0:
		return fmt.Errorf("--source-timeout must be positive, got %s", f.SourceTimeout)
	case f.maxLogBytes < 64<<10:
		return fmt.Errorf("--max-log-bytes must be at least 64Ki, got %s", f.MaxLogBytes)
	}
	return nil
}

func (f *collectFlags) options() collect.Options {
	return collect.Options{Since: f.Since, SourceTimeout: f.SourceTimeout, MaxLogBytes: f.maxLogBytes}
}

// redactFlags are --redact and --redact-ips, shared by diagnose and collect.
type redactFlags struct {
	Redact, RedactIPs bool
}

func (f *redactFlags) addTo(fs *pflag.FlagSet, what string) {
	fs.BoolVar(&f.Redact, "redact", false, "redact secrets in "+what+" (tokens, Authorization headers, passwords and keys, cloud keys, certificates)")
	fs.BoolVar(&f.RedactIPs, "redact-ips", false, "with --redact, also map IP and MAC addresses to stand-ins, the same address to the same stand-in")
}

// options are the redaction asked for, nil for none.
func (f *redactFlags) options() *redact.Options {
	if !f.Redact && !f.RedactIPs {
		return nil
	}
	return &redact.Options{Addresses: f.RedactIPs}
}

// writer wraps out so that what is written is redacted when asked; done
// writes the rest and must be called once the output is complete.
func (f *redactFlags) writer(out io.Writer) (io.Writer, func() error) {
	opts := f.options()
	if opts == nil {
		return out, func() error { return nil }
	}
	w := redact.New(*opts).Writer(nopWriteCloser{out})
	return w, w.Close
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// prometheusFlags are --prometheus, shared by diagnose, scan and watch (not
// collect: a bundle keeps the kubelet's own /metrics).
type prometheusFlags struct {
	Prometheus string
}

func (f *prometheusFlags) addTo(fs *pflag.FlagSet) {
	fs.StringVar(&f.Prometheus, "prometheus", os.Getenv("PLEG_PROMETHEUS_URL"),
		"read the kubelets' metrics from this Prometheus instead of /metrics through the node proxy: a URL (bearer token from $PLEG_PROMETHEUS_TOKEN), or an API server path to its service proxy such as /api/v1/namespaces/monitoring/services/prometheus-k8s:web/proxy (default $PLEG_PROMETHEUS_URL)")
}

// with sets the Prometheus to read in opts.
func (f *prometheusFlags) with(opts collect.Options) collect.Options {
	opts.Prometheus = f.Prometheus
	if f.Prometheus != "" && !strings.HasPrefix(f.Prometheus, "/") {
		opts.PrometheusToken = os.Getenv("PLEG_PROMETHEUS_TOKEN")
	}
	return opts
}
