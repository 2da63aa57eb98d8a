// The generic trainer: schedule, parameter groups, exact resume, signals, NaN, checkpoints.
#include <catch2/catch.hpp>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/util/checkpoint_file.h"
#include "core/util/files.h"
#include "datasets/char_tokenizer.h"
#include "datasets/text_dataset.h"
#include "models/causal_lm_task.h"
#include "models/gpt.h"
#include "test_util.h"
#include "trainers/optimizer.h"
#include "trainers/recipes.h"
#include "trainers/trainer.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

namespace {

GPTOptions tiny_gpt(int64_t vocab) {
  GPTOptions o;
  o.vocab_size = vocab, o.block_size = 16, o.n_layer = 2, o.n_head = 2, o.n_embd = 32, o.dropout = 0.1;
  return o;
}

// A task that wraps another and misbehaves at a chosen step.
class FaultyTask : public Task {
 public:
  FaultyTask(std::shared_ptr<Task> inner, int64_t fault_call, bool nan) : inner_(inner), at_(fault_call), nan_(nan) {}
  TaskOutput compute(const Batch& batch) override {
    auto out = inner_->compute(batch);
    if (torch::GradMode::is_enabled() && calls_++ == at_) {
      if (nan_) out.loss = out.loss * std::numeric_limits<float>::quiet_NaN();
      else std::raise(SIGINT);
    }
    return out;
  }

 private:
  std::shared_ptr<Task> inner_;
  int64_t at_, calls_ = 0;
  bool nan_;
};

struct Fixture {
  TempDir dir;
  CharTokenizer tok = CharTokenizer::from_text(attnlab::testing::small_corpus());
  std::shared_ptr<TextDataset> data =
      std::make_shared<TextDataset>(tok.encode(attnlab::testing::small_corpus()), 0.1, 16);

  TrainerSetup setup(std::shared_ptr<Task> task, GPT gpt, int64_t max_iters) {
    TrainerSetup s;
    s.model = gpt.ptr();
    s.task = task;
    s.data = data;
    s.trainer.max_iters = max_iters, s.trainer.batch_size = 4, s.trainer.eval_interval = 5;
    s.trainer.eval_iters = 2, s.trainer.log_interval = 1, s.trainer.checkpoint_interval = 5;
    s.optimizer.learning_rate = 1e-3;
    s.schedule.warmup_iters = 2;
    s.run_dir = dir / "run";
    return s;
  }
  std::pair<GPT, std::shared_ptr<Task>> model() {
    torch::manual_seed(0);
    GPT gpt(tiny_gpt(tok.vocab_size()));
    return {gpt, std::make_shared<CausalLMTask>([gpt](const torch::Tensor& x) mutable { return gpt(x); })};
  }
};

using attnlab::testing::read_metrics;

}  // namespace

TEST_CASE("learning rate: linear warm-up, cosine decay, then min_lr") {
  ScheduleOptions s;
  s.warmup_iters = 10, s.lr_decay_iters = 110, s.min_lr = 1e-4;
  const double lr = 1e-3;
  CHECK(learning_rate_at(0, lr, s, 200) == Approx(lr * 1 / 11));
  CHECK(learning_rate_at(9, lr, s, 200) == Approx(lr * 10 / 11));
  CHECK(learning_rate_at(10, lr, s, 200) == Approx(lr));
  CHECK(learning_rate_at(60, lr, s, 200) == Approx((lr + 1e-4) / 2));  // halfway: cos = 0
  CHECK(learning_rate_at(110, lr, s, 200) == Approx(1e-4));
  CHECK(learning_rate_at(150, lr, s, 200) == Approx(1e-4));
  s.lr_decay_iters = 0;  // 0 = decay until max_iters
  CHECK(learning_rate_at(105, lr, s, 200) == Approx((lr + 1e-4) / 2));
  s.decay_lr = false;
  CHECK(learning_rate_at(150, lr, s, 200) == Approx(lr));
}

