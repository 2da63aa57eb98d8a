// Sliding-window attention (core/blocks/window_attention.h): the blockwise computation against
// the dense masked one, in outputs and gradients; the rolling cache; a GPT generating past its
// block_size.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <limits>

#include "core/blocks/alibi.h"
#include "core/blocks/attention.h"
#include "core/blocks/window_attention.h"
#include "models/gpt.h"

using namespace attnlab;

namespace {

// The O(T^2) definition: every score, a mask written out position by position, softmax, and
// zero for a query that sees nothing.
torch::Tensor dense_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int64_t window,
                              bool causal, const torch::Tensor& padding, const torch::Tensor& slopes) {
  const int64_t B = q.size(0), T = q.size(2);
  auto scores = torch::matmul(q, k.transpose(-2, -1));  // [B, h, T, T]
  auto hidden = torch::zeros({B, 1, T, T}, torch::kBool);
  auto acc = hidden.accessor<bool, 4>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < T; ++i)
      for (int64_t j = 0; j < T; ++j) {
        const bool in_window = causal ? (j <= i && i - j < window) : std::abs(i - j) < window;
        const bool padded = padding.defined() && padding[b][j].item<bool>();
        acc[b][0][i][j] = !in_window || padded;
      }
  if (slopes.defined()) {
    auto pos = torch::arange(T);
    scores = scores + alibi_bias(slopes, pos, pos);
  }
  auto blind = hidden.all(-1, true);
  scores = scores.masked_fill(hidden, -std::numeric_limits<double>::infinity());
  auto w = torch::softmax(scores.masked_fill(blind, 0.0), -1).masked_fill(blind, 0.0);
  return torch::matmul(w, v);
}

void check_against_dense(int64_t T, int64_t window, bool causal, bool with_padding, bool with_alibi) {
  torch::manual_seed(T * 100 + window);
  const int64_t B = 2, h = 3, hd = 4;
  auto q = torch::randn({B, h, T, hd}, torch::requires_grad());
  auto k = torch::randn({B, h, T, hd}, torch::requires_grad());
  auto v = torch::randn({B, h, T, hd}, torch::requires_grad());
  torch::Tensor padding, slopes;
  if (with_padding) {  // row 0: the last 3 keys padded; row 1: a padded key in the middle
    padding = torch::zeros({B, T}, torch::kBool);
    padding[0].narrow(0, std::max<int64_t>(T - 3, 1), std::min<int64_t>(3, T - 1)).fill_(true);
    padding[1][T / 2] = true;
  }
  if (with_alibi) slopes = torch::tensor(alibi_slopes(h), torch::kDouble).to(torch::kFloat);
  auto got = window_attention(q, k, v, window, causal, padding, slopes);
  auto want = dense_reference(q, k, v, window, causal, padding, slopes);
  REQUIRE(got.sizes() == want.sizes());
  CHECK(torch::allclose(got, want, 1e-5, 1e-5));
  auto g = torch::randn_like(want);
  auto grads = [&](const torch::Tensor& out) {
    auto gs = torch::autograd::grad({out}, {q, k, v}, {g});
    return torch::cat({gs[0].flatten(), gs[1].flatten(), gs[2].flatten()});
  };
  auto g_got = grads(got), g_want = grads(want);
  CHECK(g_got.isfinite().all().item<bool>());
  CHECK(torch::allclose(g_got, g_want, 1e-4, 1e-5));
}

GPTOptions windowed(int64_t window, const std::string& positions) {
  GPTOptions o;
  o.vocab_size = 20, o.block_size = 16, o.n_layer = 2, o.n_head = 2, o.n_embd = 16;
  o.attention_window = window, o.pos_encoding = positions;
  return o;
}

}  // namespace

