#include "core/distributed/process_group.h"

#include <fmt/format.h>

#include <csignal>
#include <cstdlib>

// c10d's Gloo header compiles to nothing without USE_C10D_GLOO (LibTorch's CMake target sets
// it) and needs Debian's libgloo-dev; CMake defines ATTNLAB_HAVE_C10D when both are there.
#include "core/distributed/c10d_config.h"
#ifdef ATTNLAB_HAVE_C10D
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

namespace attnlab {

bool distributed_available() {
#ifdef ATTNLAB_HAVE_C10D
  return true;
#else
  return false;
#endif
}

#ifdef ATTNLAB_HAVE_C10D

namespace {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// The network device Gloo binds: GLOO_SOCKET_IFNAME's interface when set (as in PyTorch);
// the loopback address for a run on one machine; else the address this host's name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master_addr) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    std::string first(ifname);
    first = first.substr(0, first.find(','));
    return ::c10d::ProcessGroupGloo::createDeviceForInterface(first);
  }
  if (is_loopback(master_addr)) return ::c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return ::c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

struct ProcessGroup::Impl {
  c10::intrusive_ptr<::c10d::Store> store;
  c10::intrusive_ptr<::c10d::ProcessGroupGloo> gloo;
#ifdef USE_C10D_NCCL
  c10::intrusive_ptr<::c10d::ProcessGroupNCCL> nccl;
#endif
  torch::Device device = torch::kCPU;  // where the collectives' tensors live

