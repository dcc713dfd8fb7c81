#!/usr/bin/env bash
# The kubectl-pleg end-to-end lab: a real etcd + kube-apiserver +
# kube-controller-manager, a kubelet simulator for every scenario node in a
# network namespace, and real nodes (a real kubelet and containerd each,
# see realnode/) on which real faults make real PLEG incidents.
#
#   test/e2e/lab.sh up        build what is missing, start everything, register the nodes
#   test/e2e/lab.sh down      stop what `up` started, undo what the real nodes changed on
#                             the host, delete the netns and the state dir
#   test/e2e/lab.sh env       print `export KUBECONFIG=...` (admin)
#   test/e2e/lab.sh status    exit 0 when a lab is running
#   test/e2e/lab.sh register  refresh nodes, events and pods (timestamps move to now)
#   test/e2e/lab.sh build     build (and install) what the lab needs
#   test/e2e/lab.sh fault NODE [FAULT]     break a real node (its own fault by default)
#   test/e2e/lab.sh heal NODE              undo the node's faults
#   test/e2e/lab.sh wait-ready NODE [SECS] wait until the node is Ready
#   test/e2e/lab.sh restart-apiserver      stop and start the API server (clients' watches break)
#
# With Debian's prometheus installed, a real Prometheus scrapes every
# kubelet's /metrics, real and simulated, through the API server's node proxy
# (as admin, every 10s with the default 10s timeout), and a node_exporter on
# the real nodes' host, and evaluates the shipped rules of deploy/prometheus;
# its URL is in $PLEG_LAB_DIR/prometheus.url.
#
# State lives in $PLEG_LAB_DIR (default /tmp/pleg-lab): certs, kubeconfigs
# (admin; oncall and developer with the shipped ClusterRoles kubectl-pleg and
# kubectl-pleg-no-proxy; nowatch without the watch verb; throttled, on call but
# held to a seat or two by priority and fairness when a test says so), logs, audit.log, PID files, and
# real/NODE/ for each real node. PLEG_LAB_REAL=0 leaves the real nodes out
# (quick lab), PLEG_LAB_REAL=real-healthy,real-dense brings up only those.
# Only one lab runs at a time: the netns names and addresses are fixed.
set -euo pipefail

E2E="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="$E2E/.bin"
STATE="${PLEG_LAB_DIR:-/tmp/pleg-lab}"
NETNS=pleg-lab
# 198.18.0.0/15 is the RFC 2544 benchmarking range: never routed anywhere,
# and the API server accepts it as a node address (it refuses loopback).
HOST_IP=198.18.0.1
NODE_IP=198.18.0.2
VERSION=v1.36.3

log() { echo "lab: $*" >&2; }

for f in nodes configs host runtimes node faults; do
	# shellcheck source=/dev/null
	source "$E2E/realnode/$f.sh"
done

# free_port prints a TCP port nothing listens on, starting at $1.
free_port() {
	local p=$1
	while ss -Htln "sport = :$p" | grep -q .; do p=$((p + 1)); done
	echo "$p"
}

