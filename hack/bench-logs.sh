#!/usr/bin/env bash
# Log-analysis benchmark (issue: offline diagnosis): kubectl-pleg diagnosing a
# generated 500 MB kubelet log that mixes every format it reads, side by side
# in the same run with `grep -c 'PLEG is not healthy'` on the same file; then
# a 1 GiB log gzipped, as a rotated kubelet.log.1.gz comes (issue 18: read
# streamed, peak RSS goal < 80 MiB), beside `zcat | grep -c`.
# Prints wall time, throughput and peak RSS of each; never fails on figures.
#   BENCH_LOG_SIZE (500Mi)  BENCH_GZ_SIZE (1Gi)  BENCH_RUNS (5)
set -euo pipefail
cd "$(dirname "$0")/.."

size=${BENCH_LOG_SIZE:-500Mi}
gzsize=${BENCH_GZ_SIZE:-1Gi}
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

# The compressed log: read through gzip as it streams, never unpacked whole.
rm -f "$work/kubelet.log"
go run ./hack/genlog -size "$gzsize" | gzip -1 > "$work/kubelet.log.1.gz"
bytes=$(zcat "$work/kubelet.log.1.gz" | wc -c) # gzip -l's size wraps at 4 GiB
echo "gzipped log: $(awk -v b="$bytes" 'BEGIN { printf "%.0f MiB", b / 1048576 }') unpacked, $(stat -c %s "$work/kubelet.log.1.gz" | awk '{ printf "%.0f MiB", $1 / 1048576 }') on disk"
run zcat-grep sh -c "zcat '$work/kubelet.log.1.gz' | grep -c 'PLEG is not healthy'"
run kubectl-pleg-gz "$work/kubectl-pleg" diagnose -f "$work/kubelet.log.1.gz" -o json
ratio=$(awk -v g="$(cat "$work/zcat-grep.median")" -v p="$(cat "$work/kubectl-pleg-gz.median")" 'BEGIN { printf "%.2f", g / p }')
echo "kubectl-pleg on .gz = ${ratio}x zcat|grep's throughput (peak RSS goal < 80 MiB)"
