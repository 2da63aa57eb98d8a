// GPT: parameter count, initial loss, learning, causality and generation.
#include <catch2/catch.hpp>

#include <cmath>

#include "models/causal_lm_task.h"
#include "models/gpt.h"
#include "test_util.h"

using namespace attnlab;

namespace {
GPTOptions tiny(int64_t vocab = 20) {
  GPTOptions o;
  o.vocab_size = vocab;
  o.block_size = 16;
  o.n_layer = 2;
  o.n_head = 2;
  o.n_embd = 32;
  return o;
}
}  // namespace

TEST_CASE("GPT parameter count matches the formula") {
  for (bool bias : {false, true}) {
    GPTOptions o = tiny(65);
    o.bias = bias;
    GPT gpt(o);
    const int64_t V = 65, C = 32, L = 2, T = 16;
    // per block: c_attn 3C^2, attn c_proj C^2, c_fc 4C^2, mlp c_proj 4C^2, two LayerNorm gains 2C
    int64_t block = 12 * C * C + 2 * C, final_ln = C;
    if (bias) block += 3 * C + C + 4 * C + C + 2 * C, final_ln += C;  // Linear and LayerNorm biases
    const int64_t total = V * C + T * C + L * block + final_ln;     // lm_head is tied: no extra matrix
    CHECK(gpt->num_params(false) == total);
    CHECK(gpt->num_params() == total - T * C);
  }
}

TEST_CASE("GPT initial loss is close to ln(vocab_size)") {
  torch::manual_seed(0);
  GPT gpt(tiny(50));
  CausalLMTask task([gpt](const torch::Tensor& idx) mutable { return gpt(idx); });
  auto x = torch::randint(50, {8, 16}), y = torch::randint(50, {8, 16});
  double loss = task.compute({{"input", x}, {"target", y}}).loss.item<double>();
  CHECK(loss == Approx(std::log(50.0)).margin(0.1));
}

TEST_CASE("an evaluation's loss by position equals a hand computation, and its curve bins the positions") {
  torch::manual_seed(4);
  GPT gpt(tiny(30));
  CausalLMTask task([gpt](const torch::Tensor& idx) mutable { return gpt(idx); }, gpt.ptr());
  const int64_t B = 3, T = 16;
  auto x = torch::randint(30, {B, T}), y = torch::randint(30, {B, T});
  y.index_put_({0, 5}, -1), y.index_put_({1, 5}, -1), y.index_put_({2, 15}, -1);  // ignored targets
  gpt->train();
  const TaskOutput training = task.compute({{"input", x}, {"target", y}});
  CHECK(training.metrics.sums().empty());  // training steps pay for nothing they do not use
  gpt->eval();
  const TaskOutput eval = task.compute({{"input", x}, {"target", y}});
  torch::NoGradGuard no_grad;
  // By hand: -log softmax(logits)[target] at each (row, position), ignored targets left out.
  const auto logp = torch::log_softmax(gpt(x), -1);
  double total = 0;
  int64_t count = 0;
  std::vector<double> by_position(T, 0.0), counts(T, 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      const int64_t target = y[b][t].item<int64_t>();
      if (target < 0) continue;
      const double nll = -logp[b][t][target].item<double>();
      by_position[t] += nll, counts[t] += 1, total += nll, ++count;
    }
  CHECK(eval.loss_count == count);
  CHECK(eval.loss.item<double>() == Approx(total / count).epsilon(1e-5));
  CHECK(training.loss.item<double>() == Approx(total / count).epsilon(1e-5));  // no dropout in tiny()
  for (int64_t t = 0; t < T; ++t) {
    const MetricSum& s = eval.metrics.sums().at("_pos_" + std::to_string(t));
    CHECK(s.count == counts[t]);
    CHECK(s.sum == Approx(by_position[t]).epsilon(1e-5));
  }
  CHECK(counts[5] == 1);  // two of three ignored
  const MetricCurves curves = task.curves(eval.metrics);
  REQUIRE(curves.x.size() == 16);  // 16 positions: one bin each
  CHECK(curves.x.front() == 1);
  CHECK(curves.lines.at(0).second[5] == Approx(by_position[5]));
  CHECK(eval.metrics.shown().empty());  // raw statistics, not logged as metrics

  // 40 positions (two batches' sums): 20 bins of 2, each the count-weighted mean of its positions.
  MetricSums wide;
  for (int64_t t = 0; t < 40; ++t) wide.add("_pos_" + std::to_string(t), 2.0 * t, t % 2 == 0 ? 1.0 : 3.0);
  const MetricCurves binned = lm_position_curves(wide);
  REQUIRE(binned.x.size() == 20);
  CHECK(binned.x[1] == 3);
  CHECK(binned.lines.at(0).second[1] == Approx((4.0 + 6.0) / (1.0 + 3.0)));
  CHECK(lm_position_curves(MetricSums{}).empty());

  // Positions never counted (every target there ignored) leave their bin out; the last
  // position seen still sets the width.
  MetricSums gaps;
  for (int64_t t = 0; t < 40; ++t)
    if (t != 2 && t != 3 && t != 0) gaps.add("_pos_" + std::to_string(t), 1.0, 1.0);
  const MetricCurves holed = lm_position_curves(gaps);
  REQUIRE(holed.x.size() == 19);  // the bin of positions 3-4 (2 and 3, 0-based) is gone
  CHECK(holed.x[0] == 1);         // position 2 alone holds the first bin
  CHECK(holed.x[1] == 5);
  CHECK(holed.lines.at(0).second[0] == Approx(1.0));

  // Every target ignored: NaN, as the training loss gives, never a silent 0.
  const TaskOutput none = task.compute({{"input", x}, {"target", torch::full({B, T}, -1, torch::kLong)}});
  CHECK(none.loss_count == 0);
  CHECK(std::isnan(none.loss.item<double>()));
}