build() {
	mkdir -p "$BIN"
	local pkgs=()
	command -v etcd >/dev/null || pkgs+=(etcd-server)
	if [[ -n $(real_wanted) ]]; then
		real_runtimes_wanted docker && ! command -v dockerd >/dev/null && pkgs+=(docker.io)
		command -v containerd >/dev/null || pkgs+=(containerd)
		command -v runc >/dev/null || pkgs+=(runc)
		[[ -x /usr/lib/cni/bridge ]] || pkgs+=(containernetworking-plugins)
		command -v iptables >/dev/null || pkgs+=(iptables)
		command -v conntrack >/dev/null || pkgs+=(conntrack)
	fi
	if ((${#pkgs[@]})); then
		log "installing ${pkgs[*]}"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
	fi
	# The apiserver build takes ~8 min cold on 2 cores, the controller-manager
	# and kubelet several more (they share most packages): skip each unless
	# go.mod moved.
	build_kube kube-apiserver
	build_kube kube-controller-manager
	if [[ -n $(real_wanted) ]]; then
		build_kube kubelet
		build_real_tools
		local n k
		for n in $(real_wanted); do
			k=$(real_field "$n" kubelet)
			[[ $k == - ]] || build_old_kubelet "$k"
		done
		real_runtimes_wanted containerd2 && build_containerd2
		build_node_exporter
	fi
	build_tools
}

# real_runtimes_wanted RUNTIME: a wanted real node runs RUNTIME.
real_runtimes_wanted() {
	local n
	for n in $(real_wanted); do
		[[ $(real_field "$n" runtime) == "$1" ]] && return 0
	done
	return 1
}

# build_containerd2 builds the containerd 2.x pinned in realnode/containerd2
# (its daemon, runc shim and ctr; a minute and a half cold) unless go.mod
# moved, saying its version as a release build does.
build_containerd2() {
	local dir=$E2E/realnode/containerd2 out=$BIN/containerd2 version
	[[ -x "$out/containerd" && ! "$dir/go.mod" -nt "$out/containerd" ]] && return 0
	version=$(awk '$1 == "require" && $2 == "github.com/containerd/containerd/v2" {print $3}' "$dir/go.mod")
	log "building containerd $version from realnode/containerd2"
	mkdir -p "$out"
	(cd "$dir" && go build -ldflags "-X github.com/containerd/containerd/v2/version.Version=$version" -o "$out/" \
		github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
		github.com/containerd/containerd/v2/cmd/ctr)
}

# build_node_exporter builds the node_exporter pinned in realnode/nodeexporter
# (half a minute cold) unless go.mod moved.
build_node_exporter() {
	local dir=$E2E/realnode/nodeexporter
	[[ -x "$BIN/node_exporter" && ! "$dir/go.mod" -nt "$BIN/node_exporter" ]] && return 0
	(cd "$dir" && go build -o "$BIN/node_exporter" github.com/prometheus/node_exporter)
}

# build_old_kubelet DIR builds the kubelet pinned by the module in
# realnode/DIR into .bin/DIR, at that module's k8s.io/kubernetes version.
# A cold build downloads and compiles a second Kubernetes: ~15 min here.
build_old_kubelet() {
	local dir=$E2E/realnode/$1 version minor ldf=""
	[[ -x "$BIN/$1" && ! "$dir/go.mod" -nt "$BIN/$1" ]] && return 0
	version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "$dir/go.mod")
	minor=${version#v1.}
	minor=${minor%%.*}
	log "building kubelet $version from realnode/$1 (slow the first time)"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldf+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
	done
	(cd "$dir" && go build -ldflags "$ldf" -o "$BIN/$1" k8s.io/kubernetes/cmd/kubelet)
}

# build_kube CMD builds k8s.io/kubernetes/cmd/CMD at the module's version,
# saying so in `CMD --version` (W7).
build_kube() {
	[[ -x "$BIN/$1" && ! "$E2E/go.mod" -nt "$BIN/$1" ]] && return 0
	log "building $1 $VERSION (slow the first time)"
	local ldf="" minor=${VERSION#v1.}
	minor=${minor%%.*}
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldf+=" -X $pkg.gitVersion=$VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
	done
	(cd "$E2E" && go build -ldflags "$ldf" -o "$BIN/$1" "k8s.io/kubernetes/cmd/$1")
}

# build_real_tools builds the CRI proxy and the real nodes' only image: a
# static pause binary packaged as a docker-archive (W4), rebuilt only when
# the binary changed (the image ID depends on nothing else).
build_real_tools() {
	(cd "$E2E" && go build -o "$BIN/" ./criproxy ./dockerproxy ./realnode/mkimage ./realnode/runcclamp &&
		CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$BIN/pause" ./realnode/pause)
	if [[ ! -f $BIN/pleg-image.tar || $BIN/pause -nt $BIN/pleg-image.tar ]]; then
		"$BIN/mkimage" -binary "$BIN/pause" -tag "$SANDBOX_IMAGE" -tag "$WORKLOAD_IMAGE" -o "$BIN/pleg-image.tar"
	fi
}

# build_tools builds this checkout's simulator and registration tool (seconds
# from the build cache): a lab reused from another checkout is registered
# with this checkout's scenarios.
build_tools() {
	mkdir -p "$BIN"
	(cd "$E2E" && go build -o "$BIN/" ./kubeletsim ./register)
}

certs() {
	local d="$STATE/pki"
	mkdir -p "$d"
	cd "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=pleg-lab-ca" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
	# The API server listens on $HOST_IP, which the real kubelets reach
	# from their network namespaces through their default route.
	printf 'subjectAltName=IP:%s,IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\nextendedKeyUsage=serverAuth\n' "$HOST_IP" >apiserver.ext
	openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 30 -extfile apiserver.ext 2>/dev/null
	# The API server's client identity towards kubelets (nodes/proxy).
	openssl req -newkey rsa:2048 -nodes -keyout kubelet-client.key -out kubelet-client.csr \
		-subj "/O=system:masters/CN=kube-apiserver-kubelet-client" 2>/dev/null
	printf 'extendedKeyUsage=clientAuth\n' >client.ext
	openssl x509 -req -in kubelet-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out kubelet-client.crt -days 30 -extfile client.ext 2>/dev/null
	openssl genrsa -out sa.key 2048 2>/dev/null
	openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
	cd - >/dev/null
}

# kubeconfig_to PATH USER TOKEN PORT writes a kubeconfig for USER (a static
# token) to the lab's API server.
kubeconfig_to() {
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: pleg-lab
  cluster:
    server: https://$HOST_IP:$4
    certificate-authority: $STATE/pki/ca.crt
users:
- name: $2
  user:
    token: $3
contexts:
- name: $2@pleg-lab
  context: {cluster: pleg-lab, user: $2}
current-context: $2@pleg-lab
EOF
}

kubeconfig() { kubeconfig_to "$STATE/$1.kubeconfig" "$@"; } # name token port

netns_up() {
	ip netns del "$NETNS" 2>/dev/null || true
	ip link del pleg-lab0 2>/dev/null || true
	ip netns add "$NETNS"
	ip link add pleg-lab0 type veth peer name pleg-lab1
	ip link set pleg-lab1 netns "$NETNS"
	ip addr add "$HOST_IP/24" dev pleg-lab0
	ip link set pleg-lab0 up
	ip netns exec "$NETNS" ip addr add "$NODE_IP/24" dev pleg-lab1
	ip netns exec "$NETNS" ip link set pleg-lab1 up
	ip netns exec "$NETNS" ip link set lo up
}

# start NAME CMD...: run in its own session so that `down` can stop the
# whole process group it started, and nothing else.
start() {
	local name=$1
	shift
	start_to "$name" "$STATE/$name.log" "$@"
}

# start_to NAME LOG CMD...: start, appending to LOG (a regular file: W10).
# NAME may have slashes (real/NODE/kubelet): the PID file is $STATE/NAME.pid.
start_to() {
	local name=$1 out=$2
	shift 2
	setsid "$@" >>"$out" 2>&1 </dev/null &
	echo $! >"$STATE/$name.pid"
}

# alive PID: running, not a zombie waiting for its (adoptive) parent.
alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $st && $st != Z ]]
}

stop() {
	local f="$STATE/$1.pid" pid
	[[ -f $f ]] || return 0
	pid=$(cat "$f")
	if alive "$pid"; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	rm -f "$f"
}

wait_ready() {
	for _ in $(seq 120); do
		if kubectl --kubeconfig "$STATE/admin.kubeconfig" get --raw /readyz >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.5
	done
	log "kube-apiserver not ready; see $STATE/kube-apiserver.log"
	tail -20 "$STATE/kube-apiserver.log" >&2
	return 1
}

# rbac applies deploy/rbac.yaml as a cluster admin would, bindings
# included, and one test-only role: the lab's users get exactly the shipped
# roles through the file's example bindings (groups oncall and developers),
# so no test runs under a role we do not ship. nowatch has the roles we
# shipped before watch was granted (get and list only): watch must poll.
rbac() {
	kubectl --kubeconfig "$STATE/admin.kubeconfig" apply -f "$E2E/../../deploy/rbac.yaml" >/dev/null
	kubectl --kubeconfig "$STATE/admin.kubeconfig" apply -f - >/dev/null <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pleg-test-nowatch}
rules:
- apiGroups: [""]
  resources: [nodes, pods, events]
  verbs: [get, list]
- apiGroups: [""]
  resources: [nodes/proxy]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: pleg-test-nowatch}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pleg-test-nowatch}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: nowatch}
