#include "core/export/torchscript.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/export/input_checks.h"
#include "core/export/tracer.h"
#include "core/util/stop_signals.h"

namespace attnlab {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr uint64_t kTraceSeed = 7;

// A temporary file beside `path`, removed unless commit() renamed it to `path`.
class PendingFile {
 public:
  explicit PendingFile(std::string path) : path_(std::move(path)), tmp_(path_ + ".partial") {
    std::ofstream probe(tmp_, std::ios::binary);
    if (!probe) throw std::runtime_error(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
  }
  ~PendingFile() {
    if (!committed_) std::remove(tmp_.c_str());
  }
  const std::string& tmp() const { return tmp_; }
  void commit() {
    std::filesystem::rename(tmp_, path_);
    committed_ = true;
  }

 private:
  std::string path_, tmp_;
  bool committed_ = false;
};

// The largest |a - b| over all outputs; infinite for other shapes or NaN in one only.
double max_abs_diff(const Tensors& expected, const Tensors& got) {
  if (expected.size() != got.size()) return kInf;
  double worst = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i].sizes() != got[i].sizes()) return kInf;
    if (expected[i].numel() == 0) continue;
    auto a = expected[i].to(torch::kDouble), b = got[i].to(torch::kDouble);
    if (!torch::equal(a.isnan(), b.isnan())) return kInf;
    worst = std::max(worst, (a - b).abs().nan_to_num(0.0).max().item<double>());
  }
  return worst;
}

Tensors as_tensors(const c10::IValue& v) {
  if (!v.isTuple()) return {v.toTensor()};
  Tensors out;
  for (const auto& e : v.toTupleRef().elements()) out.push_back(e.toTensor());
  return out;
}

// Tensors baked into a graph as constants (nested blocks included).
int64_t tensor_constants(const torch::jit::Block& block) {
  int64_t n = 0;
  for (const auto* node : block.nodes()) {
    if (node->kind() == c10::prim::Constant && node->output()->type()->cast<c10::TensorType>()) ++n;
    for (const auto* b : node->blocks()) n += tensor_constants(*b);
  }
  return n;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// Reloads the written file and compares it with the native model.
ExportReport check_file(const std::string& file, torch::nn::Module& model, const Exportable& what, double tolerance) {
  ExportReport r;
  torch::jit::Module loaded = torch::jit::load(file, torch::kCPU);
  r.parameters = static_cast<int64_t>(loaded.parameters().size());
  r.buffers = static_cast<int64_t>(loaded.buffers().size());
  for (const auto& m : what.methods)
    for (const auto& name : {m.name, unchecked_name(m.name)})
      r.tensor_constants += tensor_constants(*loaded.get_method(name).graph()->block());
  r.file_bytes = static_cast<int64_t>(std::filesystem::file_size(file));

  torch::NoGradGuard no_grad;
  model.eval();
  uint64_t seed = 1000;
  for (const auto& shape : check_shapes(what))
    for (const auto& m : what.methods) {
      const Tensors in = m.example(shape.batch, shape.length, ++seed);
      ExportCheck c;
      c.method = m.name, c.shape = shape;
      try {
        c.max_abs_diff = max_abs_diff(m.run(in), as_tensors(loaded.get_method(m.name)({in.begin(), in.end()})));
      } catch (const std::exception& e) {
        c.error = first_line(e.what());
        c.max_abs_diff = kInf;
      }
      r.max_abs_diff = std::max(r.max_abs_diff, c.max_abs_diff);
      r.checks.push_back(c);
    }

  // Every limit of every method, proved by a call that must raise.
  for (const auto& m : what.methods) {
    const Tensors valid = m.example(2, what.max_length == 0 ? 0 : std::min<int64_t>(3, what.max_length), 99);
    for (const auto& [breaks, in] : limit_breaking_inputs(m, valid)) {
      // Refused by the method's own check, not by whatever the traced code happens to throw.
      bool raised = false;
      try {
        loaded.get_method(m.name)({in.begin(), in.end()});
      } catch (const std::exception& e) {
        raised = std::string(e.what()).find(input_check_prefix(m.name)) != std::string::npos;
      }
      ++r.limits_checked;
      r.limits_refused += raised ? 1 : 0;
      if (!raised && r.unchecked_limit.empty()) r.unchecked_limit = m.name + "() with " + breaks;
    }
  }

  const auto native_params = static_cast<int64_t>(model.parameters().size());
  const auto native_buffers = static_cast<int64_t>(model.buffers().size());
  if (r.tensor_constants > 0)
    r.problem = fmt::format("the graphs hold {} tensor constant(s): a tensor the model uses is not a registered "
                            "parameter or buffer", r.tensor_constants);
  else if (r.parameters != native_params || r.buffers != native_buffers)
    r.problem = fmt::format("the file has {} parameters and {} buffers, the model {} and {}", r.parameters, r.buffers,
                            native_params, native_buffers);
  else if (!r.unchecked_limit.empty())
    r.problem = fmt::format("the file accepts {} without an error (see InputSpec in core/export/exportable.h)",
                            r.unchecked_limit);
  else if (!(r.max_abs_diff <= tolerance))
    r.problem = fmt::format("the file differs from the model by up to {:.3g} (allowed {:.0e}): the traced code reads "
                            "a size into C++ (see docs/architecture.md, tracing rule) or branches on the data",
                            r.max_abs_diff, tolerance);
  r.passed = r.problem.empty();
  return r;
}

}  // namespace

