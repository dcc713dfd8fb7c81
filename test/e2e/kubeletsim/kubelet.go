package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-pleg/kubectl-pleg/test/e2e/internal/fleet"
	"github.com/kubectl-pleg/kubectl-pleg/test/e2e/internal/scenario"
)

// kubelet serves one scenario node.
type kubelet struct {
	s     *scenario.Scenario
	files http.Handler // /logs/ as the kubelet's http.FileServer over /var/log
	mux   *http.ServeMux
}

func newKubelet(s *scenario.Scenario) *kubelet {
	k := &kubelet{s: s, mux: http.NewServeMux()}
	// The real kubelet serves /var/log with http.FileServer; using the same
	// handler gives its exact directory listing and Range semantics.
	k.files = http.StripPrefix("/logs/", http.FileServer(shiftedFS{s}))
	k.mux.HandleFunc("/logs/", k.logs)
	k.mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		b, ok := k.read(w, "metrics.txt")
		if ok {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
			w.Write(scenario.ShiftMetrics(b, s.Shift(time.Now())))
		}
	})
	k.mux.HandleFunc("/fleet/metrics", k.fleetMetrics)
	k.mux.HandleFunc("/stats/summary", func(w http.ResponseWriter, r *http.Request) {
		var v any
		k.serveJSON(w, scenario.ReadShifted(s.Path("stats.json"), s.Shift(time.Now()), &v), v)
	})
	k.mux.HandleFunc("/configz", func(w http.ResponseWriter, r *http.Request) {
		var v any
		k.serveJSON(w, scenario.ReadShifted(s.Path("configz.json"), 0, &v), v)
	})
	k.mux.HandleFunc("/pods", func(w http.ResponseWriter, r *http.Request) {
		pods, err := s.Pods(time.Now())
		list := corev1.PodList{Items: pods}
		list.Kind, list.APIVersion = "PodList", "v1"
		k.serveJSON(w, err, list)
	})
	k.mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(s.Path("healthz"))
		if err != nil {
			b = []byte("ok")
		}
		// The kubelet answers 500 with the failing checks listed.
		if !bytes.HasPrefix(b, []byte("ok")) {
			w.WriteHeader(http.StatusInternalServerError)
		}
		w.Write(b)
	})
	return k
}

func (k *kubelet) ServeHTTP(w http.ResponseWriter, r *http.Request) { k.mux.ServeHTTP(w, r) }

func (k *kubelet) read(w http.ResponseWriter, name string) ([]byte, bool) {
	b, err := os.ReadFile(k.s.Path(name))
	if err != nil {
		http.NotFound(w, nil)
		return nil, false
	}
	return b, true
}