EOF
	# The controller-manager creates default ServiceAccounts, but maybe not
	# before the first pod.
	kubectl --kubeconfig "$STATE/admin.kubeconfig" -n default get sa default >/dev/null 2>&1 ||
		kubectl --kubeconfig "$STATE/admin.kubeconfig" -n default create sa default >/dev/null
}

register() {
	build_tools
	"$BIN/register" --kubeconfig "$STATE/admin.kubeconfig" --scenarios "$E2E/scenarios" 2>"$STATE/register.log" || {
		cat "$STATE/register.log" >&2
		return 1
	}
}

# leases starts `register --renew-leases`, the simulated nodes' stand-in
# for a kubelet's Lease: without it the controller-manager would turn them
# Unknown 50s after registration.
leases() {
	start leases "$BIN/register" --kubeconfig "$STATE/admin.kubeconfig" --renew-leases
}

# controller_manager: W6. Without it nobody turns a dead kubelet's node
# Unknown, nor makes ServiceAccounts and kube-root-ca.crt for the real
# nodes' pods. taint-eviction-controller is off: it would delete the pods
# of every NotReady node (simulated ones included) 300s after the
# controller taints it, and the lab keeps its pods to be diagnosed. The
# flex-volume dir would otherwise be created as /usr/libexec/kubernetes/...
controller_manager() {
	start kube-controller-manager "$BIN/kube-controller-manager" \
		--kubeconfig "$STATE/admin.kubeconfig" --leader-elect=false --secure-port 0 \
		--controllers '*,-taint-eviction-controller' \
		--service-account-private-key-file "$STATE/pki/sa.key" --root-ca-file "$STATE/pki/ca.crt" \
		--cluster-signing-cert-file "$STATE/pki/ca.crt" --cluster-signing-key-file "$STATE/pki/ca.key" \
		--use-service-account-credentials=false \
		--flex-volume-plugin-dir "$STATE/flexvolume"
}

