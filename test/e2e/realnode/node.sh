# shellcheck shell=bash
# Bringing real nodes up and down. Sourced by lab.sh, which provides log,
# start_to, stop, $STATE, $BIN, $HOST_IP.
#
# A node is four processes, each logging under real_dir NODE:
#   runtime      containerd or dockerd (runtimes.sh), host   var/log/<daemon>.log
#                netns (W5), own root/state/socket
#   proxy        criproxy or dockerproxy, between the        criproxy.log or
#                kubelet and the runtime                     dockerproxy.log
#   kubelet      nsenter --net into pleg-r-NODE (W5), own    var/log/kubelet.log
#                mount namespace where the node's var/log is /var/log
#   shims        started by containerd, one per pod (Docker: per container)
#
# The kubelet's /var/log: the node log query (/logs/?query=kubelet) falls
# back to /var/log/kubelet.log — a fixed path — and needs a regular file
# (W10; a symlink "escapes from parent"), and /logs/ lists /var/log. One
# host path cannot be several kubelets' logs, so each kubelet gets its own
# mount namespace in which the node's var/log is bind-mounted over /var/log:
# /logs/?query=kubelet and ?query=containerd answer with that node's own
# logs, /logs/ lists its own files, and /var/log/containers (the kubelet's
# fixed symlink dir) is the node's too. Pod logs (podLogsDir) sit at a path
# that is the same in both namespaces, because containerd writes them.
# The same namespace gives each kubelet its own /var/lib/kubelet (a tmpfs):
# the device-plugin socket dir /var/lib/kubelet/device-plugins is fixed,
# whatever --root-dir says, and each kubelet empties it when it starts.

# real_netns_up NODE: a netns and a veth pair; a default route to the host
# side, where the API server listens (on the simulators' host address).
real_netns_up() {
	local n=$1 i ns
	i=$(real_field "$n" index)
	ns=$(real_netns "$n")
	ip netns del "$ns" 2>/dev/null || true
	ip link del "pleg-r$i" 2>/dev/null || true
	ip netns add "$ns"
	ip link add "pleg-r$i" type veth peer name "pleg-r${i}n"
	ip link set "pleg-r${i}n" netns "$ns"
	ip addr add "$(real_host_ip "$n")/24" dev "pleg-r$i"
	ip link set "pleg-r$i" up
	ip -n "$ns" link set "pleg-r${i}n" name eth0
	ip -n "$ns" addr add "$(real_node_ip "$n")/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" route add default via "$(real_host_ip "$n")"
}

# real_node_files NODE API_PORT writes every configuration file of a node.
real_node_files() {
	local n=$1 d
	d=$(real_dir "$n")
	mkdir -p "$d/var/log/pods" "$d/var/log/containers" "$d/cni/net.d" "$d/kubelet"
	real_runtime_config "$n"
	real_cni_conflist "$n" >"$(real_cni_path "$n")"
	real_kubelet_config "$n"
	real_kubeconfig "$n" "$2"
	: >"$d/proxy.hang"
}

real_kubelet_start() {
	local n=$1 d extra=()
	d=$(real_dir "$n")
	# A dense node keeps its dead containers (the default keeps one per
	# container): the exited ones pile up as on a crash-looping node.
	if (($(real_field "$n" maxpods) < 110)); then
		extra=(--maximum-dead-containers-per-container=50 --maximum-dead-containers=1000)
	fi
	# dockershim is in the kubelet, and flags only: the Docker API through
	# the node's proxy, for dockershim and for cAdvisor (--docker: without it
	# cAdvisor looks for /var/run/docker.sock, never learns docker's image
	# filesystem and /stats/summary fails with "non-existent label
	# docker-images"), CNI called by the kubelet itself (in the node's netns),
	# and its checkpoints in the node's dir, not /var/lib/dockershim.
	if [[ $(real_runtime "$n") == docker ]]; then
		extra+=(--container-runtime=docker --docker-endpoint="unix://$d/docker.sock" --docker="unix://$d/docker.sock"
			--pod-infra-container-image="$SANDBOX_IMAGE" --network-plugin=cni
			--cni-conf-dir="$d/cni/net.d" --cni-bin-dir=/usr/lib/cni --cni-cache-dir="$d/cni/cache"
			--experimental-dockershim-root-directory="$d/dockershim")
	fi
	# exec all the way down: the PID start_to records is the kubelet's.
	# shellcheck disable=SC2016 # $0 and $@ belong to the inner sh
	start_to "real/$n/kubelet" "$d/var/log/kubelet.log" \
		nsenter --net="/var/run/netns/$(real_netns "$n")" -- \
		unshare --mount --propagation unchanged -- \
		sh -c 'mount --bind "$0" /var/log && mount -t tmpfs -o size=4m,mode=0755 pleg-lab /var/lib/kubelet && exec "$@"' "$d/var/log" \
		"$(real_kubelet_bin "$n")" --config "$d/kubelet.yaml" --kubeconfig "$d/kubelet.kubeconfig" \
		--root-dir "$d/kubelet" --cert-dir "$d/kubelet/pki" --hostname-override "$n" \
		--node-ip "$(real_node_ip "$n")" --node-labels "$REAL_LABEL" --v=2 "${extra[@]}"
}

