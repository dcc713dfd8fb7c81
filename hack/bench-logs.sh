#!/usr/bin/env bash
# Log-analysis benchmark (issue: offline diagnosis): kubectl-pleg diagnosing a
# generated 500 MB kubelet log that mixes every format it reads, side by side
# in the same run with `grep -c 'PLEG is not healthy'` on the same file.
# Prints wall time, throughput and peak RSS of each; never fails on figures.
#   BENCH_LOG_SIZE (500Mi)  BENCH_RUNS (5)
set -euo pipefail
cd "$(dirname "$0")/.."

size=${BENCH_LOG_SIZE:-500Mi}
runs=${BENCH_RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/kubectl-pleg" ./cmd/kubectl-pleg
go run ./hack/genlog -size "$size" > "$work/kubelet.log"
bytes=$(stat -c %s "$work/kubelet.log")
cat "$work/kubelet.log" > /dev/null # both read from the page cache

# run NAME CMD...: best and median wall time and max peak RSS over $runs runs.
# Output goes to a file, not /dev/null: GNU grep stops at the first match
# when it writes to /dev/null.
run() {
  local name=$1; shift
  local walls=() rss=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -q -f "%e %M" -o "$work/time" "$@" > "$work/out" 2>/dev/null || true
    read -r wall kb < "$work/time"
    walls+=("$wall"); (( kb > rss )) && rss=$kb
  done
  sorted=$(printf '%s\n' "${walls[@]}" | sort -n)
  best=$(head -1 <<<"$sorted"); median=$(sed -n "$(( (runs + 1) / 2 ))p" <<<"$sorted")
  mbps=$(awk -v b="$bytes" -v s="$median" 'BEGIN { printf "%.0f", b / 1048576 / s }')
  printf '%-28s best %6.2fs  median %6.2fs  %6s MiB/s  peak RSS %5.1f MiB\n' "$name" "$best" "$median" "$mbps" "$(awk -v k="$rss" 'BEGIN{print k/1024}')"
  echo "$median" > "$work/$name.median"
}

echo "log: $(awk -v b="$bytes" 'BEGIN { printf "%.0f MiB", b / 1048576 }'), $(wc -l < "$work/kubelet.log") lines; $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
run grep grep -c 'PLEG is not healthy' "$work/kubelet.log"
run kubectl-pleg "$work/kubectl-pleg" diagnose -f "$work/kubelet.log" -o json
ratio=$(awk -v g="$(cat "$work/grep.median")" -v p="$(cat "$work/kubectl-pleg.median")" 'BEGIN { printf "%.2f", g / p }')
echo "kubectl-pleg throughput = ${ratio}x grep's (goal >= 0.5x; peak RSS goal < 64 MiB)"
