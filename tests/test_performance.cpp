// The performance pieces: the fast dropout, the FLOP count of a training step against a hand
// computation, bf16 autocast (and that training in it reaches fp32's loss), the thread
// settings, and `attnlab bench`'s report. (KV-cache decoding is tested in test_gpt.cpp and
// test_translator.cpp.)
#include <ATen/autocast_mode.h>
#include <catch2/catch.hpp>

#include <dlfcn.h>
#include <sys/types.h>

#include <cstdlib>
#include <cstring>
#include <vector>
#include <filesystem>

#include "core/blocks/dropout.h"
#include "core/config/loader.h"
#include "core/util/device.h"
#include "core/util/threads.h"
#include "core/util/flop_counter.h"
#include "core/util/op_profiler.h"
#include "core/util/allocator.h"
#include "core/util/precision.h"
#include "models/bert.h"
#include "models/gpt.h"
#include "models/seq2seq.h"
#include "models/vit.h"
#include "test_paths.h"
#include "test_util.h"
#include "trainers/experiment.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

TEST_CASE("fast dropout: drops a fraction p, scales the rest by 1/(1-p), the same mask in backward") {
  auto x = torch::ones({200000}, torch::requires_grad());
  auto y = fast_dropout(x, 0.2, 7);
  const double dropped = y.eq(0).to(torch::kDouble).mean().item<double>();
  CHECK(dropped == Approx(0.2).margin(0.01));  // 0.01 is 7 standard deviations
  CHECK(y.masked_select(y.ne(0)).eq(1.25f).all().item<bool>());
  y.sum().backward();
  CHECK(x.grad().equal(y.detach()));  // d(x * keep / (1 - p)) / dx = keep / (1 - p)
  // Seeded: the same seed gives the same mask, another seed another one; rows are independent.
  CHECK(fast_dropout(x.detach(), 0.2, 7).equal(y.detach()));
  CHECK_FALSE(fast_dropout(x.detach(), 0.2, 8).equal(y.detach()));
  auto bf16 = fast_dropout(torch::ones({1000}, torch::kBFloat16), 0.5, 3);
  CHECK(bf16.scalar_type() == torch::kBFloat16);
  CHECK(bf16.masked_select(bf16.ne(0)).eq(2).all().item<bool>());
  // An odd count and a strided input are handled.
  auto strided = torch::arange(14, torch::kFloat).view({2, 7}).t();
  auto s = fast_dropout(strided, 0.3, 1);
  CHECK((s.eq(0) | s.isclose(strided / 0.7)).all().item<bool>());
}

TEST_CASE("Dropout module: identity in eval mode and at p = 0, seeded by LibTorch's generator") {
  Dropout drop(0.5);
  auto x = torch::randn({64, 64});
  torch::manual_seed(11);
  auto a = drop(x);
  torch::manual_seed(11);
  auto b = drop(x);
  CHECK(a.equal(b));  // the config's seed fixes the masks
  CHECK_FALSE(drop(x).equal(a));
  drop->eval();
  CHECK(drop(x).equal(x));
  CHECK(Dropout(0.0)(x).equal(x));
  CHECK_THROWS_WITH(Dropout(1.0), Contains("[0, 1)"));
}

TEST_CASE("FlopCounter: a GPT training step counts 3x the forward's matrix products, as computed by hand") {
  GPTOptions o;
  o.vocab_size = 20, o.block_size = 16, o.n_layer = 2, o.n_head = 2, o.n_embd = 32, o.bias = false;
  GPT gpt(o);
  const double B = 3, T = 16, C = 32, V = 20, L = 2, N = B * T;
  // Per layer: the four Linear layers (3C + C + 4C + 4C outputs of C, i.e. 12 C^2 weights) at
  // 2 FLOPs per multiply-add per token, and the two attention products q k^T and att v, each
  // 2 T^2 C per sequence; then the tied output head.
  const double forward = L * (2 * N * 12 * C * C + 2 * 2 * B * T * T * C) + 2 * N * C * V;
  auto idx = torch::randint(20, {3, 16});
  double counted_forward = 0, counted_step = 0;
  std::map<MatmulShape, int64_t> shapes;
  {
    FlopCounter counter;
    auto logits = gpt(idx);
    counted_forward = counter.flops();
    torch::nn::functional::cross_entropy(logits.flatten(0, 1), idx.flatten()).backward();
    counted_step = counter.flops();
    shapes = counter.shapes();
  }
  CHECK(counted_forward == forward);
  CHECK(counted_step == 3 * forward);  // backward: a gradient for each operand of each product
  double from_shapes = 0;
  for (const auto& [shape, count] : shapes) from_shapes += shape.flops() * static_cast<double>(count);
  CHECK(from_shapes == counted_step);
  CHECK(shapes.count(MatmulShape{6, 16, 16, 16}) == 1);  // q k^T: B * n_head batches of [T, hd] x [hd, T]
}

