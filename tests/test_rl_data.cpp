// Offline RL's environments and data: CartPole against a hand-computed step and its
// termination rules, the key-door grid, seeded determinism, the trajectory file's round trip
// and its errors, returns-to-go by hand, and the windows a batch is cut into.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/util/portable_random.h"
#include "datasets/trajectory_dataset.h"
#include "datasets/trajectory_file.h"
#include "envs/cartpole.h"
#include "envs/key_door_grid.h"
#include "test_util.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

TEST_CASE("CartPole: one step from rest against a hand computation of the published equations") {
  // From rest, pushed right (F = 10 N): sin 0 = 0 and cos 0 = 1 leave
  //   temp = F / (m_c + m_p) = 100/11,  theta_acc = -temp / (l (4/3 - m_p / (m_c + m_p))) = -(100/11) / (41/66) = -600/41,
  //   x_acc = temp - m_p l theta_acc / (m_c + m_p) = 100/11 + 300/451 = 4400/451;
  // Euler: positions move with the old (zero) velocities, velocities by tau = 0.02 times the accelerations.
  const auto s = CartPole::dynamics({0, 0, 0, 0}, 1);
  CHECK(s[0] == 0.0);
  CHECK(s[1] == Approx(0.02 * 4400.0 / 451.0).epsilon(1e-12));
  CHECK(s[2] == 0.0);
  CHECK(s[3] == Approx(-0.02 * 600.0 / 41.0).epsilon(1e-12));
  // A tilted, moving pole, against Barto et al.'s form of the equations written out here:
  //   theta_acc = (g sin + cos (-F - m_p l w^2 sin) / M) / (l (4/3 - m_p cos^2 / M)),
  //   x_acc = (F + m_p l (w^2 sin - theta_acc cos)) / M.
  const double x = 0.3, v = -0.2, th = 0.1, w = 0.5, F = -10, M = 1.1, mp = 0.1, l = 0.5, g = 9.8;
  const double ta = (g * std::sin(th) + std::cos(th) * (-F - mp * l * w * w * std::sin(th)) / M) /
                    (l * (4.0 / 3.0 - mp * std::cos(th) * std::cos(th) / M));
  const double xa = (F + mp * l * (w * w * std::sin(th) - ta * std::cos(th))) / M;
  const auto t = CartPole::dynamics({x, v, th, w}, 0);
  CHECK(t[0] == Approx(x + 0.02 * v).epsilon(1e-12));
  CHECK(t[1] == Approx(v + 0.02 * xa).epsilon(1e-12));
  CHECK(t[2] == Approx(th + 0.02 * w).epsilon(1e-12));
  CHECK(t[3] == Approx(w + 0.02 * ta).epsilon(1e-12));
}

TEST_CASE("CartPole: reward 1 a step, termination past 12 degrees or 2.4 m, truncation at 500, bad calls refused") {
  CHECK_FALSE(CartPole::out_of_bounds({2.39, 0, 0.2094, 0}));  // 12 degrees = 0.20944 rad
  CHECK(CartPole::out_of_bounds({2.41, 0, 0, 0}));
  CHECK(CartPole::out_of_bounds({-2.41, 0, 0, 0}));
  CHECK(CartPole::out_of_bounds({0, 0, 0.2095, 0}));
  CHECK(CartPole::out_of_bounds({0, 0, -0.2095, 0}));
  CartPole env;
  CHECK_THROWS_WITH(env.step({1}), Contains("before reset"));
  env.reset(3);
  CHECK_THROWS_WITH(env.step({2}), Contains("an action is an index in [0, 2), not 2"));
  CHECK_THROWS_WITH(env.step({0.5}), Contains("not 0.5"));
  CHECK_THROWS_WITH(env.step({0, 1}), Contains("an action has 1 number(s), not 2"));
  // Always pushing right: the pole falls back within a few dozen steps, each rewarded 1.
  int64_t steps = 0;
  StepResult r;
  do {
    r = env.step({1}), ++steps;
    CHECK(r.reward == 1.0);
  } while (!r.done());
  CHECK(r.terminated);
  CHECK_FALSE(r.truncated);
  CHECK(steps < 60);
  CHECK(CartPole::out_of_bounds({r.observation[0], r.observation[1], r.observation[2], r.observation[3]}));
  CHECK_THROWS_WITH(env.step({0}), Contains("after the episode ended"));
  // The expert balances until the time limit truncates the episode at 500 steps.
  std::mt19937_64 rng(1);
  const auto mix = cartpole_behaviour();
  const Policy expert = mix.parts.at(2).make(rng);
  REQUIRE(mix.parts.at(2).name == "expert");
  const Trajectory t = run_episode(env, expert, 11, rng);
  CHECK(t.length() == 500);
  CHECK(t.total_return() == 500.0);
  CHECK_FALSE(t.terminated);
}

