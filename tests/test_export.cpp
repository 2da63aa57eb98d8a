// TorchScript export: every family's file equals the native model at shapes chosen here, in
// C++ (torch::jit::load), in Python (examples/python) and in the standalone C++ example; the
// verification refuses what it must; no partial file is ever left.
#include <catch2/catch.hpp>
#include <torch/script.h>

#include <csignal>
#include <filesystem>

#include "core/config/json.h"
#include "core/config/loader.h"
#include "core/export/torchscript.h"
#include "test_util.h"
#include "trainers/checkpoint.h"
#include "trainers/experiment.h"

using namespace attnlab;
using attnlab::testing::load_run;
using attnlab::testing::read_text;
using attnlab::testing::run_command;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

ExportSummary export_file(const std::string& run_dir, const std::string& out) {
  ExportRequest r;
  r.run_dir = run_dir, r.out = out;
  return export_run(r);
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  REQUIRE(a.sizes() == b.sizes());
  return (a - b).abs().max().item<double>();
}

// `python3 examples/python/SCRIPT ARGS --json`, parsed.
nlohmann::json python_example(const std::string& script_and_args, const TempDir& dir) {
  const auto r = run_command(std::string(ATTNLAB_PYTHON) + " " + ATTNLAB_SOURCE_DIR + "/examples/python/" +
                                 script_and_args + " --json",
                             dir);
  INFO(r.out);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// A model whose forward reads a size into C++: traced at one length, it is silently wrong at
// every other (the mean divides by the traced length).
struct BakedSizeImpl : torch::nn::Module {
  BakedSizeImpl() { proj = register_module("proj", torch::nn::Linear(4, 3)); }
  torch::Tensor forward(const torch::Tensor& x) { return proj(x).sum(1) / static_cast<double>(x.size(1)); }
  torch::nn::Linear proj{nullptr};
};

// A model that keeps a tensor it never registered: the trace bakes it in as a constant.
struct HiddenTensorImpl : torch::nn::Module {
  HiddenTensorImpl() { proj = register_module("proj", torch::nn::Linear(4, 3)); }
  torch::Tensor forward(const torch::Tensor& x) { return proj(x) * scale; }
  torch::nn::Linear proj{nullptr};
  torch::Tensor scale = torch::full({3}, 2.0);
};

template <class M>
Exportable sequence_exportable(std::shared_ptr<M> model) {
  ExportMethod m{"forward", {"x"}, "forward(x: [B, T, 4])",
                 [model](const Tensors& in) { return Tensors{model->forward(in[0])}; },
                 [](int64_t B, int64_t T, uint64_t seed) {
                   torch::manual_seed(seed);
                   return Tensors{torch::randn({B, T, 4})};
                 }};
  m.inputs = {{torch::kFloat, {{"B"}, {"T", 0, 16, "max_length"}, {"features", 4, 0, "in_features"}}}};
  return {{m}, /*max_length=*/16};
}

}  // namespace