ExportShape trace_shape(const Exportable& what) {
  if (what.max_length == 0) return {3, 0};
  return {3, std::clamp<int64_t>(what.max_length - 1, 1, 7)};
}

std::vector<ExportShape> check_shapes(const Exportable& what) {
  const int64_t n = what.max_length;
  if (n == 0) return {{1, 0}, {2, 0}, {5, 0}};
  return {{1, 1}, {2, n}, {5, std::max<int64_t>(1, (n + 1) / 2)}, {4, std::min<int64_t>(3, n)}};
}

std::string ExportReport::table() const {
  std::string t = fmt::format("  {:<8} {:>14}  {}\n", "method", "batch x length", "max |exported - native|");
  for (const auto& c : checks) {
    const std::string shape =
        c.shape.length > 0 ? fmt::format("{} x {}", c.shape.batch, c.shape.length) : std::to_string(c.shape.batch);
    t += fmt::format("  {:<8} {:>14}  {}\n", c.method, shape,
                     c.error.empty() ? fmt::format("{:.3g}", c.max_abs_diff) : "failed: " + c.error);
  }
  t += fmt::format("  {} parameters, {} buffers, {} tensor constants in the graphs; {:.2f} MB\n", parameters, buffers,
                   tensor_constants, static_cast<double>(file_bytes) / 1e6);
  t += fmt::format("  input checks: {} of {} wrong inputs refused{}\n", limits_refused, limits_checked,
                   unchecked_limit.empty() ? "" : "; accepted: " + unchecked_limit);
  return t;
}

ExportReport export_torchscript(torch::nn::Module& model, const Exportable& what, const std::string& path,
                                const ExportOptions& options) {
  StopSignals signals;  // SIGINT/SIGTERM: stop after the current stage, leaving no file
  PendingFile file(path);
  auto stage = [&](const std::string& name) {
    if (options.on_stage) options.on_stage(name);
    if (int sig = signals.raised())
      throw std::runtime_error(fmt::format("export interrupted by {}; nothing written to {}", signal_name(sig), path));
  };
  const ExportShape shape = trace_shape(what);
  torch::jit::Module traced = trace_methods(model, what, shape.batch, shape.length, kTraceSeed);
  stage("traced");
  torch::jit::ExtraFilesMap extra(options.extra_files.begin(), options.extra_files.end());
  traced.save(file.tmp(), extra);
  stage("written");
  ExportReport report = check_file(file.tmp(), model, what, options.tolerance);
  report.path = path;
  stage("checked");
  if (report.passed) file.commit();
  return report;
}

std::map<std::string, std::string> read_extra_files(const std::string& path, const std::vector<std::string>& names) {
  torch::jit::ExtraFilesMap files;
  for (const auto& n : names) files[n] = "";
  torch::jit::load(path, torch::kCPU, files);
  return {files.begin(), files.end()};
}

}  // namespace attnlab
