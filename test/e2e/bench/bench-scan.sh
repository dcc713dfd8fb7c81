#!/usr/bin/env bash
# make bench-scan: how `kubectl pleg scan` grows with the fleet, in the e2e lab
# (needs root, like the e2e suite).
#
# For each size in $SCAN_SIZES (default "100 300 1000") it registers that many
# generated nodes with $SCAN_PODS pods each (default 30; test/e2e/fleetgen:
# every node points at the healthy scenario's simulated kubelet, so the
# simulator serves them all) and times, $SCAN_RUNS times each (default 3),
# (describe: $SCAN_DESCRIBE_RUNS, default 1; 0 skips it, for large fleets)
# over the same generated nodes:
#   a. kubectl pleg scan -l pleg.kubectl.io/generated=fleet -o json
#   b. kubectl describe nodes -l pleg.kubectl.io/generated=fleet
#   c. kubectl get pods -A -o json          (the floor: the bytes that must cross the wire)
#   d. kubectl pleg scan --prometheus URL -l ... -o json, when the lab runs a
#      Prometheus: the generated nodes' kubelet series are put in it first
#      (kubeletsim's /fleet/metrics, one scrape target per 100 nodes, the
#      healthy scenario's series labelled by node), and the scan asks it a
#      handful of queries for the whole fleet instead of a GET per node
# with the peak RSS of each, the API requests of one scan (audit log) and the
# ratios a/b (goal ≤ 0.3) and a/c (goal ≤ 2). Output goes to /dev/null.
#
# A benchmark, not a test: it never fails on the figures. It brings the lab up
# when none is running (and down at the end); a running lab is reused and left
# up. The generated nodes and pods are deleted at the end (SCAN_KEEP=1 keeps them).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E="$(dirname "$BENCH")"
ROOT="$(cd "$E2E/../.." && pwd)"
export PLEG_LAB_DIR="${PLEG_LAB_DIR:-/tmp/pleg-lab}"
# A lab brought up here has no real nodes unless asked: their kubelets and
# containerds would share the CPUs being measured.
export PLEG_LAB_REAL="${PLEG_LAB_REAL:-0}"
STATE=$PLEG_LAB_DIR
SIZES="${SCAN_SIZES:-100 300 1000}"
PODS="${SCAN_PODS:-30}"
RUNS="${SCAN_RUNS:-3}"
# kubectl describe nodes makes ~4 requests per node, throttled client-side:
# minutes at 1000 nodes, so it runs once unless asked.
DESCRIBE_RUNS="${SCAN_DESCRIBE_RUNS:-1}"
SEL=pleg.kubectl.io/generated=fleet

log() { echo "bench-scan: $*" >&2; }
die() {
	log "$*"
	exit 1
}

