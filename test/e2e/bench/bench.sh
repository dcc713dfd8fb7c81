#!/usr/bin/env bash
# make bench: how long one `kubectl pleg diagnose` takes against a slow kubelet,
# compared with what an engineer runs by hand, in the e2e lab (needs root, like
# the e2e suite).
#
# Against the lab node $BENCH_NODE (default tardy-kubelet: PLEG stale, every
# kubelet answer 200ms late) it times, $BENCH_RUNS times each (default 10, after
# $BENCH_WARMUP warm-up runs, default 1), with hyperfine when it can be had
# (Debian package `hyperfine`), else (or with BENCH_TIMER=loop) with a loop over `date +%s.%N`:
#   a. kubectl pleg diagnose NODE -o json   (all sources collected concurrently)
#   b. bench/by-hand.sh NODE                (describe node, then the kubelet's log,
#                                            metrics and stats, one after another)
#   c. each of those three kubelet requests alone; the slowest is the floor
#   and, for reference, diagnose on $BENCH_BASE_NODE (default pleg-stalled: the
#   same node without latency), i.e. the plugin's own cost
# and prints mean ± stddev, the ratios a/b (goal ≤ 0.5) and a/c (goal ≤ 1.5),
# the API requests of one diagnosis (from the lab's audit log) and its peak RSS.
#
# A benchmark, not a test: it never fails on the figures. It exits non-zero
# only when something could not run. It brings the lab up when none is
# running, and then takes it down again; a running lab is reused and left up.
# All traffic stays on this machine (the lab's API server and network namespace).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E="$(dirname "$BENCH")"
ROOT="$(cd "$E2E/../.." && pwd)"
export PLEG_LAB_DIR="${PLEG_LAB_DIR:-/tmp/pleg-lab}"
# A lab brought up here has no real nodes unless asked: their kubelets and
# containerds would share the CPUs being measured.
export PLEG_LAB_REAL="${PLEG_LAB_REAL:-0}"
STATE=$PLEG_LAB_DIR
NODE="${BENCH_NODE:-tardy-kubelet}"
RUNS="${BENCH_RUNS:-10}"
WARMUP="${BENCH_WARMUP:-1}"
BASE="${BENCH_BASE_NODE:-pleg-stalled}"
TIMER="${BENCH_TIMER:-hyperfine}"

log() { echo "bench: $*" >&2; }
die() {
	log "$*"
	exit 1
}

tmp=$(mktemp -d /tmp/kubectl-pleg-bench.XXXXXX)
started=""
cleanup() {
	local rc=$?
	if [[ -n $started ]]; then
		log "taking down the lab this run brought up"
		"$E2E/lab.sh" down || true
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# apt_install PKG: install a Debian package (the list is refreshed only when needed).
apt_install() {
	command -v apt-get >/dev/null || return 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1; }
}

command -v jq >/dev/null || apt_install jq || die "jq is needed (apt-get install jq)"
if [[ $TIMER == hyperfine ]] && ! command -v hyperfine >/dev/null; then
	log "installing hyperfine"
	apt_install hyperfine || log "no hyperfine: timing with a date +%s.%N loop instead"
fi

# 1. The lab.
if ! "$E2E/lab.sh" status; then
	log "no lab running: bringing one up (taken down at the end)"
	started=1
	"$E2E/lab.sh" up || die "lab.sh up failed"
fi
eval "$("$E2E/lab.sh" env)"
kubectl get node "$NODE" -o name >/dev/null 2>&1 ||
	die "node $NODE is not in the lab (started before test/e2e/scenarios/$NODE existed?): restart it with make lab-down lab"
kubectl get --raw "/api/v1/nodes/$NODE/proxy/healthz" >/dev/null 2>&1 ||
	die "the node proxy does not reach $NODE's simulated kubelet (lab started before test/e2e/scenarios/$NODE existed?): restart it with make lab-down lab"
latency=$(sed -n 's/^ *latency: *//p' "$E2E/scenarios/$NODE/scenario.yaml" 2>/dev/null | head -1)

# 2. The plugin, first on PATH, as a user installs it.
mkdir -p "$tmp/bin"
log "building the plugin"
(cd "$ROOT" && go build -o "$tmp/bin/kubectl-pleg" ./cmd/kubectl-pleg) || die "go build ./cmd/kubectl-pleg failed"
export PATH="$tmp/bin:$PATH"
[[ $(command -v kubectl-pleg) == "$tmp/bin/kubectl-pleg" ]] || die "kubectl-pleg on PATH is not the one just built"

