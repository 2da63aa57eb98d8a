// The shared blocks: attention (causal, padded, cross, by hand), norms, positions, blocks.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/blocks/attention.h"
#include "core/blocks/layer_norm.h"
#include "core/blocks/positional.h"
#include "core/blocks/transformer_block.h"

using namespace attnlab;

namespace {
double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }
}  // namespace

TEST_CASE("causal attention: changing tokens after t leaves outputs up to t unchanged") {
  torch::manual_seed(0);
  MultiHeadAttention attn(MultiHeadAttentionOptions(16, 4).causal(true));
  attn->eval();
  auto x = torch::randn({2, 7, 16});
  auto y = attn(x);
  auto x2 = x.clone();
  x2.narrow(1, 4, 3).normal_();  // change positions 4..6
  auto y2 = attn(x2);
  CHECK(max_diff(y.narrow(1, 0, 4), y2.narrow(1, 0, 4)) < 1e-6);
  CHECK(max_diff(y.narrow(1, 4, 3), y2.narrow(1, 4, 3)) > 1e-3);  // the future did change

  // Without the causal flag the past sees the future.
  MultiHeadAttention bidir(MultiHeadAttentionOptions(16, 4));
  bidir->eval();
  CHECK(max_diff(bidir(x).narrow(1, 0, 4), bidir(x2).narrow(1, 0, 4)) > 1e-3);
}

TEST_CASE("key-padding mask: padded keys have no influence") {
  torch::manual_seed(1);
  MultiHeadAttention attn(MultiHeadAttentionOptions(8, 2));
  attn->eval();
  auto x = torch::randn({2, 5, 8});
  auto mask = torch::zeros({2, 5}, torch::kBool);
  mask[0][3] = true, mask[0][4] = true;  // sequence 0 has 3 real tokens
  auto y = attn(x, torch::Tensor(), mask);
  auto x2 = x.clone();
  x2[0].narrow(0, 3, 2).normal_();  // change only the padding
  auto y2 = attn(x2, torch::Tensor(), mask);
  CHECK(max_diff(y[0].narrow(0, 0, 3), y2[0].narrow(0, 0, 3)) < 1e-6);
  // Same as running the unpadded prefix alone.
  auto alone = attn(x[0].narrow(0, 0, 3).unsqueeze(0));
  CHECK(max_diff(alone[0], y[0].narrow(0, 0, 3)) < 1e-5);
}

TEST_CASE("two-token single-head attention matches a hand computation") {
  MultiHeadAttention attn(MultiHeadAttentionOptions(2, 1).bias(false));
  attn->eval();
  {
    torch::NoGradGuard ng;
    // q = x, k = x, v = 2x; output projection = identity.
    auto w = torch::zeros({6, 2});
    w[0][0] = 1, w[1][1] = 1, w[2][0] = 1, w[3][1] = 1, w[4][0] = 2, w[5][1] = 2;
    attn->c_attn->weight.copy_(w);
    attn->c_proj->weight.copy_(torch::eye(2));
  }
  auto x = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}}).unsqueeze(0);  // [1, 2, 2]
  // scores = x x^T / sqrt(2) = [[1,0],[0,1]] / sqrt(2); softmax rows: [a, 1-a], a = e^s/(e^s+1)
  const double s = 1.0 / std::sqrt(2.0), a = std::exp(s) / (std::exp(s) + 1.0);
  auto expected = torch::tensor({{2 * a, 2 * (1 - a)}, {2 * (1 - a), 2 * a}}, torch::kFloat).unsqueeze(0);
  CHECK(max_diff(attn(x), expected) < 1e-6);
  // Causal: the first token sees only itself -> 2 * x0; the second is as before.
  attn->options.causal(true);
  auto causal = attn(x);
  CHECK(max_diff(causal[0][0], torch::tensor({2.0f, 0.0f})) < 1e-6);
  CHECK(max_diff(causal[0][1], expected[0][1]) < 1e-6);
}

