#include "models/icl_regressor.h"

#include "models/transformer_keys.h"

namespace attnlab {

IclRegressorOptions IclRegressorOptions::read(ConfigSection s) {
  IclRegressorOptions o;
  read_block_keys(s, o);  // no vocab_size: the inputs are vectors
  return o;
}

IclRegressorImpl::IclRegressorImpl(const IclRegressorOptions& o) : options(o) {
  TORCH_CHECK(o.n_dims > 0 && o.n_points > 0, "IclRegressor needs n_dims and n_points > 0");
  GPTOptions g;
  static_cast<BlockKeys&>(g) = o;
  g.vocab_size = 0;  // a backbone: the read-in below replaces the token embedding
  g.block_size = 2 * o.n_points;
  read_in = register_module("read_in", torch::nn::Linear(o.n_dims, o.n_embd));
  backbone = register_module("backbone", GPT(g));
  read_out = register_module("read_out", torch::nn::Linear(o.n_embd, 1));
}

torch::Tensor IclRegressorImpl::forward(const torch::Tensor& xs, const torch::Tensor& ys) {
  TORCH_CHECK(xs.dim() == 3 && ys.dim() == 2 && xs.size(-1) == options.n_dims,
              "IclRegressor expects xs [B, P, n_dims] and ys [B, P]");
  // y as a d-vector (y, 0, ..., 0), then x1, y1, x2, y2, ... as one sequence [B, 2P, d].
  const auto y_vectors = torch::constant_pad_nd(ys.unsqueeze(-1), {0, options.n_dims - 1});
  const auto z = torch::stack({xs, y_vectors}, 2).flatten(1, 2);
  const auto h = backbone->forward_embeddings(read_in(z));       // [B, 2P, n_embd]
  return read_out(h).squeeze(-1).unflatten(1, {-1, 2}).select(2, 0);  // the x positions: [B, P]
}

Exportable IclRegressorImpl::exportable() {
  const int64_t d = options.n_dims;
  ExportMethod fwd{"forward", {"xs", "ys"},
                   "forward(xs: float32 [B, P, n_dims], ys: float32 [B, P], P <= n_points) -> predictions: float32 "
                   "[B, P], prediction i from x_1..x_i and y_1..y_(i-1)",
                   [this](const Tensors& in) { return Tensors{forward(in[0], in[1])}; },
                   [d](int64_t B, int64_t P, uint64_t seed) {
                     // Prompts as the data draws them: y = w.x with one w per prompt.
                     auto gen = at::detail::createCPUGenerator(seed);
                     const auto xs = torch::randn({B, P, d}, gen), w = torch::randn({B, d, 1}, gen);
                     return Tensors{xs, torch::bmm(xs, w).squeeze(-1)};
                   }};
  fwd.inputs = {{torch::kFloat, {{"B"}, {"P", 0, options.n_points, "n_points"}, {"d", d, 0, "n_dims"}}, "x vectors"},
                {torch::kFloat, {{"B", 0, 0, "", "xs.0"}, {"P", 0, 0, "", "xs.1"}}, "y values"}};
  return {{fwd}, options.n_points};
}

}  // namespace attnlab
