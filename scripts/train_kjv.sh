#!/usr/bin/env bash
# The main job: installs what is missing, builds, prepares the King James Bible, trains the
# default character-level GPT (configs/gpt/kjv_char.yaml, about 2-3 minutes on 2 cores) and
# prints a sample. Extra arguments are config overrides, e.g. trainer.max_iters=500.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
ATTNLAB=build/apps/attnlab
[ -f data/kjv/kjv.txt ] || $ATTNLAB data prepare kjv
RUN_DIR=runs/kjv_char
if [ -f "$RUN_DIR/last.pt" ]; then
  $ATTNLAB train --resume "$RUN_DIR" "$@"   # finishes an interrupted run; a finished one returns at once
else
  $ATTNLAB train configs/gpt/kjv_char.yaml "$@"
fi
echo "----- sample -----"
$ATTNLAB generate "$RUN_DIR" --prompt "And God said" --max-new-tokens 500 --seed 1337
