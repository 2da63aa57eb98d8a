// The environment registry: the built-in environments with their behaviour mixes.
#include "core/registry.h"
#include "envs/cartpole.h"
#include "envs/key_door_grid.h"

namespace attnlab {

namespace {
void register_builtin_envs();
Registry<EnvEntry>& envs() {
  static Registry<EnvEntry> r("environment", register_builtin_envs);
  return r;
}
void register_builtin_envs() {
  register_env("cartpole", {"CartPole-v1 (Gymnasium's dynamics and limits), 2 actions, return up to 500",
                            [] { return std::make_unique<CartPole>(); }, cartpole_behaviour});
  register_env("key_door_grid", {"5 x 9 grid: fetch the key, pass the door, reach the goal (sparse reward)",
                                 [] { return std::make_unique<KeyDoorGrid>(); }, key_door_grid_behaviour});
}
}  // namespace

void register_env(const std::string& name, EnvEntry entry) { envs().add(name, std::move(entry)); }
const EnvEntry& find_env(const std::string& name) { return envs().get(name); }
std::unique_ptr<Env> make_env(const std::string& name) { return find_env(name).make(); }
std::vector<std::string> env_names() { return envs().names(); }

}  // namespace attnlab
