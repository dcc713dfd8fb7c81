# shellcheck shell=bash
# Writers of a real node's configuration files, all under real_dir NODE.
# Sourced by lab.sh; REAL-NODE.md (W1..W10) says why each odd setting is
# there.

# real_containerd_config NODE: containerd with its own root, state, socket
# and CNI directories, so that several run side by side on one host.
real_containerd_config() {
	local n=$1 d
	d=$(real_dir "$n")
	cat >"$d/containerd.toml" <<EOF
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"

[grpc]
  address = "$d/containerd.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "$d/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$SANDBOX_IMAGE"
  # W1: root without CAP_SYS_RESOURCE cannot lower oom_score_adj.
  restrict_oom_score_adj = true
  # Pod network namespaces under the state dir rather than /var/run/netns,
  # where down could not tell them from anyone else's.
  netns_mounts_under_state_dir = true
  # containerd stays in the host netns (W5) but the kubelet runs in the
  # node's: exec/attach/port-forward streams must be on an address the
  # kubelet can reach, the host side of the node's veth.
  stream_server_address = "$(real_host_ip "$n")"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # W3: cgroupfs, as the kubelet (no systemd here).
        SystemdCgroup = false
        Root = "$d/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$d/cni/net.d"
EOF
}

# real_containerd2_config NODE: the same node for containerd 2.x, whose
# configuration (version 3 and later) moved the CRI settings to the
# io.containerd.cri.v1.* plugins and every socket to its server plugin.
# Besides the 1.6 settings: no imports from /etc/containerd, the ttrpc
# socket in the node's dir (its default is a fixed path), NRI off (its
# socket is one too), and the shim built with it. The shims' sockets stay
# in /run/containerd/s, as 1.6's do: a socket_dir of the node's own would
# be longer than the 42 characters containerd allows.
real_containerd2_config() {
	local n=$1 d
	d=$(real_dir "$n")
	cat >"$d/containerd.toml" <<EOF
version = 3
root = "$d/containerd/root"
state = "$d/containerd/state"
imports = []

[plugins.'io.containerd.server.v1.grpc']
  address = "$d/containerd.sock"
[plugins.'io.containerd.server.v1.ttrpc']
  address = "$d/containerd.sock.ttrpc"
[plugins.'io.containerd.internal.v1.opt']
  path = "$d/containerd/opt"
[plugins.'io.containerd.nri.v1.nri']
  disable = true

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$SANDBOX_IMAGE"

[plugins.'io.containerd.cri.v1.runtime']
  # W1, as for 1.6.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      runtime_path = "$BIN/containerd2/containerd-shim-runc-v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$d/runc"
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$d/cni/net.d"

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "$(real_host_ip "$n")"
  stream_server_port = "0"
EOF
}

# real_cni_conflist NODE prints the node's CNI network: its own bridge and
# subnet, no IP masquerade and no gateway, so the bridge plugin adds no
# iptables rule and does not turn on ip_forward. IPAM state stays under
# the node's dir; only libcni's result cache goes to /var/lib/cni.
real_cni_conflist() {
	local n=$1 i d
	i=$(real_field "$n" index)
	d=$(real_dir "$n")
	# dockershim's libcni (kubelet 1.23) reads results up to CNI 0.4.0.
	local cni_version=1.0.0
	[[ $(real_runtime "$n") == docker ]] && cni_version=0.4.0
	cat <<EOF
{
  "cniVersion": "$cni_version",
  "name": "pleg-$n",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "plegbr$i",
      "isGateway": false,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "dataDir": "$d/cni/ipam",
        "ranges": [[{"subnet": "10.88.$((10 + i)).0/24"}]]
      }
    }
  ]
}
EOF
}

# real_cni_path NODE is the conflist containerd watches.
real_cni_path() { echo "$(real_dir "$1")/cni/net.d/10-pleg.conflist"; }

# real_kubelet_config NODE: REAL-NODE.md's configuration that worked.
real_kubelet_config() {
	local n=$1 d
	d=$(real_dir "$n")
	cat >"$d/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $(real_node_ip "$n")
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
# Lab only: the API server's client cert is not checked.
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
# Runtime calls give up after 15s instead of 2m: incidents show sooner.
runtimeRequestTimeout: 15s
enableSystemLogHandler: true
evictionHard: {}
imageGCHighThresholdPercent: 100
maxPods: $(real_field "$n" maxpods)
# The default, /usr/libexec/kubernetes/..., would be created on the host.
volumePluginDir: $d/kubelet-plugins
EOF
	# dockershim's kubelet (1.23) refuses fields it does not know, and its
	# runtime is chosen by flags (node.sh); Docker writes the pod logs and
	# the kubelet links them from its own /var/log/pods.
	[[ $(real_runtime "$n") == docker ]] && return 0
	cat >>"$d/kubelet.yaml" <<EOF
# W2: this host is cgroup v1 (hybrid).
failCgroupV1: false
# Through the node's CRI proxy, so that any node can get the relist hang.
containerRuntimeEndpoint: unix://$d/cri.sock
enableSystemLogQuery: true
# Pod logs in the node's own dir: containerd (host mount namespace) writes
# them where the kubelet (its own mount namespace) reads them.
podLogsDir: $d/var/log/pods
EOF
	# An older kubelet (realnode/kubelet130): the node log query is beta and
	# off before 1.36 (GA there, where setting the gate only warns).
	# failCgroupV1 is unknown before 1.31; that kubelet decodes leniently.
	if [[ $(real_field "$n" kubelet) != - ]]; then
		echo "featureGates: {NodeLogQuery: true}" >>"$d/kubelet.yaml"
	fi
}

# real_kubeconfig NODE PORT: the kubelet is system:node:NODE (a static token
# in tokens.csv) and reaches the API server on the host side of the lab.
real_kubeconfig() {
	kubeconfig_to "$(real_dir "$1")/kubelet.kubeconfig" "$1" "$(real_token "$1")" "$2"
}

# real_pods NODE prints the node's pods, namespace NODE, bound by nodeName
# (there is no scheduler), image present on the node (imagePullPolicy Never).
# On a dense node every other pod has a second container that exits after
# 20s and is restarted, so that exited containers pile up (its kubelet keeps
# 50 dead instances per container).
real_pods() {
	local n=$1 count i dense=false
	count=$(real_field "$n" pods)
	[[ $(real_field "$n" maxpods) -lt 110 ]] && dense=true
	for ((i = 0; i < count; i++)); do
		cat <<EOF
---
apiVersion: v1
kind: Pod
metadata:
  name: sleeper-$i
  namespace: $n
  labels: {app: sleeper}
spec:
  nodeName: $n
  terminationGracePeriodSeconds: 5
  # The lab has no cluster DNS: ClusterFirst would add a MissingClusterDNS
  # warning event at every pod sync.
  dnsPolicy: Default
  containers:
  - name: sleeper
    image: $WORKLOAD_IMAGE
    imagePullPolicy: Never
EOF
		# All three QoS classes: Burstable, Guaranteed, BestEffort.
		case $((i % 3)) in
		0) echo "    resources: {requests: {cpu: 10m, memory: 8Mi}, limits: {memory: 32Mi}}" ;;
		1) echo "    resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 10m, memory: 16Mi}}" ;;
		esac
		if $dense && ((i % 2 == 0)); then
			cat <<EOF
  - name: crasher
    image: $WORKLOAD_IMAGE
    imagePullPolicy: Never
    args: ["-exit-after=20s", "-exit-code=1"]
EOF
		fi
	done
}
