// Multi-process training on c10d: the launch variables, each rank's share of the data, the
// process group, and whole runs of 2 processes on 127.0.0.1 against 1 process with the same
// global batch, with a rank killed, stopped or interrupted. Every process is bounded by `timeout`.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include "core/distributed/launch.h"
#include "core/distributed/process_group.h"
#include "datasets/char_tokenizer.h"
#include "datasets/masked_text.h"
#include "models/causal_lm_task.h"
#include "models/gpt.h"
#include "datasets/text_dataset.h"
#include "test_util.h"
#include "trainers/checkpoint.h"
#include "trainers/evaluation.h"
#include "trainers/experiment.h"
#include "trainers/trainer.h"

using namespace attnlab;
using attnlab::testing::max_param_diff;
using attnlab::testing::read_text;
using attnlab::testing::TempDir;
using attnlab::testing::trained_model;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

namespace {

// A port nobody listens on now (the kernel's pick for port 0).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

Launch parse(const std::map<std::string, std::string>& vars) {
  return detect_launch([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

struct Ranks {
  std::vector<int> status;        // exit status of each rank (124: timed out)
  std::vector<std::string> logs;  // stdout and stderr of each rank
  double seconds = 0;             // wall time of the whole launch
};

// Launches `world` ranks of `attnlab ARGS` by hand, as torchrun would (RANK, WORLD_SIZE,
// LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), rank r in directory cwd[r] (default
// dir), each bounded by a 120 s timeout. `control` runs in bash once all are started, with
// $PID0, $PID1, ... the ranks' `timeout` processes (their attnlab is `pgrep -P $PIDr`).
Ranks launch_ranks(const TempDir& dir, int world, const std::string& args, const std::string& control = "",
                   std::vector<std::string> cwd = {}) {
  const int port = free_port();
  std::string script = "set -u\n";
  for (int r = 0; r < world; ++r) {
    const std::string where = r < static_cast<int>(cwd.size()) ? cwd[static_cast<size_t>(r)] : dir.path();
    script += fmt::format(
        "(cd {} && RANK={} WORLD_SIZE={} LOCAL_RANK={} LOCAL_WORLD_SIZE={} MASTER_ADDR=127.0.0.1 MASTER_PORT={} "
        "exec timeout -k 5 120 {} {}) > {} 2>&1 &\nPID{}=$!\n",
        where, r, world, r, world, port, ATTNLAB_BIN, args, dir / fmt::format("rank{}.log", r), r);
  }
  script += control + "\n";
  for (int r = 0; r < world; ++r)
    script += fmt::format("wait $PID{}; echo $? > {}\n", r, dir / fmt::format("rank{}.rc", r));
  write_text(dir / "launch.sh", script);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(std::system(("bash " + (dir / "launch.sh")).c_str()) == 0);
  Ranks out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (int r = 0; r < world; ++r) {
    out.status.push_back(std::stoi(read_text(dir / fmt::format("rank{}.rc", r))));
    out.logs.push_back(read_text(dir / fmt::format("rank{}.log", r)));
  }
  return out;
}

// bash: wait (bounded) until rank 0 has logged training step `step` of run directory `run`
// (a training record: its keys, in nlohmann's alphabetical order, have "sync_ms_per_step" after "step").
std::string until_step(const std::string& run, int step) {
  return fmt::format("for i in $(seq 600); do grep -q '\"step\":{},\"sync_ms_per_step\"' {}/metrics.jsonl "
                     "2>/dev/null && break; sleep 0.05; done\n",
                     step, run);
}

// The GPT test config on small_corpus(), without dropout (each rank draws its own masks).
// Its run directory is dir/name, or out_dir/name for an out_dir given.
std::string gpt_args(const TempDir& dir, const std::string& name, const std::string& extra = "",
                     const std::string& out_dir = "") {
  write_text(dir / "text.txt", attnlab::testing::small_corpus());
  return fmt::format("train {}/configs/gpt/kjv_char_tiny.yaml data.path={} experiment.out_dir={} experiment.name={} "
                     "model.dropout=0 trainer.log_interval=1 distributed.timeout_s=20 {}",
                     ATTNLAB_SOURCE_DIR, dir / "text.txt", out_dir.empty() ? dir.path() : out_dir, name, extra);
}

}  // namespace

TEST_CASE("launch: torchrun's, Slurm's and hand-set variables, and clear errors for bad ones") {
  Launch single = parse({});
  CHECK(single.world_size == 1);
  CHECK_FALSE(single.distributed());
  CHECK(single.launcher == "single");

  Launch t = parse({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"},
                    {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "29555"}, {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                    {"TORCHELASTIC_RESTART_COUNT", "2"}, {"TORCHELASTIC_RUN_ID", "x"}});
  CHECK((t.rank == 3 && t.world_size == 4 && t.local_rank == 1 && t.local_world_size == 2));
  CHECK((t.master_addr == "node7" && t.master_port == 29555));
  CHECK((t.agent_store && t.restart_count == 2 && t.launcher == "torchrun"));

  Launch hand = parse({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}});
  CHECK((hand.launcher == "env" && !hand.agent_store && hand.master_port == 29500 && hand.local_world_size == 2));

  // Slurm: the first host of the node list; RANK wins when both are set.
  Launch s = parse({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}, {"SLURM_LOCALID", "1"}, {"SLURM_NTASKS_PER_NODE", "4"},
                    {"SLURM_JOB_NODELIST", "gpu[07-09,12],cpu1"}, {"SLURM_JOB_ID", "123456"}});
  CHECK((s.launcher == "slurm" && s.rank == 5 && s.world_size == 8 && s.local_rank == 1 && s.local_world_size == 4));
  CHECK(s.master_addr == "gpu07");
  CHECK(s.master_port == 29500 + 456);
  CHECK(parse({{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"}, {"RANK", "0"}, {"WORLD_SIZE", "1"}}).launcher == "env");
  CHECK(first_slurm_host("n1,n2") == "n1");
  CHECK(first_slurm_host("a-b[1-2]") == "a-b1");
  CHECK(first_slurm_host("x[3]") == "x3");

  CHECK_THROWS_WITH(parse({{"RANK", "0"}}), Contains("RANK and WORLD_SIZE must be set together"));
  CHECK_THROWS_WITH(parse({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}),
                    Contains("rank 2 is outside a world of 2"));
  CHECK_THROWS_WITH(parse({{"RANK", "0"}, {"WORLD_SIZE", "2"}}), Contains("MASTER_ADDR is not set"));
  CHECK_THROWS_WITH(parse({{"RANK", "x"}, {"WORLD_SIZE", "2"}}), Contains("RANK=x is not a number"));
}

TEST_CASE("sample_shard: the ranks' rows are the batch one process draws, token-count batches go whole") {
  std::vector<int64_t> tokens(500);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int64_t>(i * 7 % 11);
  TextDataset text(tokens, 0.1, 8);
  std::mt19937_64 one(4), r0(4), r1(4);
  for (int64_t draw = 0; draw < 3; ++draw) {
    const Batch whole = text.sample("train", 6, one, draw);
    const Batch a = text.sample_shard("train", 3, 0, 2, r0, draw), b = text.sample_shard("train", 3, 1, 2, r1, draw);
    for (const char* name : {"input", "target"}) {
      REQUIRE(a.at(name).size(0) == 3);
      CHECK(torch::cat({a.at(name), b.at(name)}).equal(whole.at(name)));
    }
  }
  CHECK(one == r0);  // every rank's generator moved as one process's did
  CHECK(one == r1);

  // Masked verses: the masks are drawn for the whole batch, so a share keeps its rows' masks.
  TempDir dir;
  VerseSplitOptions o;
  o.path = attnlab::testing::verse_fixture(dir.path(), 5);
  const VerseCorpus corpus = VerseCorpus::read(o);
  auto tok = CharTokenizer::from_text(corpus.verses[0] + corpus.verses[79], true);
  MaskedTextDataset masked(corpus, split_verses(80, o), tok, 64, MaskingOptions{}, 5);
  std::mt19937_64 m(9), m1(9);
  const Batch whole = masked.sample("train", 8, m);
  const Batch share = masked.sample_shard("train", 4, 1, 2, m1);
  CHECK(share.at("target").equal(whole.at("target").narrow(0, 4, 4)));
  CHECK(share.at("input").equal(whole.at("input").narrow(0, 4, 4)));
}

TEST_CASE("process group: all-reduce, all-gather and broadcast between two ranks, a missing rank times out") {
  const int port = free_port();
  std::vector<std::string> gathered[2];
  torch::Tensor sums[2], maxes[2], broadcast[2];
  std::vector<double> values[2];
  auto rank = [&](int r) {
    Launch l;
    l.rank = r, l.world_size = 2, l.master_port = port, l.launcher = "env";
    ProcessGroup group(l, torch::kCPU, "auto", std::chrono::seconds(20));
    CHECK(group.backend() == "gloo");
    sums[r] = torch::tensor({1.0f + r, 10.0f * r});
    group.all_reduce_sum(sums[r]);
    maxes[r] = torch::tensor({static_cast<int64_t>(3 - r), static_cast<int64_t>(r)});
    group.all_reduce_max(maxes[r]);
    broadcast[r] = torch::full({3}, static_cast<float>(r + 5));
    group.broadcast(broadcast[r], 1);
    values[r] = {0.5 * r, 2.0};
    group.all_reduce_sum(values[r]);
    gathered[r] = group.all_gather(r == 0 ? "loss\nacc" : "loss");
    group.barrier();
  };
  std::thread other(rank, 1);
  rank(0);
  other.join();
  for (int r = 0; r < 2; ++r) {
    CHECK(sums[r].equal(torch::tensor({3.0f, 10.0f})));
    CHECK(maxes[r].equal(torch::tensor({int64_t{3}, int64_t{1}})));
    CHECK(broadcast[r].equal(torch::full({3}, 6.0f)));
    CHECK(values[r] == std::vector<double>{0.5, 4.0});
    CHECK(gathered[r] == std::vector<std::string>{"loss\nacc", "loss"});
  }

  Launch alone;
  alone.rank = 0, alone.world_size = 2, alone.master_port = free_port(), alone.launcher = "env";
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(ProcessGroup(alone, torch::kCPU, "gloo", std::chrono::milliseconds(1500)),
                    Contains("rank 0 of 2: could not connect to the other processes") && Contains("within 1.5 s"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  CHECK_THROWS_WITH(ProcessGroup(alone, torch::kCPU, "nccl", std::chrono::seconds(1)), Contains("without NCCL"));
}

TEST_CASE("two ranks of one Trainer: bitwise-equal weights on both, the 1-process step, rank 1 writes nothing") {
  TempDir dir;
  const std::string corpus = attnlab::testing::small_corpus();
  CharTokenizer tok = CharTokenizer::from_text(corpus);
  auto data = std::make_shared<TextDataset>(tok.encode(corpus), 0.1, 16);
  auto gpt = [&](uint64_t seed) {
    torch::manual_seed(seed);
    GPTOptions o;
    o.vocab_size = tok.vocab_size(), o.block_size = 16, o.n_layer = 2, o.n_head = 2, o.n_embd = 32, o.dropout = 0;
    return GPT(o);
  };
  auto setup = [&](GPT model, int64_t batch, const std::string& run) {
    TrainerSetup s;
    s.model = model.ptr();
    s.task = std::make_shared<CausalLMTask>([model](const torch::Tensor& x) mutable { return model(x); });
    s.data = data;
    s.trainer.batch_size = batch, s.trainer.gradient_accumulation_steps = 2, s.trainer.eval_iters = 3;
    s.optimizer.learning_rate = 3e-3;
    s.schedule.warmup_iters = 1;
    s.run_dir = run;
    return s;
  };
  auto flat = [](GPT& m) {
    std::vector<torch::Tensor> v;
    for (const auto& p : m->parameters()) v.push_back(p.detach().flatten());
    return torch::cat(v);
  };
  GPT single = gpt(0);
  const auto initial = flat(single).clone();
  Trainer one(setup(single, 4, dir / "one"));
  for (int i = 0; i < 5; ++i) one.step();
  const double one_val = one.evaluate("val").value("loss");

  GPT ranks[2] = {gpt(0), gpt(1)};  // rank 1 starts from other weights: rank 0's broadcast replaces them
  double val[2] = {0, 0};
  const int port = free_port();
  auto rank = [&](int r) {
    Launch l;
    l.rank = r, l.world_size = 2, l.master_port = port, l.launcher = "env";
    TrainerSetup s = setup(ranks[r], 2, dir / fmt::format("rank{}", r));
    s.group = std::make_shared<ProcessGroup>(l, torch::kCPU, "gloo", std::chrono::seconds(20));
    Trainer t(s);
    for (int i = 0; i < 5; ++i) t.step();
    val[r] = t.evaluate("val").value("loss");
  };
  std::thread other(rank, 1);
  rank(0);
  other.join();
  CHECK(flat(ranks[0]).equal(flat(ranks[1])));
  CHECK((flat(ranks[0]) - flat(single)).abs().max().item<double>() < 1e-5);
  CHECK((flat(single) - initial).abs().max().item<double>() > 1e-3);  // it trained
  CHECK(val[0] == val[1]);
  CHECK(std::abs(val[0] - one_val) < 1e-6);
  CHECK_FALSE(std::filesystem::exists(dir / "rank1"));
}

TEST_CASE("distributed GPT: 2 processes with batch 2 train as 1 process with batch 4, and only rank 0 writes") {
  TempDir dir;
  const std::string one = dir / "one", two = dir / "runs/two";
  REQUIRE(attnlab::testing::run_command(std::string(ATTNLAB_BIN) + " " +
                                            gpt_args(dir, "one", "trainer.max_iters=8 trainer.batch_size=4"),
                                        dir)
              .status == 0);
  // The ranks run in directories of their own, with the relative out_dir "runs": rank 1 must
  // leave its directory empty.
  std::filesystem::create_directories(dir / "rank1");
  Ranks r = launch_ranks(dir, 2, gpt_args(dir, "two", "trainer.max_iters=8 trainer.batch_size=2", "runs"), "",
                         {dir.path(), dir / "rank1"});
  INFO(r.logs[0] + r.logs[1]);
  REQUIRE(r.status == std::vector<int>{0, 0});
  CHECK_THAT(r.logs[0], Contains("global batch: 4 = batch_size 2 x gradient_accumulation_steps 1 x 2 processes"));
  CHECK_THAT(r.logs[0], Contains("processes: 2 (gloo backend"));
  CHECK(r.logs[1].empty());  // rank 1 prints nothing
  CHECK(std::filesystem::is_empty(dir / "rank1"));

  CHECK(max_param_diff(one, two) < 1e-5);
  const auto la = attnlab::testing::training_losses(one), lb = attnlab::testing::training_losses(two);
  REQUIRE(la.size() == 8);
  REQUIRE(lb.size() == 8);
  for (size_t i = 0; i < la.size(); ++i) CHECK(std::abs(la[i] - lb[i]) < 1e-5);
  CHECK(la.front() - la.back() > 0.05);  // it trained
  // Evaluation covers the same examples, split between the ranks.
  auto eval = [](const std::string& run) {
    for (const auto& rec : attnlab::testing::read_metrics(run + "/metrics.jsonl"))
      if (rec.contains("val_loss") && rec["step"] == 8) return rec;
    return nlohmann::json();
  };
  CHECK(std::abs(eval(one)["val_loss"].get<double>() - eval(two)["val_loss"].get<double>()) < 1e-5);
  CHECK(std::abs(eval(one)["train_loss"].get<double>() - eval(two)["train_loss"].get<double>()) < 1e-5);
  CHECK(eval(two).contains("val_loss"));
}

TEST_CASE("distributed BERT: masked-LM on 2 processes weighs every masked position as 1 process does") {
  TempDir dir;
  const std::string fixture = attnlab::testing::verse_fixture(dir.path(), 6);
  auto args = [&](const std::string& name, int batch) {
    return fmt::format("train {}/configs/bert/kjv_mlm_tiny.yaml data.path={} data.refs={} experiment.out_dir={} "
                       "experiment.name={} model.dropout=0 trainer.max_iters=6 trainer.batch_size={} "
                       "trainer.gradient_accumulation_steps=2 distributed.timeout_s=20",
                       ATTNLAB_SOURCE_DIR, fixture, dir / "bible.refs", dir.path(), name, batch);
  };
  REQUIRE(attnlab::testing::run_command(std::string(ATTNLAB_BIN) + " " + args("one", 8), dir).status == 0);
  Ranks r = launch_ranks(dir, 2, args("two", 4));
  INFO(r.logs[0] + r.logs[1]);
  REQUIRE(r.status == std::vector<int>{0, 0});
  CHECK(max_param_diff(dir / "one", dir / "two") < 1e-5);
  const auto la = attnlab::testing::training_losses(dir / "one"), lb = attnlab::testing::training_losses(dir / "two");
  REQUIRE(la.size() == lb.size());
  for (size_t i = 0; i < la.size(); ++i) CHECK(std::abs(la[i] - lb[i]) < 1e-5);
}

TEST_CASE("distributed ViT: 2 processes see the images and augmentations 1 process sees with the global batch") {
  TempDir dir;
  attnlab::testing::image_fixture(dir / "images", 60, 10);
  auto args = [&](const std::string& name, int batch) {
    // Linear patches: the convolutional stem's BatchNorm normalises by each process's own batch
    // (no SyncBatchNorm, as PyTorch's DDP), which is not the global batch's statistics.
    return fmt::format("train {}/configs/vit/fashion_mnist_tiny.yaml data.dir={} experiment.out_dir={} "
                       "experiment.name={} model.dropout=0 model.stem_layers=0 model.patch_size=7 "
                       "trainer.max_iters=6 trainer.batch_size={} distributed.timeout_s=20",
                       ATTNLAB_SOURCE_DIR, dir / "images", dir.path(), name, batch);
  };
  REQUIRE(attnlab::testing::run_command(std::string(ATTNLAB_BIN) + " " + args("one", 16), dir).status == 0);
  Ranks r = launch_ranks(dir, 2, args("two", 8));
  INFO(r.logs[0] + r.logs[1]);
  REQUIRE(r.status == std::vector<int>{0, 0});
  CHECK(max_param_diff(dir / "one", dir / "two") < 1e-5);
}

TEST_CASE("distributed ViT with a stem: every rank evaluates with rank 0's BatchNorm statistics, those it saves") {
  // Each rank's running statistics follow its own images; without the broadcast before an
  // evaluation, rank 1 scored its half of val with statistics no checkpoint holds.
  TempDir dir;
  attnlab::testing::image_fixture(dir / "images", 60, 10);
  Ranks r = launch_ranks(dir, 2, fmt::format("train {}/configs/vit/fashion_mnist_tiny.yaml data.dir={} "
                                             "experiment.out_dir={} experiment.name=stem model.dropout=0 "
                                             "trainer.max_iters=6 trainer.eval_interval=6 trainer.batch_size=8 "
                                             "distributed.timeout_s=20",
                                             ATTNLAB_SOURCE_DIR, dir / "images", dir.path()));
  INFO(r.logs[0] + r.logs[1]);
  REQUIRE(r.status == std::vector<int>{0, 0});
  double logged = -1;
  for (const auto& m : attnlab::testing::read_metrics(dir / "stem/metrics.jsonl"))
    if (m.contains("val_loss") && m.at("step") == 6) logged = m.at("val_loss").get<double>();
  REQUIRE(logged > 0);
  const auto eval = attnlab::testing::run_command(
      std::string(ATTNLAB_BIN) + " eval " + (dir / "stem") + " --split val --checkpoint last", dir);
  REQUIRE(eval.status == 0);
  const auto j = nlohmann::json::parse(read_text(dir / "stem/eval_val_last.json"));
  CHECK(j.at("step") == 6);
  INFO(fmt::format("logged {:.10f}, evaluated {:.10f}", logged, j.at("loss").get<double>()));
  // Equal to the last digits with the broadcast; rank 1's own statistics moved it by 2e-5.
  CHECK(j.at("loss").get<double>() == Approx(logged).epsilon(1e-8));
}

TEST_CASE("a killed rank makes the other fail at once, a stopped one within distributed.timeout_s") {
  TempDir dir;
  const std::string args = gpt_args(dir, "run", "trainer.max_iters=100000 trainer.checkpoint_interval=2 "
                                                "distributed.timeout_s=4");
  Ranks killed = launch_ranks(dir, 2, args, until_step(dir / "run", 3) + "pkill -KILL -P $PID1\n");
  INFO(killed.logs[0]);
  CHECK(killed.status[0] == 1);
  CHECK(killed.status[1] == 137);
  CHECK_THAT(killed.logs[0], Contains("rank 0 of 2: all-reduce failed") && Contains("Another rank has died"));
  CHECK(killed.seconds < 30);
  // What was saved is whole: the last checkpoint loads.
  CHECK(load_checkpoint(dir / "run/last.pt", *trained_model(dir / "run"), nullptr, torch::kCPU).step >= 2);

  std::filesystem::remove_all(dir / "run");
  const auto stop = until_step(dir / "run", 3) + "pkill -STOP -P $PID1\n";
  Ranks hung = launch_ranks(dir, 2, args, stop + "wait $PID0; pkill -KILL -P $PID1\n");
  INFO(hung.logs[0]);
  CHECK(hung.status[0] == 1);
  CHECK_THAT(hung.logs[0], Contains("rank 0 of 2: all-reduce failed") && Contains("Timed out"));
  CHECK(hung.seconds < 4 + 25);
}

TEST_CASE("SIGTERM to one rank stops both at the same step, and the 2-process run resumes exactly") {
  TempDir dir;
  // With dropout: each rank draws its own masks from (seed, rank, step), which resuming repeats.
  auto args = [&](const std::string& name) {
    // 40 steps: the stop lands a few steps after step 3 is logged (50 ms polls of tiny steps),
    // and must land before the end.
    // The schedule is fixed apart from max_iters, which the stopped run sets to "endless".
    return gpt_args(dir, name, "model.dropout=0.1 trainer.max_iters=40 trainer.checkpoint_interval=100 "
                               "schedule.lr_decay_iters=40");
  };
  Ranks straight = launch_ranks(dir, 2, args("straight"));
  REQUIRE(straight.status == std::vector<int>{0, 0});
  Ranks stopped = launch_ranks(dir, 2, args("split") + " trainer.max_iters=100000",
                               until_step(dir / "split", 3) + "pkill -TERM -P $PID1\n");
  INFO(stopped.logs[0]);
  CHECK(stopped.status == std::vector<int>{128 + SIGTERM, 128 + SIGTERM});
  CHECK_THAT(stopped.logs[0], Contains("SIGTERM received: stopped at step"));
  auto model = trained_model(dir / "split");
  const int64_t at = load_checkpoint(dir / "split/last.pt", *model, nullptr, torch::kCPU).step;
  CHECK(at >= 3);
  REQUIRE(at < 40);
  Ranks resumed = launch_ranks(dir, 2, "train --resume " + (dir / "split") + " trainer.max_iters=40");
  INFO(resumed.logs[0]);
  REQUIRE(resumed.status == std::vector<int>{0, 0});
  CHECK_THAT(resumed.logs[0], Contains(fmt::format("at step {}", at)));
  CHECK(max_param_diff(dir / "straight", dir / "split") == 0);
  CHECK(attnlab::testing::training_losses(dir / "straight") == attnlab::testing::training_losses(dir / "split"));
}

TEST_CASE("torchrun --no_python runs the same training as a launch by hand") {
  if (std::system("command -v torchrun >/dev/null 2>&1") != 0) {
    WARN("torchrun is not installed (Debian: python3-torch); skipped");
    return;
  }
  TempDir dir;
  Ranks hand = launch_ranks(dir, 2, gpt_args(dir, "hand", "trainer.max_iters=4 trainer.batch_size=2"));
  REQUIRE(hand.status == std::vector<int>{0, 0});
  // -r 2 -t 2: Debian's torchrun on Python 3.11 needs explicit redirects (docs/distributed.md).
  // The static rendezvous (torchrun's default): its agent hosts the store, the ranks connect to it.
  auto r = attnlab::testing::run_command(
      fmt::format("timeout -k 5 120 torchrun --nnodes=1 --nproc_per_node=2 --master_addr=127.0.0.1 --master_port={} "
                  "-r 2 -t 2 --log_dir {} --no_python {} {}",
                  free_port(), dir / "torchrun-logs", ATTNLAB_BIN,
                  gpt_args(dir, "torchrun", "trainer.max_iters=4 trainer.batch_size=2")),
      dir);
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Contains("(torchrun, local rank 0 of 2)") && Contains("(torchrun's)"));
  CHECK(max_param_diff(dir / "hand", dir / "torchrun") == 0);
}

TEST_CASE("distributed.timeout_s bounds the start: a silent master port and a missing rank fail within it") {
  TempDir dir;
  // A port that accepts connections (the kernel's backlog) and never answers them.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(fd, 16) == 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto start_rank = [&](int rank, int port) {
    const auto start = std::chrono::steady_clock::now();
    auto r = attnlab::testing::run_command(
        fmt::format("RANK={} WORLD_SIZE=2 LOCAL_RANK={} LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT={} "
                    "timeout -k 5 60 {} {}",
                    rank, rank, port, ATTNLAB_BIN, gpt_args(dir, "r" + std::to_string(rank), "distributed.timeout_s=2")),
        dir);
    return std::make_pair(r, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  };
  const auto [silent, silent_s] = start_rank(1, ntohs(addr.sin_port));
  close(fd);
  INFO(silent.out);
  CHECK(silent.status == 1);
  CHECK_THAT(silent.err, Contains("rank 1 of 2: could not connect to the other processes") && Contains("within 2 s"));
  CHECK(silent_s < 2 + 1 + 6);  // the stated timeout, a second's grace, and the start-up
  const auto [alone, alone_s] = start_rank(0, free_port());  // rank 1 never comes
  INFO(alone.out);
  CHECK(alone.status == 1);
  CHECK_THAT(alone.err, Contains("rank 0 of 2: could not connect") && Contains("within 2 s"));
  CHECK(alone_s < 2 + 1 + 6);
}