TEST_CASE("FlopCounter: a sliding-window GPT counts its blockwise attention, as computed by hand") {
  GPTOptions o;
  o.vocab_size = 20, o.block_size = 16, o.n_layer = 2, o.n_head = 2, o.n_embd = 32, o.bias = false;
  o.attention_window = 4, o.pos_encoding = "rope";
  GPT gpt(o);
  const double B = 3, T = 16, C = 32, V = 20, L = 2, N = B * T, W = 4;
  // Blocks of W queries against the 2W - 1 keys their windows reach: T / W blocks of
  // [W, hd] x [hd, 2W - 1] per head for q k^T, the same for att v (instead of T x T).
  const double blocks = T / W, span = 2 * W - 1;
  const double forward = L * (2 * N * 12 * C * C + 2 * 2 * B * blocks * W * span * C) + 2 * N * C * V;
  auto idx = torch::randint(20, {3, 16});
  FlopCounter counter;
  auto logits = gpt(idx);
  CHECK(counter.flops() == forward);
  torch::nn::functional::cross_entropy(logits.flatten(0, 1), idx.flatten()).backward();
  CHECK(counter.flops() == 3 * forward);
}

TEST_CASE("OpProfiler: calls and self time per operator, or per caller > operator") {
  auto a = torch::randn({64, 64}), b = torch::randn({64, 64});
  auto find = [](const std::vector<OpTime>& rows, const std::string& name) {
    for (const auto& r : rows)
      if (r.name == name) return r;
    return OpTime{};
  };
  std::vector<OpTime> by_op, by_caller;
  {
    OpProfiler profiler;
    for (int i = 0; i < 3; ++i) torch::matmul(a, b);
    by_op = profiler.table();
    CHECK_THROWS_WITH(OpProfiler(), Contains("only one OpProfiler"));
  }
  CHECK(find(by_op, "aten::matmul").calls == 3);
  CHECK(find(by_op, "aten::mm").calls == 3);
  for (size_t i = 1; i < by_op.size(); ++i) CHECK(by_op[i - 1].self_ms >= by_op[i].self_ms);  // largest first
  {
    OpProfiler profiler(/*by_caller=*/true);
    torch::matmul(a, b);
    by_caller = profiler.table();
  }
  CHECK(find(by_caller, "- > aten::matmul").calls == 1);
  CHECK(find(by_caller, "aten::matmul > aten::mm").calls == 1);
  CHECK(find(by_caller, "aten::mm").calls == 0);
}

TEST_CASE("AutocastScope: bf16 matrix products inside, float32 outside and in an fp32 scope, weights' casts dropped at the end") {
  auto x = torch::randn({4, 8});
  torch::nn::Linear lin(8, 3);
  {
    AutocastScope fp32("fp32", torch::kCPU);
    CHECK(lin(x).scalar_type() == torch::kFloat);
  }
  {
    AutocastScope bf16("bf16", torch::kCPU);
    auto y = lin(x);
    CHECK(y.scalar_type() == torch::kBFloat16);
    {
      AutocastScope inner("bf16", torch::kCPU);
      CHECK(lin(x).scalar_type() == torch::kBFloat16);
    }
    CHECK(at::autocast::is_cpu_enabled());  // the inner scope restored the outer one's state
    {
      AutocastScope off("fp32", torch::kCPU);  // float32 inside a bf16 scope (GPT sampling)
      CHECK(lin(x).scalar_type() == torch::kFloat);
    }
    CHECK(lin(x).scalar_type() == torch::kBFloat16);
    y.to(torch::kFloat).sum().backward();
    CHECK(lin->weight.grad().scalar_type() == torch::kFloat);  // gradients stay float32
    torch::NoGradGuard no_grad;
    lin->weight.add_(1.0);
  }
  CHECK_FALSE(at::autocast::is_cpu_enabled());
  CHECK(lin(x).scalar_type() == torch::kFloat);
  const auto expected = lin(x);
  AutocastScope again("bf16", torch::kCPU);
  // A new scope sees the updated weight, not a stale bf16 copy from the previous one.
  CHECK(torch::allclose(lin(x).to(torch::kFloat), expected, 0.05, 0.05));
}

