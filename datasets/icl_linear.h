// In-context linear regression prompts (Garg et al. 2022): each prompt has its own random
// linear function f(x) = w·x, with w ~ N(0, I_d), and n_points pairs (x_i ~ N(0, I_d),
// y_i = f(x_i) + noise). An endless seeded training stream, fixed validation prompts, and an
// optional curriculum that grows the active dimensions and points (docs/icl.md).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/config/section.h"
#include "core/task.h"

namespace attnlab {

// The `data:` keys of `type: icl_linear` (one field per key).
struct IclLinearOptions {
  int64_t n_dims = 5;         // d: dimensions of x and w
  int64_t n_points = 0;       // (x, y) pairs per prompt; 0 = 2 d + 10
  double noise_std = 0;       // y_i = w·x_i + noise_std · N(0, 1)
  int64_t val_prompts = 1280;  // fixed validation prompts (and as many fixed training prompts, for evaluation)
  // Curriculum (training only): start with curriculum_dims active dimensions (the others of
  // x and w are 0) and curriculum_points points, add one dimension and two points every
  // curriculum_every training batches, up to n_dims and n_points. curriculum_every 0: off.
  int64_t curriculum_dims = 1;
  int64_t curriculum_points = 3;
  int64_t curriculum_every = 0;

  static IclLinearOptions read(ConfigSection& s);
};

class IclLinearDataset : public BatchSource {
 public:
  IclLinearDataset(const IclLinearOptions& options, uint64_t seed);

  // {"xs": [B, P, d] float32, "ys": [B, P] float32}: fresh prompts from `rng`, with the
  // curriculum's dimensions and points for training batch `draw`.
  Batch sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng, int64_t draw = 0) const override;
  // The split's fixed prompts index * batch_size ... (wrapping around).
  Batch eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const override;
  int64_t num_examples(const std::string& split) const override;
  Batch examples(const std::string& split, int64_t start, int64_t count) const override;

  // The curriculum at training batch `draw`: active dimensions and points.
  std::pair<int64_t, int64_t> curriculum(int64_t draw) const;
  const IclLinearOptions& options() const { return o_; }

 private:
  // Fixed prompt `index` of `split` (its own generator: independent of batching).
  Batch fixed(const std::string& split, const std::vector<int64_t>& indices) const;
  IclLinearOptions o_;
  uint64_t seed_;
};

}  // namespace attnlab