# Each command runs once before timing: a failure stops the benchmark here,
# with its message, instead of being timed. diagnose exits 0, 2 or 3 by
# design (1 = the tool failed).
diag=(kubectl pleg diagnose "$NODE" -o json)
set +e
"${diag[@]}" >"$tmp/diag.json" 2>"$tmp/diag.err"
rc=$?
set -e
if [[ $rc -ne 0 && $rc -ne 2 && $rc -ne 3 ]] || ! jq -e .kind "$tmp/diag.json" >/dev/null 2>&1; then
	cat "$tmp/diag.err" >&2
	die "${diag[*]} failed (exit $rc)"
fi
verdict=$(jq -r '.verdict + " (exit '"$rc"'), sources: " + ([.sources[] | .name + "=" + .status] | join(" "))' "$tmp/diag.json")
"$BENCH/by-hand.sh" "$NODE" || die "by-hand.sh $NODE failed"
declare -A req=(
	[logs]="/api/v1/nodes/$NODE/proxy/logs/?query=kubelet"
	[metrics]="/api/v1/nodes/$NODE/proxy/metrics"
	[stats]="/api/v1/nodes/$NODE/proxy/stats/summary"
)
for k in logs metrics stats; do
	kubectl get --raw "${req[$k]}" >/dev/null || die "kubectl get --raw ${req[$k]} failed"
done

# 3. Timing. names[i] is timed with cmds[i]; results go to $tmp/results as
# "name mean stddev min max runs median" (seconds).
names=(diagnose by-hand logs metrics stats)
cmds=(
	"kubectl pleg diagnose $NODE -o json"
	"'$BENCH/by-hand.sh' $NODE"
	"kubectl get --raw ${req[logs]}"
	"kubectl get --raw ${req[metrics]}"
	"kubectl get --raw ${req[stats]}"
)
# The reference row is optional: skipped when the lab has no such node.
if [[ -n $BASE && $BASE != "$NODE" ]]; then
	set +e
	kubectl pleg diagnose "$BASE" -o json >/dev/null 2>&1
	rc=$?
	set -e
	if [[ $rc -eq 0 || $rc -eq 2 || $rc -eq 3 ]]; then
		names+=(base)
		cmds+=("kubectl pleg diagnose $BASE -o json")
	else
		log "no reference row: kubectl pleg diagnose $BASE exits $rc"
	fi
fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if [[ $TIMER == hyperfine ]] && command -v hyperfine >/dev/null; then
	tool="hyperfine $(hyperfine --version | awk '{print $2}')"
	args=()
	for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
	# -N: no intermediate shell; -i: diagnose exits 3 on this node by design
	# (every command already ran once above, so a real failure was caught there).
	hyperfine -N -i --runs "$RUNS" --warmup "$WARMUP" --export-json "$tmp/hyperfine.json" "${args[@]}" >&2 ||
		die "hyperfine failed"
	jq -r '.results[] | [.command, .mean, .stddev, .min, .max, (.times | length), .median] | @tsv' "$tmp/hyperfine.json" >"$tmp/results"
else
	tool="date +%s.%N loop"
	: >"$tmp/results"
	for i in "${!names[@]}"; do
		log "timing ${names[$i]}: ${cmds[$i]}"
		: >"$tmp/times"
		for ((r = 0; r < WARMUP + RUNS; r++)); do
			t0=$(date +%s.%N)
			eval "${cmds[$i]}" >/dev/null 2>&1 || true
			t1=$(date +%s.%N)
			if ((r >= WARMUP)); then echo "$t0 $t1" >>"$tmp/times"; fi
		done
		awk '{ printf "%.9f\n", $2 - $1 }' "$tmp/times" | sort -g |
			awk -v n="${names[$i]}" '{ t[NR] = $1; s += $1 }
				END { m = s / NR; for (i = 1; i <= NR; i++) v += (t[i] - m)^2
				      med = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
				      printf "%s\t%.9f\t%.9f\t%.9f\t%.9f\t%d\t%.9f\n", n, m, (NR > 1 ? sqrt(v / (NR - 1)) : 0), t[1], t[NR], NR, med }' \
				>>"$tmp/results"
	done
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# 4. API requests of one diagnosis, from the audit log: the events this run
# appends whose user agent starts with kubectl-pleg, stage ResponseComplete.
audit="$STATE/audit.log"
[[ -f $audit ]] || die "no audit log at $audit"
before=$(wc -l <"$audit")
"${diag[@]}" >/dev/null 2>&1 || true
sleep 1 # the audit backend may finish a line just after the response
tail -n +$((before + 1)) "$audit" |
	jq -c 'select(.stage == "ResponseComplete" and ((.userAgent // "") | startswith("kubectl-pleg")))
	       | {verb, uri: .requestURI, code: .responseStatus.code}' >"$tmp/audit" || die "cannot read $audit"