running() {
	[[ -f $STATE/kube-apiserver.pid ]] && kill -0 "$(cat "$STATE/kube-apiserver.pid")" 2>/dev/null &&
		kubectl --kubeconfig "$STATE/admin.kubeconfig" get --raw /readyz >/dev/null 2>&1
}

up() {
	[[ -d $STATE ]] && down
	build
	mkdir -p "$STATE"
	certs
	netns_up

	local etcd_port peer_port api_port
	etcd_port=$(free_port 23790)
	peer_port=$(free_port $((etcd_port + 1)))
	api_port=$(free_port 6443)
	start etcd etcd --name pleg-lab --data-dir "$STATE/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-cluster "pleg-lab=http://127.0.0.1:$peer_port" --log-level warn

	local n
	# oncall and developer hold the shipped roles through deploy/rbac.yaml's
	# example bindings (groups oncall, developers); see rbac().
	# throttled is an on-call user too, whom the API server's priority and
	# fairness limits hard when a test asks it to (TestPriorityAndFairness).
	printf '%s\n' 'admin-token,admin,1,"system:masters"' 'oncall-token,oncall,2,"oncall"' \
		'developer-token,developer,3,"developers"' 'nowatch-token,nowatch,4' 'throttled-token,throttled,5,"oncall"' >"$STATE/tokens.csv"
	# Every real node may come up later (fault heal, a single node): all
	# their kubelets' identities, for the Node authorizer.
	for n in $(real_names); do
		printf '%s,system:node:%s,%s,"system:nodes"\n' "$(real_token "$n")" "$n" "$n" >>"$STATE/tokens.csv"
	done
	printf 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n' >"$STATE/audit-policy.yaml"
	apiserver_args=(
		--etcd-servers "http://127.0.0.1:$etcd_port" \
		--bind-address "$HOST_IP" --secure-port "$api_port" \
		--advertise-address "$HOST_IP" --endpoint-reconciler-type none \
		--tls-cert-file "$STATE/pki/apiserver.crt" --tls-private-key-file "$STATE/pki/apiserver.key" \
		--client-ca-file "$STATE/pki/ca.crt" \
		--kubelet-client-certificate "$STATE/pki/kubelet-client.crt" --kubelet-client-key "$STATE/pki/kubelet-client.key" \
		--kubelet-preferred-address-types InternalIP \
		--service-account-key-file "$STATE/pki/sa.pub" --service-account-signing-key-file "$STATE/pki/sa.key" \
		--service-account-issuer https://kubernetes.default.svc \
		--service-cluster-ip-range 10.96.0.0/16 \
		--authorization-mode Node,RBAC --token-auth-file "$STATE/tokens.csv" \
		--audit-policy-file "$STATE/audit-policy.yaml" --audit-log-path "$STATE/audit.log" \
		--audit-log-mode blocking
	)
	# Kept so that restart-apiserver starts the same API server again.
	declare -p apiserver_args >"$STATE/kube-apiserver.args"
	start kube-apiserver "$BIN/kube-apiserver" "${apiserver_args[@]}"
	start kubeletsim ip netns exec "$NETNS" "$BIN/kubeletsim" --scenarios "$E2E/scenarios" --listen "$NODE_IP"

	local u
	for u in admin oncall developer nowatch throttled; do kubeconfig "$u" "$u-token" "$api_port"; done
	wait_ready
	rbac
	register
	leases
	controller_manager
	# shellcheck disable=SC2046 # node names are single words
	real_up "$api_port" $(real_wanted)
	# shellcheck disable=SC2046
	prometheus_up "$api_port" "$(real_wanted)" $(scenario_names)
	log "up: $(kubectl --kubeconfig "$STATE/admin.kubeconfig" get nodes --no-headers | wc -l) nodes; run: eval \"\$($0 env)\""
}