TEST_CASE("export: a tiny GPT's file equals the native model, carries its config and tokenizer, and generates the "
          "same text in Python and in the standalone C++ example") {
  TempDir dir;
  const std::string run_dir = attnlab::testing::train_tiny_gpt(dir, {"trainer.max_iters=20"}).run_dir;
  const std::string file = dir / "gpt.pt";
  const ExportSummary s = export_file(run_dir, file);
  INFO(s.text);
  REQUIRE(s.passed);
  CHECK_THAT(s.text, Contains("0 tensor constants") && Contains("1 x 1") && Contains("wrote " + file));
  CHECK_FALSE(fs::exists(file + ".partial"));

  // Our own shapes, none of them the exporter's: the file is the model, bit for bit.
  Assembled a = load_run(run_dir);
  const int64_t block_size = a.model.exportable().max_length;
  auto& native = *a.model.module;
  torch::jit::ExtraFilesMap files{{"attnlab.json", ""}, {"config.json", ""}, {"tokenizer.json", ""}};
  torch::jit::Module jm = torch::jit::load(file, torch::kCPU, files);
  torch::NoGradGuard no_grad;
  const int64_t V = a.data.context.vocab_size;
  for (auto [B, T] : {std::pair<int64_t, int64_t>{2, 5}, {1, block_size}, {6, 2}, {1, block_size - 3}}) {
    const auto idx = example_tokens(B, T, 42 + T, V);
    const auto expected = a.model.exportable().methods[0].run({idx})[0];
    CHECK(max_diff(jm.forward({idx}).toTensor(), expected) == 0.0);
  }
  // The weights are the model's own, under the model's own names, not constants.
  const auto params = native.named_parameters();
  CHECK(jm.named_parameters().size() == params.size());
  for (const auto& p : jm.named_parameters()) CHECK(torch::equal(p.value, params[p.name]));
  CHECK_FALSE(jm.attr("training").toBool());

  // The extra files round-trip.
  CHECK(files["tokenizer.json"] == read_text(run_dir + "/tokenizer.json"));
  const auto config = nlohmann::json::parse(files["config.json"]);
  CHECK(config == to_json(load_config(run_dir + "/config.yaml")));
  CHECK(config["model"]["type"] == "gpt");
  CHECK(config["model"]["block_size"] == block_size);
  const auto meta = nlohmann::json::parse(files["attnlab.json"]);
  CHECK(meta["max_length"] == block_size);
  CHECK(meta["vocab_size"] == V);
  CHECK(meta["methods"].contains("forward"));

  // Sampled text: attnlab generate, Python over the file, and the LibTorch-only C++ program.
  GenerateRequest g;
  g.run_dir = run_dir, g.prompt = "and the", g.max_new_tokens = 40, g.temperature = 0.9, g.top_k = 5, g.seed = 7;
  const std::string expected = attnlab::generate(g);
  const auto py = python_example("generate.py " + file + " --prompt 'and the' --max-new-tokens 40 --temperature 0.9 "
                                 "--top-k 5 --seed 7", dir);
  CHECK(py["text"] == expected);
  const auto cpp = run_command(std::string(ATTNLAB_EXAMPLES_CPP_BIN) + "/generate " + file +
                                   " --prompt 'and the' --max-new-tokens 40 --temperature 0.9 --top-k 5 --seed 7",
                               dir);
  REQUIRE(cpp.status == 0);
  CHECK(cpp.out == expected + "\n");
}

TEST_CASE("export: a Transformer-XL GPT's file carries its memory: Python and the C++ example generate what "
          "attnlab generate does, far past the segment") {
  TempDir dir;
  const std::string run_dir = attnlab::testing::train_tiny_gpt(dir, {"trainer.max_iters=10", "model.memory_length=24",
                                                                     "model.pos_encoding=rope", "data.stream=true"})
                                  .run_dir;
  const std::string file = dir / "xl.pt";
  const ExportSummary s = export_file(run_dir, file);
  INFO(s.text);
  REQUIRE(s.passed);
  CHECK_THAT(s.text, Contains("forward_segment"));
  torch::jit::ExtraFilesMap files{{"attnlab.json", ""}};
  torch::jit::load(file, torch::kCPU, files);
  const auto meta = nlohmann::json::parse(files["attnlab.json"]);
  CHECK(meta["methods"]["forward_segment"].get<std::string>().find("memory_filled") != std::string::npos);
  // 70 tokens after a 7-character prompt: five segments of block_size 16, the memory carried.
  GenerateRequest g;
  g.run_dir = run_dir, g.prompt = "and the", g.max_new_tokens = 70, g.temperature = 0.9, g.top_k = 5, g.seed = 3;
  const std::string expected = attnlab::generate(g);
  const std::string args = file + " --prompt 'and the' --max-new-tokens 70 --temperature 0.9 --top-k 5 --seed 3";
  CHECK(python_example("generate.py " + args, dir)["text"] == expected);
  const auto cpp = run_command(std::string(ATTNLAB_EXAMPLES_CPP_BIN) + "/generate " + args, dir);
  REQUIRE(cpp.status == 0);
  CHECK(cpp.out == expected + "\n");
}

