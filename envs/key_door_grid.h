// A sparse-reward grid task whose best behaviour has three parts: fetch the key, pass the
// locked door, reach the goal. 5 x 9 cells (walls around, a wall with one door between two
// 3 x 3 rooms):
//
//   #########
//   #...#...#      S: the agent starts on one of the left room's 8 free cells (by seed)
//   #...D..G#      K: the key, picked up by stepping on it
//   #K..#...#      D: the door, passable only with the key; G: the goal
//   #########
//
// Actions 0 up, 1 right, 2 down, 3 left (a move into a wall or the locked door stays put).
// Reward 0, except on reaching the goal: 1 - 0.9 * steps / 40 (MiniGrid's rule), which ends the
// episode; truncated after 40 steps. Observation: a one-hot of the agent's cell (45 numbers,
// row-major) and whether it holds the key (1 number).
#pragma once

#include "envs/env.h"

namespace attnlab {

class KeyDoorGrid : public Env {
 public:
  static constexpr int64_t rows = 5, cols = 9, time_limit = 40;
  static constexpr int64_t key_cell = 3 * cols + 1, door_cell = 2 * cols + 4, goal_cell = 2 * cols + 7;

  int64_t observation_dims() const override { return rows * cols + 1; }
  ActionSpace action_space() const override { return {true, 4, 1}; }
  int64_t max_steps() const override { return time_limit; }
  double reward_threshold() const override { return 0.1; }  // any return: the goal was reached

  // The cell a move leads to (the same cell when blocked).
  static int64_t move(int64_t cell, int action, bool has_key);
  // The fewest steps to the goal from (cell, has_key) (relaxed over the moves until stable); -1: unreachable.
  static int64_t steps_to_goal(int64_t cell, bool has_key);
  // An action on a shortest path to the goal (the lowest-numbered when several are).
  static int optimal_action(int64_t cell, bool has_key);
  // (cell, has_key) read back from an observation.
  static std::pair<int64_t, bool> decode(const std::vector<double>& observation);

  int64_t cell() const { return cell_; }
  bool has_key() const { return has_key_; }

 protected:
  std::vector<double> start(uint64_t seed) override;
  StepResult transition(const std::vector<double>& action) override;

 private:
  std::vector<double> observation() const;
  int64_t cell_ = 0;
  bool has_key_ = false;
};

// The offline grid dataset: random walks; "key then wander" (straight to the key, then random);
// noisy planners (a shortest-path action, else a random one at a rate drawn per episode from
// [0.3, 0.6]). Every episode that reaches the goal in the fewest steps from its start is
// dropped: the best behaviour must be stitched from parts of suboptimal ones.
BehaviourMix key_door_grid_behaviour();

}  // namespace attnlab