TEST_CASE("learning rate: inverse square root after warm-up, floored at min_lr") {
  ScheduleOptions s;
  s.type = "inverse_sqrt", s.warmup_iters = 100, s.min_lr = 1e-5;
  const double lr = 1e-3;
  CHECK(learning_rate_at(49, lr, s, 10000) == Approx(lr * 50 / 101));  // the same linear warm-up
  CHECK(learning_rate_at(100, lr, s, 10000) == Approx(lr));           // the peak
  CHECK(learning_rate_at(400, lr, s, 10000) == Approx(lr / 2));       // sqrt(100 / 400)
  CHECK(learning_rate_at(2500, lr, s, 10000) == Approx(lr / 5));
  s.min_lr = 3e-4;
  CHECK(learning_rate_at(2500, lr, s, 10000) == Approx(3e-4));
}

TEST_CASE("AdamW groups: weight decay on rank >= 2 only, options survive a checkpoint") {
  GPT gpt(tiny_gpt(10));
  OptimizerOptions o;
  o.weight_decay = 0.1, o.beta2 = 0.99;
  auto opt = make_adamw(*gpt, o);
  REQUIRE(opt->param_groups().size() == 2);
  int64_t matrices = 0, vectors = 0;
  for (const auto& p : gpt->parameters()) (p.dim() >= 2 ? matrices : vectors) += 1;
  CHECK(static_cast<int64_t>(opt->param_groups()[0].params().size()) == matrices);
  CHECK(static_cast<int64_t>(opt->param_groups()[1].params().size()) == vectors);
  auto& decay = static_cast<torch::optim::AdamWOptions&>(opt->param_groups()[0].options());
  auto& no_decay = static_cast<torch::optim::AdamWOptions&>(opt->param_groups()[1].options());
  CHECK(decay.weight_decay() == Approx(0.1));
  CHECK(no_decay.weight_decay() == 0.0);
  CHECK(std::get<1>(decay.betas()) == Approx(0.99));

  TempDir dir;
  set_learning_rate(*opt, 0.123);
  save_checkpoint(dir / "c.pt", *gpt, opt.get(), TrainingState{});
  OptimizerOptions other;
  other.weight_decay = 0.5, other.learning_rate = 1.0;
  auto fresh = make_adamw(*gpt, other);
  load_checkpoint(dir / "c.pt", *gpt, fresh.get(), torch::kCPU);
  auto& restored = static_cast<torch::optim::AdamWOptions&>(fresh->param_groups()[0].options());
  CHECK(restored.weight_decay() == Approx(0.1));
  CHECK(restored.lr() == Approx(0.123));
  CHECK(static_cast<torch::optim::AdamWOptions&>(fresh->param_groups()[1].options()).weight_decay() == 0.0);
}

TEST_CASE("FlatAdamW: the same steps as LibTorch's AdamW and clip_grad_norm_, through a checkpoint, with views") {
  OptimizerOptions o;
  o.weight_decay = 0.1, o.beta2 = 0.99, o.learning_rate = 3e-3;
  torch::manual_seed(4);
  GPT flat_model(tiny_gpt(12)), ref_model(tiny_gpt(12));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : ref_model->named_parameters()) p.value().copy_(flat_model->named_parameters()[p.key()]);
  }
  flat_model->eval(), ref_model->eval();  // no dropout: both see the same function
  auto flat = make_adamw(*flat_model, o);
  // The reference: LibTorch's AdamW with the same two groups and clip_grad_norm_.
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : ref_model->parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  auto group = [&](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(o.learning_rate).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(wd));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, group(o.weight_decay));
  groups.emplace_back(no_decay, group(0.0));
  torch::optim::AdamW ref(std::move(groups), torch::optim::AdamWOptions(o.learning_rate));

  auto idx = torch::randint(12, {3, 8});
  auto loss_of = [&](GPT& m) {
    return torch::nn::functional::cross_entropy(m(idx).flatten(0, 1), idx.roll(1, 1).flatten());
  };
  auto step_both = [&](FlatAdamW& f) {
    loss_of(flat_model).backward();
    const double norm = f.clip_grad_norm(0.05);  // small enough to clip
    f.step();
    f.zero_grad();
    loss_of(ref_model).backward();
    const double ref_norm = torch::nn::utils::clip_grad_norm_(ref_model->parameters(), 0.05);
    ref.step();
    ref.zero_grad();
    CHECK(norm == Approx(ref_norm).epsilon(1e-5));
  };
  auto max_diff = [&] {
    double d = 0;
    for (auto& p : ref_model->named_parameters())
      d = std::max(d, (p.value() - flat_model->named_parameters()[p.key()]).abs().max().item<double>());
    return d;
  };
  for (int i = 0; i < 3; ++i) step_both(*flat);
  CHECK(max_diff() < 1e-6);
  // The parameters and their gradients are views of the flat buffers.
  for (auto& p : flat_model->parameters()) CHECK(p.grad().defined());
  const auto& decayed = flat->param_groups()[0].params();
  CHECK(decayed.front().storage().is_alias_of(decayed.back().storage()));

  // Through a checkpoint into a fresh optimizer: the moments come back (zeroed moments would
  // step differently), and the steps continue alike.
  TempDir dir;
  save_checkpoint(dir / "c.pt", *flat_model, flat.get(), TrainingState{});
  auto restored = make_adamw(*flat_model, o);
  load_checkpoint(dir / "c.pt", *flat_model, restored.get(), torch::kCPU);
  for (int i = 0; i < 3; ++i) step_both(*restored);
  CHECK(max_diff() < 1e-6);
}

