// Offline RL data (`data.type: trajectories`): windows of K consecutive steps of logged
// episodes (datasets/trajectory_file.h), with the return-to-go at each step, for the Decision
// Transformer (Chen et al. 2021) and its behaviour-cloning baselines.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "core/config/section.h"
#include "core/task.h"
#include "datasets/registry.h"
#include "datasets/trajectory_file.h"

namespace attnlab {

// The `data:` keys of `type: trajectories` (one field per key; docs/rl.md).
struct TrajectoryOptions {
  std::string path = "data/cartpole/cartpole.jsonl";
  double val_fraction = 0.1;  // episodes held out for validation (whole episodes, chosen by the seed)
  // Filtered behaviour cloning: keep only this fraction of each split's episodes, those with
  // the highest returns (1 = all).
  double top_fraction = 1.0;
  // Returns-to-go are divided by it in the model; 0 = the largest |return| of the training episodes.
  double return_scale = 0;

  static TrajectoryOptions read(ConfigSection& s);
};

class TrajectoryDataset : public BatchSource {
 public:
  // Splits `file`'s episodes (seeded), filters them, and cuts windows of `context` steps.
  TrajectoryDataset(TrajectoryFile file, const TrajectoryOptions& options, int64_t context, uint64_t seed);

  // Batch: "states" float [B, K, obs_dims] (as logged), "actions" int64 [B, K] (discrete) or
  // float [B, K, action_dims], "returns_to_go" float [B, K] (unscaled), "timesteps" int64
  // [B, K], "mask" bool [B, K]: false after an episode's end (windows are padded at the end).
  // Training windows: an episode drawn in proportion to its length, a start uniform in it.
  Batch sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng, int64_t draw = 0) const override;
  // Evaluation examples: every episode cut into consecutive windows of K steps.
  Batch eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const override;
  int64_t num_examples(const std::string& split) const override;
  Batch examples(const std::string& split, int64_t start, int64_t count) const override;

  const std::vector<Trajectory>& episodes(const std::string& split) const;
  const TrajectoryHeader& header() const { return header_; }
  int64_t context() const { return context_; }

 private:
  struct Window {
    int64_t episode, start;
  };
  Batch windows(const std::string& split, const std::vector<Window>& w) const;
  TrajectoryHeader header_;
  int64_t context_;
  std::vector<Trajectory> train_, val_;
  std::vector<std::vector<double>> train_rtg_, val_rtg_;
  std::vector<Window> train_windows_, val_windows_;
  std::vector<int64_t> train_step_starts_;  // cumulative steps, for drawing by length
};

// The family: reads the file named by data.path (saying what to run when it is missing).
DataSpec trajectories_family(ConfigSection& s);

}  // namespace attnlab
