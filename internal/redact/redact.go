// Package redact makes what the plugin saves or prints safe to share with a
// vendor or a public ticket: it replaces secrets (bearer tokens and
// Authorization headers, JWTs, passwords, tokens and keys in env-like text,
// flags and Kubernetes env lists, user:password@ in URLs, cloud access keys
// and AWS account IDs, PEM certificates and private keys, base64 PEM in
// kubeconfigs) and, when asked, IP and MAC addresses, each mapped
// consistently to a reserved address (the same address always becomes the
// same stand-in, so the story of a log still reads), as `sos clean` does.
//
// What it writes is a fixed point: redacting redacted text changes nothing,
// since masks match no pattern and stand-ins come from ranges it leaves alone
// (240.0.0.0/4, 2001:db8::/32, 02:00:00:…). What the rules read survives:
// timestamps, durations, operation names, container IDs and node names.
package redact

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strings"
	"sync"
)

// Mask replaces a secret.
const Mask = "***REDACTED***"

// Options choose what is redacted besides secrets.
type Options struct {
	// Addresses maps IPv4, IPv6 and MAC addresses (and EC2-style host
	// names that spell an IPv4 address, ip-10-0-3-17) to stand-ins.
	Addresses bool `json:"addresses"`
}

// Redactor redacts text; one Redactor serves every file of a bundle so
// that an address gets the same stand-in in all of them. Safe for
// concurrent use.
type Redactor struct {
	opts Options
	mu   sync.Mutex
	ipv4 map[string]string
	ipv6 map[string]string
	macs map[string]string
}

// New returns a Redactor.
func New(opts Options) *Redactor {
	return &Redactor{opts: opts, ipv4: map[string]string{}, ipv6: map[string]string{}, macs: map[string]string{}}
}

// secret is one pattern: the whole match is replaced by repl, which may
// keep groups (the key of a key=value) with $1.
type secret struct {
	re   *regexp.Regexp
	repl string
}

// secretKey is a name that says its value is a secret.
const secretKey = `[A-Za-z0-9_.-]*(?i:password|passwd|pwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|account[_-]?key|credentials?|client[_-]?secret)[A-Za-z0-9_.-]*`

var secrets = []secret{
	// PEM blocks whose newlines are escaped (JSON, log lines): one line.
	{regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]*)-----(?:\\n|\\r|[^-])+-----END ([A-Z0-9 ]*)-----`), "-----BEGIN $1-----" + Mask + "-----END $2-----"},
	// A PEM block cut before its END, its newlines escaped.
	{regexp.MustCompile(`(-----BEGIN [A-Z0-9 ]*-----)(?:\\[nr]|[A-Za-z0-9+/=])+`), "${1}" + Mask},
	// base64 of "-----BEGIN" (kubeconfig *-data fields).
	{regexp.MustCompile(`LS0tLS1CRUdJTi[A-Za-z0-9+/=]+`), Mask},
	// Authorization headers, any scheme.
	{regexp.MustCompile(`(?i)(authorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token|negotiate|digest)\s+)?)[A-Za-z0-9\-._~+/=:]+`), "${1}" + Mask},
	{regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]{8,}=*`), "${1}" + Mask},
	// JSON Web Tokens (service-account tokens).
	{regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+`), Mask},
	// user:password@ in URLs and connection strings.
	{regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^:/\s@"']+:)[^@\s/"']+@`), "${1}" + Mask + "@"},
	// Kubernetes env lists: {"name": "DB_PASSWORD", "value": "..."}.
	{regexp.MustCompile(`("name"\s*:\s*"` + secretKey + `"\s*,\s*"value"\s*:\s*")(?:[^"\\]|\\.)*"`), "${1}" + Mask + `"`},
	{regexp.MustCompile(`(name:\s*["']?` + secretKey + `["']?\s*\n?\s*value:\s*)\S+`), "${1}" + Mask},
	// Flags: --token abc, --client-secret=abc.
	{regexp.MustCompile(`(--` + secretKey + `[= ])[^\s"',]+`), "${1}" + Mask},
	// key=value, key: value, "key": "value" in env-like text.
	// key=\"value\" inside a JSON string (a log line in -o json).
	{regexp.MustCompile(`(` + secretKey + `\s*[:=]\s*\\")(?:[^"\\]|\\[^"])*\\"`), "${1}" + Mask + `\"`},
	{regexp.MustCompile(`(` + secretKey + `["']?\s*[:=]\s*")(?:[^"\\]|\\.)+"`), "${1}" + Mask + `"`},
	{regexp.MustCompile(`(` + secretKey + `["']?\s*[:=]\s*')[^']+'`), "${1}" + Mask + `'`},
	{regexp.MustCompile(`(` + secretKey + `\s*[:=]\s*)[^\s"'{\[,;*\\][^\s"',;\\]*`), "${1}" + Mask},
	// Cloud keys.
	{regexp.MustCompile(`\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b`), Mask},
	{regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`), Mask},
	{regexp.MustCompile(`\b(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}\b`), Mask},
	{regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}\b`), Mask},
	// AWS account IDs in ARNs and where named.
	{regexp.MustCompile(`(arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:)\d{12}\b`), "${1}000000000000"},
	{regexp.MustCompile(`(?i)("?(?:aws[_-]?)?account[_-]?id"?\s*[:=]\s*"?)\d{12}\b`), "${1}000000000000"},
}

