// The training recipe, top to bottom: config -> device and seed -> data -> model -> trainer.
#include <fmt/format.h>

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <optional>

#include "core/config/loader.h"
#include "core/util/allocator.h"
#include "core/util/device.h"
#include "core/util/threads.h"
#include "core/util/precision.h"
#include "core/util/files.h"
#include "core/util/run_lock.h"
#include "core/util/watchdog.h"
#include "trainers/data_facts.h"
#include "trainers/experiment.h"
#include "trainers/run_model.h"
#include "trainers/image_judge.h"
#include "trainers/pretrained.h"
#include "trainers/recipes.h"
#include "trainers/trainer.h"

namespace attnlab {
namespace fs = std::filesystem;

namespace {

// Silences this process's standard output while it lives: the ranks other than 0 of a
// multi-process run train without printing (their errors still reach stderr).
class QuietStdout {
 public:
  explicit QuietStdout(bool quiet) {
    if (!quiet) return;
    std::fflush(stdout);
    saved_ = dup(STDOUT_FILENO);
    if (FILE* null = std::fopen("/dev/null", "w")) dup2(fileno(null), STDOUT_FILENO), std::fclose(null);
  }
  ~QuietStdout() {
    if (saved_ < 0) return;
    std::fflush(stdout);
    dup2(saved_, STDOUT_FILENO), close(saved_);
  }

 private:
  int saved_ = -1;
};

// What must be the same on every rank before they train together: the config, the tokenizer
// (each rank builds its own from the data) and the model's size.
std::string rank_fingerprint(const Experiment& exp, const Assembled& a) {
  int64_t parameters = 0;
  for (const auto& p : a.model.module->parameters()) parameters += p.numel();
  return fmt::format("config {:016x}, tokenizer {}, {} parameters", std::hash<std::string>{}(exp.resolved_yaml),
                     a.data.tokenizer ? a.data.tokenizer->fingerprint() : "none", parameters);
}

}  // namespace

TrainSummary train(const TrainRequest& request) {
  const bool resuming = !request.resume_dir.empty();
  // 1. Config: a run directory carries the resolved config.yaml it was started with.
  Experiment exp = resuming ? Experiment::read_run(request.resume_dir, request.overrides)
                            : Experiment::read(load_config(request.config_path, request.overrides));
  const std::string run_dir = resuming ? request.resume_dir : exp.experiment.run_dir();
  const std::string last = run_dir + "/last.pt";
  // One writer per run directory (rank 0 writes for all ranks): taken before anything is
  // looked at, so that two runs started together cannot both pass the checks below.
  const Launch launch = detect_launch();
  std::optional<RunLock> lock;
  if (launch.rank == 0) lock.emplace(run_dir);
  if (resuming && !fs::exists(last))
    throw std::runtime_error("cannot resume: " + last + " does not exist (the run never saved a checkpoint)");
  if (!resuming && fs::exists(last))
    throw std::runtime_error("run directory " + run_dir + " already holds a checkpoint; continue it with "
                             "`attnlab train --resume " + run_dir + "` or choose another experiment.name");

  // 2. Where and how: the processes of the run (from torchrun's or Slurm's variables), device,
  //    threads, seed (before any weight is initialised). Only rank 0 prints and writes.
  torch::Device device = resolve_device(exp.experiment.device);
  if (device.is_cuda() && launch.distributed())  // one GPU per process of a machine
    device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(launch.local_rank % torch::cuda::device_count()));
  exp.experiment.precision = resolve_precision(exp.experiment.precision, device);  // "auto" -> fp32 | bf16
  // auto: this machine's cores shared among its processes, and with whatever else runs on it.
  const ThreadCounts threads = configure_threads(exp.experiment.threads, exp.experiment.precision, launch.local_world_size);
  seed_everything(static_cast<uint64_t>(exp.experiment.seed));
  std::shared_ptr<ProcessGroup> group;
  if (launch.distributed()) {
    const std::chrono::milliseconds timeout(static_cast<int64_t>(exp.distributed.timeout_s * 1000));
    // c10d's own waits overrun the timeout (a port that accepts and never answers holds the
    // store's handshake for good; a missing rank takes twice the time): the process holds it
    // to the stated time, plus a second, and says why.
    Watchdog deadline(timeout + std::chrono::seconds(1), connect_failure(launch, timeout, "no answer"));
    group = std::make_shared<ProcessGroup>(launch, device, exp.distributed.backend, timeout);
  }
  QuietStdout quiet(launch.rank != 0);
  fmt::print("experiment {} -> {} | device {} | {} | threads {} | malloc {} | seed {}\n", exp.experiment.name, run_dir,
             device.str(), exp.experiment.precision, threads.str(), malloc_name(), exp.experiment.seed);
  if (group) fmt::print("processes: {} ({} backend, {})\n", launch.world_size, group->backend(), launch.str());
  const auto& tr = exp.trainer;
  fmt::print("global batch: {} = batch_size {} x gradient_accumulation_steps {} x {} process{}\n",
             tr.batch_size * tr.gradient_accumulation_steps * launch.world_size, tr.batch_size,
             tr.gradient_accumulation_steps, launch.world_size, launch.world_size > 1 ? "es" : "");

  // 3. Data, then the model it describes. The tokenizer is trained on the training split once
  //    and then travels with the run.
  Assembled a = assemble(exp, run_dir, /*saved_tokenizer=*/resuming, device, /*training=*/true);
  attach_judge(exp, a, device);
  if (!exp.model.init_from.empty() && !resuming)
    fmt::print("init_from: {}* tensors loaded from {}\n", exp.model.init_prefix,
               init_from_pretrained(*a.model.module, exp.model, a.data.context));
  fmt::print("model: {}\n", describe(exp, *a.model.module, device));
  std::fflush(stdout);  // the header reaches a pipe or a log file now, not with the first steps
  if (group) {  // a rank that built something else would train garbage, or hang a collective
    const auto all = group->all_gather(rank_fingerprint(exp, a));
    for (size_t r = 1; r < all.size(); ++r)
      if (all[r] != all[0])
        throw DistributedError(fmt::format("rank {} built a different experiment from rank 0's:\n  rank 0: {}\n  rank {}: {}",
                                           r, all[0], r, all[r]));
  }

  // 4. The trainer, and the checkpoint it resumes: the last checks (metric names, every tensor's
  //    name and shape) before anything in the run directory is written.
  Trainer trainer({a.model.module, a.model.task, a.data.source, exp.trainer, exp.optimizer, exp.schedule, device,
                   static_cast<uint64_t>(exp.experiment.seed), run_dir, exp.resolved_yaml, exp.experiment.precision,
                   group});
  if (resuming) {
    trainer.resume(last);
    fmt::print("resumed from {} at step {}\n", last, trainer.state().step);
  }

  // 5. The run directory: resolved config + tokenizer, so the run can be reproduced, evaluated
  //    and sampled. A new run clears what a run killed before its first checkpoint left.
  if (lock) {
    lock->write_owner();
    if (!resuming) fs::remove(run_dir + "/best.pt");
    write_file_atomic(run_dir + "/config.yaml", exp.resolved_yaml);
    if (!resuming && a.data.tokenizer) a.data.tokenizer->save(run_dir);
    if (!resuming) save_data_facts(a.data, run_dir);
    save_model_context(a.data.context, run_dir);  // on resume too: a run from before the file gets it
  }

  // 6. Train.
  TrainResult result = trainer.fit();
  if (group) group->barrier();  // all finish together, after rank 0's last checkpoint
  return {run_dir, result.step, result.best_metric, result.best_value, result.signal, launch.rank};
}

}  // namespace attnlab
