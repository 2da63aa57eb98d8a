// Architecture variants on the shared blocks: RMSNorm, SwiGLU, RoPE, ALiBi, grouped-query
// attention, QK-norm, untied embeddings. Each checked against its formula, and each built,
// trained one step and exported in every family.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/blocks/alibi.h"
#include "core/blocks/attention.h"
#include "core/blocks/feed_forward.h"
#include "core/blocks/layer_norm.h"
#include "core/blocks/rope.h"
#include "core/config/node.h"
#include "core/config/section.h"
#include "core/export/torchscript.h"
#include "models/registry.h"
#include "models/seq2seq.h"
#include "test_util.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using Catch::Matchers::Contains;

namespace {

bool close(const torch::Tensor& a, const torch::Tensor& b, double tol = 1e-5) {
  return a.sizes() == b.sizes() && torch::allclose(a, b, tol, tol);
}

// Plain softmax attention over heads, by hand: q [B, nh, T, d], k and v [B, nh, S, d].
torch::Tensor attention_by_hand(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  return torch::softmax(torch::matmul(q, k.transpose(-2, -1)) * scale, -1).matmul(v);
}

// A model section from YAML lines (family keys plus the variant), built for `ctx`.
BuiltModel build_model(const std::string& keys, const ModelContext& ctx) {
  std::string yaml = "model:\n";
  std::stringstream in(keys);
  for (std::string line; std::getline(in, line);) yaml += "  " + line + "\n";
  ConfigRoot root(parse_yaml(yaml, "variant.yaml"));
  ModelSpec spec = configure_model(root.section("model"));
  root.check_unknown_keys();
  return spec.build(ctx);
}

struct Family {
  std::string keys;
  ModelContext ctx;
};

Family family(const std::string& type) {
  Family f;
  f.ctx.vocab_size = 20, f.ctx.pad_id = 0;
  if (type == "gpt") {
    f.keys = "type: gpt\nn_layer: 2\nn_head: 4\nn_embd: 16\nblock_size: 12\n";
    f.ctx.objective = "causal_lm", f.ctx.pad_id = -1;
  } else if (type == "bert") {
    f.keys = "type: bert\nn_layer: 2\nn_head: 4\nn_embd: 16\nmax_len: 12\ndropout: 0.0\n";
    f.ctx.objective = "masked_lm";
  } else if (type == "seq2seq") {
    f.keys = "type: seq2seq\nn_layer: 1\nn_head: 4\nn_embd: 16\nmax_len: 12\ndropout: 0.0\n";
    f.ctx.objective = "translation", f.ctx.bos_id = 2, f.ctx.eos_id = 3;
    f.ctx.detokenize = [](const std::vector<int64_t>&) { return std::string(); };
  } else {
    f.keys = "type: vit\nn_layer: 2\nn_head: 4\nn_embd: 16\npatch_size: 4\n";
    f.ctx.objective = "image_classification", f.ctx.num_classes = 3, f.ctx.class_names = {"a", "b", "c"};
    f.ctx.image_channels = 1, f.ctx.image_height = 8, f.ctx.image_width = 12;
  }
  return f;
}

// Builds the family with the variant, trains one backward pass through its exported forward
// (every parameter gets a gradient), then exports it: the file must equal the model exactly.
void check_variant(const Family& f, const std::string& variant) {
  INFO(f.keys << " with " << variant);
  torch::manual_seed(3);
  BuiltModel built = build_model(f.keys + variant, f.ctx);
  const Exportable what = built.exportable();
  const ExportMethod& m = what.methods.back();  // forward (the translator's: encoder and decoder)
  built.module->train();
  const auto out = m.run(m.example(2, 5, 11))[0];
  CHECK(out.isfinite().all().item<bool>());
  out.pow(2).mean().backward();
  for (const auto& p : built.module->named_parameters()) {
    INFO(p.key());
    CHECK(p.value().grad().defined());
  }
  TempDir dir;
  const ExportReport report = export_torchscript(*built.module, what, dir / "model.pt");
  INFO(report.table() << report.problem);
  CHECK(report.passed);
  CHECK(report.max_abs_diff == 0.0);
}

void check_variant(const std::string& type, const std::string& variant) { check_variant(family(type), variant); }

const std::vector<std::string>& variants() {
  static const std::vector<std::string> v = {
      "norm: rmsnorm",         "activation: swiglu",   "activation: relu",     "pos_encoding: rope",
      "pos_encoding: alibi",   "pos_encoding: none",   "pos_encoding: sinusoidal", "n_kv_head: 1",
      "n_kv_head: 2",          "qk_norm: true",        "bias: false",          "norm_position: post",
      "pos_encoding: rope\nn_kv_head: 2\nqk_norm: true\nnorm: rmsnorm\nactivation: swiglu",
      "attention_window: 3",   "attention_window: 2\npos_encoding: rope", "attention_window: 4\npos_encoding: alibi\nn_kv_head: 2"};
  return v;
}

}  // namespace