# prometheus_up API_PORT "REAL..." SCENARIO...: a real Prometheus scraping
# every kubelet, real and simulated, as kube-prometheus scrapes kubelets
# (node and instance labels per kubelet) but through the API server, with
# the shipped alerting rules. It waits for each real kubelet's first good
# scrape (an alert needs the history a Prometheus has before an incident)
# and for one scrape of every simulated one (some never answer).
prometheus_up() {
	local api_port=$1 real=$2 port
	shift 2
	command -v prometheus >/dev/null || return 0
	local targets=($real "$@") ne_port="" n
	port=$(free_port 9090)
	mkdir -p "$STATE/prometheus"
	# The real nodes share this host's kernel: one node-exporter speaks for
	# each of them, under its name (kube-prometheus's instance label).
	if [[ -n $real && -x $BIN/node_exporter ]]; then
		ne_port=$(free_port 9100)
		start node-exporter "$BIN/node_exporter" --web.listen-address "127.0.0.1:$ne_port" \
			--collector.disable-defaults --collector.cpu --collector.meminfo --collector.filesystem \
			--collector.pressure --collector.loadavg
	fi
	{
		printf 'global: {scrape_interval: 10s, scrape_timeout: 10s, evaluation_interval: 5s}\n'
		printf 'rule_files: [%s]\n' "$E2E/../../deploy/prometheus/kubectl-pleg-rules.yaml"
		printf 'scrape_configs:\n- job_name: kubelet\n  scheme: https\n'
		printf '  tls_config: {ca_file: %s}\n' "$STATE/pki/ca.crt"
		printf '  authorization: {credentials: admin-token}\n'
		printf '  static_configs:\n  - targets: [%s]\n' "$(IFS=,; echo "${targets[*]}")"
		printf '  relabel_configs:\n'
		printf '  - {source_labels: [__address__], target_label: node}\n'
		printf '  - {source_labels: [__address__], target_label: instance}\n'
		printf '  - {source_labels: [__address__], target_label: __metrics_path__, replacement: /api/v1/nodes/$1/proxy/metrics}\n'
		printf '  - {target_label: __address__, replacement: "%s:%s"}\n' "$HOST_IP" "$api_port"
		# make bench-scan's generated fleet: it writes fleet.json, one
		# target per shard of nodes, each serving their kubelets' series
		# labelled by node (kubeletsim's /fleet/metrics).
		printf -- '- job_name: fleet\n  scheme: https\n  tls_config: {insecure_skip_verify: true}\n  honor_labels: true\n'
		printf '  scrape_interval: 30s\n  scrape_timeout: 25s\n  metrics_path: /fleet/metrics\n'
		printf '  file_sd_configs: [{files: [%s], refresh_interval: 5s}]\n' "$STATE/prometheus/fleet.json"
		if [[ -n $ne_port ]]; then
			printf -- '- job_name: node-exporter\n  static_configs:\n'
			for n in $real; do printf '  - {targets: ["127.0.0.1:%s"], labels: {instance: %s}}\n' "$ne_port" "$n"; done
		fi
	} >"$STATE/prometheus/prometheus.yml"
	start prometheus prometheus --config.file "$STATE/prometheus/prometheus.yml" \
		--storage.tsdb.path "$STATE/prometheus/data" --storage.tsdb.retention.time 2h \
		--web.listen-address "127.0.0.1:$port"
	local url="http://127.0.0.1:$port" realup="" n
	for n in $real; do realup+="${realup:+|}$n"; done
	local want="count(up{job=\"kubelet\"}) == ${#targets[@]}"
	[[ -z $realup ]] || want+=" and on() count(up{job=\"kubelet\",node=~\"$realup\"} == 1) == $(wc -w <<<"$real")"
	for _ in $(seq 120); do
		if [[ $(curl -sf "$url/api/v1/query" --data-urlencode "query=$want" | jq -r '.data.result | length' 2>/dev/null) == 1 ]]; then
			echo "$url" >"$STATE/prometheus.url"
			return 0
		fi
		sleep 0.5
	done
	log "prometheus has not scraped the ${#targets[@]} kubelets (the real ones answering) in 60s; see $STATE/prometheus.log"
	return 1
}