TEST_CASE("environments are deterministic under a seed: resets, and whole episodes of a seeded policy") {
  for (const std::string name : {"cartpole", "key_door_grid"}) {
    INFO(name);
    auto a = make_env(name), b = make_env(name);
    CHECK(a->reset(42) == b->reset(42));
    bool differs = false;
    for (uint64_t s = 0; s < 8; ++s) differs = differs || a->reset(s) != b->reset(s + 100);
    CHECK(differs);
    const auto mix = find_env(name).behaviour();
    std::mt19937_64 r1(5), r2(5);
    const Policy p1 = mix.parts.front().make(r1), p2 = mix.parts.front().make(r2);
    const Trajectory t1 = run_episode(*a, p1, 9, r1), t2 = run_episode(*b, p2, 9, r2);
    CHECK(t1.observations == t2.observations);
    CHECK(t1.actions == t2.actions);
    CHECK(t1.rewards == t2.rewards);
  }
  // CartPole's reset: splitmix64 of the seed, four uniforms in [-0.05, 0.05] (the Python port's rule).
  CartPole env;
  const auto obs = env.reset(7);
  uint64_t stream = 7;
  for (double v : obs) {
    CHECK(v == -0.05 + 0.1 * static_cast<double>(splitmix64(stream) >> 11) * 0x1.0p-53);
    CHECK(std::abs(v) <= 0.05);
  }
  CHECK_THROWS_WITH(make_env("cartpol"), Contains("unknown environment 'cartpol'") && Contains("cartpole"));
}

TEST_CASE("key-door grid: shortest paths by hand, the locked door, the key, MiniGrid's reward") {
  constexpr int64_t C = KeyDoorGrid::cols;
  // From the left room's top-right cell (1, 3): 4 steps to the key at (3, 1), 4 to the door at
  // (2, 4), 3 to the goal at (2, 7).
  CHECK(KeyDoorGrid::steps_to_goal(1 * C + 3, false) == 11);
  CHECK(KeyDoorGrid::steps_to_goal(KeyDoorGrid::key_cell, true) == 7);
  CHECK(KeyDoorGrid::steps_to_goal(KeyDoorGrid::door_cell, true) == 3);
  // Without the key the door is a wall; with it, a passage.
  CHECK(KeyDoorGrid::move(2 * C + 3, 1, false) == 2 * C + 3);
  CHECK(KeyDoorGrid::move(2 * C + 3, 1, true) == KeyDoorGrid::door_cell);
  CHECK(KeyDoorGrid::move(1 * C + 1, 0, true) == 1 * C + 1);  // the outer wall
  // Following the optimal actions from every start reaches the goal in steps_to_goal steps,
  // rewarded 1 - 0.9 * steps / 40.
  KeyDoorGrid env;
  for (uint64_t seed = 0; seed < 16; ++seed) {
    env.reset(seed);
    const int64_t start = env.cell(), best = KeyDoorGrid::steps_to_goal(start, false);
    StepResult r;
    int64_t steps = 0;
    do r = env.step({static_cast<double>(KeyDoorGrid::optimal_action(env.cell(), env.has_key()))}), ++steps;
    while (!r.done());
    CHECK(r.terminated);
    CHECK(steps == best);
    CHECK(r.reward == Approx(1.0 - 0.9 * static_cast<double>(best) / 40));
    CHECK(KeyDoorGrid::decode(r.observation) == std::make_pair(KeyDoorGrid::goal_cell, true));
  }
  // The shipped mix holds no episode that is optimal from its start.
  const auto mix = key_door_grid_behaviour();
  Trajectory optimal;
  optimal.observations.push_back(env.reset(0));
  optimal.rewards.assign(static_cast<size_t>(KeyDoorGrid::steps_to_goal(env.cell(), false)), 0.0);
  optimal.terminated = true;
  CHECK_FALSE(mix.keep(optimal));
  optimal.rewards.push_back(0.0);
  CHECK(mix.keep(optimal));
}