TEST_CASE("RMSNorm equals x / sqrt(mean(x^2) + eps) * weight, and has no bias") {
  torch::manual_seed(0);
  LayerNorm rms(LayerNormOptions(8).kind("rmsnorm").eps(1e-6));
  {
    torch::NoGradGuard g;
    rms->weight.uniform_(0.5, 1.5);
  }
  const auto x = torch::randn({2, 3, 8}) * 3 + 1;
  const auto expected = x / torch::sqrt((x * x).mean(-1, true) + 1e-6) * rms->weight;
  CHECK(close(rms(x), expected));
  CHECK(rms->parameters().size() == 1);
  CHECK_THROWS_WITH(LayerNorm(LayerNormOptions(8).kind("batchnorm")), Contains("layernorm") && Contains("rmsnorm"));
}

TEST_CASE("SwiGLU: c_proj(silu(gate) * value), with the hidden width 2/3 of mlp_ratio * C rounded up to 8") {
  torch::manual_seed(1);
  FeedForward ff(FeedForwardOptions(6).mlp_ratio(4).activation("swiglu"));
  CHECK(ff->options.hidden() == 16);  // 2/3 of 24 = 16
  CHECK(FeedForwardOptions(4).mlp_ratio(3).activation("swiglu").hidden() == 8);  // 2/3 of 12 = 8
  CHECK(FeedForwardOptions(10).mlp_ratio(4).activation("swiglu").hidden() == 32);  // 26 -> 32
  CHECK(ff->c_fc->weight.sizes() == torch::IntArrayRef{32, 6});
  const auto x = torch::randn({2, 3, 6});
  const auto h = torch::matmul(x, ff->c_fc->weight.t()) + ff->c_fc->bias;
  const auto gate = h.narrow(-1, 0, 16), value = h.narrow(-1, 16, 16);
  const auto expected = torch::matmul(gate / (1 + torch::exp(-gate)) * value, ff->c_proj->weight.t()) + ff->c_proj->bias;
  CHECK(close(ff(x), expected));
}

TEST_CASE("RoPE: a rotated query-key score depends only on the offset between their positions") {
  torch::manual_seed(2);
  const auto inv_freq = rope_inverse_frequencies(8);
  CHECK(close(inv_freq, torch::tensor({1.0, std::pow(1e4, -0.25), std::pow(1e4, -0.5), std::pow(1e4, -0.75)})));
  const auto q = torch::randn({1, 1, 1, 8}), k = torch::randn({1, 1, 1, 8});
  auto score = [&](int64_t m, int64_t n) {
    auto qm = apply_rope(q, torch::tensor({m}), inv_freq), kn = apply_rope(k, torch::tensor({n}), inv_freq);
    return (qm * kn).sum().item<double>();
  };
  CHECK(score(3, 1) == Approx(score(10, 8)).epsilon(1e-5));
  CHECK(score(3, 1) == Approx(score(2, 0)).epsilon(1e-5));
  CHECK(score(0, 0) == Approx((q * k).sum().item<double>()).epsilon(1e-5));  // position 0 is no rotation
  CHECK(std::abs(score(3, 1) - score(3, 2)) > 1e-3);
  // A rotation keeps the length of every vector.
  const auto x = torch::randn({2, 3, 5, 8});
  CHECK(close(apply_rope(x, torch::arange(5), inv_freq).norm(2, -1), x.norm(2, -1)));
}