# scenario_names: the simulated nodes, one per scenario directory.
scenario_names() {
	local d
	for d in "$E2E"/scenarios/*/; do basename "$d"; done
}

# down tears down on a best effort: a step that fails is said and the
# others still run (a lab left half up is reused by the next run).
down() {
	local n
	stop prometheus || log "down: stopping prometheus failed; going on"
	stop node-exporter || log "down: stopping node-exporter failed; going on"
	for n in $(real_names); do real_node_down "$n" || log "down: $n failed; going on"; done
	real_host_restore || log "down: restoring the host failed; going on"
	stop kube-controller-manager
	stop leases
	stop kubeletsim
	stop kube-apiserver
	stop etcd
	ip netns del "$NETNS" 2>/dev/null || true
	ip link del pleg-lab0 2>/dev/null || true
	# Guard against an unexpected PLEG_LAB_DIR: only delete what looks like a lab.
	if [[ -d $STATE && ( -f $STATE/tokens.csv || -d $STATE/pki || -z "$(ls -A "$STATE")" ) ]]; then
		# --one-file-system: never through a mount a lab left behind.
		rm -rf --one-file-system "$STATE"
	fi
}

# restart_apiserver stops the API server and starts it again with the same
# arguments, as an upgrade or a crash does; clients' watches break.
restart_apiserver() {
	stop kube-apiserver
	# shellcheck source=/dev/null
	source "$STATE/kube-apiserver.args"
	start kube-apiserver "$BIN/kube-apiserver" "${apiserver_args[@]}"
	wait_ready
}

case "${1:-}" in
up) up ;;
down) down ;;
env) echo "export KUBECONFIG=$STATE/admin.kubeconfig" ;;
status) running ;;
register) register ;;
build) build ;;
fault) real_fault "${2:?usage: $0 fault NODE [FAULT]}" "${3:-}" ;;
heal) real_heal "${2:?usage: $0 heal NODE}" ;;
wait-ready) real_wait_ready "${2:?usage: $0 wait-ready NODE [SECONDS]}" "${3:-300}" ;;
restart-apiserver) restart_apiserver ;;
*)
	echo "usage: $0 up|down|env|status|register|build|fault NODE [FAULT]|heal NODE|wait-ready NODE [SECONDS]|restart-apiserver" >&2
	exit 2
	;;
esac
