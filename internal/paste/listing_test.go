package paste

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParseListingExcerpts(t *testing.T) {
	for _, tc := range []struct {
		name, paste string
		want        Listing
	}{{
		name: "crictl pods -s NotReady between prompts, from rtlog-k8s115252",
		paste: "sles@orch-do-eoom4-7124-worker6:~> sudo crictl pods -s NotReady | grep ro-deploy\n" +
			"POD ID              CREATED             STATE               NAME                     NAMESPACE           ATTEMPT             RUNTIME\n" +
			"06f0eea7928b1       2 days ago          NotReady            eric-ctrl-bro-0          ro-deploy           0                   (default)\n" +
			"sles@orch-do-eoom4-7124-worker6:~>\n",
		want: Listing{Tool: "crictl", Rows: []Listed{
			{ID: "06f0eea7928b1", Sandbox: true, Name: "eric-ctrl-bro-0", Pod: "eric-ctrl-bro-0", Namespace: "ro-deploy", State: "notready", Age: 48 * time.Hour, AgeKnown: true},
		}},
	}, {
		name: "crictl pods with the CRI's state names, twice, from rtlog-crio1432",
		paste: "# bash howto \n" +
			"396df39c7040b85f34a152b157988de01ff1bae3a233505ef43c4b60724088bf\n" +
			"PODSANDBOX ID       CREATED                  STATE               NAME                NAMESPACE           ATTEMPT\n" +
			"396df39c7040b       Less than a second ago   SANDBOX_READY       nginx-sandbox       default             1\n" +
			"PODSANDBOX ID       CREATED             STATE               NAME                NAMESPACE           ATTEMPT\n" +
			"396df39c7040b       4 seconds ago       SANDBOX_NOTREADY    nginx-sandbox       default             1\n",
		want: Listing{Tool: "crictl", Rows: []Listed{
			{ID: "396df39c7040b", Sandbox: true, Name: "nginx-sandbox", Pod: "nginx-sandbox", Namespace: "default", State: "ready", AgeKnown: true},
			{ID: "396df39c7040b", Sandbox: true, Name: "nginx-sandbox", Pod: "nginx-sandbox", Namespace: "default", State: "notready", Age: 4 * time.Second, AgeKnown: true},
		}},
	}, {
		name: "an empty crictl ps, then crictl ps -a, from rtlog-critools266",
		paste: "# crictl ps\n" +
			"CONTAINER ID        IMAGE               CREATED             STATE               NAME                ATTEMPT\n" +
			"# crictl ps -a\n" +
			"CONTAINER ID        IMAGE               CREATED             STATE               NAME                ATTEMPT\n" +
			"34cb02d40a9e2       docker.io/busybox   4 minutes ago       CONTAINER_CREATED   busybox             0\n",
		want: Listing{Tool: "crictl", Rows: []Listed{
			{ID: "34cb02d40a9e2", Name: "busybox", State: "created", Age: 4 * time.Minute, AgeKnown: true},
		}},
	}, {
		name: "minikube logs' container status, its header behind minikube's bullet, from rtlog-minikube12928",
		paste: "* ==> container status <==\n" +
			"* CONTAINER           IMAGE                                                              CREATED             STATE               NAME                      ATTEMPT             POD ID\n" +
			"21e6a470cefee       6e38f40d628db3002f5617342c8872c935de530d867d0f709a2fbda1a302a562   27 seconds ago      Running             storage-provisioner       6                   745784fbeedaa\n" +
			"f573b52514955       6de166512aa223315ff9cfd49bd4f13aab1591cd8fc57e31270f0e4aa34129cb   3 minutes ago       Exited              kindnet-cni               2                   10c653e75d0c4\n",
		want: Listing{Tool: "crictl", Rows: []Listed{
			{ID: "21e6a470cefee", Name: "storage-provisioner", State: "running", Age: 27 * time.Second, AgeKnown: true},
			{ID: "f573b52514955", Name: "kindnet-cni", State: "exited", Age: 3 * time.Minute, AgeKnown: true},
		}},
	}, {
		name: "crictl ps of crictl 1.26 and later: CONTAINER, POD and NAMESPACE columns",
		paste: "CONTAINER           IMAGE               CREATED              STATE               NAME                ATTEMPT             POD ID              POD                         NAMESPACE\n" +
			"8380f640d1b28       f9aed6605b814       About a minute ago   Unknown             coredns             3                   f1ad00355a566       coredns-5d78c9869d-8x2kq    kube-system\n",
		want: Listing{Tool: "crictl", Rows: []Listed{
			{ID: "8380f640d1b28", Name: "coredns", Pod: "coredns-5d78c9869d-8x2kq", Namespace: "kube-system", State: "unknown", Age: time.Minute, AgeKnown: true},
		}},
	}, {
		name: "docker ps with empty PORTS and dockershim names, from rtlog-minikube2224",
		paste: "$ docker ps\n" +
			"CONTAINER ID        IMAGE                                                 COMMAND                  CREATED             STATUS              PORTS               NAMES\n" +
			"9956af79fdd8        gcr.io/google_containers/heapster-grafana-amd64       \"/run.sh\"                5 minutes ago       Up 5 minutes                            k8s_grafana_influxdb-grafana-bbtbp_kube-system_95e89d49-d1c8-11e7-8217-5254009d0812_1\n" +
			"07f2d652e784        fed89e8b4248                                          \"/sidecar --v=2 --...\"   5 minutes ago       Up 5 minutes                            k8s_sidecar_kube-dns-6fc954457d-jp2lx_kube-system_96b7a4be-d1c8-11e7-8217-5254009d0812_1\n",
		want: Listing{Tool: "docker", Rows: []Listed{
			{ID: "9956af79fdd8", Name: "grafana", Pod: "influxdb-grafana-bbtbp", Namespace: "kube-system", State: "running", Age: 5 * time.Minute, AgeKnown: true, For: 5 * time.Minute, ForKnown: true},
			{ID: "07f2d652e784", Name: "sidecar", Pod: "kube-dns-6fc954457d-jp2lx", Namespace: "kube-system", State: "running", Age: 5 * time.Minute, AgeKnown: true, For: 5 * time.Minute, ForKnown: true},
		}},
	}, {
		name: "docker ps of kind nodes, a command cut with an ellipsis, from rtlog-rockycookie",
		paste: "% docker ps\n" +
			"CONTAINER ID   IMAGE                  COMMAND                  CREATED          STATUS          PORTS                       NAMES\n" +
			"96876c692dd8   kindest/node:v1.30.0   \"/usr/local/bin/entr…\"   41 minutes ago   Up 41 minutes                               mg-cluster-worker2\n" +
			"bd2add0e3466   kindest/node:v1.30.0   \"/usr/local/bin/entr…\"   41 minutes ago   Up 41 minutes   127.0.0.1:53077->6443/tcp   mg-cluster-control-plane\n",
		want: Listing{Tool: "docker", Rows: []Listed{
			{ID: "96876c692dd8", Name: "mg-cluster-worker2", State: "running", Age: 41 * time.Minute, AgeKnown: true, For: 41 * time.Minute, ForKnown: true},
			{ID: "bd2add0e3466", Name: "mg-cluster-control-plane", State: "running", Age: 41 * time.Minute, AgeKnown: true, For: 41 * time.Minute, ForKnown: true},
		}},
	}, {
		name: "docker ps -a: every status docker prints",
		paste: "CONTAINER ID   IMAGE     COMMAND       CREATED        STATUS                          PORTS     NAMES\n" +
			"aaaaaaaaaaa1   busybox   \"sh\"          2 hours ago    Up 2 hours (healthy)                      k8s_POD_web-0_default_0c1f6c4b-0000-4000-8000-000000000000_0\n" +
			"aaaaaaaaaaa2   busybox   \"sh\"          2 hours ago    Up 3 seconds (Paused)                     paused\n" +
			"aaaaaaaaaaa3   busybox   \"sh\"          3 days ago     Exited (137) About an hour ago            exited\n" +
			"aaaaaaaaaaa4   busybox   \"sh\"          3 days ago     Created                                   created\n" +
			"aaaaaaaaaaa5   busybox   \"sh\"          3 days ago     Restarting (1) 5 seconds ago              restarting\n" +
			"aaaaaaaaaaa6   busybox   \"sh\"          3 days ago     Dead                                      dead\n" +
			"aaaaaaaaaaa7   busybox   \"sh\"          3 days ago     Removal In Progress                       removing\n",
		want: Listing{Tool: "docker", Rows: []Listed{
			{ID: "aaaaaaaaaaa1", Name: "POD", Pod: "web-0", Namespace: "default", State: "running", Age: 2 * time.Hour, AgeKnown: true, For: 2 * time.Hour, ForKnown: true},
			{ID: "aaaaaaaaaaa2", Name: "paused", State: "paused", Age: 2 * time.Hour, AgeKnown: true, For: 3 * time.Second, ForKnown: true},
			{ID: "aaaaaaaaaaa3", Name: "exited", State: "exited", Age: 72 * time.Hour, AgeKnown: true, For: time.Hour, ForKnown: true},
			{ID: "aaaaaaaaaaa4", Name: "created", State: "created", Age: 72 * time.Hour, AgeKnown: true},
			{ID: "aaaaaaaaaaa5", Name: "restarting", State: "restarting", Age: 72 * time.Hour, AgeKnown: true, For: 5 * time.Second, ForKnown: true},
			{ID: "aaaaaaaaaaa6", Name: "dead", State: "dead", Age: 72 * time.Hour, AgeKnown: true},
			{ID: "aaaaaaaaaaa7", Name: "removing", State: "removing", Age: 72 * time.Hour, AgeKnown: true},
		}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseListing(strings.NewReader(tc.paste))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("ParseListing:\n got %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

func TestLooksLikeListing(t *testing.T) {
	for name, paste := range map[string]string{
		"crictl stats": "CONTAINER           CPU %               MEM                 DISK                INODES\n" +
			"34cb02d40a9e2       0.00                1.2MB               8kB                 4\n",
		"docker stats": "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS\n" +
			"96876c692dd8   worker2   1.23%     512MiB / 7.7GiB     6.5%      0B / 0B   0B / 0B     120\n",
		"crictl images": "IMAGE                     TAG                 IMAGE ID            SIZE\n" +
			"docker.io/library/nginx   latest              605c77e624ddb       56.7MB\n",
		"an ID alone under a header, as crictl runp prints it": "POD ID              CREATED             STATE               NAME\n" +
			"396df39c7040b85f34a152b157988de01ff1bae3a233505ef43c4b60724088bf\n",
		"kubectl get nodes":     "NAME    STATUS   ROLES    AGE   VERSION\nnode1   Ready    <none>   5d    v1.30.0\n",
		"a header without rows": "CONTAINER ID        IMAGE               CREATED             STATE               NAME                ATTEMPT\n",
	} {
		if LooksLikeListing([]byte(paste)) {
			t.Errorf("%s: LooksLikeListing = true, want false", name)
		}
	}
}

func TestParseListingNone(t *testing.T) {
	_, err := ParseListing(strings.NewReader("NAME    STATUS   ROLES    AGE   VERSION\nnode1   Ready    <none>   5d    v1.30.0\n"))
	if err == nil || !strings.Contains(err.Error(), "crictl ps") {
		t.Errorf("error %v, want one saying what a listing looks like", err)
	}
}

func TestParseListingBounds(t *testing.T) {
	var paste strings.Builder
	paste.WriteString("CONTAINER ID    IMAGE   CREATED         STATE     NAME\n")
	for i := range maxTableRows + 10 {
		fmt.Fprintf(&paste, "%013x   pause   2 minutes ago   Running   c%d\n", i, i)
	}
	got, err := ParseListing(strings.NewReader(paste.String()))
	if err != nil || len(got.Rows) != maxTableRows {
		t.Errorf("got %d rows, error %v; want %d rows", len(got.Rows), err, maxTableRows)
	}
}

// listingHeader is how TestListingCorpus tells a listing artifact, without
// the readers' help: a line starting with the ID column of crictl ps,
// crictl pods or docker ps, behind minikube's bullet at most.
var listingHeader = regexp.MustCompile(`(?m)^(?:\* )?(?:CONTAINER(?: ID)?|POD ID|PODSANDBOX ID) {2,}\S`)

// listingArtifacts is what every listing artifact reads as: the tool, then each row summary.
var listingArtifacts = map[string][]string{
	"rtlog-containerd2392-harche-crictl-pods-sandbox-notready.txt": {"crictl",
		"sandbox 9f5a3e4cc1aca default/nginx-sandbox notready age 24m0s"},
	"rtlog-crio1432-adelton-crictl-pods-ready-then-notready.txt": {"crictl",
		"sandbox 396df39c7040b default/nginx-sandbox ready age 0s", "sandbox 396df39c7040b default/nginx-sandbox notready age 4s"},
	"rtlog-critools266-adelton-crictl-ps-a-container-created.txt": {"crictl",
		"container 34cb02d40a9e2 /busybox created age 4m0s"},
	"rtlog-k8s115252-pankajyadav2741-crictl-pods-s-notready-grep.txt": {"crictl",
		"sandbox 06f0eea7928b1 ro-deploy/eric-ctrl-bro-0 notready age 48h0m0s"},
	"rtlog-minikube12928-johnmuth81-crio-runsandbox-container-status-exited.txt": {"crictl",
		"container 21e6a470cefee /storage-provisioner running age 27s", "container fb1b24913a642 /kindnet-cni running age 30s",
		"container f573b52514955 /kindnet-cni exited age 3m0s"},
	"rtlog-minikube2224-surajssd-docker-ps-all-up.txt": {"docker",
		"container 9956af79fdd8 kube-system/grafana running age 5m0s for 5m0s",
		"container a1d588da3ca4 kube-system/default-http-backend running age 5m0s for 5m0s",
		"container 07f2d652e784 kube-system/sidecar running age 5m0s for 5m0s"},
	"rtlog-minikube4960-tstromberg-container-status-all-running.txt": {"crictl",
		"container 307e90d0e23a5 /nginx-ingress-controller running age 36s", "container 8380f640d1b28 /kubernetes-dashboard running age 1m0s",
		"container 3dbba93d11679 /gvisor running age 1m0s", "container 45a58debe8c1a /storage-provisioner running age 1m0s",
		"container b0a71f29b3565 /coredns running age 1m0s", "container 0ee1d4be21d4e /coredns running age 1m0s",
		"container eaa45a6122c70 /kube-proxy running age 1m0s"},
	"rtlog-rockycookie-kind-host-docker-ps-4-nodes-up.txt": {"docker",
		"container 96876c692dd8 /mg-cluster-worker2 running age 41m0s for 41m0s", "container 873c20cc395c /mg-cluster-worker running age 41m0s for 41m0s",
		"container bd2add0e3466 /mg-cluster-control-plane running age 41m0s for 41m0s", "container dc0ea7908842 /mg-cluster-worker3 running age 41m0s for 41m0s"},
	"tree-sos-jds2001-coreos-master1-localhost-crio-etcd-only/sos_commands/crio/crictl_pods": {"crictl",
		"sandbox 3f2164ffc40a9 openshift-etcd/etcd-member-localhost.localdomain ready age 34m0s"},
	"tree-sos-jds2001-coreos-master1-localhost-crio-etcd-only/sos_commands/crio/crictl_ps": {"crictl",
		"container 91635d506dcc3 /etcd-metrics running age 34m0s", "container 4820eec2dfc82 /etcd-member running age 34m0s"},
	"tree-sos-jds2001-coreos-master1-localhost-crio-etcd-only/sos_commands/crio/crictl_ps_-a": {"crictl",
		"container 91635d506dcc3 /etcd-metrics running age 34m0s", "container 4820eec2dfc82 /etcd-member running age 34m0s",
		"container c4eea7dd71868 /certs exited age 34m0s", "container 5609881f43b6a /discovery exited age 34m0s"},
}

// listedSummary is a row as "kind ID namespace/name state age A [for F]".
func listedSummary(row Listed) string {
	kind := "container"
	if row.Sandbox {
		kind = "sandbox"
	}
	s := fmt.Sprintf("%s %s %s/%s %s", kind, row.ID, row.Namespace, row.Name, row.State)
	if row.AgeKnown {
		s += " age " + row.Age.String()
	}
	if row.ForKnown {
		s += " for " + row.For.String()
	}
	return s
}

// TestListingCorpus checks every artifact: those with a listing header look
// like listings and read as listingArtifacts says, no other file does.
func TestListingCorpus(t *testing.T) {
	found := 0
	for name, data := range readTableCorpus(t) {
		isListing := listingHeader.Match(data)
		want, known := listingArtifacts[name]
		if isListing != known {
			t.Errorf("%s: has a listing header %v, in listingArtifacts %v", name, isListing, known)
		}
		if looks := LooksLikeListing(data); looks != isListing {
			t.Errorf("%s: LooksLikeListing = %v, want %v", name, looks, isListing)
		}
		if !known {
			continue
		}
		found++
		listing, err := ParseListing(strings.NewReader(string(data)))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := []string{listing.Tool}
		for _, row := range listing.Rows {
			got = append(got, listedSummary(row))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
	if found != len(listingArtifacts) {
		t.Errorf("found %d of the %d listing artifacts", found, len(listingArtifacts))
	}
}
