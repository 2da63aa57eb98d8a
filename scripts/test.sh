#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (CTest + Catch2).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --parallel "$(nproc)" --timeout 600
