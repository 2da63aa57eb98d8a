#include "datasets/trajectory_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/util/files.h"
#include "core/util/json_file.h"
#include "core/util/portable_random.h"

namespace attnlab {

namespace {

constexpr const char* kFormat = "attnlab.trajectories";

struct LineError {
  const std::string& path;
  int64_t line;
  [[noreturn]] void operator()(const std::string& what) const {
    throw std::runtime_error(fmt::format("{}:{}: {}", path, line, what));
  }
};

double finite_number(const nlohmann::json& v, const std::string& where, const LineError& fail) {
  if (!v.is_number()) fail(fmt::format("{} is not a number ({})", where, v.dump()));
  const double x = v.get<double>();
  if (!std::isfinite(x)) fail(fmt::format("{} is not a finite number", where));
  return x;
}

const nlohmann::json& array_field(const nlohmann::json& j, const char* name, const LineError& fail) {
  const auto it = j.find(name);
  if (it == j.end())
    fail(fmt::format("the episode has no \"{}\" (each line needs \"observations\", \"actions\" and \"rewards\")", name));
  if (!it->is_array()) fail(fmt::format("\"{}\" is not a list", name));
  return *it;
}

TrajectoryHeader parse_header(const nlohmann::json& j, const LineError& fail) {
  if (!j.is_object() || j.value("format", "") != kFormat)
    fail(fmt::format("the first line must be the header {{\"format\": \"{}\", \"env\": ..., \"observation_dims\": N, "
                     "\"action_space\": {{\"type\": \"discrete\", \"num_actions\": N}}}} (docs/rl.md)",
                     kFormat));
  TrajectoryHeader h;
  if (j.contains("env") && !j["env"].is_string()) fail("the header's \"env\" must be a string (\"\" for none)");
  h.env = j.value("env", "");
  if (!j.contains("observation_dims") || !j["observation_dims"].is_number_integer() || j["observation_dims"] < 1)
    fail("the header's \"observation_dims\" must be a whole number >= 1");
  h.observation_dims = j["observation_dims"];
  const auto a = j.value("action_space", nlohmann::json::object());
  const std::string type = a.is_object() && a.contains("type") && a["type"].is_string() ? a["type"].get<std::string>() : "";
  if (type == "discrete") {
    if (!a.contains("num_actions") || !a["num_actions"].is_number_integer() || a["num_actions"] < 2)
      fail("a discrete \"action_space\" needs \"num_actions\" >= 2");
    h.action_space = {true, a["num_actions"].get<int64_t>(), 1};
  } else if (type == "continuous") {
    if (!a.contains("dims") || !a["dims"].is_number_integer() || a["dims"] < 1)
      fail("a continuous \"action_space\" needs \"dims\" >= 1");
    h.action_space = {false, 0, a["dims"].get<int64_t>()};
  } else {
    fail("the header's \"action_space\" needs \"type\": \"discrete\" or \"continuous\"");
  }
  return h;
}

Trajectory parse_episode(const nlohmann::json& j, const TrajectoryHeader& h, const LineError& fail) {
  if (!j.is_object()) fail("an episode line must be a JSON object");
  const auto& obs = array_field(j, "observations", fail);
  const auto& act = array_field(j, "actions", fail);
  const auto& rew = array_field(j, "rewards", fail);
  if (obs.size() != act.size() || obs.size() != rew.size())
    fail(fmt::format("ragged episode: {} observations, {} actions, {} rewards (one of each per step)", obs.size(),
                     act.size(), rew.size()));
  if (obs.empty()) fail("an episode has at least one step");
  Trajectory t;
  for (size_t i = 0; i < obs.size(); ++i) {
    if (!obs[i].is_array() || static_cast<int64_t>(obs[i].size()) != h.observation_dims)
      fail(fmt::format("observations[{}] is not a list of observation_dims = {} numbers", i, h.observation_dims));
    std::vector<double> o;
    for (size_t k = 0; k < obs[i].size(); ++k) o.push_back(finite_number(obs[i][k], fmt::format("observations[{}][{}]", i, k), fail));
    t.observations.push_back(std::move(o));
    std::vector<double> a;
    if (h.action_space.discrete) {
      if (!act[i].is_number_integer() || act[i] < 0 || act[i] >= h.action_space.num_actions)
        fail(fmt::format("actions[{}] = {} is not an action index in [0, {})", i, act[i].dump(), h.action_space.num_actions));
      a.push_back(act[i].get<double>());
    } else {
      if (!act[i].is_array() || static_cast<int64_t>(act[i].size()) != h.action_space.dims)
        fail(fmt::format("actions[{}] is not a list of {} numbers (the action_space's dims)", i, h.action_space.dims));
      for (size_t k = 0; k < act[i].size(); ++k) a.push_back(finite_number(act[i][k], fmt::format("actions[{}][{}]", i, k), fail));
    }
    t.actions.push_back(std::move(a));
    t.rewards.push_back(finite_number(rew[i], fmt::format("rewards[{}]", i), fail));
  }
  if (j.contains("terminated") && !j["terminated"].is_boolean()) fail("\"terminated\" must be true or false");
  if (j.contains("policy") && !j["policy"].is_string()) fail("\"policy\" must be a string");
  t.terminated = j.value("terminated", true);
  t.policy = j.value("policy", "");
  return t;
}

}  // namespace

TrajectoryFile read_trajectories(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(fmt::format("cannot read the trajectory file {}", path));
  TrajectoryFile file;
  bool header = false;
  // A field of the wrong type (a string where a number belongs) is a damaged record naming the line.
  for_each_json_line(path, [&](const nlohmann::json& j, int64_t line) {
    const LineError fail{path, line};
    if (!header)
      file.header = parse_header(j, fail), header = true;
    else
      file.episodes.push_back(parse_episode(j, file.header, fail));
  });
  if (!header) throw std::runtime_error(fmt::format("{}: empty: a header line and episodes expected (docs/rl.md)", path));
  if (file.episodes.empty()) throw std::runtime_error(fmt::format("{}: no episodes after the header", path));
  return file;
}

void write_trajectories(const std::string& path, const TrajectoryFile& file) {
  const auto& h = file.header;
  nlohmann::json head = {{"format", kFormat}, {"env", h.env}, {"observation_dims", h.observation_dims}};
  head["action_space"] = h.action_space.discrete
                             ? nlohmann::json{{"type", "discrete"}, {"num_actions", h.action_space.num_actions}}
                             : nlohmann::json{{"type", "continuous"}, {"dims", h.action_space.dims}};
  std::string text = head.dump() + "\n";
  for (const auto& t : file.episodes) {
    nlohmann::json e;
    e["observations"] = t.observations;
    nlohmann::json actions = nlohmann::json::array();
    for (const auto& a : t.actions)
      actions.push_back(h.action_space.discrete ? nlohmann::json(static_cast<int64_t>(a.at(0))) : nlohmann::json(a));
    e["actions"] = actions;
    e["rewards"] = t.rewards;
    e["terminated"] = t.terminated;
    if (!t.policy.empty()) e["policy"] = t.policy;
    text += e.dump() + "\n";
  }
  write_file_atomic(path, text);
}

std::vector<double> returns_to_go(const std::vector<double>& rewards) {
  std::vector<double> out(rewards.size());
  double sum = 0;
  for (size_t i = rewards.size(); i-- > 0;) out[i] = sum += rewards[i];
  return out;
}

std::string prepare_offline_data(const std::string& env_name, const std::string& out_dir, uint64_t seed) {
  const EnvEntry& entry = find_env(env_name);
  if (!entry.behaviour) throw std::runtime_error(fmt::format("environment {} has no offline dataset of its own", env_name));
  auto env = entry.make();
  const BehaviourMix mix = entry.behaviour();
  TrajectoryFile file{{env_name, env->observation_dims(), env->action_space()}, {}};
  std::string text;
  int64_t dropped = 0;
  uint32_t part_index = 0;
  for (const auto& part : mix.parts) {
    auto policy_rng = seeded_generator(seed, {0x9011c7, part_index});
    std::vector<double> returns;
    int64_t steps = 0;
    for (int64_t e = 0; e < part.episodes; ++e) {
      const Policy policy = part.make(policy_rng);
      Trajectory t = run_episode(*env, policy, seed * 1000003 + part_index * 100000 + e, policy_rng);
      t.policy = part.name;
      if (mix.keep && !mix.keep(t)) {
        ++dropped;
        continue;
      }
      returns.push_back(t.total_return());
      steps += t.length();
      file.episodes.push_back(std::move(t));
    }
    ++part_index;
    std::sort(returns.begin(), returns.end());
    double mean = 0;
    for (double r : returns) mean += r / static_cast<double>(std::max<size_t>(1, returns.size()));
    if (!returns.empty())
      text += fmt::format("  {:<16} {:>5} episodes {:>7} steps | return mean {:8.3f}  min {:8.3f}  median {:8.3f}  max {:8.3f}\n",
                          part.name, returns.size(), steps, mean, returns.front(), returns[returns.size() / 2],
                          returns.back());
  }
  if (file.episodes.empty()) throw std::runtime_error(fmt::format("environment {}'s behaviour mix kept no episodes", env_name));
  std::vector<double> all;
  for (const auto& t : file.episodes) all.push_back(t.total_return());
  std::sort(all.begin(), all.end());
  std::string deciles;
  for (int q = 0; q <= 10; ++q)
    deciles += fmt::format(" {:.3g}", all[std::min(all.size() - 1, static_cast<size_t>(q * (all.size() - 1) / 10))]);
  std::filesystem::create_directories(out_dir);
  const std::string path = out_dir + "/" + env_name + ".jsonl";
  write_trajectories(path, file);
  return fmt::format("wrote {}: {} episodes of {} ({})\n{}  return deciles (min to max):{}\n{}", path,
                     file.episodes.size(), env_name, mix.note, text, deciles,
                     dropped ? fmt::format("  dropped {} episodes the dataset must not hold\n", dropped) : "");
}

}  // namespace attnlab
