// The machine's matrix-multiply speed measured on the spot, at a model's own shapes (those a
// FlopCounter saw), so that a model's achieved FLOP rate has an honest yardstick: the model
// FLOPs utilisation that `attnlab bench` reports is achieved / this.
#pragma once

#include <torch/torch.h>

#include <map>

#include "core/util/flop_counter.h"

namespace attnlab {

// GFLOP/s of `dtype` matrix products on `device` over `shapes`, each weighted by its share of
// the FLOPs (total FLOPs / total time, as if the model ran exactly these products). Each shape
// is timed for at least `min_ms` after a warm-up, with random operands.
double matmul_gflops(const std::map<MatmulShape, int64_t>& shapes, torch::ScalarType dtype,
                     const torch::Device& device, double min_ms = 40);

}  // namespace attnlab
