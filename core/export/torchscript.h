// Writes a C++-frontend model as a TorchScript file that Python's torch.jit.load and C++'s
// torch::jit::load run without attnlab, and proves it before it is kept: the file is reloaded
// and compared with the native model at shapes other than the traced one. A file that fails
// (or an export that is interrupted) is removed; an existing file at the path is untouched.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/export/exportable.h"

namespace attnlab {

struct ExportShape {
  int64_t batch = 1, length = 1;  // length 0: fixed-size inputs
};

// The shape methods are traced at: odd sizes that match no model dimension (batch 3, length 7,
// or less where max_length is shorter).
ExportShape trace_shape(const Exportable& what);
// The shapes every export is checked at, none equal to the traced one: batch 1 x length 1,
// batch 2 x max_length, batch 5 x a middle length, batch 4 x length 3 (fixed-size inputs:
// batches 1, 2 and 5).
std::vector<ExportShape> check_shapes(const Exportable& what);

struct ExportCheck {
  std::string method;
  ExportShape shape;
  double max_abs_diff = 0;  // infinite when the exported method failed or gave other shapes
  std::string error;        // what the exported method threw, if it did
};

struct ExportReport {
  std::string path;
  int64_t parameters = 0, buffers = 0;  // in the reloaded file
  int64_t tensor_constants = 0;         // tensors baked into the graphs (should be parameters)
  std::vector<ExportCheck> checks;
  double max_abs_diff = 0;  // over every check
  int64_t limits_checked = 0;    // inputs that each break one InputSpec limit, all of which must raise
  int64_t limits_refused = 0;    // those the file raised on
  std::string unchecked_limit;   // the first such input the file accepted ("" when none)
  int64_t file_bytes = 0;
  bool passed = false;
  std::string problem;  // why it was refused

  std::string table() const;  // one line per check, then the counts
};

struct ExportOptions {
  double tolerance = 1e-5;  // largest absolute difference allowed between file and native model
  // Extra files stored in the archive (name -> bytes), read back by torch.jit.load(path,
  // _extra_files={name: ""}) in Python and torch::jit::load(path, device, files) in C++.
  std::map<std::string, std::string> extra_files;
  // Called after each stage ("traced", "written", "checked"); progress for people, and the
  // place a test interrupts an export.
  std::function<void(const std::string& stage)> on_stage;
};

// Traces `what` from `model` (switched to eval() mode; its tensors stay the file's parameters
// and buffers), writes `path` through a temporary file and checks it. Returns the figures; on
// a refusal (report.passed false) no file is left at `path`. Throws for an unwritable path, a
// method that cannot be traced, or SIGINT/SIGTERM during the export (no file left either).
ExportReport export_torchscript(torch::nn::Module& model, const Exportable& what, const std::string& path,
                                const ExportOptions& options = {});

// The extra files of a TorchScript file, by name ("" for a name the file does not hold).
std::map<std::string, std::string> read_extra_files(const std::string& path, const std::vector<std::string>& names);

}  // namespace attnlab
