#!/usr/bin/env bash
# Installs attnlab's build and run dependencies from Debian's packages.
# Idempotent: installs only what is missing; safe to run on every build.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config time
  libtorch-dev            # LibTorch 1.13 (C++ frontend + TorchScript)
  libopenblas0-pthread    # fast BLAS for LibTorch; without it matmuls use the reference BLAS (~16x slower)
  libjemalloc-dev         # malloc for tensor workloads: glibc's fragments under varying shapes (docs/bench.md)
  libyaml-cpp-dev libfmt-dev nlohmann-json3-dev libcli11-dev catch2
  libsentencepiece-dev    # subword tokenizers (unigram / BPE)
  diatheke sword-text-kjv sword-text-sparv   # King James Bible + Reina-Valera 1909 (SWORD modules)
  sword-text-web sword-comm-scofield sword-comm-tdavid  # unlabelled English for BERT pretraining (docs/data.md)
  zlib1g-dev libpng-dev   # gzip'd IDX image files; PNG pictures (attention maps)
  libjpeg62-turbo-dev     # JPEG images in image-folder datasets (data.type: image_classification)
  dataset-fashion-mnist   # Fashion-MNIST IDX files in /usr/share/datasets/fashion-mnist (ViT)
  python3-torch python3-sentencepiece  # examples/python (run by the tests) and scripts/reference
  gnuplot-nox             # attnlab compare: validation curves as PNG and SVG
  libgloo-dev             # headers of c10d's Gloo process group (multi-process training); LibTorch links the library
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all dependencies present"
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