TEST_CASE("ALiBi: the paper's slopes, and biases -slope * distance") {
  const auto s8 = alibi_slopes(8);
  for (int i = 0; i < 8; ++i) CHECK(s8[static_cast<size_t>(i)] == Approx(std::pow(2.0, -(i + 1))));
  const auto s4 = alibi_slopes(4);
  CHECK(s4 == std::vector<double>{0.25, 0.0625, 0.015625, 0.00390625});
  // Six heads: the four slopes of 4 heads, then slopes 1 and 3 of 8 heads (the paper's code).
  const auto s6 = alibi_slopes(6);
  CHECK(s6 == std::vector<double>{0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125});
  const auto bias = alibi_bias(torch::tensor({0.5, 0.25}), torch::tensor({2, 3}), torch::tensor({0, 1, 2, 3}));
  CHECK(close(bias[0], torch::tensor({{-1.0, -0.5, 0.0, -0.5}, {-1.5, -1.0, -0.5, 0.0}})));
  CHECK(close(bias[1], bias[0] / 2));
}

TEST_CASE("grouped-query attention: n_kv_head = n_head is plain attention, and fewer kv heads equal it with each kv head "
          "copied to its query heads") {
  torch::manual_seed(4);
  const int64_t C = 16, nh = 4, hd = 4;
  const auto x = torch::randn({2, 5, C});
  torch::NoGradGuard no_grad;
  auto heads = [](const torch::Tensor& t, int64_t n) { return t.unflatten(-1, {n, -1}).transpose(1, 2); };

  MultiHeadAttention plain(MultiHeadAttentionOptions(C, nh).n_kv_head(nh));
  auto qkv = plain->c_attn(x).chunk(3, -1);
  auto by_hand = attention_by_hand(heads(qkv[0], nh), heads(qkv[1], nh), heads(qkv[2], nh)).transpose(1, 2).flatten(-2);
  CHECK(close(plain(x), plain->c_proj(by_hand)));

  for (int64_t kvh : {2, 1}) {
    INFO("n_kv_head " << kvh);
    MultiHeadAttention gqa(MultiHeadAttentionOptions(C, nh).n_kv_head(kvh));
    CHECK(gqa->c_attn->weight.size(0) == C + 2 * kvh * hd);
    // The same attention as plain multi-head whose k and v rows repeat each kv head nh / kvh times.
    const auto w = gqa->c_attn->weight, b = gqa->c_attn->bias;
    auto expand = [&](const torch::Tensor& t) {  // [kvh * hd, ...] -> [nh * hd, ...]
      return t.unflatten(0, {kvh, hd}).repeat_interleave(nh / kvh, 0).flatten(0, 1);
    };
    plain->c_attn->weight.copy_(torch::cat({w.narrow(0, 0, C), expand(w.narrow(0, C, kvh * hd)),
                                            expand(w.narrow(0, C + kvh * hd, kvh * hd))}));
    plain->c_attn->bias.copy_(torch::cat({b.narrow(0, 0, C), expand(b.narrow(0, C, kvh * hd)),
                                          expand(b.narrow(0, C + kvh * hd, kvh * hd))}));
    plain->c_proj->weight.copy_(gqa->c_proj->weight);
    plain->c_proj->bias.copy_(gqa->c_proj->bias);
    CHECK(close(gqa(x), plain(x)));
    CHECK(close(gqa(x, x), plain(x, x)));  // cross-attention too
  }
  CHECK_THROWS_WITH(MultiHeadAttention(MultiHeadAttentionOptions(C, nh).n_kv_head(3)), Contains("n_kv_head"));
}

