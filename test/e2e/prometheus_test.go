package e2e

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestDiagnoseViaPrometheus diagnoses every simulated scenario node twice:
// with its metrics from /metrics through the node proxy, and with
// --prometheus from the lab's Prometheus, which scrapes the same kubelets
// every 10s. The two must agree on the verdict, the exit code, the top
// cause and every cause that is a warning or worse: a user who points the
// plugin at Prometheus (say, to need no nodes/proxy grant for metrics) gets
// the same answer. Each line of the log is one scenario, both ways.
func TestDiagnoseViaPrometheus(t *testing.T) {
	needPlugin(t)
	url := prometheusURL()
	if url == "" {
		t.Skip("the lab runs no Prometheus (Debian's prometheus package not installed)")
	}
	dirs, err := os.ReadDir("scenarios")
	if err != nil {
		t.Fatal(err)
	}
	agree := 0
	for _, d := range dirs {
		node := d.Name()
		t.Run(node, func(t *testing.T) {
			// 5s per source: the hanging kubelet would hold each diagnosis 30s.
			proxy := pleg(t, kubeconfig("admin"), "diagnose", node, "--source-timeout", "5s", "-o", "json")
			prom := pleg(t, kubeconfig("admin"), "diagnose", node, "--source-timeout", "5s", "--prometheus", url, "-o", "json")
			src := prom.diag.source("metrics")
			t.Logf("%-16s proxy: exit %d %-20s %v | prometheus: exit %d %-20s %v (metrics %s)", node,
				proxy.code, proxy.diag.Verdict, seriousIDs(proxy.diag), prom.code, prom.diag.Verdict, seriousIDs(prom.diag), srcStatus(src))
			switch {
			case src == nil:
				t.Errorf("no metrics source in the --prometheus diagnosis")
			case src.Status == "ok" && !strings.Contains(src.Detail, "Prometheus "+url):
				t.Errorf("metrics source %+v does not say it came from Prometheus", src)
			}
			if proxy.code != prom.code || proxy.diag.Verdict != prom.diag.Verdict ||
				!slices.Equal(seriousIDs(proxy.diag), seriousIDs(prom.diag)) || topID(proxy.diag) != topID(prom.diag) {
				t.Errorf("the two disagree: through the node proxy %v, through Prometheus %v", proxy.diag.causeIDs(), prom.diag.causeIDs())
				prom.dump(t)
				return
			}
			agree++
		})
	}
	t.Logf("diagnose via Prometheus agrees with diagnose via the node proxy on %d of %d scenarios", agree, len(dirs))
}

// seriousIDs are the IDs of the warning and critical causes, ranked.
func seriousIDs(d Diagnosis) []string {
	var ids []string
	for _, c := range d.serious() {
		ids = append(ids, c.ID+"/"+c.Severity)
	}
	return ids
}

func topID(d Diagnosis) string {
	if len(d.Causes) == 0 {
		return ""
	}
	return d.Causes[0].ID
}

func srcStatus(s *Source) string {
	if s == nil {
		return "none"
	}
	if s.Status != "ok" {
		return s.Status + ": " + s.Reason
	}
	return "ok"
}
