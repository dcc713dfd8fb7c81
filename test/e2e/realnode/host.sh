# shellcheck shell=bash
# What real nodes change on the host, recorded before they start and undone
# by `down` (W8). Sourced by lab.sh.
#
# - sysctls the kubelet sets (it logs the old values at -v=2; we record
#   them ourselves first) and ip_forward, which CNI may set;
# - host paths a kubelet, containerd or CNI creates when missing;
# - mounts: all of them under $STATE/real, a shared mount, so that
#   the volumes each kubelet mounts in its own mount namespace reach
#   containerd and, when unmounted, leave every namespace;
# - cgroups runc creates for containers (/k8s.io/<id> in every hierarchy);
# - the CNI bridges plegbr<i>.

REAL_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
	kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward)
# Directories that appear on the host unless configured away: libcni's
# result cache (not configurable in containerd 1.6), the shim sockets
# (/run/containerd/s, fixed in containerd 1.6), dockerd 20.10's trust key
# (a fixed path), runc cgroups, and, as a safety net, the defaults this lab
# configures away.
REAL_HOST_PATHS=(/var/lib/cni /run/containerd /var/lib/kubelet /var/log/pods /var/log/containers
	/usr/libexec/kubernetes /etc/cni /opt/cni /opt/containerd /etc/docker/key.json)

# real_host_prepare records the host's state (once per lab) and makes the
# shared mount every node's files live under.
real_host_prepare() {
	local r=$STATE/real k p c
	mkdir -p "$r"
	if [[ ! -f $r/sysctl.orig ]]; then
		for k in "${REAL_SYSCTLS[@]}"; do echo "$k=$(sysctl -n "$k")"; done >"$r/sysctl.orig"
		{
			for p in "${REAL_HOST_PATHS[@]}"; do [[ -e $p ]] || echo "$p"; done
			# runc makes /k8s.io (containerd) or /docker in every cgroup hierarchy.
			for p in /sys/fs/cgroup/*/; do
				for c in k8s.io docker; do [[ -e $p$c ]] || echo "$p$c"; done
			done
		} >"$r/absent.orig"
	fi
	# The mount point of each kubelet's own /var/lib/kubelet (node.sh).
	mkdir -p /var/lib/kubelet
	if ! mountpoint -q "$r"; then
		mount --bind "$r" "$r"
		mount --make-rshared "$r"
	fi
}

# real_host_restore undoes everything real nodes changed; it runs after
# every real node's processes are gone and is harmless when repeated.
real_host_restore() {
	local r=$STATE/real i line
	[[ -d $r ]] || return 0
	real_unmount_all
	real_remove_cgroups
	real_remove_cni_cache
	for ((i = 0; i < ${#REAL_NODES[@]}; i++)); do
		ip link del "plegbr$i" 2>/dev/null || true
	done
	if [[ -f $r/sysctl.orig ]]; then
		while IFS= read -r line; do
			sysctl -q -w "$line" >/dev/null || log "could not restore sysctl $line"
		done <"$r/sysctl.orig"
	fi
	# Only what did not exist before the lab: anything else may not be ours.
	if [[ -f $r/absent.orig ]]; then
		while IFS= read -r line; do
			case $line in
			/sys/fs/cgroup/*) rmdir "$line" 2>/dev/null || true ;;
			*) rm -rf --one-file-system "$line" ;;
			esac
		done <"$r/absent.orig"
	fi
}

# real_unmount_all unmounts everything under $STATE/real (umount -R: the
# shared mount and all below it, deepest first); what resists is retried
# one by one, then lazily (the state dir goes next, and rm
# --one-file-system never enters a mount left behind).
real_unmount_all() {
	local pass m mounts
	mountpoint -q "$STATE/real" && umount -R "$STATE/real" 2>/dev/null
	for pass in 1 2 3; do
		mapfile -t mounts < <(real_mounts)
		((${#mounts[@]})) || return 0
		((pass < 3)) || break
		for m in "${mounts[@]}"; do
			if ((pass < 2)); then umount "$m" 2>/dev/null || true; else umount -l "$m" 2>/dev/null || true; fi
		done
	done
	log "mounts left under $STATE/real: ${mounts[*]}"
}

# real_mounts prints the mount points under $STATE/real, deepest first.
real_mounts() {
	awk -v r="$STATE/real" '$5 == r || index($5, r "/") == 1 {print $5}' /proc/self/mountinfo | sort -r
}

# real_remove_cni_cache: when /var/lib/cni existed before the lab, only the
# cached results of our networks and our sandboxes' loopbacks go.
real_remove_cni_cache() {
	local n id files=()
	[[ -d /var/lib/cni/results ]] || return 0
	for n in $(real_names); do
		for id in $(real_container_ids "$n"); do files+=("/var/lib/cni/results/cni-loopback-$id-lo"); done
	done
	rm -f /var/lib/cni/results/pleg-real-* "${files[@]}"
}

# real_kill_containers NODE kills (SIGKILL, by PID) every process left in
# the node's container cgroups: with containerd and the shims gone, nobody
# else would.
real_kill_containers() {
	local cg pid
	for cg in $(real_container_cgroups "$1"); do
		while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$cg/cgroup.procs"
	done
}

# real_remove_cgroups removes the container cgroups of every real node
# (runc leaves them when it is killed with its shim). They are leaves; a
# cgroup whose last process is still dying refuses once, so try twice.
real_remove_cgroups() {
	local n cgs=()
	for n in $(real_names); do
		mapfile -t -O "${#cgs[@]}" cgs < <(real_container_cgroups "$n")
	done
	((${#cgs[@]})) || return 0
	rmdir "${cgs[@]}" 2>/dev/null && return 0
	sleep 0.5
	for n in "${cgs[@]}"; do [[ -d $n ]] && rmdir "$n" 2>/dev/null; done
	return 0
}