TEST_CASE("export: the BERT-style encoder, masked-LM and fine-tuned classifier, equals the native model in C++ and "
          "through the Python example") {
  TempDir dir;
  const std::string verses = attnlab::testing::verse_fixture(dir.path(), 6);
  auto train_bert = [&](const std::string& config) {
    TrainRequest req;
    req.config_path = std::string(ATTNLAB_SOURCE_DIR) + "/configs/bert/" + config;
    req.overrides = {"data.path=" + verses, "data.refs=" + (dir / "bible.refs"), "experiment.out_dir=" + dir.path(),
                     "trainer.max_iters=6"};
    return train(req).run_dir;
  };

  SECTION("masked-LM logits at every position") {
    const std::string run_dir = train_bert("kjv_mlm_tiny.yaml");
    const ExportSummary s = export_file(run_dir, dir / "mlm.pt");
    INFO(s.text);
    REQUIRE(s.passed);
    Assembled a = load_run(run_dir);
    torch::jit::Module jm = torch::jit::load(dir / "mlm.pt");
    const auto idx = example_tokens(3, 11, 5, a.data.context.vocab_size, 5, a.data.context.pad_id);
    const auto out = jm.forward({idx}).toTensor();
    CHECK(out.sizes() == torch::IntArrayRef{3, 11, a.data.context.vocab_size});
    CHECK(max_diff(out, a.model.exportable().methods[0].run({idx})[0]) == 0.0);
  }

  SECTION("class logits of the fine-tuned classifier, and the verse tokenised in Python as in training") {
    const std::string run_dir = train_bert("kjv_books_tiny.yaml");
    const std::string file = dir / "books.pt";
    const ExportSummary s = export_file(run_dir, file);
    INFO(s.text);
    REQUIRE(s.passed);
    Assembled a = load_run(run_dir);
    const std::string verse = "And wisdom song, selah.";  // under max_len (32) with [CLS] and [SEP]
    const SpecialTokens sp = a.data.tokenizer->specials();
    std::vector<int64_t> ids = a.data.tokenizer->encode(verse);
    ids.insert(ids.begin(), sp.cls);
    ids.push_back(sp.sep);
    const auto native = a.model.exportable().methods[0].run({torch::tensor(ids).unsqueeze(0)})[0][0];

    const auto py = python_example("classify_verse.py " + file + " " + quoted(verse), dir);
    CHECK(py["ids"].get<std::vector<int64_t>>() == ids);
    const auto logits = torch::tensor(py["logits"].get<std::vector<double>>(), torch::kDouble);
    CHECK(max_diff(logits, native.to(torch::kDouble)) <= 1e-5);
    CHECK(py["class"] == a.data.context.class_names.at(static_cast<size_t>(native.argmax().item<int64_t>())));
  }
}

TEST_CASE("export: the translator's encode and decode pieces translate in Python exactly as attnlab translate") {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"God is light.", "Dios es luz."},      {"the king is good.", "el rey es bueno."},
      {"I am the way.", "yo soy el camino."}, {"the sea is great.", "la mar es grande."},
      {"the word was God.", "el verbo era Dios."}};
  std::string tsv;
  for (int copy = 0; copy < 3; ++copy)
    for (size_t i = 0; i < pairs.size(); ++i)
      tsv += "R " + std::to_string(copy * 10 + i) + "\t" + pairs[i].first + "\t" + pairs[i].second + "\n";
  write_text(dir / "pairs.tsv", tsv);
  TrainRequest req;
  req.config_path = std::string(ATTNLAB_SOURCE_DIR) + "/configs/translator/bible_en_es_tiny.yaml";
  req.overrides = {"experiment.out_dir=" + dir.path(), "data.path=" + (dir / "pairs.tsv"), "data.vocab_size=60",
                   "data.val_examples=2", "data.test_examples=0", "trainer.max_iters=60", "trainer.eval_interval=60"};
  const std::string run_dir = train(req).run_dir;
  const std::string file = dir / "translator.pt";
  const ExportSummary s = export_file(run_dir, file);
  INFO(s.text);
  REQUIRE(s.passed);
  CHECK_THAT(s.text, Contains("encode") && Contains("decode") && Contains("tokenizer.model"));

  std::string input;
  for (const auto& p : pairs) input += p.first + "\n";
  write_text(dir / "in.txt", input);
  TranslateRequest t;
  t.run_dir = run_dir, t.input = dir / "in.txt", t.beam = 1;
  const auto expected = translate(t);
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto py = python_example("translate.py " + file + " " + quoted(pairs[i].first), dir);
    CHECK(py["text"] == expected[i]);
  }
}

