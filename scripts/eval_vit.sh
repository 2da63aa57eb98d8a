#!/usr/bin/env bash
# The figures of a ViT run: val and test accuracy with each class's accuracy and the confusion
# matrix, inference images/s, the attention-map picture of the first 16 test images, the
# PyTorch cross-check of the test confusion matrix, and the run's training speed and data
# time per step from metrics.jsonl.
#   scripts/eval_vit.sh runs/vit_fashion_mnist
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 RUN_DIR" >&2; exit 2; }
RUN=$1
build/apps/attnlab eval "$RUN" --split val | grep -E "examples|accuracy" | head -3
build/apps/attnlab eval "$RUN" --split test --attention-maps 16
field() { sed -n "s/.*\"$1\": *\([-0-9.e+]*\).*/\1/p"; }
echo "inference: $(tr -d '\n' < "$RUN/eval_test.json" | field examples_per_second | cut -d. -f1) images/s" \
  "(the whole test split in $(tr -d '\n' < "$RUN/eval_test.json" | field seconds | cut -c1-5) s, batches of the run's batch_size)"
if /usr/bin/python3 -c "import torch, yaml" 2>/dev/null; then
  /usr/bin/python3 scripts/reference/vit_fashion_mnist.py "$RUN" --split test | sed 's/^/python: /'
else
  echo "python: (no python3-torch / python3-yaml: PyTorch cross-check skipped)"
fi
echo "== training (steady state: medians of the logged windows after the first 10%)"
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR ? a[int((NR + 1) / 2)] : "n/a") }'; }
M="$RUN/metrics.jsonl"
n=$(grep -c '"ms_per_step"' "$M")
skip=$((n / 10))
batch=$(sed -n 's/^  batch_size: *\([0-9]*\).*/\1/p' "$RUN/config.yaml" | head -1)
ms=$(grep '"ms_per_step"' "$M" | tail -n +$((skip + 1)) | field ms_per_step | median)
data=$(grep '"ms_per_step"' "$M" | tail -n +$((skip + 1)) | field data_ms_per_step | median)
awk -v b="$batch" -v m="$ms" -v d="$data" 'BEGIN { printf "median %.1f ms/step (batch %d: %.0f images/s), of which %.2f ms assembling batches\n", m, b, b * 1000 / m, d }'
echo "== learning curve (step, val loss, val accuracy)"
grep '"val_accuracy"' "$M" | while read -r line; do
  printf "  %6s  %.4f  %.4f\n" "$(echo "$line" | field step)" "$(echo "$line" | field val_loss)" \
    "$(echo "$line" | field val_accuracy)"
done
