#include "models/rollout.h"

#include <stdexcept>

namespace attnlab {

std::vector<EpisodeOutcome> rollout(DecisionTransformer& model, const std::string& env_name,
                                    const std::vector<double>& targets, const std::vector<uint64_t>& seeds) {
  if (targets.size() != seeds.size()) throw std::invalid_argument("rollout: one seed per target expected");
  const auto& o = model->options;
  const int64_t N = static_cast<int64_t>(targets.size()), S = o.observation_dims, K = o.context;
  const int64_t A = o.discrete() ? 1 : o.action_dims;
  const torch::Device device = model->observation_mean.device();
  std::vector<std::unique_ptr<Env>> envs;
  std::vector<EpisodeOutcome> out(N);
  // Each episode's history, step-major: [t][n] for returns-to-go and timesteps, [t][n][.] for
  // states and actions (the action at the current step is 0 until chosen).
  std::vector<std::vector<float>> rtg, states, actions;
  std::vector<float> rtg_now(N), states_now(N * S);
  std::vector<bool> live(N, true);
  int64_t max_steps = 0;
  for (int64_t n = 0; n < N; ++n) {
    envs.push_back(make_env(env_name));
    if (envs.back()->observation_dims() != S) throw std::runtime_error("rollout: the environment's observations do not fit the model");
    max_steps = std::max(max_steps, envs.back()->max_steps());
    const auto obs = envs.back()->reset(seeds[n]);
    for (int64_t d = 0; d < S; ++d) states_now[n * S + d] = static_cast<float>(obs[d]);
    rtg_now[n] = static_cast<float>(targets[n]);
    out[n].target = targets[n];
  }
  for (int64_t t = 0; t < max_steps; ++t) {
    std::vector<int64_t> rows;
    for (int64_t n = 0; n < N; ++n)
      if (live[n]) rows.push_back(n);
    if (rows.empty()) break;
    rtg.push_back(rtg_now), states.push_back(states_now), actions.emplace_back(N * A, 0.0f);
    const int64_t first = std::max<int64_t>(0, t + 1 - K), L = t + 1 - first, B = static_cast<int64_t>(rows.size());
    auto r = torch::empty({B, L}), s = torch::empty({B, L, S}), a = torch::empty({B, L, A}), ts = torch::empty({B, L}, torch::kLong);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t l = 0; l < L; ++l) {
        const int64_t n = rows[b], step = first + l;
        r.data_ptr<float>()[b * L + l] = rtg[step][n];
        ts.data_ptr<int64_t>()[b * L + l] = step;
        std::copy_n(&states[step][n * S], S, s.data_ptr<float>() + (b * L + l) * S);
        std::copy_n(&actions[step][n * A], A, a.data_ptr<float>() + (b * L + l) * A);
      }
    const auto act_in = o.discrete() ? a.squeeze(-1).to(torch::kLong) : a;
    const auto pred = model->forward(r.to(device), s.to(device), act_in.to(device), ts.to(device))
                          .select(1, L - 1).to(torch::kCPU, torch::kFloat).contiguous();  // [B, num_actions | A]
    const auto chosen = o.discrete() ? pred.argmax(-1).to(torch::kFloat).unsqueeze(-1).contiguous() : pred;
    for (int64_t b = 0; b < B; ++b) {
      const int64_t n = rows[b];
      std::vector<double> action(chosen.data_ptr<float>() + b * A, chosen.data_ptr<float>() + (b + 1) * A);
      for (int64_t k = 0; k < A; ++k) actions.back()[n * A + k] = static_cast<float>(action[k]);
      const StepResult res = envs[n]->step(action);
      out[n].achieved += res.reward;
      out[n].length += 1;
      rtg_now[n] -= static_cast<float>(res.reward);
      for (int64_t d = 0; d < S; ++d) states_now[n * S + d] = static_cast<float>(res.observation[d]);
      if (res.done()) live[n] = false;
    }
  }
  for (int64_t n = 0; n < N; ++n) out[n].solved = out[n].achieved >= envs[n]->reward_threshold();
  return out;
}

}  // namespace attnlab