TEST_CASE("export: a ViT's file classifies an image in Python as the native model does") {
  TempDir dir;
  attnlab::testing::image_fixture(dir / "images", 60, 10);
  TrainRequest req;
  req.config_path = std::string(ATTNLAB_SOURCE_DIR) + "/configs/vit/fashion_mnist_tiny.yaml";
  req.overrides = {"experiment.out_dir=" + dir.path(), "data.dir=" + (dir / "images"), "trainer.max_iters=10"};
  const std::string run_dir = train(req).run_dir;
  const std::string file = dir / "vit.pt";
  const ExportSummary s = export_file(run_dir, file);
  INFO(s.text);
  REQUIRE(s.passed);

  Assembled a = load_run(run_dir);
  const auto image = a.data.source->examples("test", 3, 1).at("input");
  const auto native = a.model.exportable().methods[0].run({image})[0][0];
  const auto py = python_example("classify_image.py " + file + " --images " + (dir / "images") +
                                     "/t10k-images-idx3-ubyte.gz --labels " + (dir / "images") +
                                     "/t10k-labels-idx1-ubyte.gz --index 3",
                                 dir);
  const auto logits = torch::tensor(py["logits"].get<std::vector<double>>(), torch::kDouble);
  CHECK(max_diff(logits, native.to(torch::kDouble)) <= 1e-5);
  CHECK(py["label"] == a.data.context.class_names.at(3));  // image i has label i % 10
  const auto meta = nlohmann::json::parse(read_extra_files(file, {"attnlab.json"}).at("attnlab.json"));
  CHECK(meta["image"]["height"] == 28);
  CHECK(meta["class_names"].size() == 10);
}

TEST_CASE("export: an in-context regressor's file regresses in Python, at any prompt length, as the native model") {
  TempDir dir;
  TrainRequest req;
  req.config_path = std::string(ATTNLAB_SOURCE_DIR) + "/configs/icl/linear_regression_tiny.yaml";
  req.overrides = {"experiment.out_dir=" + dir.path(), "trainer.max_iters=10"};
  const std::string run_dir = train(req).run_dir;
  const std::string file = dir / "icl.pt";
  const ExportSummary s = export_file(run_dir, file);
  INFO(s.text);
  REQUIRE(s.passed);
  const auto meta = nlohmann::json::parse(read_extra_files(file, {"attnlab.json"}).at("attnlab.json"));
  CHECK(meta["input_dims"] == 3);
  CHECK(meta["max_length"] == 8);

  // Python draws its own prompts (5 pairs, shorter than traced or trained); the native model on them agrees.
  const auto py = python_example("regress_in_context.py " + file + " --prompts 6 --points 5", dir);
  std::vector<float> flat;  // the first prompt's 5 x's of 3 dimensions
  for (const auto& row : py["xs"])
    for (double v : row) flat.push_back(static_cast<float>(v));
  REQUIRE(flat.size() == 15);
  const auto x = torch::tensor(flat).view({1, 5, 3});
  const auto y = torch::tensor(py["ys"].get<std::vector<float>>()).view({1, 5});
  Assembled a = load_run(run_dir);
  const auto native = a.model.exportable().methods[0].run({x, y})[0][0];
  const auto exported = torch::tensor(py["predictions"].get<std::vector<float>>());
  CHECK(max_diff(exported, native) <= 1e-5);
  // Python's least squares is exact once k >= d = 3 (y = w.x): the prompts it drew are linear.
  const auto lsq = py["least_squares"].get<std::vector<double>>();
  REQUIRE(lsq.size() == 5);
  CHECK(lsq[0] > 0.05);
  CHECK(lsq[3] < 1e-8);
  CHECK(lsq[4] < 1e-8);
}

