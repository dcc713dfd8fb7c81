package paste

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// unitCorpus holds the real pastes; systemctl-* are `systemctl status` output.
const unitCorpus = "../../test/corpus/artifacts"

func TestParseUnitStatusExcerpts(t *testing.T) {
	cet, cest, edt := time.FixedZone("CET", 3600), time.FixedZone("CEST", 2*3600), time.FixedZone("EDT", -4*3600)
	tests := []struct {
		name, paste string // excerpts of the corpus file named, long lines cut
		want        []UnitStatus
	}{{
		name: "k8s122609: root prompt, Drop-In, auto-restart",
		paste: `# systemctl status kubelet

● kubelet.service - kubelet: The Kubernetes Node Agent
   Loaded: loaded (/etc/systemd/system/kubelet.service; enabled; vendor preset: disabled)
  Drop-In: /etc/systemd/system/kubelet.service.d
           └─10-kubeadm.conf
   Active: activating (auto-restart) (Result: exit-code) since Fri 2024-01-05 13:21:38 UTC; 6s ago
     Docs: https://kubernetes.io/docs/
  Process: 7019 ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS (code=exited, status=1/FAILURE)
 Main PID: 7019 (code=exited, status=1/FAILURE)

Jan 05 13:21:38 ip-10-34-114-123 systemd[1]: Unit kubelet.service entered failed state.
Jan 05 13:21:38 ip-10-34-114-123 systemd[1]: kubelet.service failed.
`,
		want: []UnitStatus{{Unit: "kubelet.service", Description: "kubelet: The Kubernetes Node Agent",
			Active: "activating", Sub: "auto-restart", Result: "exit-code",
			Since: time.Date(2024, 1, 5, 13, 21, 38, 0, time.UTC), For: 6 * time.Second, ForKnown: true,
			MainExit: "status=1/FAILURE",
			Journal: []string{
				"Jan 05 13:21:38 ip-10-34-114-123 systemd[1]: Unit kubelet.service entered failed state.",
				"Jan 05 13:21:38 ip-10-34-114-123 systemd[1]: kubelet.service failed.",
			}}},
	}, {
		name: "minikube9461: user prompt, wrapped CGroup line, restart counter",
		paste: `docker@minikube-m02:~$ sudo systemctl status kubelet
● kubelet.service - kubelet: The Kubernetes Node Agent
     Loaded: loaded (/lib/systemd/system/kubelet.service; enabled; vendor preset: enabled)
     Active: active (running) since Tue 2020-10-13 02:49:07 UTC; 16ms ago
   Main PID: 3960 (kubelet)
      Tasks: 7 (limit: 5890)
     CGroup: /docker/10c04cc9dd5ff5c0c92f79741ecd46fb73edd9d896a455b31350cb84d3a98027/system.slice/kubelet.service
             └─3960 /var/lib/minikube/binaries/v1.19.2/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.c
onf --config=/var/lib/kubelet/config.yaml --container-runtime=docker --hostname-override=minikube-m02 --kubeconfig=/etc
/kubernetes/kubelet.conf --node-ip=192.168.49.3

Oct 13 02:49:07 minikube-m02 systemd[1]: kubelet.service: Scheduled restart job, restart counter is at 305.
Oct 13 02:49:07 minikube-m02 systemd[1]: Stopped kubelet: The Kubernetes Node Agent.
`,
		want: []UnitStatus{{Unit: "kubelet.service", Description: "kubelet: The Kubernetes Node Agent",
			Active: "active", Sub: "running",
			Since: time.Date(2020, 10, 13, 2, 49, 7, 0, time.UTC), For: 16 * time.Millisecond, ForKnown: true,
			Restarts: 305,
			Journal: []string{
				"Oct 13 02:49:07 minikube-m02 systemd[1]: kubelet.service: Scheduled restart job, restart counter is at 305.",
				"Oct 13 02:49:07 minikube-m02 systemd[1]: Stopped kubelet: The Kubernetes Node Agent.",
			}}},
	}, {
		name: "kind521: mojibake bullet in markdown bold, running",
		paste: `**ΓùÅ kubelet.service - kubelet: The Kubernetes Node Agent
   Loaded: loaded (/kind/systemd/kubelet.service; enabled; vendor preset: enabled)
  Drop-In: /etc/systemd/system/kubelet.service.d
           ΓööΓöÇ10-kubeadm.conf
   Active: active (running) since Mon 2019-05-13 13:55:27 UTC; 4min 43s ago
 Main PID: 702 (kubelet)
   CGroup: /system.slice/kubelet.service
           ΓööΓöÇ702 /usr/bin/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf`,
		want: []UnitStatus{{Unit: "kubelet.service", Description: "kubelet: The Kubernetes Node Agent",
			Active: "active", Sub: "running",
			Since: time.Date(2019, 5, 13, 13, 55, 27, 0, time.UTC), For: 4*time.Minute + 43*time.Second, ForKnown: true}},
	}, {
		name: "moby32893: no bullet, EDT, CGroup tree of shims",
		paste: `docker.service - Docker Application Container Engine
   Loaded: loaded (/lib/systemd/system/docker.service; enabled; vendor preset: enabled)
   Active: failed (Result: exit-code) since Tue 2017-04-25 17:35:04 EDT; 2h 20min ago
 Main PID: 182574 (code=exited, status=2)
      CPU: 1d 1h 18min 12.845s
   CGroup: /system.slice/docker.service
           ├─ 12596 docker-containerd-shim a258256e42f0d8096c70fe0beb68ba6b9558ab07dad455111244311a0f56ee77
`,
		want: []UnitStatus{{Unit: "docker.service", Description: "Docker Application Container Engine",
			Active: "failed", Result: "exit-code",
			Since: time.Date(2017, 4, 25, 17, 35, 4, 0, edt), For: 2*time.Hour + 20*time.Minute, ForKnown: true,
			MainExit: "status=2"}},
	}, {
		name: "k3s6802: pager cut the age, CST read as UTC",
		paste: `xinmans@truenas:~$ sudo systemctl status k3s
● k3s.service - Lightweight Kubernetes
     Loaded: loaded (/lib/systemd/system/k3s.service; disabled; vendor preset: disabled)
     Active: activating (auto-restart) (Result: exit-code) since Sun 2023-01-22 17:01:55 CST;>
    Process: 45654 ExecStart=/usr/local/bin/k3s server --flannel-backend=none --disable=traef>
   Main PID: 45654 (code=exited, status=1/FAILURE)
`,
		want: []UnitStatus{{Unit: "k3s.service", Description: "Lightweight Kubernetes",
			Active: "activating", Sub: "auto-restart", Result: "exit-code",
			Since: time.Date(2023, 1, 22, 17, 1, 55, 0, time.UTC), MainExit: "status=1/FAILURE"}},
	}, {
		name: "k8s54542: Chinese weekday and journal month, start-limit",
		paste: `[root@test-node1 system]# systemctl status kubelet -l
● kubelet.service - Kubernetes Kubelet Server
   Loaded: loaded (/usr/lib/systemd/system/kubelet.service; disabled; vendor preset: disabled)
   Active: failed (Result: start-limit) since 三 2017-10-25 16:08:09 CST; 8s ago
 Main PID: 18607 (code=exited, status=2)

10月 25 16:08:09 test-node1 systemd[1]: Unit kubelet.service entered failed state.
`,
		want: []UnitStatus{{Unit: "kubelet.service", Description: "Kubernetes Kubelet Server",
			Active: "failed", Result: "start-limit",
			Since: time.Date(2017, 10, 25, 16, 8, 9, 0, time.UTC), For: 8 * time.Second, ForKnown: true,
			MainExit: "status=2",
			Journal:  []string{"10月 25 16:08:09 test-node1 systemd[1]: Unit kubelet.service entered failed state."}}},
	}, {
		name: "crio4460 cut before Main PID: the ExecStart process tells how it ended",
		paste: `$ systemctl status crio
● crio.service - Container Runtime Interface for OCI (CRI-O)
   Loaded: loaded (/usr/local/lib/systemd/system/crio.service; enabled; vendor preset: disabled)
   Active: failed (Result: exit-code) since Thu 2021-01-07 14:24:42 CET; 1min 28s ago
  Process: 1465 ExecStart=/usr/local/bin/crio $CRIO_CONFIG_OPTIONS $CRIO_RUNTIME_OPTIONS (code=exited, status=1/FAILURE)
`,
		want: []UnitStatus{{Unit: "crio.service", Description: "Container Runtime Interface for OCI (CRI-O)",
			Active: "failed", Result: "exit-code",
			Since: time.Date(2021, 1, 7, 14, 24, 42, 0, cet), For: time.Minute + 28*time.Second, ForKnown: true,
			MainExit: "status=1/FAILURE"}},
	}, {
		name: "website8164: two statuses, Warning line, unit without description",
		paste: `### [root@master ~]# ### systemctl status kubelet
● kubelet.service
   Loaded: not-found (Reason: No such file or directory)
   Active: failed (Result: resources) since Tue 2018-04-24 17:15:01 IST; 13min ago
 Main PID: 12814 (code=exited, status=203/EXEC)

Apr 24 17:15:01 master systemd[1]: kubelet.service failed.
Warning: kubelet.service changed on disk. Run 'systemctl daemon-reload' to reload units.
### [root@master ~]# systemctl status kubelet
● kubelet.service - kubelet: The Kubernetes Node Agent
   Loaded: loaded (/etc/systemd/system/kubelet.service; disabled; vendor preset: disabled)
   Active: failed (Result: resources) since Tue 2018-04-24 17:15:01 IST; 14min ago`,
		want: []UnitStatus{{Unit: "kubelet.service", Active: "failed", Result: "resources",
			Since: time.Date(2018, 4, 24, 17, 15, 1, 0, time.UTC), For: 13 * time.Minute, ForKnown: true,
			MainExit: "status=203/EXEC",
			Journal:  []string{"Apr 24 17:15:01 master systemd[1]: kubelet.service failed."},
		}, {Unit: "kubelet.service", Description: "kubelet: The Kubernetes Node Agent", Active: "failed", Result: "resources",
			Since: time.Date(2018, 4, 24, 17, 15, 1, 0, time.UTC), For: 14 * time.Minute, ForKnown: true}},
	}, {
		name: "website8668 with a pager tail, then a journalctl of its own that is not the unit's",
		paste: `# systemctl status docker
● docker.service - Docker Application Container Engine
   Active: active (running) since Di 2018-05-22 08:07:36 CEST; 1h 6min ago
 Main PID: 1058 (dockerd)

Mai 22 08:07:35 kuber-master-01 dockerd[1058]: time="2018-05-22T08:07:35.603144952+02:00" level=info msg="Loading containers: start."
lines 1-11/11 (END)
# journalctl -u containerd
Mai 22 08:07:35 kuber-master-01 containerd[990]: level=info msg="starting containerd"
`,
		want: []UnitStatus{{Unit: "docker.service", Description: "Docker Application Container Engine",
			Active: "active", Sub: "running",
			Since: time.Date(2018, 5, 22, 8, 7, 36, 0, cest), For: time.Hour + 6*time.Minute, ForKnown: true,
			Journal: []string{`Mai 22 08:07:35 kuber-master-01 dockerd[1058]: time="2018-05-22T08:07:35.603144952+02:00" level=info msg="Loading containers: start."`}}},
	}, {
		// Not in the corpus: systemd 245 and later list a unit's triggers
		// with bullets of their own, indented under the status.
		name: "× bullet, triggers listed under the status",
		paste: `× docker.service - Docker Application Container Engine
     Loaded: loaded (/lib/systemd/system/docker.service; enabled; preset: enabled)
     Active: failed (Result: exit-code) since Mon 2024-03-04 09:12:01 UTC; 1 weeks 2 days ago
TriggeredBy: × docker.socket
             ○ docker-tcp.socket
   Main PID: 1021 (code=exited, status=1/FAILURE)

Mar 04 09:12:01 node-1 systemd[1]: docker.service: Failed with result 'exit-code'.
`,
		want: []UnitStatus{{Unit: "docker.service", Description: "Docker Application Container Engine",
			Active: "failed", Result: "exit-code",
			Since: time.Date(2024, 3, 4, 9, 12, 1, 0, time.UTC), For: 9 * 24 * time.Hour, ForKnown: true,
			MainExit: "status=1/FAILURE",
			Journal:  []string{"Mar 04 09:12:01 node-1 systemd[1]: docker.service: Failed with result 'exit-code'."}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUnitStatus(strings.NewReader(tt.paste))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseUnitStatusNone(t *testing.T) {
	for _, paste := range []string{
		"",
		"$ systemctl status kubelet\nUnit kubelet.service could not be found.\n",
		// A unit is not a status without its Active line.
		"docker.service - Docker Application Container Engine\n   Loaded: loaded (/lib/systemd/system/docker.service; enabled)\n",
	} {
		if units, err := ParseUnitStatus(strings.NewReader(paste)); err == nil || !strings.Contains(err.Error(), "Active:") {
			t.Errorf("%q: got %v, %v; want an error saying what was expected", paste, units, err)
		}
	}
}

func TestParseUnitHeader(t *testing.T) {
	for line, want := range map[string]string{
		"● kubelet.service - kubelet: The Kubernetes Node Agent":     "kubelet.service",
		"**ΓùÅ kubelet.service - kubelet: The Kubernetes Node Agent": "kubelet.service",
		"docker.service - Docker Application Container Engine":       "docker.service",
		"    ○ k3s-agent.service - Lightweight Kubernetes":           "k3s-agent.service",
		"* containerd - containerd container runtime":                "containerd.service",
		"● snap.microk8s.daemon-kubelite":                            "snap.microk8s.daemon-kubelite.service",
		"             ○ docker-tcp.socket":                           "",
		"kubelet - The Kubernetes Node Agent":                        "",
		"           ├─ 2648 /pause":                                  "",
		"[root@master1 ~]# systemctl status kubelet":                 "",
		"---- STDOUT ----":                                           "",
	} {
		if got, _, _ := parseUnitHeader(line); got != want {
			t.Errorf("parseUnitHeader(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestUnitStatusScanCutLines(t *testing.T) {
	scanner := bufio.NewScanner(strings.NewReader("abcdefghij\nkl\r\nmnop\nq"))
	scanner.Buffer(nil, 4)
	scanner.Split(scanCutLines(4))
	var got []string
	for scanner.Scan() {
		got = append(got, scanner.Text())
	}
	if want := []string{"abcd", "kl", "mnop", "q"}; scanner.Err() != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, %v; want %q", got, scanner.Err(), want)
	}
}

func TestParseUnitStatusBounds(t *testing.T) {
	const header = "● kubelet.service\n   Active: active (running)\n\n"
	t.Run("overlong line is cut, the read goes on", func(t *testing.T) {
		long := "Jan 05 13:21:38 node kubelet[1]: " + strings.Repeat("x", 3*maxUnitLineSize)
		last := "Jan 05 13:21:39 node kubelet[1]: next"
		units, err := ParseUnitStatus(strings.NewReader(header + long + "\n" + last + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		journal := units[0].Journal
		if len(journal) != 2 || journal[0] != long[:maxUnitLineSize] || journal[1] != last {
			t.Errorf("got %d journal lines, want the long one cut to %d bytes and %q", len(journal), maxUnitLineSize, last)
		}
	})
	t.Run("journal keeps the newest lines, restarts the highest of all", func(t *testing.T) {
		var paste strings.Builder
		paste.WriteString(header + "Jan 05 13:21:38 node systemd[1]: restart counter is at 99999.\n")
		for i := range maxUnitJournalLines + 4 {
			fmt.Fprintf(&paste, "Jan 05 13:21:38 node systemd[1]: restart counter is at %d.\n", i)
		}
		units, err := ParseUnitStatus(strings.NewReader(paste.String()))
		if err != nil {
			t.Fatal(err)
		}
		journal := units[0].Journal
		if len(journal) != maxUnitJournalLines || !strings.HasSuffix(journal[0], " at 4.") || units[0].Restarts != 99999 {
			t.Errorf("got %d lines from %q, restarts %d; want %d from \"… at 4.\", restarts 99999",
				len(journal), journal[0], units[0].Restarts, maxUnitJournalLines)
		}
	})
}

func TestParseUnitAge(t *testing.T) {
	const day = 24 * time.Hour
	for text, want := range map[string]time.Duration{
		"6s ago":              6 * time.Second,
		"16ms ago":            16 * time.Millisecond,
		"1 day 4h ago":        day + 4*time.Hour,
		"4min 43s ago":        4*time.Minute + 43*time.Second,
		"2h 3min ago":         2*time.Hour + 3*time.Minute,
		"1 weeks 2 days ago":  9 * day,
		"2 months 3 days ago": 2*2629800*time.Second + 3*day,
		"1y 2 months ago":     31557600*time.Second + 2*2629800*time.Second,
		"350us ago":           350 * time.Microsecond,
	} {
		if got, ok := parseUnitAge(text); !ok || got != want {
			t.Errorf("parseUnitAge(%q) = %v, %v; want %v", text, got, ok, want)
		}
	}
	for _, text := range []string{"", ">", "1min 2>", "3 fortnights ago", "ago", "99999999 years ago", "99 years 99 years ago", "5h left"} {
		if got, ok := parseUnitAge(text); ok {
			t.Errorf("parseUnitAge(%q) = %v; want unknown", text, got)
		}
	}
}

// TestLooksLikeUnitStatusCorpus checks the sniffer against every real paste:
// true for the systemctl-* ones, false for the rest.
func TestLooksLikeUnitStatusCorpus(t *testing.T) {
	// Genuine `systemctl status` pastes filed under another kind, as their
	// ticket was about the runtime's log.
	alsoUnitStatus := map[string]bool{
		"rtlog-epiphany2919-przemyslavic-systemctl-docker-masked-journal-gt-truncated.log": true,
	}
	seen := 0
	err := filepath.WalkDir(unitCorpus, func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		name := entry.Name()
		want := strings.HasPrefix(name, "systemctl-") || alsoUnitStatus[name]
		if want {
			seen++
		}
		if got := LooksLikeUnitStatus(data); got != want {
			t.Errorf("LooksLikeUnitStatus(%s) = %v, want %v", path, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != 19 {
		t.Errorf("found %d systemctl status pastes in %s, want 19 (18 systemctl-* and one rtlog)", seen, unitCorpus)
	}
}

// TestParseUnitStatusCorpus pins what each whole real paste reads as.
func TestParseUnitStatusCorpus(t *testing.T) {
	want := map[string]string{
		"systemctl-crio4460-thanos1983-crio-failed-after-reboot.txt":                       "crio.service failed/ exit-code 1m28s status=1/FAILURE restarts=0 journal=0",
		"systemctl-dockercepkg156-andrewhsu-containerd-head3-running.txt":                  "containerd.service active/running  6h0m0s  restarts=0 journal=0",
		"systemctl-k3s3770-kevincasier-k3s-autorestart-after-reboot.txt":                   "k3s.service activating/auto-restart exit-code 2s status=1/FAILURE restarts=0 journal=1",
		"systemctl-k3s678-runningman84-k3s-failed-1day-shims-left.txt":                     "k3s.service failed/ exit-code 28h0m0s status=1/FAILURE restarts=0 journal=0",
		"systemctl-k3s6802-xinmans-truenas-k3s-autorestart-pager-cut.txt":                  "k3s.service activating/auto-restart exit-code ? status=1/FAILURE restarts=0 journal=0",
		"systemctl-k8s122609-gitissuepost-kubelet-autorestart-failure.txt":                 "kubelet.service activating/auto-restart exit-code 6s status=1/FAILURE restarts=0 journal=2",
		"systemctl-k8s54542-yeaheo-kubelet-failed-start-limit-zh.txt":                      "kubelet.service failed/ start-limit 8s status=2 restarts=0 journal=1",
		"systemctl-kind521-chenliu1993-kubelet-running-mojibake-bold.txt":                  "kubelet.service active/running  4m43s  restarts=0 journal=0",
		"systemctl-kismatic56-dkoshkin-kubelet-inactive-dead-sigterm.txt":                  "kubelet.service inactive/dead  758ms signal=TERM restarts=0 journal=1",
		"systemctl-kubeadm557-sachinar-unindented-kubelet-autorestart.txt":                 "kubelet.service activating/auto-restart exit-code 3s status=1/FAILURE restarts=0 journal=3",
		"systemctl-kubeasz319-liupchina-kubelet-execstartpost-255.txt":                     "kubelet.service activating/auto-restart exit-code 2s status=255 restarts=0 journal=3",
		"systemctl-minikube9461-medyagh-kubelet-running-16ms-restart-305.txt":              "kubelet.service active/running  16ms  restarts=305 journal=2",
		"systemctl-moby32893-beiwang0001-docker-failed-2h-shims-left.txt":                  "docker.service failed/ exit-code 2h20m0s status=2 restarts=0 journal=0",
		"systemctl-moby35871-ithub1994-docker-inactive-dead-exitcode.txt":                  "docker.service inactive/dead exit-code 9s status=1/FAILURE restarts=0 journal=0",
		"systemctl-npd666-rotarur-kubelet-running-eks-mainpid-bare.txt":                    "kubelet.service active/running  3m42s  restarts=0 journal=0",
		"systemctl-website22814-wangkundo10-kubelet-autorestart-255.txt":                   "kubelet.service activating/auto-restart exit-code 919ms status=255 restarts=0 journal=2",
		"systemctl-website8164-linuxmishra-kubelet-failed-resources-203exec.txt":           "kubelet.service failed/ resources 13m0s status=203/EXEC restarts=0 journal=7 | kubelet.service failed/ resources 14m0s  restarts=0 journal=0",
		"systemctl-website8668-ksrajeev-docker-running-devicemapper.txt":                   "docker.service active/running  1h6m0s  restarts=0 journal=4",
		"rtlog-epiphany2919-przemyslavic-systemctl-docker-masked-journal-gt-truncated.log": "docker.service inactive/dead  3h3m0s status=0/SUCCESS restarts=0 journal=6",
	}
	for name, want := range want {
		data, err := os.ReadFile(filepath.Join(unitCorpus, name))
		if err != nil {
			t.Fatal(err)
		}
		units, err := ParseUnitStatus(strings.NewReader(string(data)))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var got []string
		for _, u := range units {
			age := "?"
			if u.ForKnown {
				age = u.For.String()
			}
			got = append(got, fmt.Sprintf("%s %s/%s %s %s %s restarts=%d journal=%d",
				u.Unit, u.Active, u.Sub, u.Result, age, u.MainExit, u.Restarts, len(u.Journal)))
		}
		if strings.Join(got, " | ") != want {
			t.Errorf("%s:\n got %s\nwant %s", name, strings.Join(got, " | "), want)
		}
	}
}
