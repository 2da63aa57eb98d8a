#!/usr/bin/env bash
# Multi-process training measured on this machine: the GPT experiment on 1 process with the
# global batch, then on 2 processes with half of it each (launched by hand on 127.0.0.1, and
# through torchrun), for STEPS steps. Prints ms/step, the step's sync and gradient all-reduce
# times, and how far the 2-process loss curves are from the 1-process one (docs/distributed.md).
# Usage: scripts/bench_distributed.sh [STEPS] [key=value ...]   (overrides for all runs)
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-200}
shift || true
BIN=${ATTNLAB_BIN:-build/apps/attnlab}  # a copy keeps a long measurement safe from rebuilds
CONFIG=configs/gpt/kjv_char.yaml
OUT=runs/distributed
BATCH=$(grep -E '^\s+batch_size:' "$CONFIG" | head -1 | awk '{print $2}')
[ -x "$BIN" ] || scripts/build.sh
[ -f data/kjv/kjv.txt ] || "$BIN" data prepare kjv
rm -rf "$OUT"
common=(experiment.out_dir=$OUT trainer.max_iters=$STEPS trainer.eval_interval=$STEPS trainer.log_interval=10 "$@")
PORT=$((29500 + RANDOM % 1000))

echo "== 1 process, batch $BATCH"
"$BIN" train "$CONFIG" "${common[@]}" experiment.name=one trainer.batch_size=$BATCH > "$OUT.one.log" 2>&1 || { cat "$OUT.one.log"; exit 1; }

echo "== 2 processes by hand, batch $((BATCH / 2)) each"
for r in 0 1; do
  RANK=$r WORLD_SIZE=2 LOCAL_RANK=$r MASTER_ADDR=127.0.0.1 MASTER_PORT=$PORT timeout 3600 \
    "$BIN" train "$CONFIG" "${common[@]}" experiment.name=hand trainer.batch_size=$((BATCH / 2)) > "$OUT.hand.$r.log" 2>&1 &
done
wait

echo "== 2 processes through torchrun, batch $((BATCH / 2)) each"
# -r 2 -t 2: Debian's torchrun on Python 3.11 fails with its default redirects (docs/distributed.md).
timeout 3600 torchrun --standalone --nproc_per_node=2 -r 2 -t 2 --log_dir "$OUT/torchrun-logs" --no_python \
  "$BIN" train "$CONFIG" "${common[@]}" experiment.name=torchrun trainer.batch_size=$((BATCH / 2)) > "$OUT.torchrun.log" 2>&1

/usr/bin/python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def read(name):
    recs = [json.loads(l) for l in open(f"{out}/{name}/metrics.jsonl")]
    steps = [r for r in recs if "ms_per_step" in r][1:]  # the first window holds the warm-up
    evals = [r for r in recs if "val_loss" in r]
    med = lambda k: statistics.median(r[k] for r in steps) if steps and k in steps[0] else 0.0
    return {"loss": {r["step"]: r["loss"] for r in recs if "ms_per_step" in r}, "val": evals[-1]["val_loss"],
            "ms": med("ms_per_step"), "sync": med("sync_ms_per_step"), "ar": med("allreduce_ms_per_step"),
            "tok": med("tokens_per_s")}
one = read("one")
print(f"{'run':10} {'ms/step':>8} {'sync ms':>8} {'all-reduce ms':>14} {'tok/s':>8} {'final val loss':>15} {'max |dloss|':>12}")
for name in ["one", "hand", "torchrun"]:
    r = read(name)
    dl = max(abs(r["loss"][s] - one["loss"][s]) for s in one["loss"])
    print(f"{name:10} {r['ms']:8.1f} {r['sync']:8.1f} {r['ar']:14.2f} {r['tok']:8.0f} {r['val']:15.4f} {dl:12.2e}")
PY
