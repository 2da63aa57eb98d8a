// Environments an agent acts in, for offline reinforcement learning (the Decision Transformer
// family): a small Gymnasium-like interface, seeded and deterministic, and a registry so that
// a further environment is one file and a registration (envs/registry.cpp). The episode's
// rules live in env.cpp. LibTorch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace attnlab {

// What an environment's actions are: discrete (an index in [0, num_actions)) or continuous
// (a vector of `dims` reals).
struct ActionSpace {
  bool discrete = true;
  int64_t num_actions = 0;  // discrete only
  int64_t dims = 1;         // continuous only; a discrete action is one number, its index
  int64_t size() const { return discrete ? 1 : dims; }
};

struct StepResult {
  std::vector<double> observation;
  double reward = 0;
  bool terminated = false;  // the task ended (the pole fell, the goal was reached)
  bool truncated = false;   // the time limit ended the episode
  bool done() const { return terminated || truncated; }
};

class Env {
 public:
  virtual ~Env() = default;
  virtual int64_t observation_dims() const = 0;
  virtual ActionSpace action_space() const = 0;
  // The time limit: an episode is truncated after this many steps (Gymnasium's TimeLimit).
  virtual int64_t max_steps() const = 0;
  // Gymnasium's reward_threshold: an episode whose return reaches it solved the task.
  virtual double reward_threshold() const = 0;

  // Starts an episode whose randomness is fixed by `seed` alone; returns the first observation.
  std::vector<double> reset(uint64_t seed);
  // One step; `action` has action_space().size() numbers (a discrete one holds the index).
  // Throws std::invalid_argument on an action outside the space, std::logic_error after the
  // episode ended or before reset(). Truncates at max_steps().
  StepResult step(const std::vector<double>& action);
  int64_t steps() const { return steps_; }  // taken in this episode

 protected:
  // What an environment implements: its first observation, and one transition from an action
  // that reset()/step() have checked against the action space (observation, reward, terminated).
  virtual std::vector<double> start(uint64_t seed) = 0;
  virtual StepResult transition(const std::vector<double>& action) = 0;

 private:
  int64_t steps_ = 0;
  bool started_ = false, done_ = false;
};

// One logged episode: per step the observation the agent saw, the action it took and the
// reward it got. `terminated`: the episode ended in the environment (false: cut by a time
// limit or the log).
struct Trajectory {
  std::vector<std::vector<double>> observations;
  std::vector<std::vector<double>> actions;
  std::vector<double> rewards;
  bool terminated = false;
  std::string policy;  // which behaviour policy produced it ("" when unknown)
  double total_return() const;
  int64_t length() const { return static_cast<int64_t>(rewards.size()); }
};

// A policy for data collection: the action for an observation, drawing any randomness from
// `rng`. Made fresh for each episode by a PolicyMaker, which may draw the episode's own
// parameters (a noise level) from `rng`.
using Policy = std::function<std::vector<double>(const std::vector<double>& observation, std::mt19937_64& rng)>;

// The offline dataset an environment ships (`attnlab data prepare NAME`): `episodes` episodes
// of each named behaviour policy.
struct BehaviourMix {
  struct Part {
    std::string name;      // "random", "medium", "expert"
    int64_t episodes = 0;
    std::function<Policy(std::mt19937_64& rng)> make;
  };
  std::vector<Part> parts;
  // Drops episodes the dataset must not contain (the grid's optimal ones); null keeps all.
  std::function<bool(const Trajectory&)> keep = nullptr;
  std::string note;  // what the mix is for, printed by prepare
};

struct EnvEntry {
  std::string description;
  std::function<std::unique_ptr<Env>()> make;
  std::function<BehaviourMix()> behaviour;  // null: no offline dataset of its own
};

void register_env(const std::string& name, EnvEntry entry);
std::unique_ptr<Env> make_env(const std::string& name);  // throws, naming the known ones
const EnvEntry& find_env(const std::string& name);
std::vector<std::string> env_names();

// Uniformly random actions of a discrete space.
Policy uniform_random_policy(int64_t num_actions);

// Runs one episode of `policy` from reset(seed), drawing the policy's randomness from
// `policy_rng`.
Trajectory run_episode(Env& env, const Policy& policy, uint64_t seed, std::mt19937_64& policy_rng);

}  // namespace attnlab
