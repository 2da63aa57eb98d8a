#include "datasets/icl_linear.h"

#include <cmath>
#include <functional>
#include <stdexcept>

#include "core/util/portable_random.h"

namespace attnlab {

IclLinearOptions IclLinearOptions::read(ConfigSection& s) {
  IclLinearOptions o;
  ATTNLAB_READ(s, o, n_dims, Range::closed(1, 1 << 20));
  ATTNLAB_READ(s, o, n_points, Range::closed(0, 1 << 24, "0 = 2 n_dims + 10"));
  ATTNLAB_READ(s, o, noise_std, Range::closed(0, 1e6));
  ATTNLAB_READ(s, o, val_prompts, Range::at_least(1));
  ATTNLAB_READ(s, o, curriculum_dims, Range::at_least(1));
  ATTNLAB_READ(s, o, curriculum_points, Range::at_least(1));
  ATTNLAB_READ(s, o, curriculum_every, Range::at_least(0, "0: no curriculum"));
  if (o.n_points == 0) o.n_points = 2 * o.n_dims + 10;
  if (o.curriculum_dims < 1 || o.curriculum_dims > o.n_dims) s.fail("curriculum_dims", "must be in [1, n_dims]");
  if (o.curriculum_points < 1 || o.curriculum_points > o.n_points)
    s.fail("curriculum_points", "must be in [1, n_points]");
  return o;
}

namespace {

// Prompts drawn from `rng`: w and the x's on the first `dims` dimensions, `points` pairs each.
Batch prompts(std::mt19937_64& rng, int64_t count, int64_t n_dims, int64_t dims, int64_t points, double noise_std,
              const std::function<std::mt19937_64&(int64_t)>& generator_of = nullptr) {
  auto xs = torch::zeros({count, points, n_dims}, torch::kFloat);
  auto ys = torch::zeros({count, points}, torch::kFloat);
  auto x = xs.accessor<float, 3>();
  auto y = ys.accessor<float, 2>();
  std::vector<double> w(static_cast<size_t>(n_dims));
  for (int64_t b = 0; b < count; ++b) {
    std::mt19937_64& g = generator_of ? generator_of(b) : rng;
    std::fill(w.begin(), w.end(), 0.0);
    for (int64_t j = 0; j < dims; ++j) w[static_cast<size_t>(j)] = standard_normal(g);
    for (int64_t i = 0; i < points; ++i) {
      double dot = 0;
      for (int64_t j = 0; j < dims; ++j) {
        const double v = standard_normal(g);
        x[b][i][j] = static_cast<float>(v);
        dot += static_cast<double>(x[b][i][j]) * w[static_cast<size_t>(j)];
      }
      y[b][i] = static_cast<float>(dot + (noise_std > 0 ? noise_std * standard_normal(g) : 0.0));
    }
  }
  return {{"xs", xs}, {"ys", ys}};
}

}  // namespace

IclLinearDataset::IclLinearDataset(const IclLinearOptions& options, uint64_t seed) : o_(options), seed_(seed) {}

std::pair<int64_t, int64_t> IclLinearDataset::curriculum(int64_t draw) const {
  if (o_.curriculum_every <= 0) return {o_.n_dims, o_.n_points};
  const int64_t grown = draw / o_.curriculum_every;
  return {std::min(o_.n_dims, o_.curriculum_dims + grown), std::min(o_.n_points, o_.curriculum_points + 2 * grown)};
}

Batch IclLinearDataset::sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng, int64_t draw) const {
  check_split(split);
  const auto [dims, points] = split == "train" ? curriculum(draw) : std::make_pair(o_.n_dims, o_.n_points);
  return prompts(rng, batch_size, o_.n_dims, dims, points, o_.noise_std);
}

Batch IclLinearDataset::fixed(const std::string& split, const std::vector<int64_t>& indices) const {
  check_split(split);
  std::vector<std::mt19937_64> generators;
  for (int64_t i : indices)
    generators.push_back(
        seeded_generator(seed_, {static_cast<uint32_t>(split == "val" ? 1 : 2), static_cast<uint32_t>(i)}));
  std::mt19937_64 unused;
  return prompts(unused, static_cast<int64_t>(indices.size()), o_.n_dims, o_.n_dims, o_.n_points, o_.noise_std,
                 [&](int64_t b) -> std::mt19937_64& { return generators[static_cast<size_t>(b)]; });
}

Batch IclLinearDataset::eval_batch(const std::string& split, int64_t index, int64_t, int64_t batch_size) const {
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < batch_size; ++i) indices.push_back((index * batch_size + i) % o_.val_prompts);
  return fixed(split, indices);
}

int64_t IclLinearDataset::num_examples(const std::string& split) const {
  check_split(split);
  return o_.val_prompts;
}

Batch IclLinearDataset::examples(const std::string& split, int64_t start, int64_t count) const {
  const int64_t end = std::min(start + count, o_.val_prompts);
  if (start < 0 || start >= end) throw std::out_of_range("examples: start out of range");
  std::vector<int64_t> indices;
  for (int64_t i = start; i < end; ++i) indices.push_back(i);
  return fixed(split, indices);
}

}  // namespace attnlab
