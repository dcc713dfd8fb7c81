# shellcheck shell=bash
# Real faults on real nodes, and their cures. Sourced by lab.sh. "The
# runtime" is the node's daemon, containerd or dockerd (runtimes.sh).
#
#   fault             what it does                         heal
#   runtime-frozen    SIGSTOP the runtime                  SIGCONT
#   runtime-stopped   SIGTERM the runtime (containerd:     start it again
#                     shims live on; dockerd stops its
#                     containers)
#   relist-hang       the proxy holds the relist's calls   the proxy passes them
#                     (CRI ListPodSandbox and
#                     ListContainers; Docker's
#                     containers/json) until the
#                     kubelet's 15s deadline
#   shim-hung         SIGSTOP the shim of sleeper-0's      SIGCONT, and the
#                     container, and delete the pod: its   pod again
#                     stop waits on the frozen shim
#   cni-off           remove the CNI conflist              rewrite it in place (W9)
#   kubelet-frozen    SIGSTOP the kubelet                  SIGCONT
#
# REAL-NODE.md has what the kubelet reports for each, and when. A node's
# applied faults are listed in real_dir NODE/faults until healed.

REAL_FAULTS="runtime-frozen runtime-stopped relist-hang shim-hung cni-off kubelet-frozen"

# real_fault NODE [FAULT]: the node's own fault (nodes.sh) unless one is named.
real_fault() {
	local n=$1 kind=${2:-} d daemon
	d=$(real_dir "$n")
	[[ -n $kind ]] || kind=$(real_field "$n" fault) || return 2
	if [[ $kind == - ]]; then
		log "$n has no fault of its own; name one: $0 fault $n {${REAL_FAULTS// /|}}"
		return 2
	fi
	[[ -f $d/kubelet.pid ]] || {
		log "$n is not up"
		return 1
	}
	daemon=$(real_runtime_daemon "$n")
	case $kind in
	runtime-frozen) kill -STOP "$(cat "$d/$daemon.pid")" ;;
	runtime-stopped)
		real_runtime_kill "$n"
		# The Docker API proxy would answer 502 Bad Gateway for the dockerd
		# that is gone; a stopped dockerd leaves no socket: "Cannot connect
		# to the Docker daemon". (gRPC's proxy passes containerd's own dial
		# error through.)
		if [[ $(real_runtime "$n") == docker ]]; then real_proxy_stop "$n"; fi
		;;
	relist-hang) real_relist_calls "$n" >"$d/proxy.hang" ;;
	shim-hung)
		real_shim_pid "$n" >"$d/shim-hung.pid" || return 1
		kill -STOP "$(cat "$d/shim-hung.pid")"
		kubectl --kubeconfig "$STATE/admin.kubeconfig" -n "$n" delete pod sleeper-0 --wait=false >/dev/null
		;;
	cni-off) rm -f "$(real_cni_path "$n")" ;;
	kubelet-frozen) kill -STOP "$(cat "$d/kubelet.pid")" ;;
	*)
		log "unknown fault $kind (faults: $REAL_FAULTS)"
		return 2
		;;
	esac
	echo "$kind" >>"$d/faults"
	log "$n: $kind at $(date -u +%FT%TZ)"
}

# real_heal NODE undoes every fault applied to the node, in reverse order.
real_heal() {
	local n=$1 d kind
	d=$(real_dir "$n")
	real_field "$n" index >/dev/null || return 2
	[[ -s $d/faults ]] || {
		log "$n: no fault to heal"
		return 0
	}
	for kind in $(tac "$d/faults"); do
		case $kind in
		runtime-frozen) kill -CONT "$(cat "$d/$(real_runtime_daemon "$n").pid")" ;;
		runtime-stopped)
			real_runtime_start "$n"
			real_runtime_wait "$n"
			if [[ $(real_runtime "$n") == docker ]]; then real_proxy_start "$n"; fi
			;;
		relist-hang) : >"$d/proxy.hang" ;;
		shim-hung)
			real_shim_thaw "$n"
			kubectl --kubeconfig "$STATE/admin.kubeconfig" -n "$n" wait --for=delete pod/sleeper-0 --timeout=90s >/dev/null 2>&1 || true
			real_pods_apply "$n"
			;;
		# W9: containerd 1.6 misses a conflist moved back; a write is seen.
		cni-off) real_cni_conflist "$n" >"$(real_cni_path "$n")" ;;
		kubelet-frozen) kill -CONT "$(cat "$d/kubelet.pid")" ;;
		esac
	done
	rm -f "$d/faults"
	log "$n: healed at $(date -u +%FT%TZ)"
}

# real_shim_thaw NODE lets a shim frozen by shim-hung go on.
real_shim_thaw() {
	local f
	f=$(real_dir "$1")/shim-hung.pid
	[[ -f $f ]] || return 0
	kill -CONT "$(cat "$f")" 2>/dev/null || true
	rm -f "$f"
}
