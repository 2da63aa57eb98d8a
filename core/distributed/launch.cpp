#include "core/distributed/launch.h"

#include <fmt/format.h>

#include <cstdlib>
#include <stdexcept>

namespace attnlab {

namespace {

int to_int(const char* name, const char* value) {
  size_t used = 0;
  int n = 0;
  try {
    n = std::stoi(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || value[used] != '\0' || n < 0)
    throw std::runtime_error(fmt::format("environment variable {}={} is not a number >= 0", name, value));
  return n;
}

}  // namespace

std::string Launch::str() const {
  return fmt::format("rank {} of {} ({}, local rank {} of {}), store {}:{}{}", rank, world_size, launcher, local_rank,
                     local_world_size, master_addr, master_port, agent_store ? " (torchrun's)" : "");
}

std::string first_slurm_host(const std::string& nodelist) {
  // Cut at the first ',' outside brackets, then expand the first range of a bracket.
  size_t end = 0;
  for (int depth = 0; end < nodelist.size(); ++end) {
    if (nodelist[end] == '[') ++depth;
    if (nodelist[end] == ']') --depth;
    if (nodelist[end] == ',' && depth == 0) break;
  }
  const std::string first = nodelist.substr(0, end);
  const size_t open = first.find('[');
  if (open == std::string::npos) return first;
  const size_t stop = first.find_first_of(",-]", open + 1);
  return first.substr(0, open) + first.substr(open + 1, stop - open - 1);
}

Launch detect_launch(const std::function<const char*(const char*)>& getenv_fn) {
  auto env = [&](const char* name) -> const char* {
    const char* v = getenv_fn ? getenv_fn(name) : std::getenv(name);
    return v && *v ? v : nullptr;
  };
  auto number = [&](const char* name, int fallback) { return env(name) ? to_int(name, env(name)) : fallback; };
  Launch l;
  if (env("RANK") || env("WORLD_SIZE")) {
    if (!env("RANK") || !env("WORLD_SIZE"))
      throw std::runtime_error("RANK and WORLD_SIZE must be set together (torchrun sets both)");
    l.rank = number("RANK", 0), l.world_size = number("WORLD_SIZE", 1);
    l.local_rank = number("LOCAL_RANK", 0);
    l.local_world_size = number("LOCAL_WORLD_SIZE", l.world_size);  // unset: all on this machine
    l.agent_store = env("TORCHELASTIC_USE_AGENT_STORE") && std::string(env("TORCHELASTIC_USE_AGENT_STORE")) == "True";
    l.restart_count = number("TORCHELASTIC_RESTART_COUNT", 0);
    l.launcher = env("TORCHELASTIC_RUN_ID") ? "torchrun" : "env";
    if (l.world_size > 1 && !env("MASTER_ADDR"))
      throw std::runtime_error("WORLD_SIZE is " + std::to_string(l.world_size) +
                               " but MASTER_ADDR is not set: set MASTER_ADDR and MASTER_PORT to rank 0's host "
                               "and a free port (torchrun sets them)");
    if (env("MASTER_ADDR")) l.master_addr = env("MASTER_ADDR");
    l.master_port = number("MASTER_PORT", l.master_port);
  } else if (env("SLURM_PROCID") && env("SLURM_NTASKS")) {
    l.launcher = "slurm";
    l.rank = number("SLURM_PROCID", 0), l.world_size = number("SLURM_NTASKS", 1);
    l.local_rank = number("SLURM_LOCALID", 0);
    // SLURM_NTASKS_PER_NODE is set only with --ntasks-per-node; the tasks of this node otherwise.
    const char* per_node = env("SLURM_NTASKS_PER_NODE") ? env("SLURM_NTASKS_PER_NODE") : env("SLURM_STEP_TASKS_PER_NODE");
    l.local_world_size = per_node ? std::max(1, std::atoi(per_node)) : l.world_size;
    const char* nodes = env("SLURM_JOB_NODELIST") ? env("SLURM_JOB_NODELIST") : env("SLURM_NODELIST");
    if (env("MASTER_ADDR"))
      l.master_addr = env("MASTER_ADDR");
    else if (nodes)
      l.master_addr = first_slurm_host(nodes);
    l.master_port = number("MASTER_PORT", 29500 + number("SLURM_JOB_ID", 0) % 1000);
  }
  if (l.world_size < 1) throw std::runtime_error("the world size must be >= 1");
  if (l.rank >= l.world_size)
    throw std::runtime_error(fmt::format("rank {} is outside a world of {} processes", l.rank, l.world_size));
  if (l.master_port < 1 || l.master_port > 65535)
    throw std::runtime_error(fmt::format("MASTER_PORT {} is not a port number", l.master_port));
  return l;
}

DistributedOptions DistributedOptions::read(ConfigSection s) {
  DistributedOptions o;
  o.backend = s.choice("backend", o.backend, {"auto", "gloo", "nccl"});
  ATTNLAB_READ(s, o, timeout_s, Range::open_closed(0, 86400, "seconds"));
  return o;
}

}  // namespace attnlab
