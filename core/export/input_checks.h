// The input checks of an exported method: TorchScript source for a method that checks every
// argument against its InputSpec (rank, dtype, sizes, id range, padding) with a message a
// Python or C++ user understands, then calls the traced code; and, for the export check,
// inputs that each break one limit, on which the file must raise.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/export/exportable.h"

namespace attnlab {

// The name the traced graph of `method` is kept under ("_forward_unchecked"): callable from
// Python and C++ to skip the checks.
std::string unchecked_name(const std::string& method);

// The name of the exception the checks raise: their messages read "invalid input: forward(): ...".
inline const char* const kInputCheckError = "invalid input";

// What every refusal of `method`'s checks starts with: "invalid input: forward(): ".
std::string input_check_prefix(const std::string& method);

// "def forward(self, idx: Tensor) -> Tensor:\n    if idx.dim() != 2: raise ...\n    return
// self._forward_unchecked(idx)"; `outputs`: how many tensors the method returns.
std::string checked_method_source(const ExportMethod& method, size_t outputs);

// Inputs that each break one limit of `method`, made from `valid` (its example at batch 2
// and length 2 or more), each with what it breaks: "idx with 3 dimensions", "idx with T = 65".
std::vector<std::pair<std::string, Tensors>> limit_breaking_inputs(const ExportMethod& method, const Tensors& valid);

}  // namespace attnlab
