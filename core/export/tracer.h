// The one place that uses LibTorch's internal C++ tracer (torch/csrc/jit/frontend/tracer.h,
// whose API changes between releases): records methods of a C++-frontend module into a
// torch::jit::Module whose parameters and buffers are the module's own tensors.
#pragma once

#include <torch/script.h>
#include <torch/torch.h>

#include "core/export/exportable.h"

namespace attnlab {

// Traces every method of `what` on its example inputs of the given size, with `model` in
// eval() mode and no gradients; each is kept as `_NAME_unchecked`, and NAME checks its
// inputs against the method's InputSpecs before calling it (core/export/input_checks.h). Every submodule of the result has `training` = false. Sizes
// that the native code reads into C++ integers are recorded as constants: check the result
// at other shapes (export_torchscript does).
torch::jit::Module trace_methods(torch::nn::Module& model, const Exportable& what, int64_t batch, int64_t length,
                                 uint64_t seed);

}  // namespace attnlab
