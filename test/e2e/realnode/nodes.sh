# shellcheck shell=bash
# The lab's real nodes: a real kubelet and a real runtime each, and the
# fault `lab.sh fault NODE` gives each one by default. Sourced by lab.sh.
#
# Row i (from 0) owns netns pleg-r-NAME, veth pleg-r<i> with 198.18.(10+i).1
# on the host side and 198.18.(10+i).2 (the node's InternalIP) inside, and
# CNI bridge plegbr<i> with pod subnet 10.88.(10+i).0/24. Append new nodes
# at the end so that no other node's addresses move.
#
# kubelet "-" is the e2e module's (the API server's version); another value
# names a directory under realnode/ holding a module that pins an older
# kubelet (built into .bin/<dir>). Nodes whose kubelet is in
# REAL_NAMED_ONLY come up only when named in PLEG_LAB_REAL, or with
# PLEG_LAB_REAL=all: their first build is slow.
#
# runtime is the node's container runtime (runtimes.sh):
#   containerd   Debian's containerd 1.6 and runc, through the CRI proxy
#   containerd2  containerd 2.x built from realnode/containerd2 (Debian's
#                runc), through the CRI proxy
#   docker       Debian's docker.io (dockerd 20.10 with its own containerd)
#                through the Docker API proxy, spoken to by the kubelet's
#                dockershim: kubelet123, the last kubelet that has it
#                (cri-dockerd, dockershim's successor, is not served by the
#                Go module proxy here)
#
#   name                 fault            pods  maxPods  kubelet     runtime
REAL_NODES=(
	"real-healthy         -                3     110      -           containerd"
	"real-runtime-frozen  runtime-frozen   3     110      -           containerd"
	"real-runtime-stopped runtime-stopped  3     110      -           containerd"
	"real-relist-hang     relist-hang      3     110      -           containerd"
	"real-cni-off         cni-off          3     110      -           containerd"
	"real-kubelet-frozen  kubelet-frozen   3     110      -           containerd"
	"real-dense           -                14    16       -           containerd"
	"real-old-kubelet     -                3     110      kubelet130  containerd"
	"real-docker-frozen   runtime-frozen   3     110      kubelet123  docker"
	"real-docker-stopped  runtime-stopped  3     110      kubelet123  docker"
	"real-docker-slow     relist-hang      3     110      kubelet123  docker"
	"real-docker-shim     shim-hung        3     110      kubelet123  docker"
	"real-cd2-frozen      runtime-frozen   3     110      -           containerd2"
	"real-cd2-stopped     runtime-stopped  3     110      -           containerd2"
	"real-cd2-relist-hang relist-hang      3     110      -           containerd2"
)

# Kubelets whose nodes come up only when named (kubelet130: a second
# Kubernetes to build, ~15 min cold, for one version-skew node).
REAL_NAMED_ONLY="kubelet130"

# The label real kubelets register with (--node-labels); `register
# --renew-leases` renews the Lease of every node without it.
REAL_LABEL=pleg.kubectl.io/kubelet=real
# One image, two names: containerd's sandbox image and the workload image.
SANDBOX_IMAGE=registry.k8s.io/pause:3.10
WORKLOAD_IMAGE=pleg-lab.local/sleeper:1

# real_wanted prints the names of the nodes `up` brings up: PLEG_LAB_REAL
# unset or 1 means every node but those of REAL_NAMED_ONLY, all means every
# node, 0 none, or a comma-separated list of names.
real_wanted() {
	local want=${PLEG_LAB_REAL:-1} row name kubelet
	[[ $want == 0 ]] && return 0
	for row in "${REAL_NODES[@]}"; do
		read -r name _ _ _ kubelet _ <<<"$row"
		if [[ $want == all || ($want == 1 && " $REAL_NAMED_ONLY " != *" $kubelet "*) || ,$want, == *",$name,"* ]]; then echo "$name"; fi
	done
}

# real_field NODE COLUMN prints a column of NODE's row: index (its row
# number), fault, pods, maxpods, kubelet or runtime. Fails for a name not in
# the table.
real_field() {
	local i=0 row name fault pods maxpods kubelet runtime
	for row in "${REAL_NODES[@]}"; do
		read -r name fault pods maxpods kubelet runtime <<<"$row"
		if [[ $name == "$1" ]]; then
			case $2 in
			index) echo "$i" ;;
			fault) echo "$fault" ;;
			pods) echo "$pods" ;;
			maxpods) echo "$maxpods" ;;
			kubelet) echo "$kubelet" ;;
			runtime) echo "$runtime" ;;
			esac
			return 0
		fi
		i=$((i + 1))
	done
	log "no real node $1 (real nodes: $(real_names | tr '\n' ' '))"
	return 1
}

real_names() {
	local row name
	for row in "${REAL_NODES[@]}"; do
		read -r name _ <<<"$row"
		echo "$name"
	done
}

real_dir() { echo "$STATE/real/$1"; }
real_netns() { echo "pleg-r-$1"; }
real_host_ip() { echo "198.18.$((10 + $(real_field "$1" index))).1"; }
real_node_ip() { echo "198.18.$((10 + $(real_field "$1" index))).2"; }
real_token() { echo "node-$1-token"; }

# real_kubelet_bin NODE is the node's kubelet binary.
real_kubelet_bin() {
	local k
	k=$(real_field "$1" kubelet)
	if [[ $k == - ]]; then echo "$BIN/kubelet"; else echo "$BIN/$k"; fi
}