  // Runs `op(process group)` on whichever backend is in use and waits for its work.
  template <typename Op>
  void run(Op&& op) {
#ifdef USE_C10D_NCCL
    if (nccl) {
      op(*nccl)->wait();
      return;
    }
#endif
    op(*gloo)->wait();
  }
};

std::string connect_failure(const Launch& launch, std::chrono::milliseconds timeout, const std::string& why) {
  return fmt::format(
      "rank {} of {}: could not connect to the other processes through {}:{} within {} s{}\n"
      "Every rank must start with the same WORLD_SIZE, MASTER_ADDR and MASTER_PORT; rank 0 hosts the store "
      "(distributed.timeout_s sets the wait).",
      launch.rank, launch.world_size, launch.master_addr, launch.master_port, timeout.count() / 1000.0,
      why.empty() ? "" : ": " + why);
}

ProcessGroup::ProcessGroup(const Launch& launch, const torch::Device& device, const std::string& backend,
                           std::chrono::milliseconds timeout)
    : launch_(launch), timeout_(timeout), impl_(std::make_unique<Impl>()) {
  backend_ = backend == "auto" ? (device.is_cuda() ? "nccl" : "gloo") : backend;
#ifndef USE_C10D_NCCL
  if (backend_ == "nccl") {
    if (backend == "nccl")
      throw DistributedError("distributed.backend is nccl, but this LibTorch was built without NCCL; use gloo");
    backend_ = "gloo";  // auto on CUDA without NCCL: Gloo (it reduces CUDA tensors through the host)
  }
#endif
  // A peer that died mid-collective must be an error, not a silent SIGPIPE exit (status 141).
  std::signal(SIGPIPE, SIG_IGN);
  try {
    ::c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(launch.master_port);
    options.timeout = timeout;
    if (launch.agent_store) {  // torchrun's agent hosts it: connect, under this restart's prefix (as rendezvous.py)
      options.isServer = false;
      impl_->store = c10::make_intrusive<::c10d::PrefixStore>(
          "/worker/attempt_" + std::to_string(launch.restart_count),
          c10::make_intrusive<::c10d::TCPStore>(launch.master_addr, options));
    } else {
      options.isServer = launch.rank == 0;
      options.numWorkers = static_cast<size_t>(launch.world_size);
      impl_->store = c10::make_intrusive<::c10d::TCPStore>(launch.master_addr, options);
    }
#ifdef USE_C10D_NCCL
    if (backend_ == "nccl") {
      setenv("NCCL_ASYNC_ERROR_HANDLING", "1", /*overwrite=*/0);  // else NCCL ignores the timeout
      c10::cuda::set_device(static_cast<c10::DeviceIndex>(device.has_index() ? device.index() : launch.local_rank));
      auto o = ::c10d::ProcessGroupNCCL::Options::create();
      o->timeout = timeout;
      impl_->nccl = c10::make_intrusive<::c10d::ProcessGroupNCCL>(impl_->store, launch.rank, launch.world_size, o);
      impl_->device = device;
    }
#endif
    if (backend_ == "gloo") {
      auto o = ::c10d::ProcessGroupGloo::Options::create(timeout);
      o->devices.push_back(gloo_device(launch.master_addr));
      o->threads = 2;  // PyTorch's default
      impl_->gloo = c10::make_intrusive<::c10d::ProcessGroupGloo>(impl_->store, launch.rank, launch.world_size, o);
    }
  } catch (const std::exception& e) {
    throw DistributedError(connect_failure(launch, timeout, e.what()));
  }
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::fail(const char* what, const std::exception& e) const {
  throw DistributedError(fmt::format(
      "rank {} of {}: {} failed: {}\nAnother rank has died or stopped responding (distributed.timeout_s is {} s); "
      "nothing was saved after the last checkpoint.",
      launch_.rank, launch_.world_size, what, e.what(), timeout_.count() / 1000.0));
}

void ProcessGroup::all_reduce(torch::Tensor& tensor, int op, const char* what) {
  try {
    std::vector<torch::Tensor> tensors{tensor};
    ::c10d::AllreduceOptions o;
    o.reduceOp = ::c10d::ReduceOp(static_cast<::c10d::ReduceOp::RedOpType>(op));
    impl_->run([&](auto& pg) { return pg.allreduce(tensors, o); });
  } catch (const std::exception& e) {
    fail(what, e);
  }
}

void ProcessGroup::all_reduce_sum(torch::Tensor& tensor) { all_reduce(tensor, ::c10d::ReduceOp::SUM, "all-reduce"); }
void ProcessGroup::all_reduce_max(torch::Tensor& tensor) { all_reduce(tensor, ::c10d::ReduceOp::MAX, "all-reduce"); }

void ProcessGroup::broadcast(torch::Tensor& tensor, int root) {
  try {
    std::vector<torch::Tensor> tensors{tensor};
    ::c10d::BroadcastOptions o;
    o.rootRank = root;
    impl_->run([&](auto& pg) { return pg.broadcast(tensors, o); });
  } catch (const std::exception& e) {
    fail("broadcast", e);
  }
}

void ProcessGroup::barrier() {
  try {
    impl_->run([&](auto& pg) { return pg.barrier(); });
  } catch (const std::exception& e) {
    fail("barrier", e);
  }
}

#else  // built without c10d: a multi-process launch is refused with what to install.

struct ProcessGroup::Impl {
  torch::Device device = torch::kCPU;
};

ProcessGroup::ProcessGroup(const Launch& launch, const torch::Device&, const std::string&, std::chrono::milliseconds)
    : launch_(launch) {
  throw DistributedError(fmt::format(
      "this is rank {} of {}, but attnlab was built without c10d's Gloo process group: install libgloo-dev "
      "(scripts/bootstrap.sh does) and rebuild",
      launch.rank, launch.world_size));
}
ProcessGroup::~ProcessGroup() = default;
void ProcessGroup::fail(const char* what, const std::exception& e) const {
  throw DistributedError(std::string(what) + ": " + e.what());
}
void ProcessGroup::all_reduce(torch::Tensor&, int, const char*) {}
void ProcessGroup::all_reduce_sum(torch::Tensor&) {}
void ProcessGroup::all_reduce_max(torch::Tensor&) {}
void ProcessGroup::broadcast(torch::Tensor&, int) {}
void ProcessGroup::barrier() {}

#endif

void ProcessGroup::all_reduce_sum(std::vector<double>& values) {
  auto t = torch::tensor(values, torch::kDouble).to(impl_->device);
  all_reduce_sum(t);
  t = t.cpu().contiguous();
  std::copy(t.data_ptr<double>(), t.data_ptr<double>() + t.numel(), values.begin());
}

std::vector<std::string> ProcessGroup::all_gather(const std::string& text) {
  // As an all-reduce of a [world, longest] table in which each rank fills its own row.
  auto length = torch::tensor({static_cast<int64_t>(text.size())}, torch::kLong).to(impl_->device);
  all_reduce_max(length);
  const int64_t longest = length.cpu().item<int64_t>();
  auto table = torch::zeros({size(), longest + 1}, torch::kInt);
  {
    auto mine = table.accessor<int, 2>()[rank()];
    mine[0] = static_cast<int>(text.size());
    for (size_t i = 0; i < text.size(); ++i) mine[static_cast<int64_t>(i) + 1] = static_cast<unsigned char>(text[i]);
  }
  table = table.to(impl_->device);
  all_reduce_sum(table);
  table = table.cpu().contiguous();
  const auto rows = table.accessor<int, 2>();
  std::vector<std::string> out;
  for (int r = 0; r < size(); ++r) {
    std::string s(static_cast<size_t>(rows[r][0]), '\0');
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(rows[r][static_cast<int64_t>(i) + 1]);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace attnlab
