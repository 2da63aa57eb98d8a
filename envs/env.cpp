#include "envs/env.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace attnlab {

double Trajectory::total_return() const {
  double sum = 0;
  for (double r : rewards) sum += r;
  return sum;
}

std::vector<double> Env::reset(uint64_t seed) {
  steps_ = 0, started_ = true, done_ = false;
  return start(seed);
}

StepResult Env::step(const std::vector<double>& action) {
  if (!started_) throw std::logic_error("step() before reset()");
  if (done_) throw std::logic_error("step() after the episode ended; call reset()");
  const ActionSpace space = action_space();
  if (static_cast<int64_t>(action.size()) != space.size())
    throw std::invalid_argument(fmt::format("an action has {} number(s), not {}", space.size(), action.size()));
  if (space.discrete && (action[0] != std::floor(action[0]) || action[0] < 0 || action[0] >= space.num_actions))
    throw std::invalid_argument(fmt::format("an action is an index in [0, {}), not {}", space.num_actions, action[0]));
  StepResult r = transition(action);
  ++steps_;
  r.truncated = !r.terminated && steps_ >= max_steps();
  done_ = r.done();
  return r;
}

Policy uniform_random_policy(int64_t num_actions) {
  return [num_actions](const std::vector<double>&, std::mt19937_64& rng) {
    return std::vector<double>{static_cast<double>(rng() % static_cast<uint64_t>(num_actions))};
  };
}

Trajectory run_episode(Env& env, const Policy& policy, uint64_t seed, std::mt19937_64& policy_rng) {
  Trajectory t;
  std::vector<double> obs = env.reset(seed);
  for (;;) {
    auto action = policy(obs, policy_rng);
    StepResult r = env.step(action);
    t.observations.push_back(std::move(obs));
    t.actions.push_back(std::move(action));
    t.rewards.push_back(r.reward);
    if (r.done()) {
      t.terminated = r.terminated;
      return t;
    }
    obs = std::move(r.observation);
  }
}

}  // namespace attnlab