TEST_CASE("exact resume: 10 steps + resume + 10 steps equals 20 straight steps") {
  torch::set_num_threads(1);
  TempDir dir;
  write_text(dir / "text.txt", attnlab::testing::small_corpus());
  write_text(dir / "exp.yaml",
             "experiment: {name: straight, seed: 5, threads: 1, device: cpu, out_dir: " + dir.path() + "}\n"
             "data: {path: " + (dir / "text.txt") + "}\n"
             "model: {type: gpt, n_layer: 2, n_head: 2, n_embd: 32, block_size: 16, dropout: 0.1}\n"
             "trainer: {max_iters: 20, batch_size: 4, eval_interval: 5, eval_iters: 2, log_interval: 1,"
             " checkpoint_interval: 5}\n"
             "schedule: {warmup_iters: 3, lr_decay_iters: 20}\n");
  train({dir / "exp.yaml", "", {}});
  auto first = train({dir / "exp.yaml", "", {"experiment.name=resumed", "trainer.max_iters=10"}});
  CHECK(first.step == 10);
  // As if the process had been killed after logging step 11 but before checkpointing it.
  std::ofstream(dir / "resumed/metrics.jsonl", std::ios::app) << R"({"step":11,"loss":9.0})" << "\n";
  auto second = train({"", dir / "resumed", {"trainer.max_iters=20"}});
  CHECK(second.step == 20);

  auto a = read_metrics(dir / "straight/metrics.jsonl"), b = read_metrics(dir / "resumed/metrics.jsonl");
  std::vector<double> la, lb, va, vb;
  for (auto& r : a) (r.contains("loss") ? la : va).push_back(r.contains("loss") ? r["loss"] : r["val_loss"]);
  for (auto& r : b) (r.contains("loss") ? lb : vb).push_back(r.contains("loss") ? r["loss"] : r["val_loss"]);
  REQUIRE(la.size() == 20);
  CHECK(la == lb);  // bit-identical, not approximately equal
  CHECK(va == vb);
  CHECK(la.front() != la.back());
  // The run's wall time carries over the resume: elapsed_s never goes back.
  double previous = 0;
  for (auto& r : b)
    if (r.contains("elapsed_s")) {
      CHECK(r["elapsed_s"].get<double>() >= previous);
      previous = r["elapsed_s"].get<double>();
    }
  CHECK(previous > 0);
}

