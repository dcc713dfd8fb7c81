#!/usr/bin/env bash
# hack/deps.sh: install what `make test` needs on a fresh machine of this
# project's kind (Debian, Go on PATH, root), and nothing that is already
# there. `make test` runs it first; .ci/run only calls `make test`.
#
#   etcd-server                  the e2e lab's etcd
#   iproute2, openssl, make      the lab's network namespaces and certificates
#   jq, unzip                    the krew install test
#   curl                         the lab's wait for its Prometheus
#   prometheus                   promtool, for make alerts-test, and the
#                                lab's own Prometheus (the package's daemon is
#                                never started: policy-rc.d forbids it)
#   containerd, runc, containernetworking-plugins, iptables, conntrack
#                                the lab's real nodes (test/e2e/lab.sh)
#   docker.io                    dockerd 20.10 and its CLI, for the real
#                                Docker nodes
#
# Go tools (krew, goreleaser, the e2e kube-apiserver and kubelet) are built
# from the Go module proxy by hack/tools.sh and test/e2e/lab.sh when missing.
set -euo pipefail

need=()
want() { command -v "$1" >/dev/null 2>&1 || need+=("$2"); }
want etcd etcd-server
want ip iproute2
want openssl openssl
want make make
want jq jq
want curl curl
want unzip unzip
want promtool prometheus
want containerd containerd
want runc runc
want iptables iptables
want conntrack conntrack
want dockerd docker.io
[[ -x /usr/lib/cni/bridge ]] || need+=(containernetworking-plugins)

if [[ ${#need[@]} -eq 0 ]]; then
	exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "deps: missing ${need[*]}; run as root (or: sudo apt-get install ${need[*]})" >&2
	exit 1
fi
echo "deps: installing ${need[*]}" >&2
apt-get update -qq
# Packages such as prometheus and containerd must not start their daemons
# here: the tests start what they need, each in its own state directory.
added_policy=
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added_policy=1
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
if [[ -n $added_policy ]]; then rm -f /usr/sbin/policy-rc.d; fi
