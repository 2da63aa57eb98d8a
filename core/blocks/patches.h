// Images as sequences of patch vectors and back: the tokenisation of the Vision Transformer
// (Dosovitskiy et al. 2021), which the ViT classifier reads and the DiT denoiser both reads
// and writes.
#pragma once

#include <torch/torch.h>

namespace attnlab {

// Images [B, C, H, W] -> patches [B, (H/p)(W/p), C*p*p]: patch i is the p x p crop at grid
// row i / (W/p), column i % (W/p), flattened channel by channel, row by row.
torch::Tensor patchify(const torch::Tensor& images, int64_t patch_size);

// The inverse: patches [B, (H/p)(W/p), C*p*p] -> images [B, C, H, W] for a grid of
// grid_height x grid_width patches; unpatchify(patchify(x, p), p, H/p, W/p) == x.
torch::Tensor unpatchify(const torch::Tensor& patches, int64_t patch_size, int64_t grid_height, int64_t grid_width);

}  // namespace attnlab
