#!/usr/bin/env bash
# attnlab against nanoGPT (scripts/reference/nanogpt_char.py: nanoGPT's model.py/train.py on the
# same LibTorch kernels) on the same text, recipe and iterations, whole process each, run
# alternately ROUNDS times so that both see the same machine. Prints wall time, median
# ms/step, peak RSS and the final val loss of every run, and the attnlab/nanoGPT ratios of the
# medians.
#   scripts/bench_vs_nanogpt.sh small 500            # configs/gpt/kjv_char.yaml
#   scripts/bench_vs_nanogpt.sh large 30             # nanoGPT's Shakespeare recipe at batch 12
#   scripts/bench_vs_nanogpt.sh large 30 --bf16      # attnlab in bf16 against nanoGPT in fp32
#   NANOGPT_BF16=1 scripts/bench_vs_nanogpt.sh large 30 --bf16   # both under CPU autocast to bf16
#   ROUNDS=3 EVAL_ITERS=5 scripts/bench_vs_nanogpt.sh ...
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 small|large ITERS [--bf16]" >&2; exit 2; }
RECIPE=$1 ITERS=$2 BF16=${3:-}
ROUNDS=${ROUNDS:-2} EVAL_ITERS=${EVAL_ITERS:-20}
DATA=data/kjv/kjv.txt
[ -f "$DATA" ] || { echo "$DATA is missing: run build/apps/attnlab data prepare kjv" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
case $RECIPE in
  small) OVERRIDES=(schedule.lr_decay_iters=2000) ;;  # nanogpt_char.py's, whatever ITERS is
  large) OVERRIDES=(model.n_layer=6 model.n_head=6 model.n_embd=384 model.block_size=256 model.dropout=0.2
                    schedule.lr_decay_iters=5000) ;;
  *) echo "recipe must be small or large" >&2; exit 2 ;;
esac
PRECISION=fp32 PYFLAGS=()
[ "$BF16" = --bf16 ] && PRECISION=bf16
[ "$BF16" = --bf16 ] && [ "${NANOGPT_BF16:-0}" = 1 ] && PYFLAGS=(--bf16)
OUT=$(mktemp -d /tmp/attnlab-vs-nanogpt-XXXXXX)
trap 'rm -rf "$OUT"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
wall_s() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$1"; }
rss_mib() { awk -F: '/Maximum resident/ {printf "%.0f", $2/1024}' "$1"; }

printf "%-8s %-6s %9s %11s %9s %9s\n" run round wall_s ms/step rss_MiB val_loss
for round in $(seq 1 "$ROUNDS"); do
  /usr/bin/time -v -o "$OUT/n$round.time" /usr/bin/python3 scripts/reference/nanogpt_char.py "$DATA" "$ITERS" \
    --recipe "$RECIPE" --eval nanogpt --eval-iters "$EVAL_ITERS" --eval-interval "$ITERS" "${PYFLAGS[@]}" > "$OUT/n$round.log"
  n_ms=$(sed -n 's/^median \([0-9.]*\) ms.*/\1/p' "$OUT/n$round.log")
  n_val=$(grep "^step $ITERS:" "$OUT/n$round.log" | sed -n 's/.*val \([0-9.]*\).*/\1/p')
  printf "%-8s %-6s %9s %11s %9s %9s\n" nanogpt "$round" "$(wall_s "$OUT/n$round.time")" "$n_ms" "$(rss_mib "$OUT/n$round.time")" "$n_val"
  echo "$(wall_s "$OUT/n$round.time") $n_ms $(rss_mib "$OUT/n$round.time")" >> "$OUT/nanogpt.txt"

  /usr/bin/time -v -o "$OUT/a$round.time" build/apps/attnlab train configs/gpt/kjv_char.yaml experiment.out_dir="$OUT" \
    experiment.name="a$round" experiment.precision=$PRECISION trainer.max_iters="$ITERS" trainer.eval_interval="$ITERS" \
    trainer.eval_iters="$EVAL_ITERS" trainer.checkpoint_interval="$ITERS" trainer.log_interval=1 "${OVERRIDES[@]}" > "$OUT/a$round.log"
  M="$OUT/a$round/metrics.jsonl"
  a_ms=$(grep '"ms_per_step"' "$M" | tail -n +$((ITERS / 10 + 1)) | sed -n 's/.*"ms_per_step":\([-0-9.e+]*\).*/\1/p' | median)
  a_val=$(grep '"val_loss"' "$M" | tail -1 | sed -n 's/.*"val_loss":\([-0-9.e+]*\).*/\1/p')
  printf "%-8s %-6s %9s %11.1f %9s %9.4f\n" attnlab "$round" "$(wall_s "$OUT/a$round.time")" "$a_ms" "$(rss_mib "$OUT/a$round.time")" "$a_val"
  echo "$(wall_s "$OUT/a$round.time") $a_ms $(rss_mib "$OUT/a$round.time")" >> "$OUT/attnlab.txt"
done
col() { awk -v c="$2" '{print $c}' "$1" | median; }
echo "attnlab ($PRECISION) / nanoGPT (${PYFLAGS[*]:-fp32}) ($RECIPE, $ITERS iterations, medians of $ROUNDS rounds):"
awk -v aw="$(col "$OUT/attnlab.txt" 1)" -v nw="$(col "$OUT/nanogpt.txt" 1)" -v am="$(col "$OUT/attnlab.txt" 2)" \
    -v nm="$(col "$OUT/nanogpt.txt" 2)" -v ar="$(col "$OUT/attnlab.txt" 3)" -v nr="$(col "$OUT/nanogpt.txt" 3)" \
    'BEGIN {printf "  whole process %.2fx (%.1f s vs %.1f s) | ms/step %.2fx (%.1f vs %.1f) | peak RSS %.2fx (%d vs %d MiB)\n", aw/nw, aw, nw, am/nm, am, nm, ar/nr, ar, nr}'