# real_up API_PORT NODE...: every node's runtime first (they start in
# parallel), then proxies and kubelets, then each node's pods once the
# node is Ready.
real_up() {
	local port=$1 n
	shift
	(($#)) || return 0
	real_host_prepare
	for n in "$@"; do
		real_netns_up "$n"
		real_node_files "$n" "$port"
		real_runtime_start "$n"
	done
	for n in "$@"; do
		real_runtime_wait "$n"
		real_image_import "$n"
		real_proxy_start "$n"
		real_kubelet_start "$n"
	done
	for n in "$@"; do
		real_wait_ready "$n" 120 >/dev/null
		real_pods_apply "$n"
	done
	real_wait_pods 180 "$@"
}

# real_pods_apply NODE: the namespace, its default ServiceAccount (pod
# admission needs it; the controller-manager may not have made it yet) and
# the pods.
real_pods_apply() {
	local k=(kubectl --kubeconfig "$STATE/admin.kubeconfig")
	"${k[@]}" create namespace "$1" >/dev/null 2>&1 || true
	"${k[@]}" -n "$1" create serviceaccount default >/dev/null 2>&1 || true
	real_pods "$1" | "${k[@]}" apply -f - >/dev/null
}

# real_wait_ready NODE [SECONDS]: until the node's Ready condition is True;
# prints how long it took.
real_wait_ready() {
	local n=$1 timeout=${2:-120} start=$SECONDS
	while ((SECONDS - start < timeout)); do
		if [[ $(kubectl --kubeconfig "$STATE/admin.kubeconfig" get node "$n" \
			-o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]; then
			echo "$n Ready after $((SECONDS - start))s"
			return 0
		fi
		sleep 1
	done
	log "$n not Ready after ${timeout}s; see $(real_dir "$n")/var/log/kubelet.log"
	return 1
}

# real_wait_pods SECONDS NODE...: until the sleeper container of every pod
# of the nodes runs (crashers may be between restarts).
real_wait_pods() {
	local timeout=$1 start=$SECONDS n waiting
	shift
	while ((SECONDS - start < timeout)); do
		waiting=0
		for n in "$@"; do
			# One line per pod, "NAME=true" once its sleeper is ready.
			waiting=$((waiting + $(kubectl --kubeconfig "$STATE/admin.kubeconfig" -n "$n" get pods -o \
				jsonpath='{range .items[*]}{.metadata.name}={.status.containerStatuses[?(@.name=="sleeper")].ready}{"\n"}{end}' |
				grep -vc '=true$' || true)))
		done
		((waiting == 0)) && return 0
		sleep 2
	done
	log "real pods not running after ${timeout}s"
	return 1
}

# real_node_down NODE: every process of the node, by PID, then its netns.
# Host-wide leftovers (mounts, cgroups, bridges, sysctls) are
# real_host_restore's.
real_node_down() {
	local n=$1 d p
	d=$(real_dir "$n")
	[[ -d $d ]] || return 0
	# A stopped (SIGSTOP) process cannot act on SIGTERM.
	for p in kubelet "$(real_runtime_daemon "$n")"; do
		[[ -f $d/$p.pid ]] && kill -CONT "$(cat "$d/$p.pid")" 2>/dev/null || true
	done
	real_shim_thaw "$n"
	stop "real/$n/kubelet"
	real_proxy_stop "$n"
	real_kill_containers "$n"
	stop "real/$n/$(real_runtime_daemon "$n")"
	real_kill_shims "$n"
	ip netns del "$(real_netns "$n")" 2>/dev/null || true
	ip link del "pleg-r$(real_field "$n" index)" 2>/dev/null || true
}
