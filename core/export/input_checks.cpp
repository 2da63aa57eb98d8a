#include "core/export/input_checks.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <limits>
#include <stdexcept>

namespace attnlab {

namespace {

std::string dtype_name(torch::ScalarType t) {
  switch (t) {
    case torch::kLong: return "int64";
    case torch::kFloat: return "float32";
    case torch::kBool: return "bool";
    default: return c10::toString(t);
  }
}

// "idx: int64 [B, T] (token ids)"
std::string described(const std::string& name, const InputSpec& s) {
  std::vector<std::string> dims;
  for (const auto& d : s.dims) dims.push_back(d.exact > 0 ? std::to_string(d.exact) : d.name);
  return fmt::format("{} must be {} [{}]{}", name, dtype_name(s.dtype), fmt::join(dims, ", "),
                     s.meaning.empty() ? "" : " (" + s.meaning + ")");
}

// A TorchScript string literal.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

// "source.0" -> {argument index, dimension}
std::pair<size_t, int64_t> reference(const ExportMethod& m, const std::string& same_as) {
  const auto dot = same_as.find('.');
  for (size_t i = 0; i < m.argument_names.size(); ++i)
    if (m.argument_names[i] == same_as.substr(0, dot)) return {i, std::stoll(same_as.substr(dot + 1))};
  throw std::invalid_argument("InputDim::same_as names no argument: " + same_as);
}

}  // namespace

std::string unchecked_name(const std::string& method) { return "_" + method + "_unchecked"; }

// The "invalid input: " part comes from the exception the tracer's resolver supplies.
std::string input_check_prefix(const std::string& method) {
  return std::string(kInputCheckError) + ": " + method + "(): ";
}

std::string checked_method_source(const ExportMethod& m, size_t outputs) {
  if (m.inputs.size() != m.argument_names.size())
    throw std::invalid_argument(fmt::format("exported method {} declares {} inputs for {} arguments", m.name,
                                            m.inputs.size(), m.argument_names.size()));
  std::vector<std::string> params, args;
  for (const auto& a : m.argument_names) params.push_back(a + ": Tensor"), args.push_back(a);
  std::string returns = "Tensor";
  if (outputs > 1) returns = fmt::format("Tuple[{}]", fmt::join(std::vector<std::string>(outputs, "Tensor"), ", "));
  std::string src = fmt::format("def {}(self, {}) -> {}:\n", m.name, fmt::join(params, ", "), returns);
  const std::string where = m.name + "(): ";  // the exception adds "invalid input: "
  auto check = [&](const std::string& condition, const std::string& message) {
    src += fmt::format("    if {}:\n        raise RuntimeError({})\n", condition, message);
  };
  for (size_t i = 0; i < m.inputs.size(); ++i) {
    const std::string& x = m.argument_names[i];
    const InputSpec& s = m.inputs[i];
    const std::string what = described(x, s);
    check(fmt::format("{}.dim() != {}", x, s.dims.size()),
          fmt::format("{} + str({}.dim()) + {}", quoted(where + what + ", got "), x, quoted(" dimensions")));
    check(fmt::format("{}.dtype != {}", x, static_cast<int>(s.dtype)),
          quoted(where + what + ", got another dtype (convert it with .to(torch." + dtype_name(s.dtype) + "))"));
    for (size_t d = 0; d < s.dims.size(); ++d) {
      const InputDim& dim = s.dims[d];
      const std::string size = fmt::format("{}.size({})", x, d);
      const std::string got = fmt::format("{} + str({}) + ", quoted(where + x + " has " + dim.name + " = "), size);
      check(size + " < 1", quoted(where + x + " has " + dim.name + " = 0; every dimension must be at least 1"));
      if (dim.exact > 0)
        check(fmt::format("{} != {}", size, dim.exact),
              got + quoted(fmt::format(", but the model takes {} ({})", dim.exact, dim.key)));
      if (dim.max > 0)
        check(fmt::format("{} > {}", size, dim.max),
              got + quoted(fmt::format(", more than the model's {} ({})", dim.max, dim.key)));
      if (!dim.same_as.empty()) {
        const auto [j, e] = reference(m, dim.same_as);
        const std::string other = fmt::format("{}.size({})", m.argument_names[j], e);
        check(fmt::format("{} != {}", size, other),
              got + quoted(", but " + m.argument_names[j] + "'s is ") + " + str(" + other + ")");
      }
    }
    if (s.dtype == torch::kFloat)
      check(fmt::format("not bool(torch.isfinite({}).all())", x),
            quoted(where + x + " holds NaN or infinity"));
    if (s.vocab_size > 0)
      check(fmt::format("bool({0}.min() < 0) or bool({0}.max() >= {1})", x, s.vocab_size),
            quoted(fmt::format("{}{} holds values outside [0, {}) ({})", where, x, s.vocab_size, s.bound_name)));
    if (s.pad_id >= 0)
      check(fmt::format("bool(({}.ne({})).sum(1).eq(0).any())", x, s.pad_id),
            quoted(fmt::format("{}a row of {} is only padding (id {}): it has nothing to attend to", where, x, s.pad_id)));
    if (s.keep_one)
      check(fmt::format("bool({}.all(1).any())", x),
            quoted(where + "a row of " + x + " is true everywhere (all padding): it has nothing to attend to"));
  }
  src += fmt::format("    return self.{}({})\n", unchecked_name(m.name), fmt::join(args, ", "));
  return src;
}

std::vector<std::pair<std::string, Tensors>> limit_breaking_inputs(const ExportMethod& m, const Tensors& valid) {
  std::vector<std::pair<std::string, Tensors>> out;
  auto with = [&](size_t i, const torch::Tensor& t, const std::string& what) {
    Tensors in = valid;
    in[i] = t;
    out.emplace_back(m.argument_names[i] + " " + what, in);
  };
  // `t` with dimension d resized to n (rows repeated).
  auto resized = [](const torch::Tensor& t, int64_t d, int64_t n) {
    return t.index_select(d, torch::arange(n, torch::kLong) % t.size(d));
  };
  for (size_t i = 0; i < m.inputs.size(); ++i) {
    const InputSpec& s = m.inputs[i];
    const torch::Tensor& x = valid[i];
    with(i, x.unsqueeze(0), fmt::format("with {} dimensions", x.dim() + 1));
    with(i, x.to(s.dtype == torch::kFloat ? torch::kDouble : torch::kFloat), "of another dtype");
    for (size_t d = 0; d < s.dims.size(); ++d) {
      const InputDim& dim = s.dims[d];
      const auto di = static_cast<int64_t>(d);
      with(i, x.narrow(di, 0, 0), "with " + dim.name + " = 0");
      if (dim.exact > 0) with(i, resized(x, di, dim.exact + 1), fmt::format("with {} = {}", dim.name, dim.exact + 1));
      if (dim.max > 0) with(i, resized(x, di, dim.max + 1), fmt::format("with {} = {}", dim.name, dim.max + 1));
      if (!dim.same_as.empty() && x.size(di) > 1)
        with(i, x.narrow(di, 0, x.size(di) - 1), "with " + dim.name + " unlike " + dim.same_as);
    }
    if (s.dtype == torch::kFloat) {
      torch::Tensor bad = x.clone();
      bad.view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
      with(i, bad, "with a NaN");
    }
    if (s.vocab_size > 0) {
      torch::Tensor high = x.clone(), low = x.clone();
      high.view(-1)[0] = s.vocab_size;
      low.view(-1)[0] = -1;
      with(i, high, fmt::format("with id {}", s.vocab_size));
      with(i, low, "with id -1");
    }
    if (s.pad_id >= 0) {
      torch::Tensor padded = x.clone();
      padded[0].fill_(s.pad_id);
      with(i, padded, "with a row of padding only");
    }
    if (s.keep_one) {
      torch::Tensor all = x.clone();
      all[0].fill_(true);
      with(i, all, "with a row true everywhere");
    }
  }
  return out;
}

}  // namespace attnlab
