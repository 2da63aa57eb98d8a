#include "datasets/preparable.h"

#include <stdexcept>

#include "datasets/corpora.h"
#include "datasets/trajectory_file.h"

namespace attnlab {

std::vector<PreparableData> preparable_data() {
  std::vector<PreparableData> all;
  for (const auto& c : corpora())
    all.push_back({c.name, c.description, [name = c.name](const std::string& dir) { return prepare_corpus(name, dir); }});
  for (const auto& env : env_names())
    if (find_env(env).behaviour)
      all.push_back({env, "offline RL trajectories of " + find_env(env).description,
                     [env](const std::string& dir) { return prepare_offline_data(env, dir); }});
  return all;
}

PreparableData find_preparable(const std::string& name) {
  std::string known;
  for (auto& p : preparable_data()) {
    if (p.name == name) return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  throw std::runtime_error("unknown corpus or dataset '" + name + "' (known: " + known + ")");
}

}  // namespace attnlab
