#include "models/bert.h"

#include "core/blocks/init.h"
#include "models/transformer_keys.h"

namespace attnlab {

BertOptions BertOptions::read(ConfigSection s) {
  BertOptions o;
  read_transformer_keys(s, o);
  ATTNLAB_READ(s, o, max_len, Range::closed(3, 1 << 24, "[CLS], a token, [SEP]"));
  o.pooling = s.choice("pooling", o.pooling, {"cls", "mean"});
  ATTNLAB_READ(s, o, init_from);
  ATTNLAB_READ(s, o, freeze_encoder);
  ATTNLAB_READ(s, o, tie_embeddings);
  if (o.freeze_encoder && o.init_from.empty())
    s.fail("freeze_encoder", "needs model.init_from (a frozen random encoder learns nothing)");
  return o;
}

BertEncoderImpl::BertEncoderImpl(const BertOptions& o) : options(o) {
  TORCH_CHECK(o.vocab_size > 0, "BERT needs vocab_size > 0");
  const bool post = o.norm_position == "post";
  wte = register_module("wte", torch::nn::Embedding(o.vocab_size, o.n_embd));
  wpe = register_module("wpe", PositionalEncoding(PositionalEncodingOptions(o.max_len, o.n_embd).kind(o.pos_encoding)));
  if (post) ln_emb = register_module("ln_emb", LayerNorm(norm_options(o)));
  drop = register_module("drop", Dropout(o.dropout));
  h = register_module("h", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.n_layer; ++i) {
    blocks_.emplace_back(block_options(o, /*causal=*/false));
    h->push_back(blocks_.back());
  }
  if (!post) ln_f = register_module("ln_f", LayerNorm(norm_options(o)));
}

torch::Tensor BertEncoderImpl::forward(const torch::Tensor& idx, const torch::Tensor& padding_mask) {
  TORCH_CHECK(idx.dim() == 2, "BERT expects token ids of shape [B, T]");
  TORCH_CHECK(idx.size(1) <= options.max_len, "sequence of length ", idx.size(1), " exceeds max_len ", options.max_len);
  auto x = wpe->apply(wte(idx), positions_like(idx));
  if (ln_emb) x = ln_emb(x);
  x = drop(x);
  for (auto& block : blocks_) x = block(x, torch::Tensor(), padding_mask);
  return ln_f ? ln_f(x) : x;
}

MaskedLMHeadImpl::MaskedLMHeadImpl(const LayerNormOptions& norm, int64_t vocab_size, bool tied) {
  const int64_t C = norm.n_embd();
  dense = register_module("dense", torch::nn::Linear(C, C));
  ln = register_module("ln", LayerNorm(norm));
  if (!tied) weight = register_parameter("weight", torch::empty({vocab_size, C}).normal_(0.0, 0.02));
  bias = register_parameter("bias", torch::zeros({vocab_size}));
}

torch::Tensor MaskedLMHeadImpl::forward(const torch::Tensor& hidden, const torch::Tensor& embedding) {
  return torch::linear(ln(torch::gelu(dense(hidden))), weight.defined() ? weight : embedding, bias);
}

BertImpl::BertImpl(const BertOptions& o) : options(o) {
  TORCH_CHECK(o.head == "mlm" || o.head == "classifier", "BERT head must be 'mlm' or 'classifier'");
  encoder = register_module("encoder", BertEncoder(o));
  if (o.head == "mlm") {
    mlm_head = register_module("mlm_head", MaskedLMHead(norm_options(o), o.vocab_size, o.tie_embeddings));
  } else {
    TORCH_CHECK(o.num_classes > 1, "a classifier needs at least 2 classes");
    cls_drop = register_module("cls_drop", Dropout(o.dropout));
    classifier = register_module("classifier", torch::nn::Linear(o.n_embd, o.num_classes));
  }
  // BERT's initialisation: N(0, 0.02) matrices, zero biases, no residual scaling.
  init_transformer_weights(*this, /*n_layer=*/0);
  if (o.freeze_encoder)
    for (auto& p : encoder->parameters()) p.set_requires_grad(false);
}

torch::Tensor BertImpl::forward(const torch::Tensor& idx) { return encoder(idx, idx.eq(options.pad_id)); }

torch::Tensor BertImpl::mlm_logits(const torch::Tensor& idx, const torch::Tensor& selected) {
  TORCH_CHECK(mlm_head, "this BERT was built with a classifier head, not a masked-LM head");
  // Only the selected positions go through the head: a [N, V] projection instead of [B*T, V].
  auto hidden = forward(idx).flatten(0, 1).index_select(0, selected.flatten().nonzero().squeeze(1));
  return mlm_head(hidden, encoder->wte->weight);
}

torch::Tensor BertImpl::classify(const torch::Tensor& idx) {
  TORCH_CHECK(classifier, "this BERT was built with a masked-LM head, not a classifier");
  auto hidden = forward(idx);
  torch::Tensor pooled;
  if (options.pooling == "cls") {
    pooled = hidden.select(1, 0);
  } else {
    auto real = idx.ne(options.pad_id).unsqueeze(-1).to(hidden.dtype());  // [B, T, 1]
    pooled = (hidden * real).sum(1) / real.sum(1).clamp_min(1.0);
  }
  return classifier(cls_drop(pooled));
}

Exportable BertImpl::exportable() {
  const int64_t V = options.vocab_size, pad = options.pad_id;
  // Examples: ids after the special tokens (0..4), padded at the end of all but the first row.
  auto example = [V, pad](int64_t B, int64_t T, uint64_t seed) {
    return Tensors{example_tokens(B, T, seed, V, std::min<int64_t>(5, V - 1), pad)};
  };
  ExportMethod fwd{"forward", {"idx"}, "", nullptr, example};
  fwd.inputs = {{torch::kLong, {{"B"}, {"T", 0, options.max_len, "max_len"}}, "token ids, [CLS] first", V, pad}};
  if (mlm_head) {
    fwd.signature = "forward(idx: int64 [B, T], T <= max_len) -> masked-LM logits: float32 [B, T, vocab_size]";
    fwd.run = [this](const Tensors& in) { return Tensors{mlm_head(forward(in[0]), encoder->wte->weight)}; };
  } else {
    fwd.signature = "forward(idx: int64 [B, T], T <= max_len) -> class logits: float32 [B, num_classes]";
    fwd.run = [this](const Tensors& in) { return Tensors{classify(in[0])}; };
  }
  return {{fwd}, options.max_len};
}

}  // namespace attnlab