TEST_CASE("returns-to-go by hand") {
  CHECK(returns_to_go({1, 2, 3}) == std::vector<double>{6, 5, 3});
  CHECK(returns_to_go({0, 0, 0.5}) == std::vector<double>{0.5, 0.5, 0.5});
  CHECK(returns_to_go({}).empty());
}

namespace {
const char* kHeader =
    R"({"format": "attnlab.trajectories", "env": "cartpole", "observation_dims": 2, "action_space": {"type": "discrete", "num_actions": 2}})";
}

TEST_CASE("trajectory file: a round trip keeps every number, and errors name the file, the line and the fault") {
  TempDir dir;
  TrajectoryFile f{{"cartpole", 2, {true, 2, 1}}, {}};
  Trajectory t;
  t.observations = {{0.1, -1.0 / 3.0}, {2.5e-17, 7}};
  t.actions = {{1}, {0}};
  t.rewards = {1.0, 0.25};
  t.terminated = false, t.policy = "medium";
  f.episodes = {t, t};
  f.episodes[1].terminated = true;
  write_trajectories(dir / "t.jsonl", f);
  const auto back = read_trajectories(dir / "t.jsonl");
  CHECK(back.header.env == "cartpole");
  CHECK(back.header.observation_dims == 2);
  CHECK(back.header.action_space.num_actions == 2);
  REQUIRE(back.episodes.size() == 2);
  CHECK(back.episodes[0].observations == t.observations);
  CHECK(back.episodes[0].actions == t.actions);
  CHECK(back.episodes[0].rewards == t.rewards);
  CHECK_FALSE(back.episodes[0].terminated);
  CHECK(back.episodes[1].terminated);
  CHECK(back.episodes[0].policy == "medium");

  auto fails = [&](const std::string& episode_line, const std::string& what) {
    write_text(dir / "bad.jsonl", std::string(kHeader) + "\n" + R"({"observations": [[0,0]], "actions": [0], "rewards": [1]})" +
                                      "\n" + episode_line + "\n");
    CHECK_THROWS_WITH(read_trajectories(dir / "bad.jsonl"), Contains(dir / "bad.jsonl:3: ") && Contains(what));
  };
  fails(R"({"observations": [[0,0]], "actions": [1]})", "no \"rewards\"");
  fails(R"({"observations": [[0,0],[1,1]], "actions": [1, 0], "rewards": [1]})",
        "ragged episode: 2 observations, 2 actions, 1 rewards");
  fails(R"({"observations": [[0,0]], "actions": [1], "rewards": [NaN]})", "NaN and Infinity are not JSON numbers");
  fails(R"({"observations": [[0,0]], "actions": [1], "rewards": [null]})", "rewards[0] is not a number (null)");
  fails(R"({"observations": [[0,0]], "actions": [2], "rewards": [1]})", "actions[0] = 2 is not an action index in [0, 2)");
  fails(R"({"observations": [[0,0,0]], "actions": [1], "rewards": [1]})", "observations[0] is not a list of observation_dims = 2");
  fails(R"({"observations": [], "actions": [], "rewards": []})", "at least one step");
  // A field of the wrong type names its line; blank lines (before the header too) are skipped.
  write_text(dir / "types.jsonl", std::string("\n") + kHeader + "\n" +
                                      R"({"observations": [[0,0]], "actions": [0], "rewards": [1], "terminated": "yes"})" + "\n");
  CHECK_THROWS_WITH(read_trajectories(dir / "types.jsonl"), Contains("types.jsonl:3: \"terminated\" must be true or false"));
  write_text(dir / "envnull.jsonl", std::string(R"({"format": "attnlab.trajectories", "env": null, "observation_dims": 2})") + "\n");
  CHECK_THROWS_WITH(read_trajectories(dir / "envnull.jsonl"), Contains("envnull.jsonl:1: the header's \"env\" must be a string"));
  write_text(dir / "nohead.jsonl", R"({"observations": [[0,0]], "actions": [0], "rewards": [1]})" "\n");
  CHECK_THROWS_WITH(read_trajectories(dir / "nohead.jsonl"), Contains("nohead.jsonl:1: the first line must be the header"));
  CHECK_THROWS_WITH(read_trajectories(dir / "missing.jsonl"), Contains("cannot read the trajectory file"));
}

