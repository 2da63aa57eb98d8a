// The offline-RL trajectory file (docs/rl.md): JSON Lines, a header line then one episode per
// line, so that a user can write their own logs in it:
//   {"format": "attnlab.trajectories", "env": "cartpole", "observation_dims": 4,
//    "action_space": {"type": "discrete", "num_actions": 2}}
//   {"observations": [[x, ...], ...], "actions": [1, ...], "rewards": [1.0, ...], "terminated": true}
// Per episode: one observation (observation_dims numbers), action (an index, or a list of
// `dims` numbers for "type": "continuous") and reward per step, all finite; "terminated"
// (default true) is false for an episode a time limit or the log cut; "policy" is optional.
// "env" names a registered environment for rollouts (envs/env.h), or is "" for none. LibTorch-free.
#pragma once

#include <string>
#include <vector>

#include "envs/env.h"

namespace attnlab {

struct TrajectoryHeader {
  std::string env;  // "" : no environment to roll out in
  int64_t observation_dims = 0;
  ActionSpace action_space;
};

struct TrajectoryFile {
  TrajectoryHeader header;
  std::vector<Trajectory> episodes;
};

// Reads and checks a whole file; throws std::runtime_error naming the file, the line and what
// is wrong (not JSON, a missing field, ragged lengths, a NaN reward, an action out of range).
TrajectoryFile read_trajectories(const std::string& path);
// Writes atomically (a reader never sees half a file).
void write_trajectories(const std::string& path, const TrajectoryFile& file);

// The return-to-go at each step: R_t = r_t + r_{t+1} + ... + r_{T-1}.
std::vector<double> returns_to_go(const std::vector<double>& rewards);

// `attnlab data prepare ENV`: runs the environment's behaviour mix (envs/env.h) with seeds from
// `seed` and writes out_dir/ENV.jsonl; returns the dataset's return distribution for the console.
std::string prepare_offline_data(const std::string& env, const std::string& out_dir, uint64_t seed = 1337);

}  // namespace attnlab
