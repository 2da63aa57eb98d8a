#include "core/export/exportable.h"

#include <ATen/CPUGeneratorImpl.h>

namespace attnlab {

torch::Tensor example_tokens(int64_t batch, int64_t length, uint64_t seed, int64_t vocab_size, int64_t first_id,
                             int64_t pad_id) {
  TORCH_CHECK(vocab_size > first_id, "example_tokens: no ids in [", first_id, ", ", vocab_size, ")");
  auto gen = at::detail::createCPUGenerator(seed);
  auto ids = torch::randint(first_id, vocab_size, {batch, length}, gen, torch::kLong);
  if (pad_id >= 0)
    for (int64_t b = 1; b < batch; ++b) {
      const int64_t pads = std::min(b, length - 1);
      if (pads > 0) ids[b].narrow(0, length - pads, pads).fill_(pad_id);
    }
  return ids;
}

}  // namespace attnlab
