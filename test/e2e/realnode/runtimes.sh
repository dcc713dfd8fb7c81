# shellcheck shell=bash
# A real node's container runtime, by its kind (nodes.sh's runtime column):
# the one place that knows how each is started, awaited, stopped, fed the
# lab's image, and proxied. Sourced by lab.sh.
#
#   runtime      daemon (PID file)        socket the kubelet reaches
#   containerd   containerd (containerd)  cri.sock (criproxy → containerd.sock)
#   containerd2  the same, v2.x           cri.sock (criproxy → containerd.sock)
#   docker       dockerd (dockerd)        docker.sock (dockerproxy → dockerd.sock);
#                                         dockerd runs its own containerd
#
# Every daemon runs in the host netns (W5) with its own root, state and
# sockets under real_dir NODE, and logs to var/log/<daemon>.log there, so
# that the node log query (/logs/?query=containerd or docker) finds it.

real_runtime() { real_field "$1" runtime; }

# real_runtime_daemon NODE names the node's runtime daemon: its process,
# PID file (real_dir NODE/<name>.pid) and log.
real_runtime_daemon() {
	case $(real_runtime "$1") in
	docker) echo dockerd ;;
	*) echo containerd ;;
	esac
}

# real_runtime_config NODE writes the daemon's configuration.
real_runtime_config() {
	case $(real_runtime "$1") in
	containerd) real_containerd_config "$1" ;;
	containerd2) real_containerd2_config "$1" ;;
	docker) echo '{}' >"$(real_dir "$1")/daemon.json" ;; # not /etc/docker/daemon.json
	esac
}

real_runtime_start() {
	local n=$1 d
	d=$(real_dir "$n")
	case $(real_runtime "$n") in
	containerd)
		rm -f "$d/containerd.sock"
		start_to "real/$n/containerd" "$d/var/log/containerd.log" containerd --config "$d/containerd.toml"
		;;
	containerd2)
		rm -f "$d/containerd.sock"
		start_to "real/$n/containerd" "$d/var/log/containerd.log" "$BIN/containerd2/containerd" --config "$d/containerd.toml"
		;;
	docker)
		rm -f "$d/dockerd.sock"
		# No iptables, bridge or ip_forward: the kubelet's CNI makes the
		# pods' network. Containers run under runcclamp (W11).
		start_to "real/$n/dockerd" "$d/var/log/docker.log" dockerd \
			--config-file "$d/daemon.json" --host "unix://$d/dockerd.sock" \
			--data-root "$d/docker" --exec-root "$d/docker-exec" --pidfile "$d/docker-exec/dockerd.pid" \
			--iptables=false --ip-masq=false --ip-forward=false --bridge=none --userland-proxy=false \
			--exec-opt native.cgroupdriver=cgroupfs \
			--add-runtime "pleg-runc=$BIN/runcclamp" --default-runtime pleg-runc
		;;
	esac
}

# real_runtime_socket NODE is where the runtime daemon answers.
real_runtime_socket() {
	case $(real_runtime "$1") in
	docker) echo "$(real_dir "$1")/dockerd.sock" ;;
	*) echo "$(real_dir "$1")/containerd.sock" ;;
	esac
}

# real_ctr NODE ARGS...: the node's containerd's own ctr.
real_ctr() {
	local n=$1 ctr=ctr
	shift
	[[ $(real_runtime "$n") == containerd2 ]] && ctr=$BIN/containerd2/ctr
	"$ctr" --address "$(real_runtime_socket "$n")" "$@"
}

# real_runtime_wait NODE waits until the runtime answers on its socket.
real_runtime_wait() {
	local n=$1 probe
	case $(real_runtime "$n") in
	docker) probe=(docker -H "unix://$(real_runtime_socket "$n")" version) ;;
	*) probe=(real_ctr "$n" version) ;;
	esac
	for _ in $(seq 150); do
		"${probe[@]}" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	log "$n: $(real_runtime_daemon "$n") does not answer; see $(real_dir "$n")/var/log/$(real_runtime_daemon "$n").log"
	return 1
}

# real_runtime_kill NODE: SIGTERM to the daemon alone (not its process
# group), as systemctl stop does, and wait until it is gone. containerd's
# shims, and so the containers, survive (KillMode=process); dockerd stops
# its containers and its containerd first, as it does without live-restore.
real_runtime_kill() {
	local f pid
	f=$(real_dir "$1")/$(real_runtime_daemon "$1").pid
	pid=$(cat "$f")
	kill -TERM "$pid"
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "$f"
}

# real_image_import NODE: W4, the one image under both names.
real_image_import() {
	case $(real_runtime "$1") in
	docker) docker -H "unix://$(real_runtime_socket "$1")" load -i "$BIN/pleg-image.tar" >/dev/null ;;
	*) real_ctr "$1" -n k8s.io images import "$BIN/pleg-image.tar" >/dev/null ;;
	esac
}

