#!/usr/bin/env bash
# The figures of a translator run: test BLEU and chrF with greedy and beam-5 decoding (with
# the sentences/s of each), cross-checked by the independent Python scorer, the learning
# curve from metrics.jsonl, and a few test examples with their references.
#   scripts/eval_translator.sh runs/bible_en_es [SPLIT]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 RUN_DIR [SPLIT]" >&2; exit 2; }
RUN=$1
SPLIT=${2:-test}
for beam in 1 5; do
  echo "== beam $beam"
  build/apps/attnlab eval "$RUN" --split "$SPLIT" --beam "$beam" | grep -E "bleu|chrf|nll|sentences/s" || true
  /usr/bin/python3 scripts/reference/bleu_chrf.py "$RUN/eval_${SPLIT}_beam$beam.out.txt" "$RUN/eval_${SPLIT}_beam$beam.ref.txt" \
    | sed 's/^/  python: /'
done
echo "== learning curve (step, val nll, val bleu, val chrf; evaluation batches)"
field() { sed -n "s/.*\"$1\":\([-0-9.e+]*\).*/\1/p"; }
grep '"val_bleu"' "$RUN/metrics.jsonl" | while read -r line; do
  printf "  %6s  %.4f  %6.2f  %6.2f\n" "$(echo "$line" | field step)" "$(echo "$line" | field val_nll)" \
    "$(echo "$line" | field val_bleu)" "$(echo "$line" | field val_chrf)"
done
echo "== examples (every 200th $SPLIT pair, beam 5)"
paste -d '\n' "$RUN/eval_${SPLIT}_beam5.src.txt" "$RUN/eval_${SPLIT}_beam5.out.txt" "$RUN/eval_${SPLIT}_beam5.ref.txt" \
  | awk 'NR % 600 >= 1 && NR % 600 <= 3 { print (NR % 3 == 1 ? "source:    " : NR % 3 == 2 ? "output:    " : "reference: ") $0 } NR % 600 == 3 { print "" }'