var (
	// authScheme is an Authorization header's scheme alone.
	authScheme = regexp.MustCompile(`(?i)^(?:bearer|basic|token|negotiate|digest)$`)
	pemBegin   = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]*)-----`)
	pemEnd     = regexp.MustCompile(`-----END ([A-Z0-9 ]*)-----`)
	ipv4Re     = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
	ec2Host    = regexp.MustCompile(`\bip-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\b`)
	macRe      = regexp.MustCompile(`(?i)\b(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}\b`)
	// IPv6 needs "::" or eight groups, and a hex letter or "::": clock
	// times (10:30:00) and MACs must not read as addresses. What follows a
	// backslash is an escape's (JSON's \f, \b, \u000c), never an address's
	// start: "\f::" read as the address f:: would break the JSON it is in.
	ipv6Re = regexp.MustCompile(`(?i)(?:^|[^0-9a-f:.\\]|\\u[0-9a-f]{4}|\\[^u])((?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,7}:|(?:[0-9a-f]{1,4}:){1,6}(?::[0-9a-f]{1,4}){1,6}|::(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})(?:$|[^0-9a-f:])`)
)

// String redacts s, a piece of text that may hold several lines.
func (r *Redactor) String(s string) string {
	var b strings.Builder
	w := r.Writer(nopCloser{&b})
	io.WriteString(w, s)
	w.Close()
	return b.String()
}

// Reader returns src, redacted as it is read.
func (r *Redactor) Reader(src io.Reader) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := r.Writer(nopCloser{pw})
		_, err := io.Copy(w, src)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err)
	}()
	return pr
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Writer returns a writer that redacts line by line into dst; Close writes
// the last line (even without a newline) and closes dst.
func (r *Redactor) Writer(dst io.WriteCloser) io.WriteCloser {
	return &lineWriter{r: r, dst: dst, out: bufio.NewWriterSize(dst, 64<<10)}
}

type lineWriter struct {
	r       *Redactor
	dst     io.WriteCloser
	out     *bufio.Writer
	pending []byte
	// inPEM says the lines written are inside a PEM block being masked.
	inPEM bool
}

// maxLine bounds a line held while waiting for its end; a longer one is
// redacted in pieces.
const maxLine = 1 << 20

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := strings.IndexByte(string(p), '\n')
		if i < 0 {
			w.pending = append(w.pending, p...)
			if len(w.pending) > maxLine {
				if err := w.flushLine(false); err != nil {
					return 0, err
				}
			}
			break
		}
		w.pending = append(w.pending, p[:i]...)
		if err := w.flushLine(true); err != nil {
			return 0, err
		}
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) flushLine(newline bool) error {
	line := w.r.line(string(w.pending), &w.inPEM)
	w.pending = w.pending[:0]
	if _, err := w.out.WriteString(line); err != nil {
		return err
	}
	if newline {
		return w.out.WriteByte('\n')
	}
	return nil
}

func (w *lineWriter) Close() error {
	var err error
	if len(w.pending) > 0 {
		err = w.flushLine(false)
	}
	if ferr := w.out.Flush(); err == nil {
		err = ferr
	}
	if cerr := w.dst.Close(); err == nil {
		err = cerr
	}
	return err
}

// line redacts one line; inPEM carries a multi-line PEM block across lines:
// its BEGIN and END lines stay, what is between becomes one mask.
func (r *Redactor) line(s string, inPEM *bool) string {
	if *inPEM {
		if m := pemEnd.FindStringIndex(s); m != nil {
			*inPEM = false
			if before := s[:m[0]]; strings.TrimSpace(before) != "" {
				return leadingSpace(s) + Mask + s[m[0]:]
			}
			return s
		}
		if strings.TrimSpace(s) == Mask {
			return s
		}
		return leadingSpace(s) + Mask
	}
	// Addresses first: a stand-in may be longer than its address, and a
	// secret pattern must see the text as it will stay.
	if r.opts.Addresses {
		s = r.addresses(s)
	}
	for _, p := range secrets {
		if p.re.MatchString(s) {
			s = p.re.ReplaceAllStringFunc(s, func(m string) string {
				// "Authorization: Bearer ***REDACTED***" is done: its
				// scheme is no value to mask.
				if sub := p.re.FindStringSubmatch(m); len(sub) > 1 && authScheme.MatchString(m[len(sub[1]):]) {
					return m
				}
				return p.re.ReplaceAllString(m, p.repl)
			})
		}
	}
	// A BEGIN line of its own opens a multi-line block.
	if m := pemBegin.FindStringIndex(s); m != nil && strings.TrimSpace(s[m[1]:]) == "" {
		*inPEM = true
	}
	return s
}

func leadingSpace(s string) string {
	return s[:len(s)-len(strings.TrimLeft(s, " \t"))]
}

// addresses maps every IPv4, IPv6 and MAC address of s to its stand-in.
func (r *Redactor) addresses(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s = macRe.ReplaceAllStringFunc(s, func(m string) string {
		lower := strings.ToLower(strings.ReplaceAll(m, "-", ":"))
		if strings.HasPrefix(lower, "02:00:00:") {
			return m
		}
		return stand(r.macs, lower, func(n int) string {
			return fmt.Sprintf("02:00:00:%02x:%02x:%02x", n>>16&0xff, n>>8&0xff, n&0xff)
		})
	})
	s = ec2Host.ReplaceAllStringFunc(s, func(m string) string {
		g := ec2Host.FindStringSubmatch(m)
		ip := strings.Join(g[1:], ".")
		if out, ok := r.ipv4Stand(ip); ok {
			return "ip-" + strings.ReplaceAll(out, ".", "-")
		}
		return m
	})
	s = ipv4Re.ReplaceAllStringFunc(s, func(m string) string {
		if out, ok := r.ipv4Stand(m); ok {
			return out
		}
		return m
	})
	return ipv6Re.ReplaceAllStringFunc(s, func(m string) string {
		g := ipv6Re.FindStringSubmatch(m)
		addr, err := netip.ParseAddr(g[1])
		if err != nil || !strings.ContainsAny(strings.ToLower(g[1]), "abcdef") && !strings.Contains(g[1], "::") ||
			addr.IsLoopback() || addr.IsUnspecified() || netip.MustParsePrefix("2001:db8::/32").Contains(addr) {
			return m
		}
		out := stand(r.ipv6, addr.String(), func(n int) string { return fmt.Sprintf("2001:db8::%x", n) })
		return strings.Replace(m, g[1], out, 1)
	})
}

// ipv4Stand is the stand-in of an IPv4 address, and false for what is not
// one or carries no identity (loopback, unspecified, netmasks, stand-ins).
func (r *Redactor) ipv4Stand(s string) (string, bool) {
	addr, err := netip.ParseAddr(s)
	if err != nil || !addr.Is4() {
		return "", false
	}
	b := addr.As4()
	if addr.IsLoopback() || addr.IsUnspecified() || b[0] >= 240 || b[0] == 255 {
		return "", false
	}
	return stand(r.ipv4, s, func(n int) string { return fmt.Sprintf("240.%d.%d.%d", n>>16&0xff, n>>8&0xff, n&0xff) }), true
}

// stand returns key's stand-in, making the next one when key is new.
func stand(m map[string]string, key string, make func(n int) string) string {
	if v, ok := m[key]; ok {
		return v
	}
	v := make(len(m) + 1)
	m[key] = v
	return v
}
