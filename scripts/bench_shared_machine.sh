#!/usr/bin/env bash
# Speed on a shared machine: each program's whole-process wall time on a quiet machine and with
# one core taken by another process (a busy loop, standing for a second user's job, a build or
# a second experiment), run alternately ROUNDS times so that both conditions see the same
# machine; then two attnlab trainings started together against one alone. Prints every run and
# a table of medians with each program's slowdown (busy / quiet). docs/bench.md holds the result.
#   scripts/bench_shared_machine.sh                 # 300 iterations of configs/gpt/kjv_char.yaml
#   ITERS=500 ROUNDS=3 scripts/bench_shared_machine.sh
#   PROGRAMS="auto fp32" scripts/bench_shared_machine.sh    # a subset (default: all below)
# Programs: nanogpt (scripts/reference/nanogpt_char.py, fp32 as it ships for CPU), fp32 and auto
# (attnlab train in experiment.precision=fp32 and in the config's default, auto), gen-fp32 and
# gen-auto (attnlab generate of 500 tokens from a short run of each precision), pair (two auto
# trainings at once; its "busy" column is the slower of the two, its "quiet" one alone).
set -euo pipefail
cd "$(dirname "$0")/.."
ITERS=${ITERS:-300} ROUNDS=${ROUNDS:-3} TOKENS=${TOKENS:-500}
PROGRAMS=${PROGRAMS:-"nanogpt fp32 auto gen-fp32 gen-auto pair"}
ATTNLAB=${ATTNLAB:-build/apps/attnlab}
DATA=data/kjv/kjv.txt
[ -f "$DATA" ] || { echo "$DATA is missing: run $ATTNLAB data prepare kjv" >&2; exit 1; }
[ -x "$ATTNLAB" ] || { echo "$ATTNLAB is missing: run scripts/build.sh" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
OUT=$(mktemp -d /tmp/attnlab-shared-XXXXXX)
BUSY_PID=""
cleanup() { [ -n "$BUSY_PID" ] && kill "$BUSY_PID" 2>/dev/null; rm -rf "$OUT"; }
trap cleanup EXIT

wall_s() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$1"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
train_args() {  # NAME PRECISION: a run of the small recipe, one evaluation at the end (as nanoGPT's)
  echo configs/gpt/kjv_char.yaml experiment.out_dir="$OUT" experiment.name="$1" trainer.max_iters="$ITERS" \
    trainer.eval_interval="$ITERS" trainer.eval_iters=20 trainer.checkpoint_interval="$ITERS" \
    trainer.log_interval=100 ${2:+experiment.precision=$2}
}
# Runs one program once; prints its wall time in seconds.
run_program() {  # PROGRAM TAG
  local t="$OUT/$2.time"
  case $1 in
    nanogpt) /usr/bin/time -v -o "$t" /usr/bin/python3 scripts/reference/nanogpt_char.py "$DATA" "$ITERS" \
               --recipe small --eval nanogpt --eval-iters 20 --eval-interval "$ITERS" > "$OUT/$2.log" 2>&1 ;;
    fp32) /usr/bin/time -v -o "$t" "$ATTNLAB" train $(train_args "$2" fp32) > "$OUT/$2.log" 2>&1 ;;
    auto) /usr/bin/time -v -o "$t" "$ATTNLAB" train $(train_args "$2") > "$OUT/$2.log" 2>&1 ;;
    gen-fp32|gen-auto) /usr/bin/time -v -o "$t" "$ATTNLAB" generate "$OUT/src-${1#gen-}" --prompt "And God said" \
               --max-new-tokens "$TOKENS" --seed 1 > "$OUT/$2.log" 2>&1 ;;
    pair) local t2="$OUT/$2.b.time"
          /usr/bin/time -v -o "$t" "$ATTNLAB" train $(train_args "$2.a") > "$OUT/$2.a.log" 2>&1 &
          local a=$!
          /usr/bin/time -v -o "$t2" "$ATTNLAB" train $(train_args "$2.b") > "$OUT/$2.b.log" 2>&1
          wait $a
          awk -v a="$(wall_s "$t")" -v b="$(wall_s "$t2")" 'BEGIN {print (a > b ? a : b)}'; return ;;
    *) echo "unknown program $1" >&2; exit 2 ;;
  esac || { echo "$1 failed; its log:" >&2; tail -20 "$OUT/$2.log" >&2; exit 1; }
  wall_s "$t"
}
start_busy() { /usr/bin/python3 -c "while True: pass" & BUSY_PID=$!; sleep 0.5; }
stop_busy() { kill "$BUSY_PID"; wait "$BUSY_PID" 2>/dev/null || true; BUSY_PID=""; }

# Short runs to sample from (generate's time is its own: loading, prompt, TOKENS tokens).
for p in $PROGRAMS; do
  case $p in gen-fp32) "$ATTNLAB" train $(train_args src-fp32 fp32) trainer.max_iters=50 > /dev/null ;;
             gen-auto) "$ATTNLAB" train $(train_args src-auto) trainer.max_iters=50 > /dev/null ;; esac
done
echo "$(nproc) cores; $ITERS iterations of configs/gpt/kjv_char.yaml; generate $TOKENS tokens; $ROUNDS rounds"
printf "%-9s %-6s %-6s %9s\n" program round load wall_s
for round in $(seq 1 "$ROUNDS"); do
  for p in $PROGRAMS; do
    for load in quiet busy; do
      if [ "$p" = pair ]; then  # quiet: one training alone; busy: two trainings at once
        if [ $load = quiet ]; then s=$(run_program auto "pair-alone-$round"); else s=$(run_program pair "pair-$round"); fi
      else
        [ $load = busy ] && start_busy
        s=$(run_program "$p" "$p-$load-$round")
        [ $load = busy ] && stop_busy
      fi
      printf "%-9s %-6s %-6s %9.1f\n" "$p" "$round" "$load" "$s"
      echo "$s" >> "$OUT/$p.$load"
    done
  done
done
echo
echo "medians of $ROUNDS rounds (pair: quiet = one training alone, busy = the slower of two started together)"
printf "%-9s %9s %9s %9s\n" program quiet_s busy_s slowdown
for p in $PROGRAMS; do
  q=$(median < "$OUT/$p.quiet") b=$(median < "$OUT/$p.busy")
  awk -v p="$p" -v q="$q" -v b="$b" 'BEGIN {printf "%-9s %9.1f %9.1f %8.2fx\n", p, q, b, b / q}'
done
