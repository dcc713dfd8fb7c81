package collect

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/internal/humanize"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
	"github.com/kubectl-pleg/kubectl-pleg/pkg/snapshot"
)

// A logRead is the outcome of reading one log from the kubelet.
type logRead struct {
	summary *kubelet.LogSummary
	// raw is the file the bytes read went to, when a bundle is written.
	raw string
	// queryOff says the kubelet answered a node log query with its /var/log
	// listing: the NodeLogQuery feature gate or enableSystemLogQuery is off.
	queryOff bool
	// empty says the journal had no entries for the unit.
	empty bool
	// refused is the kubelet's own word for not serving the query (the
	// unit logs to a file it serves only without options; no log at all).
	refused string
	err     error
}

// kubeletLog reads the kubelet's own log: the node log query first, then the
// files a kubelet without journald (or without the query feature) writes to.
func (c *Collector) kubeletLog(ctx context.Context, node string, now, since time.Time) (*kubelet.LogSummary, snapshot.Source) {
	name := snapshot.SourceKubeletLog
	// The kubelet's lines are picked out by syslog identifier wherever they
	// come from, so that the same filter applies to a bundle read back later.
	q := c.logQuery(ctx, node, "kubelet", kubelet.KubeletIdents, now, since)
	if q.err == nil && !q.queryOff && !q.empty && q.refused == "" {
		c.keepRaw(snapshot.SourceKubeletLog, q.raw)
		return q.summary, ok(name, "node log query (journal, unit kubelet), last %s, %s", humanize.Duration(c.opts.Since), linesRead(q.summary))
	}
	if q.err != nil && !isFallbackWorthy(q.err) {
		return q.summary, failedRead(name, "logs/?query=kubelet", q)
	}
	why := "node log query is off (NodeLogQuery feature gate and enableSystemLogQuery)"
	switch {
	case q.empty:
		why = "the journal has no kubelet unit"
	case q.refused != "":
		why = "the node log query answered " + strconv.Quote(q.refused)
	}
	// /var/log/messages and /var/log/syslog hold every program's lines; the
	// identifier filter keeps the kubelet's.
	var lastErr error
	for _, path := range []string{"kubelet.log", "messages", "syslog"} {
		r := c.logFile(ctx, node, path, kubelet.KubeletIdents, now, since)
		if r.err == nil {
			c.keepRaw(snapshot.SourceKubeletLog, r.raw)
			src := ok(name, "/var/log/%s (%s), last %s, %s", path, why, humanize.Duration(c.opts.Since), linesRead(r.summary))
			src.Fallback = true
			return r.summary, src
		}
		if !isFallbackWorthy(r.err) {
			return r.summary, failedRead(name, "logs/"+path, r)
		}
		lastErr = r.err
	}
	src := proxyFailure(name, "logs/", lastErr)
	if src.Status == snapshot.StatusNotFound {
		src.Reason = why + ", and the node has no /var/log/kubelet.log, messages or syslog: enable the node log query (see README) or collect `journalctl -u kubelet` on the node"
	}
	return nil, src
}

// runtimeLog reads the container runtime's journal unit.
func (c *Collector) runtimeLog(ctx context.Context, node, unit string, now, since time.Time) (*kubelet.LogSummary, snapshot.Source) {
	name := snapshot.SourceRuntimeLog
	q := c.logQuery(ctx, node, unit, nil, now, since)
	switch {
	case q.err != nil:
		return q.summary, failedRead(name, "logs/?query="+unit, q)
	case q.queryOff:
		return nil, snapshot.Source{Name: name, Status: snapshot.StatusUnavailable,
			Reason: "node log query is off (NodeLogQuery feature gate and enableSystemLogQuery): the " + unit + " journal cannot be read through the API server; runtime lines in /var/log/messages still count in the system log"}
	case q.empty:
		return nil, snapshot.Source{Name: name, Status: snapshot.StatusNotFound,
			Reason: "the journal has no " + unit + " unit on this node"}
	case q.refused != "":
		return nil, snapshot.Source{Name: name, Status: snapshot.StatusUnavailable,
			Reason: "the node log query answered " + strconv.Quote(q.refused) + " for " + unit + ": without a journal the runtime's log cannot be read through the API server"}
	}
	c.keepRaw(snapshot.SourceRuntimeLog, q.raw)
	return q.summary, ok(name, "node log query (journal, unit %s), last %s, %s", unit, humanize.Duration(c.opts.Since), linesRead(q.summary))
}

// systemLog reads the node's syslog file for kernel and daemon lines (OOM
// kills, hung tasks, runtime errors).
func (c *Collector) systemLog(ctx context.Context, node string, now, since time.Time) (*kubelet.LogSummary, snapshot.Source) {
	name := snapshot.SourceSystemLog
	var lastErr error
	for _, path := range []string{"messages", "syslog"} {
		r := c.logFile(ctx, node, path, nil, now, since)
		if r.err == nil {
			c.keepRaw(snapshot.SourceSystemLog, r.raw)
			return r.summary, ok(name, "/var/log/%s, last %s, %s", path, humanize.Duration(c.opts.Since), linesRead(r.summary))
		}
		if !isFallbackWorthy(r.err) {
			return r.summary, failedRead(name, "logs/"+path, r)
		}
		lastErr = r.err
	}
	src := proxyFailure(name, "logs/messages", lastErr)
	if src.Status == snapshot.StatusNotFound {
		src.Reason = "the node has neither /var/log/messages nor /var/log/syslog (journald only): kernel OOM kills and hung tasks are not visible through the API server; run `journalctl -k` on the node"
	}
	return nil, src
}

