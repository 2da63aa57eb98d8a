#include "core/util/flop_counter.h"

#include <cstring>

namespace attnlab {

namespace {

thread_local double t_flops = 0;
thread_local std::map<MatmulShape, int64_t>* t_shapes = nullptr;  // the innermost live counter's table

std::unique_ptr<at::ObserverContext> on_op(const at::RecordFunction& fn) {
  const char* name = fn.name();
  const bool bmm = std::strcmp(name, "aten::bmm") == 0;
  const bool mm = bmm || std::strcmp(name, "aten::mm") == 0;
  const bool addmm = std::strcmp(name, "aten::addmm") == 0;
  if (!mm && !addmm) return nullptr;
  const auto inputs = fn.inputs();
  const size_t a = addmm ? 1 : 0;  // addmm(bias, a, b)
  if (inputs.size() < a + 2 || !inputs[a].isTensor() || !inputs[a + 1].isTensor()) return nullptr;
  const auto& x = inputs[a].toTensor();      // [batch,] M, K
  const auto& y = inputs[a + 1].toTensor();  // [batch,] K, N
  if (x.dim() < 2 || y.dim() < 2) return nullptr;
  const MatmulShape shape{bmm ? x.size(0) : 0, x.size(-2), x.size(-1), y.size(-1)};
  t_flops += shape.flops();
  if (t_shapes) ++(*t_shapes)[shape];
  return nullptr;
}

}  // namespace

FlopCounter::FlopCounter()
    : handle_(at::addThreadLocalCallback(at::RecordFunctionCallback(on_op).needsInputs(true))),
      before_(t_flops),
      outer_shapes_(t_shapes) {
  t_shapes = &shapes_;
}

FlopCounter::~FlopCounter() {
  at::removeCallback(handle_);
  t_shapes = outer_shapes_;
}

double FlopCounter::flops() const { return t_flops - before_; }

}  // namespace attnlab