napi=$(wc -l <"$tmp/audit")
nnode=$(jq -r --arg n "$NODE" 'select(.uri | contains($n)) | .uri' "$tmp/audit" | wc -l)
verbs=$(jq -r .verb "$tmp/audit" | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')

# 5. Peak RSS of one diagnosis: the plugin binary alone, and through kubectl
# (which execs the plugin, so its figure is the larger of the two processes).
rss() { # FILE CMD...: peak RSS in KiB of CMD
	local f=$1
	shift
	if [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; then
		/usr/bin/time -v -o "$f.time" "$@" >/dev/null 2>&1 || true
		sed -n 's/.*Maximum resident set size (kbytes): *//p' "$f.time"
	else
		(cd "$E2E" && go build -o "$tmp/maxrss" ./bench/maxrss) >&2 || return 1
		"$tmp/maxrss" -o "$f" "$@" >/dev/null 2>&1 || true
		cat "$f"
	fi
}
if [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; then rss_tool="/usr/bin/time -v"; else rss_tool="getrusage (bench/maxrss)"; fi
rss_plugin=$(rss "$tmp/rss1" kubectl-pleg diagnose "$NODE" -o json) || rss_plugin=""
rss_kubectl=$(rss "$tmp/rss2" "${diag[@]}") || rss_kubectl=""
[[ -n $rss_plugin ]] || die "could not measure the peak RSS"

# 6. The table.
awk -F'\t' -v node="$NODE" -v latency="${latency:-none}" -v runs="$RUNS" -v warmup="$WARMUP" \
	-v tool="$tool" -v cpus="$(nproc)" -v lb="$load_before" -v la="$load_after" \
	-v napi="$napi" -v nnode="$nnode" -v verbs="$verbs" -v verdict="$verdict" \
	-v rssp="$rss_plugin" -v rssk="$rss_kubectl" -v rsstool="$rss_tool" -v base="$BASE" '
	{ mean[$1] = $2; sd[$1] = $3; mn[$1] = $4; mx[$1] = $5; n[$1] = $6; med[$1] = $7 }
	function row(label, k) {
		printf "  %-50s %8.3f ± %5.3f   %6.3f   %6.3f … %6.3f  (%d runs)\n", label, mean[k], sd[k], med[k], mn[k], mx[k], n[k]
	}
	function goal(a, b, g, r) {
		r = mean[a] / mean[b]
		return sprintf("%.2f  (goal ≤ %.1f: %s; ratio of medians %.2f)", r, g, r <= g ? "met" : "NOT met", med[a] / med[b])
	}
	END {
		slow = "logs"
		if (mean["metrics"] > mean[slow]) slow = "metrics"
		if (mean["stats"] > mean[slow]) slow = "stats"
		label["logs"] = "logs/?query=kubelet"; label["metrics"] = "metrics"; label["stats"] = "stats/summary"
		printf "kubectl-pleg bench: node %s (kubelet latency %s per request), %d runs + %d warm-up each, %s\n", node, latency, runs, warmup, tool
		printf "machine: %d CPUs, load average %s before, %s after\n", cpus, lb, la
		printf "diagnosis: %s\n\n", verdict
		printf "  %-50s %s\n", "wall time (s)", "    mean ±    sd   median      min …    max"
		row("a. kubectl pleg diagnose -o json", "diagnose")
		row("b. by hand: describe, logs, metrics, stats", "by-hand")
		row("c. slowest request alone: " label[slow], slow)
		split("logs metrics stats", ks, " ")
		for (i = 1; i <= 3; i++) if (ks[i] != slow) row("   (" label[ks[i]] " alone)", ks[i])
		if ("base" in mean) row("   (reference: diagnose " base ", no latency)", "base")
		printf "\n  diagnose / by hand          = %s\n", goal("diagnose", "by-hand", 0.5)
		printf "  diagnose / slowest request  = %s\n", goal("diagnose", slow, 1.5)
		printf "  API requests per diagnosis  = %d (%s; %d name the node)  [audit log, userAgent kubectl-pleg*, ResponseComplete]\n", napi, verbs, nnode
		printf "  peak RSS of one diagnosis   = %.1f MiB kubectl-pleg alone", rssp / 1024
		if (rssk != "") printf ", %.1f MiB as kubectl pleg", rssk / 1024
		printf "  [%s]\n", rsstool
	}' "$tmp/results"
echo
echo "API requests of one diagnosis (verb code requestURI):"
jq -r '"  " + .verb + " " + (.code | tostring) + " " + .uri' "$tmp/audit"