TEST_CASE("GPT init: N(0, 0.02) weights, scaled residual projections, tied head") {
  torch::manual_seed(0);
  GPTOptions o = tiny(100);
  o.n_embd = 128, o.n_head = 4, o.n_layer = 4;
  GPT gpt(o);
  auto params = gpt->named_parameters();
  CHECK(params["wte.weight"].std().item<double>() == Approx(0.02).epsilon(0.05));
  CHECK(params["h.0.attn.c_attn.weight"].std().item<double>() == Approx(0.02).epsilon(0.05));
  CHECK(params["h.0.mlp.c_proj.weight"].std().item<double>() == Approx(0.02 / std::sqrt(8.0)).epsilon(0.05));
  CHECK(params.find("lm_head.weight") == nullptr);
}

TEST_CASE("GPT is causal and rejects sequences longer than block_size") {
  torch::manual_seed(1);
  GPT gpt(tiny());
  gpt->eval();
  auto x = torch::randint(20, {2, 10});
  auto x2 = x.clone();
  x2.narrow(1, 6, 4).random_(20);
  CHECK((gpt(x).narrow(1, 0, 6) - gpt(x2).narrow(1, 0, 6)).abs().max().item<double>() < 1e-6);
  CHECK_THROWS_WITH(gpt(torch::randint(20, {1, 17})), Catch::Contains("exceeds block_size 16"));
}