// logQuery asks the kubelet's node log query for one journal unit. The server
// does the filtering: sinceTime bounds the window and tailLines bounds the
// transfer to about the byte cap.
func (c *Collector) logQuery(ctx context.Context, node, unit string, idents []string, now, since time.Time) logRead {
	params := url.Values{
		"query":     {unit},
		"sinceTime": {since.Format(time.RFC3339)},
		"tailLines": {strconv.FormatInt(min(maxTailLines, max(1000, c.opts.MaxLogBytes/avgLogLineBytes)), 10)},
	}
	rc, err := c.proxyStream(ctx, node, "logs/", params)
	if err != nil {
		return logRead{err: err}
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	head, _ := br.Peek(512)
	if isDirectoryListing(head) {
		return logRead{queryOff: true}
	}
	if refusal, ok := logQueryRefusal(head); ok {
		return logRead{refused: refusal}
	}
	r := c.scanTail(ctx, br, kubelet.ScanOptions{Ref: now, Since: since, Idents: idents})
	if r.err == nil && r.summary.Lines <= 1 && bytes.HasPrefix(bytes.TrimSpace(head), []byte("-- No entries --")) {
		r.empty = true
	}
	return r
}

// logFile reads a file under the node's /var/log.
func (c *Collector) logFile(ctx context.Context, node, path string, idents []string, now, since time.Time) logRead {
	rc, err := c.proxyStream(ctx, node, "logs/"+path, nil)
	if err != nil {
		return logRead{err: err}
	}
	defer rc.Close()
	return c.scanTail(ctx, rc, kubelet.ScanOptions{Ref: now, Since: since, Idents: idents})
}

// avgLogLineBytes turns the byte cap into a line count for tailLines.
const avgLogLineBytes = 200

// maxTailLines is the largest tailLines the kubelet accepts; above it the
// node log query answers 406 Not Acceptable.
const maxTailLines = 100000

// scanTail scans a log stream as it arrives, keeping the summary of its
// newest MaxLogBytes only, so memory stays small whatever the log's size.
// For a bundle, the bytes also go to a file, which the source keeps if this
// read is the one it uses. A stream cut by the source timeout is still
// scanned, and the error says so.
func (c *Collector) scanTail(ctx context.Context, r io.Reader, opts kubelet.ScanOptions) logRead {
	var raw string
	if c.rec != nil {
		path, w, err := c.rec.partFile()
		if err != nil {
			return logRead{err: err}
		}
		defer w.Close()
		raw, r = path, io.TeeReader(r, w)
	}
	sums, err := kubelet.ScanLogTail(r, c.opts.MaxLogBytes, opts)
	if sums == nil {
		return logRead{err: err}
	}
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return logRead{summary: sums[0], raw: raw, err: err}
}

// failedRead records a log read that failed, perhaps after part of the log
// arrived: that part is still analyzed, and the reason says how much it was.
func failedRead(name snapshot.SourceName, path string, r logRead) snapshot.Source {
	src := proxyFailure(name, path, r.err)
	if r.summary != nil && r.summary.Lines > 0 {
		src.Reason += fmt.Sprintf(" (analyzed the %s lines that arrived)", humanize.Count(r.summary.Lines))
	}
	return src
}

// isFallbackWorthy says whether another way to the same log is worth trying.
func isFallbackWorthy(err error) bool {
	src := proxyFailure("", "", err)
	return src.Status == snapshot.StatusNotFound || src.Status == snapshot.StatusError
}

// isDirectoryListing recognizes the HTML index http.FileServer serves for
// /var/log: what a kubelet without the node log query answers to ?query=.
func isDirectoryListing(head []byte) bool {
	h := bytes.ToLower(bytes.TrimSpace(head))
	return bytes.HasPrefix(h, []byte("<!doctype html")) || bytes.HasPrefix(h, []byte("<pre>")) || bytes.HasPrefix(h, []byte("<html"))
}

// logQueryRefusals start what the kubelet writes, with HTTP 200, when it
// will not serve a node log query (pkg/kubelet/kubelet_server_journal.go):
// a unit that logs to a file is served only without options (sinceTime,
// tailLines), and a unit may have no log at all. That text is never a log.
var logQueryRefusals = []string{
	"options present and query resolved to log files",
	"log not found for ",
	"error getting log for ",
}

// logQueryRefusal returns the kubelet's refusal (its first line) if head is one.
func logQueryRefusal(head []byte) (string, bool) {
	h := bytes.TrimSpace(head)
	for _, r := range logQueryRefusals {
		if bytes.HasPrefix(h, []byte(r)) {
			first, _, _ := bytes.Cut(h, []byte("\n"))
			return strings.TrimSpace(string(first)), true
		}
	}
	return "", false
}

// runtimeUnit names the runtime's systemd unit from the node's runtime version
// ("containerd://1.7.2", "docker://20.10.7", "cri-o://1.28.1").
func runtimeUnit(node *corev1.Node) string {
	if node != nil {
		v := node.Status.NodeInfo.ContainerRuntimeVersion
		switch {
		case strings.HasPrefix(v, "docker"):
			return "docker"
		case strings.HasPrefix(v, "cri-o"), strings.HasPrefix(v, "crio"):
			return "crio"
		}
	}
	return "containerd"
}

func linesRead(s *kubelet.LogSummary) string {
	msg := humanize.Count(s.Lines) + " lines"
	if s.Truncated {
		msg += " (older lines dropped at --max-log-bytes)"
	}
	return msg
}
