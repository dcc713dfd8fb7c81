// Command kubeletsim serves, for every scenario node, what a real kubelet
// serves on its port 10250 through the API server's node proxy: /logs/,
// /metrics, /stats/summary, /configz, /healthz and /pods, with the faults
// the scenario asks for. Run it inside the lab's network namespace:
//
//	ip netns exec pleg-lab kubeletsim --scenarios scenarios --listen 198.18.0.2
//
// The API server refuses to proxy to loopback addresses, hence the namespace.
// A test can switch what a node's kubelet serves while the lab runs (the
// node's incident fixed, say): PUT /_sim/serve-as with another scenario's
// name makes the node serve that scenario's data and faults from then on.
// The API server's node proxy never sees it: the plugin only sends GETs.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kubectl-pleg/kubectl-pleg/test/e2e/internal/scenario"
)

func main() {
	dir := flag.String("scenarios", "scenarios", "directory of scenario nodes")
	listen := flag.String("listen", "198.18.0.2", "address to listen on")
	flag.Parse()

	scenarios, err := scenario.LoadAll(*dir)
	if err != nil {
		log.Fatal(err)
	}
	cert, err := selfSigned(*listen)
	if err != nil {
		log.Fatal(err)
	}
	byName := map[string]*scenario.Scenario{}
	for _, s := range scenarios {
		byName[s.Name] = s
	}
	for _, s := range scenarios {
		if s.Config.Faults.Refuse {
			log.Printf("%s: not listening on :%d (refuse)", s.Name, s.Port)
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(*listen, strconv.Itoa(s.Port)))
		if err != nil {
			log.Fatal(err)
		}
		srv := &http.Server{
			Handler:           newSwitchable(s, byName),
			TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}},
			ReadHeaderTimeout: 10 * time.Second,
		}
		log.Printf("%s: serving on https://%s", s.Name, ln.Addr())
		go func() { log.Fatal(srv.ServeTLS(ln, "", "")) }()
	}
	// Stay up until lab.sh down signals us.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}

// selfSigned makes a throwaway serving certificate: the API server does not
// verify kubelet certificates unless --kubelet-certificate-authority is set.
func selfSigned(host string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "kubeletsim"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP(host)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// withFaults applies the scenario's latency, hang and error faults in front
// of the kubelet handler.
func withFaults(s *scenario.Scenario, next http.Handler) http.Handler {
	f := s.Config.Faults
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s: %s %s range=%q", s.Name, r.Method, r.URL.RequestURI(), r.Header.Get("Range"))
		if f.Hang {
			<-r.Context().Done()
			return
		}
		if d := f.Latency.Duration; d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		for _, p := range f.ErrorPaths {
			if strings.HasPrefix(r.URL.Path, p) {
				body := f.ErrorBody
				if body == "" {
					body = "simulated failure on " + p
				}
				http.Error(w, body, http.StatusInternalServerError)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// switchable serves one node as a scenario that a test may switch at run
// time with PUT /_sim/serve-as (body: a scenario name).
type switchable struct {
	node    *scenario.Scenario
	all     map[string]*scenario.Scenario
	current atomic.Pointer[http.Handler]
}

func newSwitchable(s *scenario.Scenario, all map[string]*scenario.Scenario) *switchable {
	sw := &switchable{node: s, all: all}
	h := withFaults(s, newKubelet(s))
	sw.current.Store(&h)
	return sw
}

func (sw *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/_sim/serve-as" {
		(*sw.current.Load()).ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodPut {
		http.Error(w, "PUT a scenario name", http.StatusMethodNotAllowed)
		return
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 256))
	target, ok := sw.all[strings.TrimSpace(string(b))]
	if !ok {
		http.Error(w, "no scenario "+strconv.Quote(string(b)), http.StatusNotFound)
		return
	}
	h := withFaults(target, newKubelet(target))
	sw.current.Store(&h)
	log.Printf("%s: now serving as %s", sw.node.Name, target.Name)
	w.WriteHeader(http.StatusNoContent)
}