tmp=$(mktemp -d /tmp/kubectl-pleg-bench-scan.XXXXXX)
started=""
cleanup() {
	local rc=$?
	[[ ! -f $STATE/prometheus/fleet.json ]] || echo '[]' >"$STATE/prometheus/fleet.json"
	if [[ -z ${SCAN_KEEP:-} && -x $tmp/fleetgen ]]; then
		log "deleting the generated nodes and pods"
		"$tmp/fleetgen" --kubeconfig "$STATE/admin.kubeconfig" --delete || true
	fi
	if [[ -n $started ]]; then
		log "taking down the lab this run brought up"
		"$E2E/lab.sh" down || true
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v jq >/dev/null || die "jq is needed (apt-get install jq)"

if ! "$E2E/lab.sh" status; then
	log "no lab running: bringing one up (taken down at the end)"
	started=1
	"$E2E/lab.sh" up || die "lab.sh up failed"
fi
eval "$("$E2E/lab.sh" env)"

mkdir -p "$tmp/bin"
log "building the plugin, fleetgen and maxrss"
(cd "$ROOT" && go build -o "$tmp/bin/kubectl-pleg" ./cmd/kubectl-pleg) || die "go build ./cmd/kubectl-pleg failed"
(cd "$E2E" && go build -o "$tmp/fleetgen" ./fleetgen && go build -o "$tmp/maxrss" ./bench/maxrss) || die "go build fleetgen/maxrss failed"
export PATH="$tmp/bin:$PATH"

# timed NAME RUNS CMD...: runs CMD RUNS times (stdout to /dev/null), appending
# "NAME seconds rssKiB exit" per run to $tmp/runs.
timed() {
	local name=$1 runs=$2
	shift 2
	for ((r = 0; r < runs; r++)); do
		local t0 t1 rc=0
		t0=$(date +%s.%N)
		"$tmp/maxrss" -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err" || rc=$?
		t1=$(date +%s.%N)
		echo "$name $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $(cat "$tmp/rss" 2>/dev/null || echo 0) $rc" >>"$tmp/runs"
	done
}

# requests SINCE_LINE: the plugin's audited requests after that line, by verb and resource.
requests() {
	sleep 1
	tail -n +$(($1 + 1)) "$STATE/audit.log" |
		jq -r 'select(.stage == "ResponseComplete" and ((.userAgent // "") | startswith("kubectl-pleg")))
		       | .verb + " " + .objectRef.resource + (if .objectRef.subresource then "/" + .objectRef.subresource else "" end)' |
		sort | uniq -c | awk '{printf "%s%s %s %d", (NR > 1 ? ", " : ""), $2, $3, $1}'
}

# A Prometheus in the lab holds the generated nodes' series too (d. above).
prom=$(cat "$STATE/prometheus.url" 2>/dev/null || true)
# fleet_in_prometheus N: one scrape target per 100 generated nodes, then
# waits until Prometheus has every node's series, scraped twice (rates).
fleet_in_prometheus() {
	local n=$1 port ip i
	port=$(kubectl get node healthy -o jsonpath='{.status.daemonEndpoints.kubeletEndpoint.Port}')
	ip=$(kubectl get node healthy -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')
	{
		echo '['
		for ((i = 0; i < n; i += 100)); do
			((i == 0)) || echo ','
			printf '{"targets":["%s:%s"],"labels":{"__param_from":"%d","__param_to":"%d","instance":"fleet-%d"}}' "$ip" "$port" "$i" $((i + 100 < n ? i + 100 : n)) "$i"
		done
		echo ']'
	} >"$STATE/prometheus/fleet.json.tmp"
	mv "$STATE/prometheus/fleet.json.tmp" "$STATE/prometheus/fleet.json"
	log "waiting for Prometheus to scrape the $n generated kubelets twice"
	local q="min(count_over_time(kubelet_pleg_last_seen_seconds{job=\"fleet\"}[5m])) >= 2 and on() count(kubelet_pleg_last_seen_seconds{job=\"fleet\"}) == $n"
	for _ in $(seq 150); do
		[[ $(curl -sf "$prom/api/v1/query" --data-urlencode "query=$q" | jq -r '.data.result | length') == 1 ]] && return 0
		sleep 2
	done
	die "Prometheus has not scraped the $n generated kubelets twice in 5 minutes"
}

: >"$tmp/summary"
for n in $SIZES; do
	log "registering $n nodes × $PODS pods"
	"$tmp/fleetgen" --kubeconfig "$STATE/admin.kubeconfig" --nodes "$n" --pods-per-node "$PODS" >&2 ||
		die "fleetgen failed"
	have=$(kubectl get nodes -l "$SEL" -o name | wc -l)
	[[ $have -eq $n ]] || log "warning: $have generated nodes, want $n (a larger fleet was left by SCAN_KEEP?)"
	pods=$(kubectl get pods -A --no-headers 2>/dev/null | wc -l)

	# One scan first: a failure stops here with its message instead of being timed.
	before=$(wc -l <"$STATE/audit.log")
	set +e
	kubectl pleg scan -l "$SEL" -o json >"$tmp/scan.json" 2>"$tmp/scan.err"
	rc=$?
	set -e
	if [[ $rc -eq 1 ]] || ! jq -e '.kind == "DiagnosisList"' "$tmp/scan.json" >/dev/null; then
		cat "$tmp/scan.err" >&2
		die "kubectl pleg scan failed (exit $rc)"
	fi
	reqs=$(requests "$before")
	items=$(jq '.items | length' "$tmp/scan.json")

	: >"$tmp/runs"
	log "timing at $n nodes ($pods pods in the cluster): $RUNS runs of scan and get pods, $DESCRIBE_RUNS of describe nodes"
	timed scan "$RUNS" kubectl pleg scan -l "$SEL" -o json
	timed floor "$RUNS" kubectl get pods -A -o json
	timed describe "$DESCRIBE_RUNS" kubectl describe nodes -l "$SEL"
	# Last, and taken out of Prometheus again after: scraping and
	# evaluating the rules over the fleet's series takes a CPU of this
	# machine, which the other timings would share.
	promreqs=""
	if [[ -n $prom ]]; then
		fleet_in_prometheus "$n"
		before=$(wc -l <"$STATE/audit.log")
		kubectl pleg scan --prometheus "$prom" -l "$SEL" -o json >"$tmp/scan-prom.json" 2>"$tmp/scan-prom.err" || true
		jq -e --argjson n "$n" '[.items[] | .sources[] | select(.name == "metrics" and .status == "ok")] | length == $n' "$tmp/scan-prom.json" >/dev/null ||
			{ cat "$tmp/scan-prom.err" >&2; die "scan --prometheus did not read every node's metrics from Prometheus"; }
		promreqs=$(requests "$before")
		timed prom "$RUNS" kubectl pleg scan --prometheus "$prom" -l "$SEL" -o json
		echo '[]' >"$STATE/prometheus/fleet.json"
	fi
	awk -v n="$n" -v pods="$pods" -v items="$items" -v reqs="$reqs" -v promreqs="$promreqs" '
		{ s[$1] += $2; if ($3 > r[$1]) r[$1] = $3; c[$1]++; if ($4 != 0 && $4 != 2 && $4 != 3) bad[$1] = $4 }
		function reqcount(s,   parts, k, total, f) {
			k = split(s, parts, ", ")
			for (; k > 0; k--) { split(parts[k], f, " "); total += f[3] }
			return total
		}
		END {
			for (k in s) m[k] = s[k] / c[k]
			describe = "not run (SCAN_DESCRIBE_RUNS=0)"
			if (c["describe"] > 0)
				describe = sprintf("%.2fs %.1f MiB | scan/describe %.2f (goal ≤ 0.3)", m["describe"], r["describe"] / 1024, m["scan"] / m["describe"])
			printf "%5d nodes, %6d pods | scan %7.2fs %6.1f MiB | get pods -A -o json %6.2fs %6.1f MiB | scan/floor %.2f (goal ≤ 2) | describe nodes %s\n",
				n, pods, m["scan"], r["scan"] / 1024, m["floor"], r["floor"] / 1024, m["scan"] / m["floor"], describe
			printf "       scan diagnosed %d nodes; its API requests: %s (%.1f per node)\n", items, reqs, reqcount(reqs) / n
			if (c["prom"] > 0)
				printf "       scan --prometheus %.2fs %.1f MiB (goal ≤ 5s); its API requests: %s\n", m["prom"], r["prom"] / 1024, promreqs
			for (k in bad) printf "       warning: %s exited %s in a timed run\n", k, bad[k]
		}' "$tmp/runs" | tee -a "$tmp/summary" >&2
done

echo
echo "kubectl-pleg bench-scan: mean wall time ($RUNS runs of scan and get pods, $DESCRIBE_RUNS of describe) and peak RSS, $PODS pods per generated node, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$tmp/summary"
