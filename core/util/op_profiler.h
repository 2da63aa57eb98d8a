// Where a piece of code spends its time, by LibTorch operator: the self time (time inside the
// operator minus the operators it calls) of every aten op and autograd function that runs,
// on any thread, while an OpProfiler lives. `attnlab bench --profile` prints its table.
#pragma once

#include <ATen/record_function.h>

#include <string>
#include <vector>

namespace attnlab {

struct OpTime {
  std::string name;  // "aten::mm", "autograd::engine::evaluate_function: MmBackward0", ...
  int64_t calls = 0;
  double self_ms = 0;
};

class OpProfiler {
 public:
  // by_caller: one row per (calling operator, operator) pair, named "caller > op" ("- > op" at
  // the top level): where LibTorch itself issues many small operators (e.g. aten::bmm's
  // per-batch aten::select on the CPU).
  explicit OpProfiler(bool by_caller = false);
  ~OpProfiler();
  OpProfiler(const OpProfiler&) = delete;
  OpProfiler& operator=(const OpProfiler&) = delete;

  // Operators by self time, largest first.
  std::vector<OpTime> table() const;

 private:
  at::CallbackHandle handle_;
};

}  // namespace attnlab
