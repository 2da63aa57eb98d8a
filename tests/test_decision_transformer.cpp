// The Decision Transformer family: causality over its interleaved tokens, a tiny model that
// overfits a few grid episodes and replays them in the environment, train + eval by rollout
// from the command line, exact resume, and the exported file acting in Python as attnlab does.
#include <catch2/catch.hpp>

#include "core/util/portable_random.h"
#include "datasets/trajectory_dataset.h"
#include "envs/cartpole.h"
#include "envs/key_door_grid.h"
#include "models/decision_task.h"
#include "models/rollout.h"
#include "test_paths.h"
#include "test_util.h"
#include "trainers/recipes.h"

using namespace attnlab;
using attnlab::testing::load_run;
using attnlab::testing::read_text;
using attnlab::testing::run_command;
using attnlab::testing::TempDir;
using Catch::Matchers::Contains;

namespace {

DecisionTransformer tiny_model(int64_t obs_dims, int64_t num_actions, int64_t context, const std::string& conditioning,
                               int64_t max_timestep = 50) {
  torch::manual_seed(4);
  DecisionTransformerOptions o;
  o.n_layer = 2, o.n_head = 2, o.n_embd = 32, o.dropout = 0;
  o.context = context, o.conditioning = conditioning;
  o.observation_dims = obs_dims, o.num_actions = num_actions, o.max_timestep = max_timestep;
  o.observation_mean.assign(obs_dims, 0.0), o.observation_std.assign(obs_dims, 1.0);
  DecisionTransformer m(o);
  m->eval();
  return m;
}

// `n` CartPole episodes of the shipped behaviour mix (each part in turn), written as a trajectory file.
std::string write_cartpole_file(const TempDir& dir, int n) {
  const auto mix = cartpole_behaviour();
  CartPole env;
  TrajectoryFile f{{"cartpole", 4, env.action_space()}, {}};
  std::mt19937_64 rng(8);
  for (int e = 0; e < n; ++e) {
    const auto& part = mix.parts[e % mix.parts.size()];
    f.episodes.push_back(run_episode(env, part.make(rng), 100 + e, rng));
    f.episodes.back().policy = part.name;
  }
  const std::string path = dir / "cartpole.jsonl";
  write_trajectories(path, f);
  return path;
}

TrainSummary train_tiny(const TempDir& dir, const std::string& data, std::vector<std::string> overrides) {
  overrides.push_back("data.path=" + data);
  return attnlab::testing::train_config("rl/cartpole_dt_tiny.yaml", dir, overrides);
}

// `attnlab train` on the tiny config from the command line, on trajectory file `data`.
attnlab::testing::CommandResult train_command(const TempDir& dir, const std::string& data, const std::string& extra = "") {
  return run_command(std::string(ATTNLAB_BIN) + " train " + ATTNLAB_SOURCE_DIR + "/configs/rl/cartpole_dt_tiny.yaml " +
                         "experiment.out_dir=" + dir.path() + " data.path=" + data + (extra.empty() ? "" : " " + extra),
                     dir);
}

}  // namespace

TEST_CASE("decision transformer is causal: the action at step t reads R_1..R_t, s_1..s_t, a_1..a_(t-1) only") {
  for (const std::string conditioning : {"return", "none"}) {
    INFO(conditioning);
    auto model = tiny_model(3, 4, 6, conditioning);
    torch::manual_seed(1);
    const auto R = torch::rand({2, 6}), s = torch::randn({2, 6, 3});
    const auto a = torch::randint(4, {2, 6}), ts = torch::arange(6).repeat({2, 1});
    const auto before = model(R, s, a, ts);
    REQUIRE(before.sizes() == torch::IntArrayRef({2, 6, 4}));
    // Change the action at step 3 (0-based) and everything after it: predictions 0..3 stay.
    auto R2 = R.clone(), s2 = s.clone(), a2 = a.clone();
    a2.narrow(1, 3, 3).fill_(0), a2.select(1, 3).fill_(3);
    R2.narrow(1, 4, 2).add_(5), s2.narrow(1, 4, 2).add_(5);
    const auto after = model(R2, s2, a2, ts);
    CHECK(after.narrow(1, 0, 4).equal(before.narrow(1, 0, 4)));
    CHECK((after.narrow(1, 4, 2) - before.narrow(1, 4, 2)).abs().max().item<double>() > 1e-4);
    // The return-to-go at step 3 moves prediction 3 under return conditioning, and nothing without it.
    auto R3 = R.clone();
    R3.select(1, 3).add_(2);
    const double moved = (model(R3, s, a, ts).select(1, 3) - before.select(1, 3)).abs().max().item<double>();
    if (conditioning == "return")
      CHECK(moved > 1e-4);
    else
      CHECK(moved == 0.0);
    // A shorter context gives the same first predictions.
    CHECK((model(R.narrow(1, 0, 2), s.narrow(1, 0, 2), a.narrow(1, 0, 2), ts.narrow(1, 0, 2)) - before.narrow(1, 0, 2))
              .abs().max().item<double>() < 1e-6);
  }
}