TEST_CASE("GPT overfits a single batch") {
  torch::manual_seed(2);
  GPT gpt(tiny());
  CausalLMTask task([gpt](const torch::Tensor& idx) mutable { return gpt(idx); });
  auto x = torch::randint(20, {4, 16}), y = torch::randint(20, {4, 16});
  torch::optim::AdamW opt(gpt->parameters(), torch::optim::AdamWOptions(3e-3).weight_decay(0));
  double first = 0, last = 0;
  for (int i = 0; i < 150; ++i) {
    auto loss = task.compute({{"input", x}, {"target", y}}).loss;
    if (i == 0) first = loss.item<double>();
    last = loss.item<double>();
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  INFO("first " << first << " last " << last);
  CHECK(first > 2.5);
  CHECK(last < 0.3);
}

TEST_CASE("GPT generation: seeded, greedy, cropped to block_size") {
  torch::manual_seed(3);
  GPT gpt(tiny());
  gpt->eval();
  auto prompt = torch::randint(20, {1, 20});  // longer than block_size: the context is cropped
  auto a = gpt->generate(prompt, 12, 1.0, 0, 42);
  auto b = gpt->generate(prompt, 12, 1.0, 0, 42);
  auto c = gpt->generate(prompt, 12, 1.0, 0, 43);
  CHECK(a.sizes() == torch::IntArrayRef({1, 32}));
  CHECK(a.narrow(1, 0, 20).equal(prompt));
  CHECK(a.equal(b));
  CHECK(!a.equal(c));
  // Greedy picks the argmax of the last position's logits.
  auto g = gpt->generate(prompt, 1, 0.0, 0, 0);
  auto expected = gpt(prompt.narrow(1, 4, 16)).select(1, -1).argmax(-1);
  CHECK(g[0][20].item<int64_t>() == expected[0].item<int64_t>());
  // top_k = 1 is greedy too, whatever the temperature.
  CHECK(gpt->generate(prompt, 5, 2.0, 1, 7).equal(gpt->generate(prompt, 5, 0.0, 0, 0)));
}

TEST_CASE("GPT generation with the key/value cache equals recomputing the cropped context, past block_size too") {
  // block_size 16, a 5-token prompt and 30 new tokens: the cache fills, then the window moves
  // on, for every kind of position encoding and with grouped keys and values.
  for (const std::string pos : {"learned", "sinusoidal", "rope", "alibi", "none"}) {
    for (int64_t kv_heads : {0, 1}) {
      INFO(pos << ", n_kv_head " << kv_heads);
      torch::manual_seed(5);
      GPTOptions o = tiny();
      o.pos_encoding = pos, o.n_kv_head = kv_heads;
      GPT gpt(o);
      gpt->eval();
      auto prompt = torch::randint(20, {2, 5});
      torch::Tensor with, without;
      auto a = gpt->generate(prompt, 30, 1.0, 0, 11, /*kv_cache=*/true, &with);
      auto b = gpt->generate(prompt, 30, 1.0, 0, 11, /*kv_cache=*/false, &without);
      CHECK(a.equal(b));
      REQUIRE(with.sizes() == torch::IntArrayRef({2, 30, 20}));
      CHECK((with - without).abs().max().item<double>() < 1e-5);
    }
  }
}

TEST_CASE("GPT cache: one position per call, at most block_size kept, refused beyond it") {
  torch::manual_seed(2);
  GPT gpt(tiny());
  gpt->eval();
  torch::NoGradGuard no_grad;
  auto ids = torch::randint(20, {1, 16});
  auto full = gpt(ids);
  auto cache = gpt->new_cache();
  gpt(ids.narrow(1, 0, 10), &cache);
  for (int64_t t = 10; t < 16; ++t) {
    auto step = gpt(ids.narrow(1, t, 1), &cache);
    CHECK(torch::allclose(step.select(1, 0), full.select(1, t), 1e-5, 1e-5));
  }
  CHECK(cache.length == 16);
  CHECK(cache.blocks[0].self.k.size(2) == 16);  // memory grows with the positions seen, not to a maximum
  CHECK_THROWS_WITH(gpt(ids.narrow(1, 0, 1), &cache), Catch::Matchers::Contains("exceeds block_size 16"));
}

TEST_CASE("GPT with sinusoidal positions and post-norm builds and runs") {
  GPTOptions o = tiny();
  o.pos_encoding = "sinusoidal";
  o.norm_position = "post";
  GPT gpt(o);
  CHECK(gpt(torch::randint(20, {2, 5})).sizes() == torch::IntArrayRef({2, 5, 20}));
  CHECK(gpt->num_params() == gpt->num_params(false));  // no learned position table
}

TEST_CASE("GPT language-model results are unchanged by the data and tokenizer registries") {
  // kjv_char_tiny on the small corpus, val loss at steps 0, 10, 20, as measured with the code
  // before the registries (commit a335bea): the text family must give the same numbers.
  attnlab::testing::TempDir dir;
  attnlab::testing::train_tiny_gpt(dir);
  std::vector<double> val;
  for (const auto& j : attnlab::testing::read_metrics(dir / "kjv_char_tiny/metrics.jsonl"))
    if (j.contains("val_loss")) val.push_back(j["val_loss"].get<double>());
  REQUIRE(val.size() == 3);
  CHECK(val[0] == Approx(2.938043475151062).epsilon(1e-6));
  CHECK(val[1] == Approx(2.76883327960968).epsilon(1e-6));
  CHECK(val[2] == Approx(2.695071220397949).epsilon(1e-6));
}
