#include "core/export/tracer.h"

#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/csrc/jit/frontend/tracer.h>

#include "core/export/input_checks.h"

namespace attnlab {

namespace {

// "attnlab::GPTImpl" -> "GPTImpl": the class name TorchScript shows for the module.
std::string short_name(const torch::nn::Module& m) {
  const std::string name = m.name();
  const auto colon = name.rfind(':');
  return colon == std::string::npos ? name : name.substr(colon + 1);
}

// A jit::Module tree shaped like `m`, holding the same tensors (the tracer finds parameters
// by identity: a copy would be baked into the graph as a constant). jit::Module has no
// implicit `training` attribute, so every level gets one.
torch::jit::Module mirror(const torch::nn::Module& m, const std::shared_ptr<torch::jit::CompilationUnit>& cu) {
  torch::jit::Module jm(c10::QualifiedName("__torch__.attnlab." + short_name(m)), cu, /*shouldMangle=*/true);
  jm.register_attribute("training", c10::BoolType::get(), false);
  for (const auto& p : m.named_parameters(/*recurse=*/false)) jm.register_parameter(p.key(), p.value(), false);
  for (const auto& b : m.named_buffers(/*recurse=*/false)) jm.register_buffer(b.key(), b.value());
  for (const auto& c : m.named_children()) jm.register_module(c.key(), mirror(*c.value(), cu));
  return jm;
}

// TorchScript compiled from C++ resolves only `torch`: the input checks' RuntimeError is
// supplied here. Its message starts "invalid input: " (Python shows "RuntimeError: invalid
// input: forward(): ...").
struct CheckResolver : torch::jit::NativeResolver {
  std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string& name, torch::jit::GraphFunction& m,
                                                         const torch::jit::SourceRange& loc) override {
    if (name == "RuntimeError") return std::make_shared<torch::jit::ExceptionValue>(kInputCheckError);
    return NativeResolver::resolveValue(name, m, loc);
  }
};

}  // namespace

torch::jit::Module trace_methods(torch::nn::Module& model, const Exportable& what, int64_t batch, int64_t length,
                                 uint64_t seed) {
  torch::NoGradGuard no_grad;
  model.eval();  // dropout off: the tracer records the flag as a constant
  auto cu = std::make_shared<torch::jit::CompilationUnit>();
  torch::jit::Module jm = mirror(model, cu);
  for (const auto& method : what.methods) {
    const Tensors example = method.example(batch, length, seed);
    size_t outputs = 0;
    auto run = [&method, &outputs](torch::jit::Stack in) -> torch::jit::Stack {
      Tensors args;
      for (const auto& v : in) args.push_back(v.toTensor());
      const Tensors out = method.run(args);
      outputs = out.size();
      if (out.size() == 1) return {out[0]};
      return {c10::ivalue::Tuple::create(std::vector<c10::IValue>(out.begin(), out.end()))};
    };
    auto traced = torch::jit::tracer::trace(torch::jit::Stack(example.begin(), example.end()), run,
                                            [](const torch::autograd::Variable&) { return std::string(); },
                                            /*strict=*/true, /*force_outplace=*/false, &jm, method.argument_names);
    // What Python's _create_method_from_trace does: the traced graph becomes a method, kept
    // under the unchecked name; the method itself checks its inputs (compiled from source,
    // since a trace records no condition) and calls it.
    auto* fn = cu->create_function(c10::QualifiedName(*jm.type()->name(), unchecked_name(method.name)),
                                   traced.first->graph);
    jm.type()->addMethod(fn);
    jm.define(checked_method_source(method, outputs), std::make_shared<CheckResolver>());
  }
  return jm;
}

}  // namespace attnlab