# real_proxy_start NODE: the proxy between the kubelet and the runtime,
# which holds the calls named in proxy.hang (faults.sh's relist-hang).
real_proxy_start() {
	local n=$1 d
	d=$(real_dir "$n")
	case $(real_runtime "$n") in
	docker)
		start_to "real/$n/dockerproxy" "$d/dockerproxy.log" "$BIN/dockerproxy" \
			-listen "$d/docker.sock" -upstream "$d/dockerd.sock" -hang-file "$d/proxy.hang"
		;;
	*)
		start_to "real/$n/criproxy" "$d/criproxy.log" "$BIN/criproxy" \
			-listen "$d/cri.sock" -upstream "$d/containerd.sock" -hang-file "$d/proxy.hang"
		;;
	esac
}

real_proxy_stop() {
	stop "real/$1/criproxy"
	stop "real/$1/dockerproxy"
}

# real_relist_calls NODE prints what the proxy must hold for the relist to
# hang: the CRI's two list calls, or Docker's `docker ps`.
real_relist_calls() {
	case $(real_runtime "$1") in
	docker) echo /containers/json ;;
	*) printf '%s\n' /runtime.v1.RuntimeService/ListPodSandbox /runtime.v1.RuntimeService/ListContainers ;;
	esac
}

# real_shim_address NODE: the containerd socket the node's shims were
# started with ("-address SOCKET"): dockerd's own containerd for Docker.
real_shim_address() {
	case $(real_runtime "$1") in
	docker) echo "$(real_dir "$1")/docker-exec/containerd/containerd.sock" ;;
	*) real_runtime_socket "$1" ;;
	esac
}

# real_kill_shims NODE: a shim outlives its containerd (it has its own
# process group), as does dockerd's containerd a dockerd that was killed. Each runs with "-address <the node's containerd socket>",
# a path of this lab alone, and listens on a socket recorded in its bundle,
# /run/containerd/s/<hash> (shared by every containerd, Docker's too).
real_kill_shims() {
	local d pid b addr
	d=$(real_dir "$1")
	for pid in $(pgrep -f -- "-address $(real_shim_address "$1")\$"); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	# dockerd stops its own containerd when it stops, unless it was killed.
	pkill -KILL -f -- "^containerd --config $d/docker-exec/containerd/containerd.toml" 2>/dev/null || true
	for b in "$d"/containerd/state/io.containerd.runtime.v2.task/*/*/ "$d"/docker-exec/containerd/daemon/io.containerd.runtime.v2.task/*/*/; do
		if [[ -f $b/address ]]; then
			addr=$(<"$b/address")
			rm -f "${addr#unix://}"
		fi
	done
}

# real_container_ids NODE prints the IDs of every sandbox and container the
# node's runtime ever ran: runc names their cgroups after them.
real_container_ids() {
	local d p
	local -A seen=()
	d=$(real_dir "$1")
	for p in "$d"/containerd/state/io.containerd.runtime.v2.task/k8s.io/* "$d"/containerd/root/io.containerd.grpc.v1.cri/{containers,sandboxes}/* \
		"$d"/docker/containers/*; do
		p=${p##*/}
		[[ $p =~ ^[0-9a-f]{64}$ && -z ${seen[$p]:-} ]] || continue
		seen[$p]=1
		echo "$p"
	done
}

# real_container_cgroups NODE prints the node's container cgroup dirs, in
# every hierarchy: /k8s.io/<id> under containerd, /docker/<id> under
# Docker. Bash globs only: a dense node has hundreds, and one process per
# directory would take seconds.
real_container_cgroups() {
	local id cg
	for id in $(real_container_ids "$1"); do
		for cg in /sys/fs/cgroup/*/{k8s.io,docker}/"$id"; do
			[[ -d $cg ]] && echo "$cg"
		done
	done
	return 0
}

# real_shim_pid NODE prints the PID of the shim of the node's first pod's
# sleeper container: the parent of the container's process, found by the
# cgroup runc named after the container's ID.
real_shim_pid() {
	local n=$1 id f pid
	id=$(kubectl --kubeconfig "$STATE/admin.kubeconfig" -n "$n" get pod sleeper-0 \
		-o jsonpath='{.status.containerStatuses[?(@.name=="sleeper")].containerID}')
	id=${id#*://}
	[[ -n $id ]] || {
		log "$n: sleeper-0 has no running container"
		return 1
	}
	for f in /proc/[0-9]*/cgroup; do
		if grep -q "/$id\$" "$f" 2>/dev/null; then
			pid=${f#/proc/}
			ps -o ppid= -p "${pid%/cgroup}" | tr -d ' '
			return 0
		fi
	done
	log "$n: no process of container $id"
	return 1
}