TEST_CASE("bf16 autocast: every family's forward runs and stays close to its fp32 output") {
  torch::manual_seed(6);
  // Loose: bf16 keeps 8 bits of mantissa; a mix-up of dtypes would throw, not drift.
  auto check = [](const std::string& name, const std::function<torch::Tensor()>& run) {
    INFO(name);
    torch::NoGradGuard no_grad;
    const auto fp32 = run();
    torch::Tensor bf16;
    {
      AutocastScope autocast("bf16", torch::kCPU);
      REQUIRE_NOTHROW(bf16 = run());
    }
    CHECK(bf16.sizes() == fp32.sizes());
    CHECK((bf16.to(torch::kFloat) - fp32).abs().max().item<double>() < 0.1 * (1 + fp32.abs().max().item<double>()));
  };
  GPTOptions g;
  g.vocab_size = 20, g.block_size = 16, g.n_layer = 2, g.n_head = 2, g.n_embd = 32;
  g.qk_norm = true, g.norm = "rmsnorm";  // norms that see bf16 queries and keys
  GPT gpt(g);
  gpt->eval();  // no dropout: both runs compute the same function
  auto ids = torch::randint(5, 20, {2, 9});
  check("gpt", [&] { return gpt(ids); });
  BertOptions b;
  b.vocab_size = 20, b.max_len = 16, b.n_layer = 2, b.n_head = 2, b.n_embd = 16, b.pad_id = 0;
  b.head = "mlm";
  Bert bert(b);
  bert->eval();
  check("bert masked LM", [&] { return bert->mlm_logits(ids, ids.gt(10)); });  // its head's LayerNorm sees bf16
  Seq2seqOptions t;
  t.vocab_size = 20, t.max_len = 16, t.n_layer = 1, t.n_decoder_layer = 1, t.n_head = 2, t.n_embd = 16, t.pad_id = 0;
  Seq2seq s2s(t);
  s2s->eval();
  check("seq2seq", [&] { return s2s(ids, ids.narrow(1, 0, 5)); });
  ViTOptions v;
  v.patch_size = 7, v.n_layer = 1, v.n_head = 2, v.n_embd = 16, v.channels = 1, v.image_height = 28;
  v.image_width = 28, v.num_classes = 10;
  ViT vit(v);
  vit->eval();
  auto images = torch::rand({2, 1, 28, 28});
  check("vit", [&] { return vit(images); });
  v.stem_layers = 2, v.stem_channels = 4, v.patch_size = 1;  // convolutions and BatchNorm in bf16
  ViT stem(v);
  stem->eval();
  check("vit with a convolutional stem", [&] { return stem(images); });
}

