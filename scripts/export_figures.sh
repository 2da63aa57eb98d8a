#!/usr/bin/env bash
# Exports trained runs and measures each file: the export's own checks (largest difference
# from the native model at each shape), the file size, and load + first-inference time in
# Python (torch.jit.load) and in C++ (examples/cpp time_forward, LibTorch only).
# Usage: scripts/export_figures.sh RUN_DIR...   (writes RUN_DIR/torchscript.pt; build first)
set -euo pipefail
cd "$(dirname "$0")/.."
ATTNLAB=build/apps/attnlab
TIMER=build/examples/cpp/time_forward
PY=/usr/bin/python3
for run in "$@"; do
  echo "=== $run"
  /usr/bin/time -f "export: %e s wall, peak RSS %M KB" $ATTNLAB export "$run" 2>&1 |
    grep -v -E '^(  (traced|written|checked)|data:|classes|verses|pairs)'
  file="$run/torchscript.pt"
  spec=$($PY examples/python/time_forward.py "$file" --spec)
  echo "input: $spec"
  echo "python: $($PY examples/python/time_forward.py "$file" $spec)"
  echo "c++:    $($TIMER "$file" $spec)"
done