TEST_CASE("a tiny decision transformer overfits three grid episodes, then replays each in the environment") {
  // Noisy-planner episodes from three starts: detours included, so replaying them is memory, not planning.
  const auto mix = key_door_grid_behaviour();
  KeyDoorGrid env;
  TrajectoryFile f{{"key_door_grid", env.observation_dims(), env.action_space()}, {}};
  std::mt19937_64 rng(21);
  std::vector<uint64_t> seeds;
  for (uint64_t seed = 0; f.episodes.size() < 3; ++seed) {
    Trajectory t = run_episode(env, mix.parts[2].make(rng), seed, rng);
    const auto start = KeyDoorGrid::decode(t.observations.front());
    // Reaches the goal the long way, from a start not used yet.
    bool new_start = true;
    for (const auto& e : f.episodes) new_start = new_start && KeyDoorGrid::decode(e.observations.front()) != start;
    if (t.terminated && t.length() > KeyDoorGrid::steps_to_goal(start.first, false) && t.length() <= 24 && new_start)
      f.episodes.push_back(t), seeds.push_back(seed);
  }
  TrajectoryOptions o;
  o.val_fraction = 0;
  TrajectoryDataset data(f, o, /*context=*/24, /*seed=*/1);
  const Batch batch = data.examples("train", 0, 3);  // the three whole episodes
  auto model = tiny_model(env.observation_dims(), 4, 24, "return", 40);
  model->options.return_scale = 1;
  DecisionTask task(model, {}, "key_door_grid", 1, 0.5);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(3e-3));
  model->train();
  for (int i = 0; i < 400; ++i) {
    adam.zero_grad();
    auto out = task.compute(batch);
    out.loss.backward();
    adam.step();
  }
  model->eval();
  torch::NoGradGuard no_grad;
  CHECK(task.compute(batch).metrics.value("action_accuracy") == 1.0);
  // Asked for each episode's return from its start, the agent walks that episode's path.
  const auto& episodes = data.episodes("train");
  std::vector<double> targets;
  std::vector<uint64_t> starts;
  for (const auto& t : episodes) {
    targets.push_back(t.total_return());
    for (size_t i = 0; i < f.episodes.size(); ++i)
      if (f.episodes[i].observations == t.observations) starts.push_back(seeds[i]);
  }
  REQUIRE(starts.size() == 3);
  const auto outcomes = rollout(model, "key_door_grid", targets, starts);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(outcomes[i].length == episodes[i].length());
    CHECK(outcomes[i].achieved == Approx(episodes[i].total_return()));
    CHECK(outcomes[i].solved);
  }
}