TEST_CASE("oneDNN's primitive cache is limited to 16 shapes (the translator's bf16 peak RSS), unless the user set it") {
  if (std::getenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY") != nullptr) {
    WARN("ONEDNN_PRIMITIVE_CACHE_CAPACITY is set in this environment: the user's value wins, nothing to check");
    return;
  }
  // A bf16 product first, so that a dynamically linked oneDNN has made its cache already.
  {
    AutocastScope autocast("bf16", torch::kCPU);
    torch::mm(torch::randn({8, 8}), torch::randn({8, 8}));
  }
  limit_onednn_primitive_cache(kOneDnnPrimitiveCacheCapacity);
  CHECK(std::string(std::getenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY")) == std::to_string(kOneDnnPrimitiveCacheCapacity));  // for a statically linked one
  const int capacity = onednn_primitive_cache_capacity();
  INFO("oneDNN reports capacity " << capacity << " (-1: its API is not exported by this LibTorch)");
  if (capacity == -1) WARN("oneDNN's API is not exported by this LibTorch: only the variable is checked");
  else CHECK(capacity == kOneDnnPrimitiveCacheCapacity);
}

TEST_CASE("huge pages: GLIBC_TUNABLES gains glibc.malloc.hugetlb=1 once, after the user's settings") {
  CHECK(tunables_with_huge_pages(nullptr) == "glibc.malloc.hugetlb=1");
  CHECK(tunables_with_huge_pages("") == "glibc.malloc.hugetlb=1");
  CHECK(tunables_with_huge_pages("glibc.malloc.arena_max=2") == "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
  // Set already (the re-executed process, or the user's own value, 0 included): left alone.
  CHECK(tunables_with_huge_pages("glibc.malloc.hugetlb=1").empty());
  CHECK(tunables_with_huge_pages("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0").empty());
}

TEST_CASE("malloc: jemalloc where the build links it, never purging, and its heap figures follow allocations") {
#if defined(ATTNLAB_WITH_JEMALLOC)
  REQUIRE(malloc_name() == "jemalloc");
  // core/util/malloc_conf.cpp's settings reached jemalloc (MALLOC_CONF, read after them, could override).
  using MallCtl = int (*)(const char*, void*, size_t*, void*, size_t);
  auto ctl = reinterpret_cast<MallCtl>(dlsym(RTLD_DEFAULT, "mallctl"));
  REQUIRE(ctl != nullptr);
  for (const char* option : {"opt.dirty_decay_ms", "opt.muzzy_decay_ms"}) {
    ssize_t decay = 0;
    size_t length = sizeof(decay);
    REQUIRE(ctl(option, &decay, &length, nullptr, 0) == 0);
    INFO(option << " = " << decay << " (MALLOC_CONF " << (std::getenv("MALLOC_CONF") ? std::getenv("MALLOC_CONF") : "unset") << ")");
    if (std::getenv("MALLOC_CONF") == nullptr) CHECK(decay == -1);
  }
#else
  WARN("built without jemalloc (ATTNLAB_JEMALLOC=OFF or not found): malloc is " << malloc_name());
#endif
  // 48 blocks of 1 MiB, written so they are resident: the part of the heap in use grows by them
  // and shrinks back when they are freed (glibc: below the mmap threshold tune_malloc_for_tensors sets).
  tune_malloc_for_tensors();
  auto in_use = [] {
    const HeapUsage h = heap_usage();
    return h.heap_mib - h.free_mib;
  };
  const HeapUsage before = heap_usage();
  if (before.heap_mib < 0) {
    WARN("this C library reports no heap figures");
    return;
  }
  CHECK(before.free_mib >= 0);
  CHECK(before.heap_mib >= before.free_mib);
  const double used_before = in_use();
  std::vector<void*> blocks;
  for (int i = 0; i < 48; ++i) {
    blocks.push_back(std::malloc(1 << 20));
    std::memset(blocks.back(), i, 1 << 20);
  }
  const double used_during = in_use();
  CHECK(used_during - used_before >= 47.0);
  CHECK(heap_usage().heap_mib >= used_during);
  for (void* b : blocks) std::free(b);
  CHECK(in_use() - used_before < 8.0);
}

TEST_CASE("bf16 training of a tiny GPT reaches a loss close to fp32's") {
  TempDir dir;
  const std::vector<std::string> longer = {"trainer.max_iters=60", "trainer.eval_interval=60",
                                           "trainer.checkpoint_interval=60", "schedule.lr_decay_iters=60"};
  auto val = [&](const std::string& precision) {
    auto o = longer;
    o.push_back("experiment.precision=" + precision);
    o.push_back("experiment.name=" + precision);
    attnlab::testing::train_tiny_gpt(dir, o);
    double last = 0;
    for (const auto& j : attnlab::testing::read_metrics(dir / (precision + "/metrics.jsonl")))
      if (j.contains("val_loss")) last = j["val_loss"].get<double>();
    return std::make_pair(last, attnlab::testing::training_losses(dir / precision));
  };
  const auto [fp32, fp32_losses] = val("fp32");
  const auto [bf16, bf16_losses] = val("bf16");
  INFO("val loss fp32 " << fp32 << ", bf16 " << bf16);
  CHECK(fp32 < 2.6);                            // it learned something
  CHECK(std::abs(bf16 - fp32) < 0.03);          // and bf16 learned the same
  CHECK(bf16_losses != fp32_losses);            // while really computing in bf16
}

TEST_CASE("experiment.threads (auto or a core count) and experiment.precision (fp32 or bf16)") {
  TempDir dir;
  auto read = [&](const std::string& experiment) {
    write_text(dir / "c.yaml", "experiment:\n" + experiment + "\ndata: {type: text, path: x.txt}\nmodel: {type: gpt}\n");
    return Experiment::read(load_config(dir / "c.yaml", {})).experiment;
  };
  CHECK(read("  threads: auto").threads == 0);
  CHECK(read("  threads: 2").threads == 2);
  CHECK(read("  precision: bf16").precision == "bf16");
  CHECK_THROWS_WITH(read("  threads: two"), Contains("c.yaml:2") && Contains("threads") && Contains("auto"));
  CHECK_THROWS_WITH(read("  precision: bf61"), Contains("did you mean 'bf16'"));
  // auto: bf16 where the CPU computes in it natively, fp32 elsewhere (and on CUDA).
  CHECK(read("  precision: auto").precision == "auto");
  const std::string cpuinfo = attnlab::testing::read_text("/proc/cpuinfo");
  const bool native = cpuinfo.find(" avx512_bf16") != std::string::npos || cpuinfo.find(" amx_bf16") != std::string::npos;
  CHECK(resolve_precision("auto", torch::kCPU) == (native ? "bf16" : "fp32"));
  CHECK(resolve_precision("auto", torch::Device(torch::kCUDA)) == "fp32");
  CHECK(resolve_precision("bf16", torch::kCPU) == "bf16");
  CHECK(resolve_precision("fp32", torch::kCPU) == "fp32");
  // The split between the pools follows the precision, and never oversubscribes.
  const ThreadCounts fp32 = configure_threads(2, "fp32");
  CHECK(fp32.intra_op == 1);
  const ThreadCounts bf16 = configure_threads(2, "bf16");
  CHECK(bf16.intra_op == 2);
  if (bf16.blas > 0) CHECK(bf16.blas == 1);
  if (fp32.blas > 0) CHECK(fp32.blas == 2);
  configure_threads(1, "fp32");
}

TEST_CASE("attnlab bench: phases, FLOPs, matmul rates, decoding with and without the cache, as JSON") {
  TempDir dir;
  write_text(dir / "text.txt", attnlab::testing::small_corpus());
  const std::string out = dir / "bench.json";
  auto r = attnlab::testing::run_command(std::string(ATTNLAB_BIN) + " bench " + ATTNLAB_SOURCE_DIR +
                                             "/configs/gpt/kjv_char_tiny.yaml data.path=" + (dir / "text.txt") +
                                             " experiment.out_dir=" + dir.path() +
                                             " --steps 3 --warmup 1 --eval-batches 2 --new-tokens 40 --profile 5 --out " + out,
                                         dir);
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("forward") && Contains("backward") && Contains("optimizer") && Contains("kv cache") &&
                        Contains("aten::mm"));
  const auto j = nlohmann::json::parse(attnlab::testing::read_text(out));
  const auto& step = j.at("train_step");
  CHECK(step.at("tokens_per_step").get<double>() == 4 * 16);  // batch 4 x block 16
  const double ms = step.at("ms").at("median").get<double>();
  CHECK(step.at("achieved_gflops").get<double>() == Approx(step.at("flops").get<double>() / ms / 1e6));
  CHECK(j.at("matmul_gflops").at("fp32").get<double>() > 0);
  CHECK(j.at("matmul_gflops").at("bf16").get<double>() > 0);
  CHECK(j.at("mfu").get<double>() > 0);
  CHECK(j.at("decode").at("kv_cache").at("tokens").get<int64_t>() == 40);
  CHECK(j.at("decode").at("no_kv_cache").at("tokens").get<int64_t>() == 40);
  CHECK(j.at("peak_rss_mib").get<double>() > 10);
  CHECK(j.at("profile").size() == 5);
  CHECK_FALSE(std::filesystem::exists(dir / "kjv_char_tiny"));  // nothing trained to disk
}
