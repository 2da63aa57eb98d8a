#include "core/util/flop_counter.h"

#include <cstring>

namespace attnlab {

namespace {

thread_local double t_flops = 0;

double numel(const at::IntArrayRef& sizes) {
  double n = 1;
  for (int64_t d : sizes) n *= static_cast<double>(d);
  return n;
}

std::unique_ptr<at::ObserverContext> on_op(const at::RecordFunction& fn) {
  const char* name = fn.name();
  const bool mm = std::strcmp(name, "aten::mm") == 0 || std::strcmp(name, "aten::bmm") == 0;
  const bool addmm = std::strcmp(name, "aten::addmm") == 0;
  if (!mm && !addmm) return nullptr;
  const auto inputs = fn.inputs();
  const size_t a = addmm ? 1 : 0;  // addmm(bias, a, b)
  if (inputs.size() < a + 2 || !inputs[a].isTensor() || !inputs[a + 1].isTensor()) return nullptr;
  const auto& x = inputs[a].toTensor();  // [..., M, K]
  const auto& y = inputs[a + 1].toTensor();  // [..., K, N]
  t_flops += 2 * numel(x.sizes()) * static_cast<double>(y.size(-1));
  return nullptr;
}

}  // namespace

FlopCounter::FlopCounter()
    : handle_(at::addThreadLocalCallback(at::RecordFunctionCallback(on_op).needsInputs(true))), before_(t_flops) {}

FlopCounter::~FlopCounter() { at::removeCallback(handle_); }

double FlopCounter::flops() const { return t_flops - before_; }

}  // namespace attnlab
