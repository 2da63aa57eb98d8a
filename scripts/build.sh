#!/usr/bin/env bash
# Configures and builds attnlab (Release, Ninja) into build/. Extra arguments go to CMake,
# e.g. scripts/build.sh -DCMAKE_PREFIX_PATH=/opt/libtorch for an official LibTorch download.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ $# -gt 0 ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
fi
cmake --build "$BUILD_DIR" --parallel "$(nproc)"
