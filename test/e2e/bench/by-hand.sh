#!/usr/bin/env bash
# What the on-call engineer does by hand for a "PLEG is not healthy" node:
# the node and its events, then the kubelet's log, metrics and stats through
# the node proxy, one after another. Timed by bench.sh against `kubectl pleg diagnose`.
#
#   test/e2e/bench/by-hand.sh NODE        (KUBECONFIG must point at the lab)
set -euo pipefail
node=${1:?usage: $0 NODE}
kubectl describe node "$node" >/dev/null
kubectl get --raw "/api/v1/nodes/$node/proxy/logs/?query=kubelet" >/dev/null
kubectl get --raw "/api/v1/nodes/$node/proxy/metrics" >/dev/null
kubectl get --raw "/api/v1/nodes/$node/proxy/stats/summary" >/dev/null
