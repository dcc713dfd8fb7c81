package redact

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

func TestSecrets(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"bearer header", `curl -H "Authorization: Bearer abcdef0123456789xyz" https://10.0.0.1:6443`, `curl -H "Authorization: Bearer ***REDACTED***" https://10.0.0.1:6443`},
		{"basic header", `Authorization: Basic dXNlcjpwYXNz`, `Authorization: Basic ***REDACTED***`},
		{"bearer word only", `Unable to authenticate the request: invalid bearer token`, `Unable to authenticate the request: invalid bearer token`},
		{"jwt", `token eyJhbGciOiJSUzI1NiIsImtpZCI6IkFCQyJ9.eyJpc3MiOiJrdWJlcm5ldGVzIn0.c2lnbmF0dXJl in the log`, `token ***REDACTED*** in the log`},
		{"env password", `DB_PASSWORD=hunter2 MYSQL_ROOT_PASSWORD="s3cr3t" api_key: 'k-123'`, `DB_PASSWORD=***REDACTED*** MYSQL_ROOT_PASSWORD="***REDACTED***" api_key: '***REDACTED***'`},
		{"json secret", `{"clientSecret": "abc\"def", "other": "keep"}`, `{"clientSecret": "***REDACTED***", "other": "keep"}`},
		{"pod env list", `{"name":"GITHUB_TOKEN","value":"ghx-1234"}`, `{"name":"GITHUB_TOKEN","value":"***REDACTED***"}`},
		{"flag", `kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:abc`, `kubeadm join 10.0.0.1:6443 --token ***REDACTED*** --discovery-token-ca-cert-hash ***REDACTED***`},
		{"url userinfo", `dial postgres://admin:p4ss@db.internal:5432/app`, `dial postgres://admin:***REDACTED***@db.internal:5432/app`},
		{"connection string", `Server=db;User Id=sa;Password=P@ss;Database=x`, `Server=db;User Id=sa;Password=***REDACTED***;Database=x`},
		{"mysql pwd", `MYSQL_PWD="x1" pwd=y`, `MYSQL_PWD="***REDACTED***" pwd=***REDACTED***`},
		{"aws keys", `aws_access_key_id=AKIAIOSFODNN7EXAMPLE aws_secret_access_key=wJalrXUtnFEMI/K7MDENG`, `aws_access_key_id=***REDACTED*** aws_secret_access_key=***REDACTED***`},
		{"aws key alone", `using AKIAIOSFODNN7EXAMPLE`, `using ***REDACTED***`},
		{"aws account", `arn:aws:iam::123456789012:role/eks-node "AccountId": "123456789012"`, `arn:aws:iam::000000000000:role/eks-node "AccountId": "000000000000"`},
		{"google key", `key=AIzaSyA1234567890abcdefghijklmnopqrstuv`, `key=***REDACTED***`},
		{"pem on one line", `"cert":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"`, `"cert":"-----BEGIN CERTIFICATE-----***REDACTED***-----END CERTIFICATE-----"`},
		{"base64 pem", `    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1J`, `    certificate-authority-data: ***REDACTED***`},
		// What the rules read survives.
		{"kubelet line", `E1127 08:01:02.000000 1234 remote_runtime.go:1] "ListContainers with filter from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded"`, ""},
		{"pleg", `"Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 16m6.2s ago; threshold is 3m0s"`, ""},
		{"configz", `{"kubeletconfig":{"authentication":{"webhook":{"enabled":true,"cacheTTL":"2m0s"}},"authorization":{"mode":"Webhook","webhook":{"cacheAuthorizedTTL":"5m0s"}},"maxPods":110}}`, ""},
		{"container id", `"ContainerStatus from runtime service failed" containerID="3b8f2c7d9e41a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == "" {
				want = tc.in
			}
			r := New(Options{})
			got := r.String(tc.in)
			if got != want {
				t.Errorf("\n got %s\nwant %s", got, want)
			}
			if again := r.String(got); again != got {
				t.Errorf("not a fixed point:\n once  %s\n twice %s", got, again)
			}
		})
	}
}

func TestPEMBlocksOverLines(t *testing.T) {
	in := "key:\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIEowIBAAKCAQEA\n  0123456789abcdef\n  -----END RSA PRIVATE KEY-----\nafter: kept\n"
	want := "key:\n  -----BEGIN RSA PRIVATE KEY-----\n  ***REDACTED***\n  ***REDACTED***\n  -----END RSA PRIVATE KEY-----\nafter: kept\n"
	r := New(Options{})
	if got := r.String(in); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := r.String(want); got != want {
		t.Errorf("not a fixed point:\n%s", got)
	}
}

func TestAddresses(t *testing.T) {
	r := New(Options{Addresses: true})
	in := `dial tcp 10.0.3.17:10250: connect: connection refused; node ip-10-0-3-17.eu-west-1.compute.internal at 10.0.3.17, peer 192.168.1.5 mac 0A:1b:2c:3d:4e:5f fe80::1c2d:3eff:fe4f:5a6b [2600:1f18:abc::7]:443 at 08:30:00 via 127.0.0.1 mask 255.255.255.0 version 1.28.3`
	want := `dial tcp 240.0.0.1:10250: connect: connection refused; node ip-240-0-0-1.eu-west-1.compute.internal at 240.0.0.1, peer 240.0.0.2 mac 02:00:00:00:00:01 2001:db8::1 [2001:db8::2]:443 at 08:30:00 via 127.0.0.1 mask 255.255.255.0 version 1.28.3`
	got := r.String(in)
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	if again := r.String(got); again != got {
		t.Errorf("not a fixed point:\n%s", again)
	}
	// A second file of the same bundle: the same stand-ins.
	if got := r.String("Nov 27 ip-10-0-3-17 kubelet: 10.0.3.17"); got != "Nov 27 ip-240-0-0-1 kubelet: 240.0.0.1" {
		t.Errorf("second file: %s", got)
	}
	if got := New(Options{}).String(in); got != in {
		t.Errorf("without Addresses, addresses stay: %s", got)
	}
}

// A long line without a newline, and text through Reader, are redacted whole.
func TestReaderAndLongLines(t *testing.T) {
	long := strings.Repeat("x", maxLine+10) + " password=abc"
	r := New(Options{})
	if got := r.String(long); !strings.HasSuffix(got, "password=***REDACTED***") {
		t.Errorf("long line ends %q", got[len(got)-30:])
	}
	out, err := io.ReadAll(r.Reader(strings.NewReader("a token=xyz\nno newline at end password=q")))
	if err != nil || string(out) != "a token=***REDACTED***\nno newline at end password=***REDACTED***" {
		t.Errorf("reader: %q, %v", out, err)
	}
}

// Redacting JSON keeps it JSON: a secret inside an escaped log line too.
func TestJSONStaysJSON(t *testing.T) {
	in, _ := json.Marshal(map[string]any{"evidence": []string{`kubelet: password="hunter2" token="abc" Authorization: Bearer abcdefgh12345678 and DB_PASSWORD=x`}})
	out := New(Options{Addresses: true}).String(string(in))
	var v map[string][]string
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("redacted JSON is no JSON: %v\n%s", err, out)
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "abcdefgh12345678") || !strings.Contains(v["evidence"][0], `password="***REDACTED***" token="***REDACTED***"`) {
		t.Errorf("redacted: %s", out)
	}
}

// An address right after a JSON escape is redacted; an escape that looks
// like the start of one (\f::) is left alone, so the JSON stays JSON.
func TestAddressAfterEscape(t *testing.T) {
	for in, want := range map[string]string{
		"a\nfe80::1234 b": `"a\n2001:db8::1 b"`,
		"\bfe80::1234":    `"\b2001:db8::1"`,
		"\f::":            `"\f::"`,
	} {
		b, _ := json.Marshal(in)
		if out := New(Options{Addresses: true}).String(string(b)); out != want {
			t.Errorf("%s redacted to %s, want %s", b, out, want)
		}
	}
}

// FuzzFixedPoint: redacting redacted text changes nothing, and JSON stays JSON.
func FuzzFixedPoint(f *testing.F) {
	f.Add("Authorization: Bearer abcdefgh12345678 10.1.2.3 aa:bb:cc:dd:ee:ff password=x")
	f.Add("-----BEGIN CERTIFICATE-----\nMIIB\n")
	f.Add("ip-10-0-0-1 fe80::1 postgres://u:p@h/db")
	f.Fuzz(func(t *testing.T, s string) {
		r := New(Options{Addresses: true})
		once := r.String(s)
		if twice := r.String(once); twice != once {
			t.Errorf("not a fixed point:\n in    %q\n once  %q\n twice %q", s, once, twice)
		}
		if b, _ := json.Marshal(s); !json.Valid([]byte(New(Options{Addresses: true}).String(string(b)))) {
			t.Errorf("a JSON string of %q is no JSON once redacted", s)
		}
	})
}
