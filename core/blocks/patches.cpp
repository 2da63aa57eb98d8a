#include "core/blocks/patches.h"

namespace attnlab {

torch::Tensor patchify(const torch::Tensor& images, int64_t p) {
  TORCH_CHECK(images.dim() == 4, "patchify expects images [B, C, H, W], got ", images.sizes());
  // [B, C, H/p, p, W/p, p] -> [B, H/p, W/p, C, p, p] -> [B, (H/p)(W/p), C*p*p]
  return images.unflatten(2, {-1, p}).unflatten(4, {-1, p}).permute({0, 2, 4, 1, 3, 5}).flatten(3).flatten(1, 2);
}

torch::Tensor unpatchify(const torch::Tensor& patches, int64_t p, int64_t gh, int64_t gw) {
  TORCH_CHECK(patches.dim() == 3 && patches.size(1) == gh * gw && patches.size(2) % (p * p) == 0,
              "unpatchify expects patches [B, ", gh * gw, ", C*", p * p, "], got ", patches.sizes());
  // [B, gh*gw, C*p*p] -> [B, gh, gw, C, p, p] -> [B, C, gh, p, gw, p] -> [B, C, H, W]
  return patches.unflatten(1, {gh, gw}).unflatten(3, {-1, p, p}).permute({0, 3, 1, 4, 2, 5}).flatten(4, 5).flatten(2, 3);
}

}  // namespace attnlab
