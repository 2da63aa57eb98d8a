#!/usr/bin/env bash
# Training benchmark: runs `attnlab train CONFIG [overrides]` into a scratch directory under
# /usr/bin/time -v and reports median ms/step and tokens/s (steady state: the first 10% of
# log lines are skipped), peak RSS, wall time and the evaluation table.
#   scripts/bench_train.sh configs/gpt/kjv_char.yaml [key=value ...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 CONFIG [key=value ...]" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
OUT=$(mktemp -d /tmp/attnlab-bench-XXXXXX)
trap 'rm -rf "$OUT"' EXIT
CONFIG=$1; shift
/usr/bin/time -v -o "$OUT/time.txt" build/apps/attnlab train "$CONFIG" experiment.out_dir="$OUT" experiment.name=bench "$@" \
  > "$OUT/train.log"
M="$OUT/bench/metrics.jsonl"
field() { sed -n "s/.*\"$1\":\([-0-9.e+]*\).*/\1/p"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "n/a"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
steps=$(grep -c '"ms_per_step"' "$M")
skip=$((steps / 10))
echo "config:            $CONFIG $*"
echo "threads:           $(grep -o 'threads [^|]*' "$OUT/train.log" | head -1)"
echo "median ms/step:    $(grep '"ms_per_step"' "$M" | tail -n +$((skip + 1)) | field ms_per_step | median)"
echo "median tokens/s:   $(grep '"tokens_per_s"' "$M" | tail -n +$((skip + 1)) | field tokens_per_s | median)"
echo "peak RSS (MiB):    $(awk -F: '/Maximum resident/ {printf "%.0f", $2/1024}' "$OUT/time.txt")"
echo "wall time:         $(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$OUT/time.txt")"
echo "evaluations (step, train loss, val loss):"
grep '"val_loss"' "$M" | while read -r line; do
  printf "  %6s  %.4f  %.4f\n" "$(echo "$line" | field step)" "$(echo "$line" | field train_loss)" \
    "$(echo "$line" | field val_loss)"
done
