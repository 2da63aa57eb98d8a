#include "envs/key_door_grid.h"

#include <array>
#include <deque>
#include <stdexcept>

#include "core/util/portable_random.h"

namespace attnlab {

namespace {
bool wall(int64_t cell) {
  const int64_t r = cell / KeyDoorGrid::cols, c = cell % KeyDoorGrid::cols;
  return r == 0 || r == KeyDoorGrid::rows - 1 || c == 0 || c == KeyDoorGrid::cols - 1 ||
         (c == 4 && cell != KeyDoorGrid::door_cell);
}
constexpr int64_t kStates = KeyDoorGrid::rows * KeyDoorGrid::cols * 2;  // (cell, has_key)

// Steps to the goal from every (cell, has_key) state (computed once).
const std::array<int64_t, kStates>& distances() {
  static const std::array<int64_t, kStates> d = [] {
    std::array<int64_t, kStates> dist;
    dist.fill(-1);
    // 90 states: relax every state's moves (Bellman-Ford style) until nothing changes.
    dist[KeyDoorGrid::goal_cell * 2 + 0] = dist[KeyDoorGrid::goal_cell * 2 + 1] = 0;
    for (bool changed = true; changed;) {
      changed = false;
      for (int64_t s = 0; s < kStates; ++s) {
        const int64_t cell = s / 2;
        const bool key = s % 2;
        if (wall(cell) && cell != KeyDoorGrid::door_cell) continue;
        if (cell == KeyDoorGrid::goal_cell) continue;
        for (int a = 0; a < 4; ++a) {
          const int64_t next = KeyDoorGrid::move(cell, a, key);
          const bool next_key = key || next == KeyDoorGrid::key_cell;
          const int64_t dn = dist[next * 2 + next_key];
          if (dn >= 0 && (dist[s] < 0 || dn + 1 < dist[s])) dist[s] = dn + 1, changed = true;
        }
      }
    }
    return dist;
  }();
  return d;
}
}  // namespace

int64_t KeyDoorGrid::move(int64_t cell, int action, bool has_key) {
  static constexpr int64_t delta[4] = {-cols, 1, cols, -1};
  if (action < 0 || action > 3) throw std::invalid_argument("KeyDoorGrid: an action is 0 up, 1 right, 2 down or 3 left");
  const int64_t next = cell + delta[action];
  if (next == door_cell) return has_key ? next : cell;
  return wall(next) ? cell : next;
}

int64_t KeyDoorGrid::steps_to_goal(int64_t cell, bool has_key) { return distances()[cell * 2 + has_key]; }

int KeyDoorGrid::optimal_action(int64_t cell, bool has_key) {
  const int64_t here = steps_to_goal(cell, has_key);
  for (int a = 0; a < 4; ++a) {
    const int64_t next = move(cell, a, has_key);
    if (next != cell && steps_to_goal(next, has_key || next == key_cell) == here - 1) return a;
  }
  return 0;
}

std::pair<int64_t, bool> KeyDoorGrid::decode(const std::vector<double>& o) {
  if (static_cast<int64_t>(o.size()) != rows * cols + 1) throw std::invalid_argument("KeyDoorGrid: observation of 46 numbers expected");
  int64_t cell = 0;
  for (int64_t i = 0; i < rows * cols; ++i)
    if (o[i] > 0.5) cell = i;
  return {cell, o.back() > 0.5};
}

std::vector<double> KeyDoorGrid::observation() const {
  std::vector<double> o(rows * cols + 1, 0.0);
  o[cell_] = 1;
  o.back() = has_key_ ? 1 : 0;
  return o;
}

std::vector<double> KeyDoorGrid::start(uint64_t seed) {
  std::vector<int64_t> starts;
  for (int64_t r = 1; r <= 3; ++r)
    for (int64_t c = 1; c <= 3; ++c)
      if (r * cols + c != key_cell) starts.push_back(r * cols + c);
  uint64_t stream = seed;
  cell_ = starts[splitmix64(stream) % starts.size()];
  has_key_ = false;
  return observation();
}

StepResult KeyDoorGrid::transition(const std::vector<double>& action) {
  cell_ = move(cell_, static_cast<int>(action[0]), has_key_);
  has_key_ = has_key_ || cell_ == key_cell;
  StepResult r{observation(), 0.0, cell_ == goal_cell, false};
  if (r.terminated) r.reward = 1.0 - 0.9 * static_cast<double>(steps() + 1) / time_limit;  // this step included
  return r;
}

BehaviourMix key_door_grid_behaviour() {
  BehaviourMix mix;
  mix.note = "random walks, key-then-wander and noisy planners; episodes that are optimal from their start dropped";
  auto random_action = [](std::mt19937_64& r) { return std::vector<double>{static_cast<double>(r() % 4)}; };
  mix.parts.push_back({"random", 300, [](std::mt19937_64&) { return uniform_random_policy(4); }});
  mix.parts.push_back({"key_then_wander", 300, [random_action](std::mt19937_64&) -> Policy {
                         return [random_action](const std::vector<double>& o, std::mt19937_64& r) {
                           const auto [cell, key] = KeyDoorGrid::decode(o);
                           if (key) return random_action(r);
                           // The shortest way to the key: the planner's moves while it lacks the key lead there.
                           return std::vector<double>{static_cast<double>(KeyDoorGrid::optimal_action(cell, false))};
                         };
                       }});
  mix.parts.push_back({"noisy_planner", 400, [random_action](std::mt19937_64& rng) -> Policy {
                         const double noise = 0.3 + 0.3 * uniform01(rng);
                         return [noise, random_action](const std::vector<double>& o, std::mt19937_64& r) {
                           if (uniform01(r) < noise) return random_action(r);
                           const auto [cell, key] = KeyDoorGrid::decode(o);
                           return std::vector<double>{static_cast<double>(KeyDoorGrid::optimal_action(cell, key))};
                         };
                       }});
  mix.keep = [](const Trajectory& t) {
    const auto [start, key] = KeyDoorGrid::decode(t.observations.front());
    return !(t.terminated && t.length() == KeyDoorGrid::steps_to_goal(start, key));
  };
  return mix;
}

}  // namespace attnlab