TEST_CASE("RoPE, ALiBi and grouped-query attention: cached decoding equals the full decoder, and padding changes no "
          "real position") {
  for (const std::string& pos : {"rope", "alibi"}) {
    INFO(pos);
    Seq2seqOptions o;
    o.vocab_size = 24, o.max_len = 24, o.n_layer = 2, o.n_head = 4, o.n_kv_head = 2, o.n_embd = 16;
    o.dropout = 0.0, o.pad_id = 0, o.pos_encoding = pos, o.qk_norm = true;
    torch::manual_seed(5);
    Seq2seq model(o);
    model->eval();
    torch::NoGradGuard no_grad;
    const auto src = torch::randint(5, 24, {3, 6}), tgt = torch::randint(5, 24, {3, 7});
    auto memory = model->encode(src);
    const auto full = model->decode(tgt, memory);
    auto cache = model->new_cache();
    for (int64_t t = 0; t < 7; ++t) CHECK(close(model->decode(tgt.narrow(1, t, 1), memory, &cache).select(1, 0),
                                                full.select(1, t)));
    // Source padding appended: the encoder's real positions and the decoder's output are unchanged.
    const auto padded = torch::cat({src, torch::zeros({3, 3}, torch::kLong)}, 1);
    const auto memory_padded = model->encode(padded);
    CHECK(close(memory_padded.states.narrow(1, 0, 6), memory.states));
    CHECK(close(model->decode(tgt, memory_padded), full));
  }
}

TEST_CASE("every variant builds, trains and exports in GPT") {
  for (const auto& v : variants()) check_variant("gpt", v);
  check_variant("gpt", "tie_embeddings: false");
}

TEST_CASE("every variant builds, trains and exports in the BERT-style encoder") {
  for (const auto& v : variants()) check_variant("bert", v);
  check_variant("bert", "tie_embeddings: false");
}

TEST_CASE("every variant builds, trains and exports in the translator") {
  for (const auto& v : variants()) check_variant("seq2seq", v);
  check_variant("seq2seq", "tie_output: false");
}

TEST_CASE("every variant builds, trains and exports in the ViT") {
  for (const auto& v : variants()) check_variant("vit", v);
  // A convolutional stem (8x12 -> 4x6 -> 2x3): exported with BatchNorm's running statistics.
  Family stem = family("vit");
  stem.keys.erase(stem.keys.find("patch_size: 4\n"), std::string("patch_size: 4\n").size());
  check_variant(stem, "stem_layers: 2\nstem_channels: 4\npatch_size: 1");
  check_variant(stem, "stem_layers: 1\nstem_channels: 3\npatch_size: 2\npos_encoding: rope");
}

TEST_CASE("a variant that does not fit is a clear config error") {
  const Family gpt = family("gpt");
  CHECK_THROWS_WITH(build_model(gpt.keys + "n_kv_head: 3", gpt.ctx), Contains("n_kv_head") && Contains("divide"));
  CHECK_THROWS_WITH(build_model(gpt.keys + "pos_encoding: rotary", gpt.ctx),
                    Contains("pos_encoding") && Contains("rope") && Contains("alibi"));
  CHECK_THROWS_WITH(build_model(gpt.keys + "norm: batchnorm", gpt.ctx), Contains("rmsnorm"));
  CHECK_THROWS_WITH(build_model("type: gpt\nn_head: 4\nn_embd: 12\npos_encoding: rope", gpt.ctx),
                    Contains("rope needs an even head size"));
  const Family vit = family("vit");
  CHECK_THROWS_WITH(build_model(vit.keys + "tie_embeddings: false", vit.ctx), Contains("tie_embeddings"));
}
