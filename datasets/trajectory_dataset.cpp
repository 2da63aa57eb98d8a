#include "datasets/trajectory_dataset.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "core/util/portable_random.h"
#include "datasets/corpora.h"

namespace attnlab {

TrajectoryOptions TrajectoryOptions::read(ConfigSection& s) {
  TrajectoryOptions o;
  ATTNLAB_READ(s, o, path);
  ATTNLAB_READ(s, o, val_fraction, Range::open(0, 1));
  ATTNLAB_READ(s, o, top_fraction, Range::closed(0, 1));
  ATTNLAB_READ(s, o, return_scale, Range::closed(0, 1e12, "0 = the largest |return| of the training episodes"));
  if (o.top_fraction <= 0) s.fail("top_fraction", "must be > 0 (1 keeps every episode)");
  return o;
}

namespace {
// The best `fraction` of `episodes` by return (ties: the earlier first), at least one.
std::vector<Trajectory> best_fraction(std::vector<Trajectory> episodes, double fraction) {
  if (fraction >= 1 || episodes.empty()) return episodes;
  std::stable_sort(episodes.begin(), episodes.end(),
                   [](const Trajectory& a, const Trajectory& b) { return a.total_return() > b.total_return(); });
  const auto keep = std::max<size_t>(1, static_cast<size_t>(std::ceil(fraction * static_cast<double>(episodes.size()))));
  episodes.resize(std::min(keep, episodes.size()));
  return episodes;
}
}  // namespace

TrajectoryDataset::TrajectoryDataset(TrajectoryFile file, const TrajectoryOptions& o, int64_t context, uint64_t seed)
    : header_(file.header), context_(context) {
  if (context < 1) throw std::invalid_argument("trajectories: the model's context must be >= 1 step");
  auto& all = file.episodes;
  std::vector<size_t> order(all.size());
  std::iota(order.begin(), order.end(), size_t{0});
  auto rng = seeded_generator(seed, {0x7a1});
  shuffle(order, rng);
  size_t n_val = static_cast<size_t>(std::round(o.val_fraction * static_cast<double>(all.size())));
  if (o.val_fraction > 0 && all.size() >= 2) n_val = std::clamp<size_t>(n_val, 1, all.size() - 1);
  std::vector<Trajectory> train, val;
  for (size_t i = 0; i < order.size(); ++i) (i < n_val ? val : train).push_back(std::move(all[order[i]]));
  train_ = best_fraction(std::move(train), o.top_fraction);
  val_ = best_fraction(std::move(val), o.top_fraction);
  for (auto* split : {&train_, &val_}) {
    auto& rtg = split == &train_ ? train_rtg_ : val_rtg_;
    auto& windows = split == &train_ ? train_windows_ : val_windows_;
    for (size_t e = 0; e < split->size(); ++e) {
      rtg.push_back(returns_to_go((*split)[e].rewards));
      for (int64_t s = 0; s < (*split)[e].length(); s += context) windows.push_back({static_cast<int64_t>(e), s});
    }
  }
  train_step_starts_.push_back(0);
  for (const auto& t : train_) train_step_starts_.push_back(train_step_starts_.back() + t.length());
}

const std::vector<Trajectory>& TrajectoryDataset::episodes(const std::string& split) const {
  check_split(split);
  return split == "train" ? train_ : val_;
}

Batch TrajectoryDataset::windows(const std::string& split, const std::vector<Window>& w) const {
  const auto& eps = episodes(split);
  const auto& rtg = split == "train" ? train_rtg_ : val_rtg_;
  const int64_t B = static_cast<int64_t>(w.size()), K = context_, S = header_.observation_dims;
  const auto& space = header_.action_space;
  auto states = torch::zeros({B, K, S});
  auto actions = space.discrete ? torch::zeros({B, K}, torch::kLong) : torch::zeros({B, K, space.dims});
  auto returns = torch::zeros({B, K});
  auto timesteps = torch::zeros({B, K}, torch::kLong);
  auto mask = torch::zeros({B, K}, torch::kBool);
  auto st = states.accessor<float, 3>();
  auto rt = returns.accessor<float, 2>();
  auto ts = timesteps.accessor<int64_t, 2>();
  auto mk = mask.accessor<bool, 2>();
  for (int64_t b = 0; b < B; ++b) {
    const Trajectory& t = eps[w[b].episode];
    for (int64_t k = 0; k < K && w[b].start + k < t.length(); ++k) {
      const int64_t i = w[b].start + k;
      for (int64_t d = 0; d < S; ++d) st[b][k][d] = static_cast<float>(t.observations[i][d]);
      if (space.discrete)
        actions.data_ptr<int64_t>()[b * K + k] = static_cast<int64_t>(t.actions[i][0]);
      else
        for (int64_t d = 0; d < space.dims; ++d)
          actions.data_ptr<float>()[(b * K + k) * space.dims + d] = static_cast<float>(t.actions[i][d]);
      rt[b][k] = static_cast<float>(rtg[w[b].episode][i]);
      ts[b][k] = i;
      mk[b][k] = true;
    }
  }
  return {{"states", states}, {"actions", actions}, {"returns_to_go", returns}, {"timesteps", timesteps}, {"mask", mask}};
}

Batch TrajectoryDataset::sample(const std::string& split, int64_t batch_size, std::mt19937_64& rng, int64_t) const {
  check_split(split);
  if (split != "train") return eval_batch(split, static_cast<int64_t>(rng() % 1000), 1000, batch_size);
  const int64_t total = train_step_starts_.back();
  std::vector<Window> w;
  for (int64_t b = 0; b < batch_size; ++b) {
    // A step drawn uniformly over all training steps: its episode is drawn in proportion to
    // its length, and the window starts there.
    const int64_t step = static_cast<int64_t>(rng() % static_cast<uint64_t>(total));
    const auto it = std::upper_bound(train_step_starts_.begin(), train_step_starts_.end(), step) - 1;
    w.push_back({it - train_step_starts_.begin(), step - *it});
  }
  return windows(split, w);
}

Batch TrajectoryDataset::eval_batch(const std::string& split, int64_t index, int64_t count, int64_t batch_size) const {
  const auto& all = split == "train" ? train_windows_ : val_windows_;
  check_split(split);
  const auto n = static_cast<int64_t>(all.size());
  if (n == 0) throw std::invalid_argument("trajectories: the " + split + " split has no episodes");
  std::vector<Window> w;
  for (int64_t i = 0; i < batch_size; ++i) w.push_back(all[((index * batch_size + i) * n / std::max<int64_t>(1, count * batch_size)) % n]);
  return windows(split, w);
}

int64_t TrajectoryDataset::num_examples(const std::string& split) const {
  check_split(split);
  return static_cast<int64_t>((split == "train" ? train_windows_ : val_windows_).size());
}

Batch TrajectoryDataset::examples(const std::string& split, int64_t start, int64_t count) const {
  const auto& all = split == "train" ? train_windows_ : val_windows_;
  const int64_t end = std::min<int64_t>(start + count, num_examples(split));
  if (start < 0 || start >= end) throw std::out_of_range("examples: start out of range");
  return windows(split, {all.begin() + start, all.begin() + end});
}

DataSpec trajectories_family(ConfigSection& s) {
  const TrajectoryOptions o = TrajectoryOptions::read(s);
  const std::string where = s.where("path");
  return {"trajectories", [o, where](const DataBuildContext& ctx) {
    if (!std::filesystem::exists(o.path)) {
      const std::string hint = prepare_hint(o.path);
      throw std::runtime_error(fmt::format("{}: trajectory file '{}' not found{}", where, o.path,
                                           hint.empty() ? " (check data.path)" : "; run `" + hint + "` to create it"));
    }
    auto data = std::make_shared<TrajectoryDataset>(read_trajectories(o.path), o, ctx.model_seq_len, ctx.seed);
    const auto& h = data->header();
    if (data->episodes("val").empty() || data->episodes("train").empty())
      throw std::runtime_error(fmt::format("{}: {} episodes are too few to hold out a validation split", o.path,
                                           data->episodes("train").size() + data->episodes("val").size()));
    BuiltData built{data, nullptr, {}, {}};
    ModelContext& c = built.context;
    c.objective = "offline_rl";
    c.data_type = "trajectories";
    c.env = h.env;
    const auto known = env_names();
    if (!h.env.empty() && std::find(known.begin(), known.end(), h.env) == known.end()) {
      built.report.push_back(fmt::format("env '{}' is not one of attnlab's environments: training without rollouts", h.env));
      c.env = "";
    }
    if (!c.env.empty()) {  // the log must fit the environment the agent will act in
      const auto env = make_env(c.env);
      const auto space = env->action_space();
      if (env->observation_dims() != h.observation_dims || space.discrete != h.action_space.discrete ||
          space.num_actions != h.action_space.num_actions || (!space.discrete && space.dims != h.action_space.dims))
        throw std::runtime_error(fmt::format("{}: its header's observation_dims and action_space do not match environment "
                                             "{} ({} observation numbers, {})",
                                             o.path, c.env, env->observation_dims(),
                                             space.discrete ? fmt::format("{} discrete actions", space.num_actions)
                                                            : fmt::format("{}-dim continuous actions", space.dims)));
    }
    c.input_dims = h.observation_dims;
    c.num_actions = h.action_space.discrete ? h.action_space.num_actions : 0;
    c.action_dims = h.action_space.discrete ? 0 : h.action_space.dims;
    c.seq_len = ctx.model_seq_len;
    // Observation statistics and returns over the training steps.
    const auto& train = data->episodes("train");
    std::vector<double> sum(h.observation_dims, 0.0), sq(h.observation_dims, 0.0);
    double steps = 0, best = -1e300, total = 0, largest = 0;
    int64_t longest = 0;
    for (const auto& t : train) {
      for (const auto& obs : t.observations)
        for (int64_t d = 0; d < h.observation_dims; ++d) sum[d] += obs[d], sq[d] += obs[d] * obs[d];
      steps += static_cast<double>(t.length());
      const double r = t.total_return();
      best = std::max(best, r), total += r, largest = std::max(largest, std::abs(r));
      longest = std::max(longest, t.length());
    }
    for (int64_t d = 0; d < h.observation_dims; ++d) {
      const double mean = sum[d] / steps;
      c.observation_mean.push_back(mean);
      c.observation_std.push_back(std::max(1e-6, std::sqrt(std::max(0.0, sq[d] / steps - mean * mean))));
    }
    c.best_return = best, c.mean_return = total / static_cast<double>(train.size());
    c.return_scale = o.return_scale > 0 ? o.return_scale : std::max(largest, 1e-6);
    for (const auto& t : data->episodes("val")) longest = std::max(longest, t.length());
    c.max_timestep = longest;  // over both splits: a validation episode may be the longest
    if (!c.env.empty()) c.max_timestep = std::max(longest, make_env(c.env)->max_steps());
    built.report.push_back(fmt::format(
        "data: {} | env {} | {} train / {} val episodes{} | train return mean {:.3f}, best {:.3f} | {} actions | "
        "windows of {} steps",
        o.path, c.env.empty() ? "none" : c.env, train.size(), data->episodes("val").size(),
        o.top_fraction < 1 ? fmt::format(" (the best {:.0f}% by return)", 100 * o.top_fraction) : "", c.mean_return,
        best, h.action_space.discrete ? fmt::format("{} discrete", c.num_actions) : fmt::format("{}-dim continuous", c.action_dims),
        data->context()));
    return built;
  }};
}

}  // namespace attnlab