func (k *kubelet) serveJSON(w http.ResponseWriter, err error, v any) {
	if os.IsNotExist(err) {
		http.NotFound(w, nil)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// logQuery is the kubelet's node log query (pkg/kubelet/kubelet_server_journal.go).
type logQuery struct {
	services, files []string
	since, until    *time.Time
	tail            int // -1: all
	pattern         *regexp.Regexp
	hasOptions      bool
}

// logs mirrors the kubelet's /logs/ dispatch: file server unless the
// NodeLogQuery feature is on and query parameters are present.
func (k *kubelet) logs(w http.ResponseWriter, r *http.Request) {
	if !k.s.LogQueryEnabled() {
		k.files.ServeHTTP(w, r)
		return
	}
	q, status, msg := parseLogQuery(r.URL.Query())
	switch {
	case status != 0:
		http.Error(w, msg, status)
	case q == nil:
		k.files.ServeHTTP(w, r)
	case r.URL.Path != "/logs/":
		http.Error(w, "path not allowed in query mode", http.StatusNotAcceptable)
	case len(q.files) == 1:
		r.URL.Path = "/logs/" + strings.TrimPrefix(q.files[0], "/")
		k.files.ServeHTTP(w, r)
	default:
		k.journal(w, r, q)
	}
}

func parseLogQuery(v map[string][]string) (*logQuery, int, string) {
	q := &logQuery{tail: -1}
	for _, s := range v["query"] {
		if strings.ContainsAny(s, `/\`) {
			q.files = append(q.files, s)
		} else if strings.TrimSpace(s) != "" {
			q.services = append(q.services, s)
		}
	}
	get := func(k string) string {
		if len(v[k]) > 0 {
			q.hasOptions = true
			return v[k][0]
		}
		return ""
	}
	for _, k := range []string{"sinceTime", "untilTime"} {
		if s := get(k); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return nil, http.StatusBadRequest, k + ": Invalid value: \"" + s + "\": invalid time format"
			}
			if k == "sinceTime" {
				q.since = &t
			} else {
				q.until = &t
			}
		}
	}
	if s := get("tailLines"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, http.StatusBadRequest, "tailLines: Invalid value: " + strconv.Quote(s) + ": " + err.Error()
		}
		// The kubelet caps tailLines at maxTailLines and answers 406 above it.
		if n < 0 || n > 100000 {
			return nil, http.StatusNotAcceptable, "tailLines: Invalid value: " + s + ": must be between 0 and 100000, inclusive"
		}
		q.tail = n
	}
	if s := get("pattern"); s != "" {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, http.StatusNotAcceptable, "pattern: Invalid value: " + err.Error()
		}
		q.pattern = re
	}
	get("boot")
	if len(q.services) == 0 && len(q.files) == 0 {
		if q.hasOptions {
			return nil, http.StatusNotAcceptable, "query: Required value: cannot be empty with options"
		}
		return nil, 0, ""
	}
	if len(q.files) > 0 && (len(q.services) > 0 || q.hasOptions || len(q.files) > 1) {
		return nil, http.StatusNotAcceptable, "query: Invalid value: cannot specify a file with services, options or other files"
	}
	return q, 0, ""
}

// journal answers like `journalctl --utc --no-pager --output=short-precise
// -u ...`: units with a journal/UNIT.log are "native", the others fall back
// to /var/log heuristics exactly as the kubelet does.
func (k *kubelet) journal(w http.ResponseWriter, r *http.Request, q *logQuery) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	var out io.Writer = w
	if r.Header.Get("Accept-Encoding") == "gzip" {
		w.Header().Set("Content-Encoding", "gzip")
		gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		defer gz.Close()
		out = gz
	}
	now := time.Now()
	year := k.s.Config.CaptureTime.Year()
	var native, fileLoggers []string
	for _, svc := range q.services {
		if svc == "kubelet" && k.s.Config.Faults.HugeLogBytes > 0 {
			streamHugeLog(r.Context(), out, k.s.Name, k.s.Config.Faults.HugeLogBytes, now, q)
			continue
		}
		if _, err := os.Stat(k.s.Path("journal/" + svc + ".log")); err == nil {
			native = append(native, svc)
		} else {
			fileLoggers = append(fileLoggers, svc)
		}
	}
	if len(native) > 0 {
		type entry struct {
			t    time.Time
			line string
		}
		var entries []entry
		for _, svc := range native {
			b, _ := os.ReadFile(k.s.Path("journal/" + svc + ".log"))
			for line := range strings.Lines(string(scenario.ShiftText(b, k.s.Shift(now), year))) {
				t, _ := scenario.LineTime(line, year)
				if q.since != nil && t.Before(*q.since) || q.until != nil && t.After(*q.until) {
					continue
				}
				if q.pattern != nil && !q.pattern.MatchString(message(line)) {
					continue
				}
				entries = append(entries, entry{t, line})
			}
		}
		// journalctl interleaves units by time.
		sort.SliceStable(entries, func(i, j int) bool { return entries[i].t.Before(entries[j].t) })
		if q.tail >= 0 && len(entries) > q.tail {
			entries = entries[len(entries)-q.tail:]
		}
		if len(entries) == 0 {
			io.WriteString(out, "-- No entries --\n")
		}
		for _, e := range entries {
			io.WriteString(out, e.line)
		}
	}
	if len(fileLoggers) > 0 && q.hasOptions {
		io.WriteString(out, "\noptions present and query resolved to log files for ["+strings.Join(fileLoggers, " ")+"]\ntry without specifying options\n")
		return
	}
	for _, svc := range fileLoggers {
		found := false
		for _, name := range []string{svc, svc + ".log", svc + "/" + svc + ".log"} {
			f, err := (shiftedFS{k.s}).Open("/" + name)
			if err != nil {
				continue
			}
			st, _ := f.Stat()
			if !st.IsDir() {
				io.Copy(out, f)
				found = true
			}
			f.Close()
			if found {
				break
			}
		}
		if !found {
			io.WriteString(out, "\nlog not found for "+svc+"\n")
		}
	}
}

// message is the part of a journal line that `journalctl --grep` matches.
func message(line string) string {
	if i := strings.Index(line, "]: "); i >= 0 {
		return line[i+3:]
	}
	return line
}

// shiftedFS is /var/log of the scenario (varlog/) with every file's
// timestamps moved to now. Directories are passed through untouched so
// that http.FileServer lists them exactly as the kubelet does.
type shiftedFS struct{ s *scenario.Scenario }

func (f shiftedFS) Open(name string) (http.File, error) {
	file, err := http.Dir(f.s.Path("varlog")).Open(name)
	if err != nil {
		return nil, err
	}
	st, err := file.Stat()
	if err != nil || st.IsDir() {
		return file, err
	}
	defer file.Close()
	b, err := io.ReadAll(file)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	b = scenario.ShiftText(b, f.s.Shift(now), f.s.Config.CaptureTime.Year())
	return &memFile{Reader: bytes.NewReader(b), info: memInfo{path.Base(name), int64(len(b)), now}}, nil
}

type memFile struct {
	*bytes.Reader
	info memInfo
}

func (m *memFile) Close() error                       { return nil }
func (m *memFile) Readdir(int) ([]fs.FileInfo, error) { return nil, fs.ErrInvalid }
func (m *memFile) Stat() (fs.FileInfo, error)         { return m.info, nil }
func (i memInfo) Name() string                        { return i.name }
func (i memInfo) Size() int64                         { return i.size }
func (i memInfo) Mode() fs.FileMode                   { return 0o644 }
func (i memInfo) ModTime() time.Time                  { return i.mod }
func (i memInfo) IsDir() bool                         { return false }
func (i memInfo) Sys() any                            { return nil }

type memInfo struct {
	name string
	size int64
	mod  time.Time
}

// fleetMetrics serves this scenario's /metrics once for each generated
// fleet node from ?from= to ?to= (exclusive), each series labelled with the
// node's name: what a Prometheus scraping those kubelets (kube-prometheus
// labels each kubelet's series with its node) holds, for the 5,000-node
// bench of scan --prometheus (make bench-scan), scraped with honor_labels.
func (k *kubelet) fleetMetrics(w http.ResponseWriter, r *http.Request) {
	from, err1 := strconv.Atoi(r.URL.Query().Get("from"))
	to, err2 := strconv.Atoi(r.URL.Query().Get("to"))
	if err1 != nil || err2 != nil || from < 0 || to < from {
		http.Error(w, "want ?from=N&to=M", http.StatusBadRequest)
		return
	}
	b, ok := k.read(w, "metrics.txt")
	if !ok {
		return
	}
	var series []string
	for line := range strings.Lines(string(scenario.ShiftMetrics(b, k.s.Shift(time.Now())))) {
		if !strings.HasPrefix(line, "#") && strings.TrimSpace(line) != "" {
			series = append(series, line)
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	var out bytes.Buffer
	for i := from; i < to; i++ {
		label := `node="` + fleet.Name(i) + `"`
		for _, line := range series {
			if j := strings.IndexAny(line, "{ "); j > 0 && line[j] == '{' {
				out.WriteString(line[:j+1] + label + "," + line[j+1:])
			} else if j > 0 {
				out.WriteString(line[:j] + "{" + label + "}" + line[j:])
			}
		}
		if out.Len() > 1<<20 {
			w.Write(out.Bytes())
			out.Reset()
		}
	}
	w.Write(out.Bytes())
}