TEST_CASE("Window attention: blockwise equals the dense masked computation, outputs and gradients") {
  for (bool causal : {true, false}) {
    DYNAMIC_SECTION((causal ? "causal" : "bidirectional")) {
      // Lengths divisible by the window and not, windows of 1, of the length and beyond it.
      for (auto [T, W] : std::vector<std::pair<int64_t, int64_t>>{{12, 4}, {13, 4}, {7, 3}, {9, 1}, {5, 5}, {5, 9}, {1, 2}})
        check_against_dense(T, W, causal, /*padding=*/false, /*alibi=*/false);
      check_against_dense(13, 4, causal, /*padding=*/true, /*alibi=*/false);
      check_against_dense(11, 3, causal, /*padding=*/false, /*alibi=*/true);
      check_against_dense(10, 2, causal, /*padding=*/true, /*alibi=*/true);
    }
  }
}

TEST_CASE("Window attention: a window of 1 is each position's own value, a query over padding only gives 0") {
  auto q = torch::randn({1, 2, 6, 4}), k = torch::randn({1, 2, 6, 4}), v = torch::randn({1, 2, 6, 4});
  CHECK(torch::allclose(window_attention(q, k, v, 1, true), v, 1e-6, 1e-6));
  CHECK(torch::allclose(window_attention(q, k, v, 1, false), v, 1e-6, 1e-6));
  auto padding = torch::zeros({1, 6}, torch::kBool);
  padding.narrow(1, 3, 3).fill_(true);  // the last 3 keys: a window of 2 at position 5 sees only those
  auto y = window_attention(q, k, v, 2, true, padding);
  CHECK(y.select(2, 5).abs().max().item<double>() == 0.0);
  CHECK(y.select(2, 3).abs().max().item<double>() > 0.0);  // sees key 2
}

TEST_CASE("Window attention in MultiHeadAttention: blockwise (long input) equals dense (cached), with GQA and RoPE") {
  for (const std::string positions : {"rope", "alibi", "none"}) {
    DYNAMIC_SECTION(positions) {
      torch::manual_seed(5);
      MultiHeadAttention attn(MultiHeadAttentionOptions(16, 4).causal(true).n_kv_head(2).positions(positions).window(3));
      attn->eval();
      torch::NoGradGuard no_grad;
      auto x = torch::randn({2, 11, 16});
      auto whole = attn(x);  // 11 > 3: the blockwise path
      // One position at a time through the rolling cache: the dense path over <= 3 keys.
      AttentionCache cache;
      for (int64_t t = 0; t < 11; ++t) {
        auto y = attn(x.narrow(1, t, 1), torch::Tensor(), torch::Tensor(), &cache);
        CHECK(torch::allclose(y.select(1, 0), whole.select(1, t), 1e-5, 1e-5));
        CHECK(cache.k.size(2) == std::min<int64_t>(t + 1, 2));  // the buffer keeps window - 1
      }
      CHECK(cache.positions == 11);
      // A window as wide as the input is full causal attention.
      torch::manual_seed(6);
      MultiHeadAttention full(MultiHeadAttentionOptions(16, 4).causal(true).n_kv_head(2).positions(positions));
      torch::manual_seed(6);
      MultiHeadAttention wide(MultiHeadAttentionOptions(16, 4).causal(true).n_kv_head(2).positions(positions).window(11));
      CHECK(torch::allclose(full(x), wide(x), 1e-6, 1e-6));
      torch::manual_seed(6);
      MultiHeadAttention narrow(MultiHeadAttentionOptions(16, 4).causal(true).n_kv_head(2).positions(positions).window(3));
      CHECK(!torch::allclose(full(x), narrow(x), 1e-3, 1e-3));  // the same weights: the window changes what a query sees
    }
  }
}