TEST_CASE("export verification refuses a model that bakes a size or a tensor in, and leaves what was there") {
  TempDir dir;
  const std::string path = dir / "model.pt";
  write_text(path, "an earlier export");

  SECTION("a size read into C++ is refused: right at the traced length, wrong at the others") {
    auto model = std::make_shared<BakedSizeImpl>();
    const ExportReport r = export_torchscript(*model, sequence_exportable(model), path);
    INFO(r.table());
    CHECK_FALSE(r.passed);
    CHECK_THAT(r.problem, Contains("differs from the model"));
    CHECK(r.tensor_constants == 0);
    REQUIRE(r.checks.size() == 4);
    for (const auto& c : r.checks) CHECK(c.max_abs_diff > 1e-3);  // none at the traced length 7
  }
  SECTION("an unregistered tensor becomes a constant, and is refused although the values agree") {
    auto model = std::make_shared<HiddenTensorImpl>();
    const ExportReport r = export_torchscript(*model, sequence_exportable(model), path);
    INFO(r.table());
    CHECK_FALSE(r.passed);
    CHECK(r.tensor_constants == 1);
    CHECK(r.max_abs_diff == 0.0);
    CHECK_THAT(r.problem, Contains("tensor constant"));
  }
  CHECK(read_text(path) == "an earlier export");
  CHECK_FALSE(fs::exists(path + ".partial"));
}

TEST_CASE("an interrupted export leaves no file, and an unwritable path is refused before any work") {
  TempDir dir;
  torch::nn::Linear model(4, 3);
  ExportMethod m{"forward", {"x"}, "", [&model](const Tensors& in) { return Tensors{model(in[0])}; },
                 [](int64_t B, int64_t, uint64_t) { return Tensors{torch::ones({B, 4})}; }};
  m.inputs = {{torch::kFloat, {{"B"}, {"features", 4, 0, "in_features"}}}};
  const Exportable what{{m}, 0};
  const std::string path = dir / "linear.pt";

  REQUIRE(export_torchscript(*model, what, path).passed);  // the model itself exports fine
  fs::remove(path);
  for (const std::string stage : {"traced", "written", "checked"}) {
    ExportOptions o;
    o.on_stage = [&](const std::string& s) {
      if (s == stage) std::raise(SIGINT);  // as if Ctrl-C arrived during this stage
    };
    CHECK_THROWS_WITH(export_torchscript(*model, what, path, o), Contains("interrupted by SIGINT"));
    CHECK_FALSE(fs::exists(path));
    CHECK_FALSE(fs::exists(path + ".partial"));
  }
  CHECK_THROWS_WITH(export_torchscript(*model, what, dir / "missing/linear.pt"), Contains("cannot write"));
}

TEST_CASE("CLI: attnlab export prints its checks, and a missing checkpoint, a bad --out or an unknown model type is a "
          "clear error with no file left") {
  TempDir dir;
  const std::string run_dir = attnlab::testing::train_tiny_gpt(dir, {"trainer.max_iters=2"}).run_dir;
  const std::string bin = ATTNLAB_BIN;
  auto ok = run_command(bin + " export " + run_dir, dir);
  INFO(ok.out);
  CHECK(ok.status == 0);
  CHECK_THAT(ok.out, Contains("max |exported - native|") && Contains("wrote " + run_dir + "/torchscript.pt"));
  CHECK(fs::exists(run_dir + "/torchscript.pt"));

  auto bad_dir = run_command(bin + " export " + run_dir + " --out " + (dir / "nowhere/x.pt"), dir);
  CHECK(bad_dir.status != 0);
  CHECK_THAT(bad_dir.err, Contains("cannot write") && Contains("nowhere"));

  fs::remove(run_dir + "/best.pt");
  fs::remove(run_dir + "/last.pt");
  auto no_ckpt = run_command(bin + " export " + run_dir + " --out " + (dir / "x.pt"), dir);
  CHECK(no_ckpt.status != 0);
  CHECK_THAT(no_ckpt.err, Contains("no checkpoint"));

  std::string config = read_text(run_dir + "/config.yaml");
  config.replace(config.find("type: \"gpt\""), 11, "type: \"gtp\"");
  write_text(run_dir + "/config.yaml", config);
  auto unknown = run_command(bin + " export " + run_dir + " --out " + (dir / "x.pt"), dir);
  CHECK(unknown.status != 0);
  CHECK_THAT(unknown.err, Contains("gtp") && Contains("gpt"));
  CHECK_FALSE(fs::exists(dir / "x.pt"));
}
