// The processes of a multi-process run, connected through PyTorch's c10d: a TCPStore for the
// rendezvous, then a Gloo (CPU) or NCCL (CUDA) process group. The only code that includes c10d,
// whose C++ API moves between LibTorch releases (docs/distributed.md).
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/distributed/launch.h"

namespace attnlab {

// A collective that failed: another rank died, hung past distributed.timeout_s, or never came.
class DistributedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "rank R of W: could not connect ... within T s: WHY", and what every rank must agree on.
std::string connect_failure(const Launch& launch, std::chrono::milliseconds timeout, const std::string& why);

// Whether this build can run multi-process (LibTorch built with c10d's Gloo, and its headers found).
bool distributed_available();

class ProcessGroup {
 public:
  // Joins the other `launch.world_size` processes (every one must call it): rank 0 hosts the
  // store unless torchrun's agent does. backend "auto": NCCL for a CUDA device when LibTorch
  // has it, else Gloo. Throws DistributedError when they are not all there within `timeout`.
  ProcessGroup(const Launch& launch, const torch::Device& device, const std::string& backend,
               std::chrono::milliseconds timeout);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return launch_.rank; }
  int size() const { return launch_.world_size; }
  const std::string& backend() const { return backend_; }

  // In place, on every rank: `tensor` becomes the elementwise sum (or max) over the ranks.
  // Needs a contiguous tensor; blocks until done.
  void all_reduce_sum(torch::Tensor& tensor);
  void all_reduce_max(torch::Tensor& tensor);
  // Small host-side values (statistics, flags), summed over the ranks in float64.
  void all_reduce_sum(std::vector<double>& values);
  // In place: every rank's `tensor` becomes rank `root`'s.
  void broadcast(torch::Tensor& tensor, int root = 0);
  // Every rank's `text`, in rank order, on every rank.
  std::vector<std::string> all_gather(const std::string& text);
  void barrier();

 private:
  struct Impl;
  void all_reduce(torch::Tensor& tensor, int op, const char* what);
  [[noreturn]] void fail(const char* what, const std::exception& e) const;

  Launch launch_;
  std::string backend_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace attnlab