TEST_CASE("trajectory windows: states, actions, returns-to-go and timesteps of K steps, padded and masked at the end") {
  TrajectoryFile f{{"", 1, {true, 3, 1}}, {}};
  for (int e = 0; e < 4; ++e) {
    Trajectory t;
    for (int i = 0; i < 3 + e; ++i) t.observations.push_back({10.0 * e + i}), t.actions.push_back({double(i % 3)}), t.rewards.push_back(e + 1);
    f.episodes.push_back(t);
  }
  TrajectoryOptions o;
  o.val_fraction = 0.25;
  TrajectoryDataset data(f, o, /*context=*/4, /*seed=*/1);
  REQUIRE(data.episodes("train").size() == 3);
  REQUIRE(data.episodes("val").size() == 1);
  // Windows of 4 steps: an episode of 6 steps gives two, the second half empty.
  int64_t windows = 0;
  for (const auto& t : data.episodes("train")) windows += (t.length() + 3) / 4;
  REQUIRE(data.num_examples("train") == windows);
  const Batch b = data.examples("train", 0, windows);
  int64_t row = 0;
  for (const auto& t : data.episodes("train"))
    for (int64_t start = 0; start < t.length(); start += 4, ++row) {
      const auto rtg = returns_to_go(t.rewards);
      for (int64_t k = 0; k < 4; ++k) {
        const bool real = start + k < t.length();
        CHECK(b.at("mask")[row][k].item<bool>() == real);
        if (!real) continue;
        CHECK(b.at("states")[row][k][0].item<float>() == static_cast<float>(t.observations[start + k][0]));
        CHECK(b.at("actions")[row][k].item<int64_t>() == static_cast<int64_t>(t.actions[start + k][0]));
        CHECK(b.at("returns_to_go")[row][k].item<float>() == static_cast<float>(rtg[start + k]));
        CHECK(b.at("timesteps")[row][k].item<int64_t>() == start + k);
      }
    }
  // Filtered BC: the best half by return (episode e returns (e + 1) (3 + e)).
  o.top_fraction = 0.5, o.val_fraction = 0;
  TrajectoryDataset best(f, o, 4, 1);
  REQUIRE(best.episodes("train").size() == 2);
  CHECK(best.episodes("train")[0].total_return() == 24.0);
  CHECK(best.episodes("train")[1].total_return() == 15.0);
  // Training batches draw windows anywhere, seeded.
  std::mt19937_64 r1(3), r2(3);
  CHECK(data.sample("train", 8, r1).at("states").equal(data.sample("train", 8, r2).at("states")));
}