TEST_CASE("CLI: data prepare cartpole, train the tiny decision transformer, eval rolls out and plots return "
          "against target") {
  TempDir dir;
  const std::string bin = ATTNLAB_BIN;
  auto prepared = run_command(bin + " data prepare cartpole --out " + (dir / "prep"), dir);
  INFO(prepared.out);
  REQUIRE(prepared.status == 0);
  CHECK_THAT(prepared.out, Contains("1000 episodes of cartpole") && Contains("expert") && Contains("return deciles"));
  const auto file = read_trajectories(dir / "prep/cartpole.jsonl");
  int64_t experts = 0;
  for (const auto& t : file.episodes) experts += t.policy == "expert";
  CHECK(experts <= 100);  // at most 10% of episodes

  // A missing file says what to run.
  auto missing = train_command(dir, dir / "nowhere/cartpole.jsonl");
  CHECK(missing.status != 0);
  CHECK_THAT(missing.err, Contains("not found") && Contains("attnlab data prepare cartpole"));

  const std::string data = write_cartpole_file(dir, 12);
  auto trained = train_command(dir, data);
  INFO(trained.out);
  REQUIRE(trained.status == 0);
  CHECK_THAT(trained.out, Contains("env cartpole") && Contains("val return") && Contains("val solved"));
  // The episodes run once an evaluation, with the val split: there is no train_return.
  const std::string metrics = read_text(dir / "cartpole_dt_tiny/metrics.jsonl");
  CHECK_THAT(metrics, Contains("\"val_return\"") && !Contains("train_return"));
  auto eval = run_command(bin + " eval " + (dir / "cartpole_dt_tiny"), dir);
  INFO(eval.out);
  REQUIRE(eval.status == 0);
  const auto j = nlohmann::json::parse(read_text(dir / "cartpole_dt_tiny/eval_val.json"));
  const auto& curves = j.at("curves");
  // eval_targets 2 of eval_return 500: targets 250 and 500.
  CHECK(curves.at("x") == nlohmann::json({250.0, 500.0}));
  const auto achieved = curves.at("lines").at("achieved (mean)").get<std::vector<double>>();
  REQUIRE(achieved.size() == 2);
  CHECK(achieved[1] == Approx(j.at("return").get<double>()));
  for (double r : achieved) CHECK((r >= 8 && r <= 500));  // a CartPole episode lasts 8 to 500 steps
  CHECK(curves.at("lines").at("dataset best").at(0) == 500.0);  // the expert episodes
  CHECK(read_text(dir / "cartpole_dt_tiny/eval_val.png").substr(1, 3) == "PNG");

  // Episodes no checkpoint was chosen on: their own file; one episode a target.
  auto fresh = run_command(bin + " eval " + (dir / "cartpole_dt_tiny") + " --rollout-seed 3 --episodes 1", dir);
  INFO(fresh.out);
  REQUIRE(fresh.status == 0);
  const auto f = nlohmann::json::parse(read_text(dir / "cartpole_dt_tiny/eval_val_seed3.json"));
  CHECK(f.at("curves").at("x") == curves.at("x"));
  CHECK(f.contains("return"));
  CHECK(f.at("checkpoint") == j.at("checkpoint"));

  // Behaviour cloning as a baseline: its one return, drawn flat beside the Decision Transformer's curve.
  auto bc = train_command(dir, data, "experiment.name=bc model.conditioning=none model.eval_targets=1");
  REQUIRE(bc.status == 0);
  auto unevaluated = run_command(bin + " eval " + (dir / "cartpole_dt_tiny") + " --baseline " + (dir / "bc"), dir);
  CHECK(unevaluated.status != 0);
  CHECK_THAT(unevaluated.err, Contains("--baseline " + (dir / "bc") + ": no " + (dir / "bc/eval_val.json")));
  REQUIRE(run_command(bin + " eval " + (dir / "bc"), dir).status == 0);
  const double bc_return = nlohmann::json::parse(read_text(dir / "bc/eval_val.json")).at("return").get<double>();
  auto with_bc = run_command(bin + " eval " + (dir / "cartpole_dt_tiny") + " --baseline " + (dir / "bc"), dir);
  INFO(with_bc.out);
  REQUIRE(with_bc.status == 0);
  const auto w = nlohmann::json::parse(read_text(dir / "cartpole_dt_tiny/eval_val.json"));
  CHECK(w.at("curves").at("lines").at("bc (baseline)") == nlohmann::json({bc_return, bc_return}));
}