TEST_CASE("cross-attention reads keys and values from the memory") {
  torch::manual_seed(2);
  MultiHeadAttention attn(MultiHeadAttentionOptions(8, 2));
  attn->eval();
  auto x = torch::randn({2, 3, 8}), mem = torch::randn({2, 5, 8});
  auto y = attn(x, mem);
  CHECK(y.sizes() == torch::IntArrayRef({2, 3, 8}));
  CHECK(max_diff(y, attn(x, mem * 2)) > 1e-3);
  // A memory padding mask hides memory positions.
  auto mask = torch::zeros({2, 5}, torch::kBool);
  mask.narrow(1, 2, 3).fill_(true);
  auto mem2 = mem.clone();
  mem2.narrow(1, 2, 3).normal_();
  CHECK(max_diff(attn(x, mem, mask), attn(x, mem2, mask)) < 1e-6);
}

TEST_CASE("sinusoidal encodings follow the formula") {
  const int64_t L = 50, d = 16;
  auto pe = sinusoidal_table(L, d);
  for (int64_t pos : {0, 1, 7, 49})
    for (int64_t i = 0; i < d / 2; ++i) {
      const double angle = static_cast<double>(pos) / std::pow(10000.0, 2.0 * i / d);
      CHECK(pe[pos][2 * i].item<double>() == Approx(std::sin(angle)).margin(1e-6));
      CHECK(pe[pos][2 * i + 1].item<double>() == Approx(std::cos(angle)).margin(1e-6));
    }
  PositionalEncoding enc(PositionalEncodingOptions(L, d).kind("sinusoidal"));
  CHECK(enc->parameters().empty());  // fixed, not learned
  auto positions = positions_like(torch::zeros({3, 5}, torch::kLong));
  CHECK(positions.equal(torch::arange(5)));
  CHECK(max_diff(enc(positions), pe.narrow(0, 0, 5)) == 0);
}

TEST_CASE("LayerNorm without bias normalises and has one parameter") {
  LayerNorm ln(LayerNormOptions(4).bias(false));
  CHECK(ln->parameters().size() == 1);
  auto y = ln(torch::tensor({{1.0f, 2.0f, 3.0f, 4.0f}}));
  CHECK(y.mean().item<double>() == Approx(0).margin(1e-6));
  CHECK(y.pow(2).mean().item<double>() == Approx(1).margin(1e-4));
}

TEST_CASE("transformer blocks: pre/post norm, encoder and decoder forms") {
  torch::manual_seed(3);
  auto x = torch::randn({2, 6, 16}), mem = torch::randn({2, 4, 16});
  for (const char* norm : {"pre", "post"}) {
    TransformerBlock enc(TransformerBlockOptions(16, 4).norm_position(norm).causal(true));
    enc->eval();
    auto y = enc(x);
    CHECK(y.sizes() == x.sizes());
    if (std::string(norm) == "post") CHECK(y.mean(-1).abs().max().item<double>() < 1e-5);  // ends in a LayerNorm
    auto x2 = x.clone();
    x2.narrow(1, 5, 1).normal_();
    CHECK(max_diff(y.narrow(1, 0, 5), enc(x2).narrow(1, 0, 5)) < 1e-5);  // still causal

    TransformerBlock dec(TransformerBlockOptions(16, 4).norm_position(norm).causal(true).cross_attention(true));
    dec->eval();
    CHECK(dec(x, mem).sizes() == x.sizes());
    CHECK(max_diff(dec(x, mem), dec(x, mem + 1)) > 1e-3);
    CHECK_THROWS_WITH(dec(x), Catch::Contains("needs a memory"));
  }
  TransformerBlock relu(TransformerBlockOptions(16, 4).activation("relu").mlp_ratio(2));
  CHECK(relu->mlp->c_fc->weight.size(0) == 32);
}
