#!/usr/bin/env bash
# The kubectl-pleg end-to-end lab: a real etcd + kube-apiserver on loopback
# and a kubelet simulator for every scenario node in a network namespace.
#
#   test/e2e/lab.sh up        build what is missing, start everything, register the nodes
#   test/e2e/lab.sh down      stop what `up` started, delete the netns and the state dir
#   test/e2e/lab.sh env       print `export KUBECONFIG=...` (admin)
#   test/e2e/lab.sh status    exit 0 when a lab is running
#   test/e2e/lab.sh register  refresh nodes, events and pods (timestamps move to now)
#
# State lives in $PLEG_LAB_DIR (default /tmp/pleg-lab): certs, kubeconfigs
# (admin.kubeconfig, viewer.kubeconfig), logs, audit.log, PID files.
# Only one lab runs at a time: the netns name and addresses are fixed.
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

# free_port prints a TCP port nothing listens on, starting at $1.
free_port() {
	local p=$1
	while ss -Htln "sport = :$p" | grep -q .; do p=$((p + 1)); done
	echo "$p"
}

build() {
	mkdir -p "$BIN"
	command -v etcd >/dev/null || {
		log "installing etcd-server"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
	}
	# The apiserver build takes ~8 min cold on 2 cores: skip it unless go.mod moved.
	if [[ ! -x "$BIN/kube-apiserver" || "$E2E/go.mod" -nt "$BIN/kube-apiserver" ]]; then
		log "building kube-apiserver $VERSION (slow the first time)"
		local ldf=""
		for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
			ldf+=" -X $pkg.gitVersion=$VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=36"
		done
		(cd "$E2E" && go build -ldflags "$ldf" -o "$BIN/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
	fi
	build_tools
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
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\nextendedKeyUsage=serverAuth\n' >apiserver.ext
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

kubeconfig() { # name token port
	cat >"$STATE/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: pleg-lab
  cluster:
    server: https://127.0.0.1:$3
    certificate-authority: $STATE/pki/ca.crt
users:
- name: $1
  user:
    token: $2
contexts:
- name: $1@pleg-lab
  context: {cluster: pleg-lab, user: $1}
current-context: $1@pleg-lab
EOF
}

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
	setsid "$@" >"$STATE/$name.log" 2>&1 </dev/null &
	echo $! >"$STATE/$name.pid"
}

stop() {
	local f="$STATE/$1.pid" pid
	[[ -f $f ]] || return 0
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
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

rbac() {
	# viewer may read nodes, pods and events, but not nodes/proxy: the
	# plugin must degrade, not fail, without kubelet access.
	kubectl --kubeconfig "$STATE/admin.kubeconfig" apply -f - >/dev/null <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pleg-viewer}
rules:
- apiGroups: [""]
  resources: [nodes, pods, events]
  verbs: [get, list, watch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: pleg-viewer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pleg-viewer}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: viewer}
EOF
	# No controller-manager runs, so nobody creates default ServiceAccounts.
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

	printf 'admin-token,admin,1,"system:masters"\nviewer-token,viewer,2\n' >"$STATE/tokens.csv"
	printf 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n' >"$STATE/audit-policy.yaml"
	start kube-apiserver "$BIN/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$etcd_port" \
		--bind-address 127.0.0.1 --secure-port "$api_port" \
		--advertise-address "$HOST_IP" --endpoint-reconciler-type none \
		--tls-cert-file "$STATE/pki/apiserver.crt" --tls-private-key-file "$STATE/pki/apiserver.key" \
		--client-ca-file "$STATE/pki/ca.crt" \
		--kubelet-client-certificate "$STATE/pki/kubelet-client.crt" --kubelet-client-key "$STATE/pki/kubelet-client.key" \
		--kubelet-preferred-address-types InternalIP \
		--service-account-key-file "$STATE/pki/sa.pub" --service-account-signing-key-file "$STATE/pki/sa.key" \
		--service-account-issuer https://kubernetes.default.svc \
		--service-cluster-ip-range 10.96.0.0/16 \
		--authorization-mode RBAC --token-auth-file "$STATE/tokens.csv" \
		--audit-policy-file "$STATE/audit-policy.yaml" --audit-log-path "$STATE/audit.log" \
		--audit-log-mode blocking
	start kubeletsim ip netns exec "$NETNS" "$BIN/kubeletsim" --scenarios "$E2E/scenarios" --listen "$NODE_IP"

	kubeconfig admin admin-token "$api_port"
	kubeconfig viewer viewer-token "$api_port"
	wait_ready
	rbac
	register
	log "up: $(kubectl --kubeconfig "$STATE/admin.kubeconfig" get nodes --no-headers | wc -l) nodes; run: eval \"\$($0 env)\""
}

down() {
	stop kubeletsim
	stop kube-apiserver
	stop etcd
	ip netns del "$NETNS" 2>/dev/null || true
	ip link del pleg-lab0 2>/dev/null || true
	# Guard against an unexpected PLEG_LAB_DIR: only delete what looks like a lab.
	if [[ -d $STATE && ( -f $STATE/tokens.csv || -d $STATE/pki || -z "$(ls -A "$STATE")" ) ]]; then
		rm -rf "$STATE"
	fi
}

case "${1:-}" in
up) up ;;
down) down ;;
env) echo "export KUBECONFIG=$STATE/admin.kubeconfig" ;;
status) running ;;
register) register ;;
build) build ;;
*)
	echo "usage: $0 up|down|env|status|register|build" >&2
	exit 2
	;;
esac