TEST_CASE("a log of one's own: continuous actions from an environment attnlab lacks train by MSE, without rollouts") {
  TempDir dir;
  // A 2-dim observation, a 2-dim action that is a fixed linear function of it: learnable.
  TrajectoryFile f{{"my_robot", 2, {false, 0, 2}}, {}};
  std::mt19937_64 rng(4);
  for (int e = 0; e < 10; ++e) {
    Trajectory t;
    for (int i = 0; i < 6; ++i) {
      const double x = standard_normal(rng), y = standard_normal(rng);
      t.observations.push_back({x, y}), t.actions.push_back({x + y, x - y}), t.rewards.push_back(0.1 * i);
    }
    f.episodes.push_back(t);
  }
  write_trajectories(dir / "robot.jsonl", f);
  auto trained = train_command(dir, dir / "robot.jsonl",
                               "trainer.best_metric=val_loss trainer.max_iters=60 optimizer.learning_rate=3e-3");
  INFO(trained.out);
  REQUIRE(trained.status == 0);
  CHECK_THAT(trained.out, Contains("env 'my_robot' is not one of attnlab's environments: training without rollouts") &&
                              Contains("2-dim continuous actions"));
  CHECK_THAT(trained.out, !Contains("val return"));
  // The MSE falls well below predicting 0 (E[(x + y)^2] = 2).
  const auto log = run_command(std::string(ATTNLAB_BIN) + " eval " + (dir / "cartpole_dt_tiny"), dir);
  INFO(log.out);
  REQUIRE(log.status == 0);
  const auto j = nlohmann::json::parse(read_text(dir / "cartpole_dt_tiny/eval_val.json"));
  CHECK(j.at("loss").get<double>() < 1.0);
  CHECK_FALSE(j.contains("return"));
  CHECK_FALSE(j.contains("curves"));
  // Training a model on it whose environment is wrong is refused before training.
  f.header.env = "cartpole";
  write_trajectories(dir / "wrong.jsonl", f);
  auto wrong = train_command(dir, dir / "wrong.jsonl", "experiment.name=wrong");
  CHECK(wrong.status != 0);
  CHECK_THAT(wrong.err, Contains("do not match environment cartpole (4 observation numbers, 2 discrete actions)"));
}

TEST_CASE("decision transformer training resumes exactly, dropout included: 6 steps + resume + 14 equals 20 straight") {
  TempDir dir;
  const std::string data = write_cartpole_file(dir, 12);
  auto straight = train_tiny(dir, data, {"trainer.max_iters=20", "experiment.name=straight", "model.dropout=0.1"});
  // Stopped right after the warmup (5 steps): the learning rates so far do not depend on max_iters.
  auto first = train_tiny(dir, data, {"trainer.max_iters=6", "experiment.name=split", "model.dropout=0.1"});
  REQUIRE(first.step == 6);
  REQUIRE(attnlab::testing::resume_run(first, 20).step == 20);
  CHECK(attnlab::testing::max_param_diff(straight.run_dir, first.run_dir) == 0.0);
}

TEST_CASE("export: a decision transformer's file equals the native model, and Python's rollout with it collects "
          "what attnlab's does") {
  TempDir dir;
  const std::string data = write_cartpole_file(dir, 12);
  const std::string run_dir = train_tiny(dir, data, {"trainer.max_iters=20"}).run_dir;
  ExportRequest r;
  r.run_dir = run_dir, r.out = dir / "dt.pt";
  const ExportSummary s = export_run(r);
  INFO(s.text);
  REQUIRE(s.passed);
  const auto py = run_command(std::string(ATTNLAB_PYTHON) + " " + ATTNLAB_SOURCE_DIR + "/examples/python/rollout.py " +
                                  r.out + " --targets 100,500 --episodes 3 --seed 2 --json",
                              dir);
  INFO(py.out);
  REQUIRE(py.status == 0);
  const auto j = nlohmann::json::parse(py.out.substr(0, py.out.find('\n')));
  Assembled a = load_run(run_dir);
  auto model = std::dynamic_pointer_cast<DecisionTransformerImpl>(a.model.module);
  REQUIRE(model);
  torch::NoGradGuard no_grad;
  DecisionTransformer holder(model);
  const auto native = rollout(holder, "cartpole", {100, 100, 100, 500, 500, 500},
                              {2000000, 2000001, 2000002, 2000000, 2000001, 2000002});
  const auto returns = j.at("returns").get<std::vector<double>>();
  const auto lengths = j.at("lengths").get<std::vector<int64_t>>();
  REQUIRE(returns.size() == 6);
  for (size_t i = 0; i < 6; ++i) {
    CHECK(returns[i] == native[i].achieved);
    CHECK(lengths[i] == native[i].length);
  }
}
