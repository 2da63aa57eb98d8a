#!/usr/bin/env bash
# Reproduces one family's flagship figures end to end (prepare the data, train, evaluate on the
# test split, or val where a family has none) and prints its row of docs/results.md.
#   scripts/reproduce.sh gpt|bert|translator|vit|icl|rl|dit [section.key=value ...]
# The overrides go to every training run (e.g. experiment.out_dir=/tmp/r to keep runs/ as it
# is, or trainer.max_iters=20 for a smoke test). Each training runs under /usr/bin/time for its
# wall time and peak RSS. A run directory that exists already is refused by `attnlab train`:
# move it away or pass another experiment.out_dir.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
cd "$(dirname "$0")/.."
FAMILY=$1; shift
OVERRIDES=("$@")
B=build/apps/attnlab
[ -x "$B" ] || { echo "no $B: build first (scripts/build.sh)" >&2; exit 1; }
OUT=runs
for o in "${OVERRIDES[@]}"; do case $o in experiment.out_dir=*) OUT=${o#experiment.out_dir=} ;; esac; done
LOG=$OUT/reproduce
mkdir -p "$LOG"

# train NAME CONFIG [overrides]: the run's wall time and peak RSS in $LOG/NAME.time
train() {
  local name=$1 config=$2; shift 2
  echo "== train $config $* ${OVERRIDES[*]}"
  /usr/bin/time -f "%e %M" -o "$LOG/$name.time" "$B" train "$config" "$@" "${OVERRIDES[@]}" >"$LOG/$name.log" 2>&1 ||
    { tail -20 "$LOG/$name.log" >&2; exit 1; }
}
evaluate() { echo "== eval $*"; "$B" eval "$@" >/dev/null; }

case $FAMILY in
  gpt)
    "$B" data prepare kjv
    train kjv_char configs/gpt/kjv_char.yaml
    evaluate "$OUT/kjv_char" --split val  # the text has train and val only
    train kjv_bpe configs/gpt/kjv_bpe.yaml  # the same model on BPE pieces: compared in bits per character
    evaluate "$OUT/kjv_bpe" --split val ;;
  bert)
    for c in kjv web scofield tdavid; do "$B" data prepare "$c"; done
    train english_mlm configs/bert/english_mlm.yaml
    evaluate "$OUT/english_mlm" --split test
    # Fine-tuned against scratch, with 2,000 labels (two seeds each: the gain against the seed
    # spread) and with all labels.
    for seed in 1337 1338; do
      suffix=""; [ "$seed" = 1337 ] || suffix="_seed$seed"
      for c in english_books_finetune_2k kjv_books_scratch_2k; do
        init=(); case $c in english*) init=("model.init_from=$OUT/english_mlm") ;; esac
        train "$c$suffix" "configs/bert/$c.yaml" "${init[@]}" "experiment.seed=$seed" "experiment.name=$c$suffix"
        evaluate "$OUT/$c$suffix" --split test
      done
    done
    train english_books_finetune configs/bert/english_books_finetune.yaml "model.init_from=$OUT/english_mlm"
    evaluate "$OUT/english_books_finetune" --split test
    train kjv_books_scratch configs/bert/kjv_books_scratch.yaml
    evaluate "$OUT/kjv_books_scratch" --split test ;;
  translator)
    "$B" data prepare bible-en-es
    train bible_en_es configs/translator/bible_en_es.yaml
    evaluate "$OUT/bible_en_es" --split test
    evaluate "$OUT/bible_en_es" --split test --beam 5 ;;
  vit)
    train vit_fashion_mnist configs/vit/fashion_mnist.yaml
    evaluate "$OUT/vit_fashion_mnist" --split test ;;
  icl)
    train icl_linear configs/icl/linear_regression.yaml
    evaluate "$OUT/icl_linear" --split val ;;  # fresh prompts, as docs/icl.md
  rl)
    # CartPole: the Decision Transformer and its two baselines on the same data and budget,
    # evaluated on 20 episodes a target from starts no checkpoint was chosen on (seed 1).
    "$B" data prepare cartpole
    for c in cartpole_bc cartpole_filtered_bc cartpole_dt; do
      train "$c" "configs/rl/$c.yaml"
    done
    evaluate "$OUT/cartpole_bc" --rollout-seed 1 --episodes 20
    evaluate "$OUT/cartpole_filtered_bc" --rollout-seed 1 --episodes 20
    evaluate "$OUT/cartpole_dt" --rollout-seed 1 --episodes 20 --baseline "$OUT/cartpole_bc" \
      --baseline "$OUT/cartpole_filtered_bc"
    # The grid: stitching, where no logged episode is optimal.
    "$B" data prepare key_door_grid
    for c in key_door_grid_bc key_door_grid_filtered_bc key_door_grid_dt; do
      train "$c" "configs/rl/$c.yaml"
      evaluate "$OUT/$c" --rollout-seed 1 --episodes 32
    done ;;
  dit)
    # The judge (the ViT recipe, shortened: 91.7% val), then the DiT it scores at every
    # evaluation; the test figures on 1,000 samples of 50 DDIM steps at guidance 1, 2 and 4.
    train vit_judge configs/vit/fashion_mnist.yaml experiment.name=vit_judge trainer.max_iters=6000
    evaluate "$OUT/vit_judge" --split test
    train dit_fashion_mnist configs/dit/fashion_mnist.yaml "model.judge=$OUT/vit_judge"
    for g in 1 2 4; do
      evaluate "$OUT/dit_fashion_mnist" --split test --samples 1000 --sample-steps 50 --guidance "$g"
    done
    for g in 1 4; do "$B" sample "$OUT/dit_fashion_mnist" --n 10 --steps 50 --guidance "$g"; done ;;
  *) echo "unknown family '$FAMILY': gpt, bert, translator, vit, icl, rl or dit" >&2; exit 2 ;;
esac

/usr/bin/python3 scripts/results_row.py "$FAMILY" "$OUT" "$LOG"