TEST_CASE("gradient accumulation: 2 micro-batches of 2 make the same step as one batch of 4") {
  // Both draw the same four windows from the same generator; without dropout the averaged
  // gradient, and so the update, must match.
  auto run = [](int64_t batch_size, int64_t accum) {
    Fixture f;
    auto [gpt, task] = f.model();
    gpt->options.dropout = 0;
    for (auto& m : gpt->modules())
      if (auto* d = m->as<attnlab::DropoutImpl>()) d->p = 0;
    TrainerSetup s = f.setup(task, gpt, 3);
    s.trainer.batch_size = batch_size, s.trainer.gradient_accumulation_steps = accum;
    s.trainer.eval_interval = 100, s.trainer.checkpoint_interval = 100;
    Trainer(s).fit();
    return torch::cat([&] {
      std::vector<torch::Tensor> flat;
      for (const auto& p : gpt->parameters()) flat.push_back(p.detach().flatten());
      return flat;
    }());
  };
  auto one = run(4, 1), accumulated = run(2, 2);
  CHECK((one - accumulated).abs().max().item<double>() < 1e-6);
  Fixture f;
  auto [gpt, task] = f.model();
  auto initial = gpt->parameters()[0].clone();
  CHECK((one - accumulated).abs().max().item<double>() < (one.narrow(0, 0, initial.numel()) - initial.flatten()).abs().max().item<double>());
}

TEST_CASE("SIGINT saves a checkpoint at the end of the step and stops cleanly") {
  Fixture f;
  auto [gpt, task] = f.model();
  Trainer trainer(f.setup(std::make_shared<FaultyTask>(task, 6, false), gpt, 20));
  TrainResult r = trainer.fit();
  CHECK(r.signal == SIGINT);
  CHECK(r.step == 7);
  GPT restored(tiny_gpt(f.tok.vocab_size()));
  CHECK(load_checkpoint(f.dir / "run/last.pt", *restored, nullptr, torch::kCPU).step == 7);
  CHECK(restored->parameters()[0].equal(gpt->parameters()[0]));
}

TEST_CASE("a NaN loss stops the run and never overwrites the last good checkpoint") {
  Fixture f;
  auto [gpt, task] = f.model();
  Trainer trainer(f.setup(std::make_shared<FaultyTask>(task, 7, true), gpt, 20));
  CHECK_THROWS_WITH(trainer.fit(), Contains("loss is nan at step 7") && Contains("last.pt (step 5)"));
  GPT restored(tiny_gpt(f.tok.vocab_size()));
  CHECK(load_checkpoint(f.dir / "run/last.pt", *restored, nullptr, torch::kCPU).step == 5);
}

TEST_CASE("truncated, corrupt and mismatched checkpoints are refused before anything is loaded") {
  Fixture f;
  auto [gpt, task] = f.model();
  TrainingState state;
  state.step = 3;
  const std::string path = f.dir / "c.pt";
  std::filesystem::create_directories(f.dir.path());
  save_checkpoint(path, *gpt, nullptr, state);
  const auto bytes = read_file(path);

  GPT other(tiny_gpt(f.tok.vocab_size()));  // different random init
  const auto before = other->parameters()[0].clone();
  write_text(path, bytes.substr(0, bytes.size() / 2));
  CHECK_THROWS_WITH(load_checkpoint(path, *other, nullptr, torch::kCPU), Contains("truncated"));
  CHECK(other->parameters()[0].equal(before));

  std::string flipped = bytes;
  flipped[flipped.size() - 100] ^= 0x5A;
  write_text(path, flipped);
  CHECK_THROWS_WITH(load_checkpoint(path, *other, nullptr, torch::kCPU), Contains("checksum mismatch"));
  CHECK(other->parameters()[0].equal(before));

  write_text(path, bytes);
  GPTOptions wider = tiny_gpt(f.tok.vocab_size());
  wider.n_embd = 64;
  GPT wrong(wider);
  const auto wrong_before = wrong->parameters().back().clone();
  CHECK_THROWS_WITH(load_checkpoint(path, *wrong, nullptr, torch::kCPU), Contains("has shape"));
  CHECK(wrong->parameters().back().equal(wrong_before));

  CHECK(load_checkpoint(path, *other, nullptr, torch::kCPU).step == 3);
  CHECK(other->parameters()[0].equal(gpt->parameters()[0]));
}