TEST_CASE("Window GPT: cached generation equals uncached far past block_size, at a constant cache size") {
  for (const std::string positions : {"rope", "alibi"}) {
    DYNAMIC_SECTION(positions) {
      torch::manual_seed(9);
      GPT gpt(windowed(4, positions));
      gpt->eval();
      REQUIRE(gpt->unbounded());
      auto prompt = torch::randint(20, {2, 5});
      torch::Tensor with, without;
      auto a = gpt->generate(prompt, 60, 1.0, 0, 3, /*kv_cache=*/true, &with);  // 65 tokens, block_size 16
      auto b = gpt->generate(prompt, 60, 1.0, 0, 3, /*kv_cache=*/false, &without);
      CHECK(a.size(1) == 65);
      CHECK(a.equal(b));
      CHECK((with - without).abs().max().item<double>() < 1e-4);
      // Feeding the whole sequence at once gives the same last logits (no crop anywhere).
      torch::NoGradGuard no_grad;
      auto whole = gpt(a.narrow(1, 0, 64));
      CHECK(torch::allclose(whole.select(1, 63), with.select(1, 59), 1e-4, 1e-4));
      DecoderCache cache = gpt->new_cache();
      gpt(a, &cache);
      CHECK(cache.blocks[0].self.k.size(2) == 3);  // window - 1, not 65
    }
  }
}

TEST_CASE("Window GPT with learned positions stays within block_size, and window 0 is today's model") {
  GPT learned(windowed(4, "learned"));
  CHECK(!learned->unbounded());
  CHECK_THROWS_WITH(learned(torch::randint(20, {1, 17})), Catch::Contains("exceeds block_size 16"));
  CHECK(learned->generate(torch::randint(20, {1, 3}), 30, 1.0, 0, 1).size(1) == 33);  // cropped, as before
  torch::manual_seed(3);
  GPT a(windowed(0, "rope"));
  torch::manual_seed(3);
  GPT b(windowed(16, "rope"));  // a window of block_size: every position of a block
  auto x = torch::randint(20, {2, 16});
  CHECK(torch::allclose(a(x), b(x), 1e-5, 1e-5));
}

TEST_CASE("Transformer-XL memory: segment k+1 with segment k's memory equals one pass over both, at k+1's positions") {
  for (const std::string positions : {"rope", "alibi"}) {
    DYNAMIC_SECTION(positions) {
      torch::manual_seed(4);
      GPT gpt(windowed(0, positions));
      gpt->eval();
      torch::NoGradGuard no_grad;
      const auto a = torch::randint(20, {2, 8}), b = torch::randint(20, {2, 8});
      const auto whole = gpt(torch::cat({a, b}, 1));  // block_size 16: both segments at once
      SegmentMemory memory;
      const auto first = gpt->forward_segment(a, memory, /*memory_length=*/8);
      CHECK(torch::allclose(first, whole.narrow(1, 0, 8), 1e-5, 1e-5));  // no memory yet: a plain pass
      REQUIRE(memory.layers.size() == 2);
      CHECK(memory.length() == 8);
      const auto second = gpt->forward_segment(b, memory, 8);
      CHECK(torch::allclose(second, whole.narrow(1, 8, 8), 1e-5, 1e-5));
      // A shorter memory sees less: segment b's first query no longer sees a's first tokens.
      SegmentMemory short_memory;
      gpt->forward_segment(a, short_memory, 3);
      CHECK(short_memory.length() == 3);
      CHECK(!torch::allclose(gpt->forward_segment(b, short_memory, 3), second, 1e-3, 1e-3));
    }
  }
}

TEST_CASE("Transformer-XL memory: no gradient flows into the past segment, and absolute positions are refused") {
  torch::manual_seed(4);
  GPT gpt(windowed(0, "rope"));
  SegmentMemory memory;
  gpt->forward_segment(torch::randint(20, {2, 8}), memory, 8);
  for (const auto& m : memory.layers) CHECK(!m.requires_grad());
  auto loss = gpt->forward_segment(torch::randint(20, {2, 8}), memory, 8).pow(2).mean();
  loss.backward();  // through this segment only
  CHECK(gpt->wte->weight.grad().defined());
  for (const auto& m : memory.layers) CHECK(!m.requires_grad());
  GPT learned(windowed(0, "learned"));
  SegmentMemory m2;
  CHECK_THROWS_WITH(learned->forward_segment(torch::randint(20, {1, 4}), m2, 4), Catch::Contains("relative positions"));
}
