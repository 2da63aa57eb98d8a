// Which process of a multi-process run this one is: read from the variables that torchrun
// (or a hand launch) and Slurm's srun set, and the `distributed:` config keys. LibTorch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/config/section.h"

namespace attnlab {

struct Launch {
  int rank = 0;              // RANK | SLURM_PROCID
  int world_size = 1;        // WORLD_SIZE | SLURM_NTASKS
  int local_rank = 0;        // LOCAL_RANK | SLURM_LOCALID: this process's GPU on its machine
  int local_world_size = 1;  // LOCAL_WORLD_SIZE | SLURM_NTASKS_PER_NODE: processes sharing this machine's cores
  std::string master_addr = "127.0.0.1";  // MASTER_ADDR | the first host of SLURM_JOB_NODELIST
  int master_port = 29500;                // MASTER_PORT | 29500 + SLURM_JOB_ID % 1000
  // torchrun's agent already hosts the store on MASTER_PORT (TORCHELASTIC_USE_AGENT_STORE=True):
  // every rank connects as a client, under the key prefix of restart TORCHELASTIC_RESTART_COUNT.
  bool agent_store = false;
  int restart_count = 0;
  std::string launcher = "single";  // "torchrun" | "env" (variables set by hand) | "slurm" | "single"

  bool distributed() const { return world_size > 1; }
  std::string str() const;  // "rank 1 of 2 (torchrun, local rank 1), store 127.0.0.1:29500"
};

// The launch described by the environment `getenv` reads (the process's own by default).
// RANK/WORLD_SIZE take precedence over Slurm's variables; neither set: a single process.
// Inconsistent variables (a rank outside the world, a missing MASTER_ADDR) are errors.
Launch detect_launch(const std::function<const char*(const char*)>& getenv = nullptr);

// The first host of a Slurm node list: "gpu[03-05,9],cpu1" -> "gpu03".
std::string first_slurm_host(const std::string& nodelist);

// The `distributed:` section: how the processes of a multi-process run talk (docs/distributed.md).
// A single process reads and records it too, so that one config runs on 1 process or N.
struct DistributedOptions {
  std::string backend = "auto";  // distributed.backend: auto (nccl on CUDA, gloo on CPU) | gloo | nccl
  double timeout_s = 300;        // distributed.timeout_s: a rank that hears nothing from another for this long fails

  static DistributedOptions read(ConfigSection s);
};

}  // namespace attnlab
