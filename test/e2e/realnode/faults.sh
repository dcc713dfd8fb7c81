# shellcheck shell=bash
# Real faults on real nodes, and their cures. Sourced by lab.sh.
#
#   fault             what it does                         heal
#   runtime-frozen    SIGSTOP containerd                   SIGCONT
#   runtime-stopped   SIGTERM containerd (shims live on)   start containerd again
#   relist-hang       the CRI proxy holds ListPodSandbox   the proxy passes them
#                     and ListContainers until the
#                     kubelet's 15s deadline
#   cni-off           remove the CNI conflist              rewrite it in place (W9)
#   kubelet-frozen    SIGSTOP the kubelet                  SIGCONT
#
# REAL-NODE.md has what the kubelet reports for each, and when. A node's
# applied faults are listed in real_dir NODE/faults until healed.

REAL_FAULTS="runtime-frozen runtime-stopped relist-hang cni-off kubelet-frozen"

# real_fault NODE [FAULT]: the node's own fault (nodes.sh) unless one is named.
real_fault() {
	local n=$1 kind=${2:-} d
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
	case $kind in
	runtime-frozen) kill -STOP "$(cat "$d/containerd.pid")" ;;
	runtime-stopped) real_containerd_kill "$n" ;;
	relist-hang) printf '%s\n' /runtime.v1.RuntimeService/ListPodSandbox /runtime.v1.RuntimeService/ListContainers >"$d/criproxy.hang" ;;
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
		runtime-frozen) kill -CONT "$(cat "$d/containerd.pid")" ;;
		runtime-stopped)
			real_containerd_start "$n"
			real_containerd_wait "$n"
			;;
		relist-hang) : >"$d/criproxy.hang" ;;
		# W9: containerd 1.6 misses a conflist moved back; a write is seen.
		cni-off) real_cni_conflist "$n" >"$(real_cni_path "$n")" ;;
		kubelet-frozen) kill -CONT "$(cat "$d/kubelet.pid")" ;;
		esac
	done
	rm -f "$d/faults"
	log "$n: healed at $(date -u +%FT%TZ)"
}

# real_containerd_kill NODE: SIGTERM to containerd alone (not its process
# group: the shims, and so the containers, survive, as with systemd's
# KillMode=process), and wait until it is gone.
real_containerd_kill() {
	local f pid
	f=$(real_dir "$1")/containerd.pid
	pid=$(cat "$f")
	kill -TERM "$pid"
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "$f"
}
