// Helpers shared by the tests: temporary directories and small files.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "datasets/idx_file.h"
#include "test_paths.h"
#include "trainers/checkpoint.h"
#include "trainers/experiment.h"
#include "trainers/recipes.h"

namespace attnlab::testing {

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "attnlab-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// What `f` throws (its what()), or "<no error>".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no error>";
}

inline void write_text(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A few hundred lines of verse-like text with a small alphabet, for training tests.
inline std::string small_corpus(int lines = 300) {
  static const char* words[] = {"and", "the", "lord", "said", "unto", "him", "in", "beginning", "light", "was"};
  std::string text;
  unsigned state = 12345;
  for (int i = 0; i < lines; ++i) {
    for (int w = 0; w < 8; ++w) {
      state = state * 1103515245u + 12345u;
      text += words[(state >> 16) % 10];
      text += w == 7 ? ".\n" : " ";
    }
  }
  return text;
}

struct CommandResult {
  int status;       // the exit status; -1 when killed by a signal
  std::string out;  // stdout, then stderr
  std::string err;  // stderr alone
};

// Runs a shell command line, keeping its stderr in dir/stderr.txt on the way.
inline CommandResult run_command(const std::string& command, const TempDir& dir) {
  const std::string err_file = dir / "stderr.txt";
  FILE* pipe = popen((command + " 2>" + err_file).c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = pclose(pipe);
  std::string err = read_text(err_file);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out + err, err};
}

// metrics.jsonl as JSON records, one per line.
inline std::vector<nlohmann::json> read_metrics(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

// The training loss of every logged step of a run, in order (evaluation records left out).
inline std::vector<double> training_losses(const std::string& run_dir) {
  std::vector<double> out;
  for (const auto& r : read_metrics(run_dir + "/metrics.jsonl"))
    if (r.contains("loss") && !r.contains("val_loss")) out.push_back(r.at("loss").get<double>());
  return out;
}

// `attnlab train configs/CONFIG` (a path under configs/) with the run directory under dir, then
// `overrides`.
inline TrainSummary train_config(const std::string& config, const TempDir& dir, const std::vector<std::string>& overrides) {
  TrainRequest req;
  req.config_path = std::string(ATTNLAB_SOURCE_DIR) + "/configs/" + config;
  req.overrides = {"experiment.out_dir=" + dir.path()};
  req.overrides.insert(req.overrides.end(), overrides.begin(), overrides.end());
  return train(req);
}

// Resumes a run stopped early (`first`) and trains it on to `max_iters`, as
// `attnlab train --resume RUN_DIR trainer.max_iters=N` does: the exact-resume tests' second half.
inline TrainSummary resume_run(const TrainSummary& first, int64_t max_iters) {
  TrainRequest resume;
  resume.resume_dir = first.run_dir;
  resume.overrides = {"trainer.max_iters=" + std::to_string(max_iters)};
  return train(resume);
}

// `attnlab train configs/gpt/kjv_char_tiny.yaml` on small_corpus() written to dir/text.txt,
// with the run directory under dir.
inline TrainSummary train_tiny_gpt(const TempDir& dir, std::vector<std::string> overrides = {}) {
  write_text(dir / "text.txt", small_corpus());
  overrides.insert(overrides.begin(), "data.path=" + (dir / "text.txt"));
  return train_config("gpt/kjv_char_tiny.yaml", dir, overrides);
}

// A verse-per-line fixture in the shape `attnlab data prepare` writes: dir/bible.txt and
// dir/bible.refs, `per_book` verses from each of 16 books (two per book group), each verse
// made of words typical of its group, so that a classifier can learn the groups.
inline std::string verse_fixture(const std::string& dir, int per_book = 6) {
  static const char* books[16] = {"Genesis", "Exodus",    "Joshua",   "I Samuel", "Job",     "Psalms",
                                  "Isaiah",  "Daniel",    "Hosea",    "Malachi",  "Matthew", "Acts",
                                  "Romans",  "Philemon",  "Hebrews",  "Revelation of John"};
  static const char* words[8][3] = {{"law", "altar", "tribe"},   {"king", "battle", "city"},
                                    {"wisdom", "song", "praise"}, {"vision", "prophet", "exile"},
                                    {"locust", "return", "mercy"}, {"jesus", "disciples", "parable"},
                                    {"grace", "faith", "brethren"}, {"angel", "throne", "seal"}};
  std::string text, refs;
  unsigned state = 7;
  for (int b = 0; b < 16; ++b) {
    for (int v = 1; v <= per_book; ++v) {
      std::string verse = "And";
      for (int w = 0; w < 5; ++w) {
        state = state * 1103515245u + 12345u;
        verse += std::string(" ") + words[b / 2][(state >> 16) % 3];
      }
      text += verse + ", selah.\n";
      refs += std::string(books[b]) + " 1:" + std::to_string(v) + "\n";
    }
  }
  write_text(dir + "/bible.txt", text);
  write_text(dir + "/bible.refs", refs);
  return dir + "/bible.txt";
}

// Labelled images in the layout of Debian's dataset-fashion-mnist, written into dir:
// train-/t10k-{images-idx3,labels-idx1}-ubyte.gz with n_train and n_test 28x28 images. Image i
// has label i % 10 and a bright 7x7 block in grid cell (label / 4, label % 4) over faint
// seeded noise, so that a small ViT with 7x7 patches can learn the labels.
inline void image_fixture(const std::string& dir, int64_t n_train = 60, int64_t n_test = 20) {
  std::filesystem::create_directories(dir);
  unsigned state = 99;
  auto write = [&](const std::string& prefix, int64_t n) {
    IdxArray images{{n, 28, 28}, std::vector<uint8_t>(static_cast<size_t>(n * 28 * 28))};
    IdxArray labels{{n}, std::vector<uint8_t>(static_cast<size_t>(n))};
    for (int64_t i = 0; i < n; ++i) {
      const int64_t label = i % 10;
      labels.data[static_cast<size_t>(i)] = static_cast<uint8_t>(label);
      for (int64_t y = 0; y < 28; ++y)
        for (int64_t x = 0; x < 28; ++x) {
          state = state * 1103515245u + 12345u;
          const bool block = y / 7 == label / 4 && x / 7 == label % 4;
          images.data[static_cast<size_t>((i * 28 + y) * 28 + x)] =
              static_cast<uint8_t>((block ? 200 : 0) + (state >> 16) % 40);
        }
    }
    write_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz", images);
    write_idx(dir + "/" + prefix + "-labels-idx1-ubyte.gz", labels);
  };
  write("train", n_train);
  write("t10k", n_test);
}

// The model of a run directory with the parameters of its last.pt.
inline std::shared_ptr<torch::nn::Module> trained_model(const std::string& run_dir) {
  auto exp = attnlab::Experiment::read_run(run_dir);
  attnlab::Assembled a = attnlab::assemble(exp, run_dir, /*saved_tokenizer=*/true, torch::kCPU);
  attnlab::load_checkpoint(run_dir + "/last.pt", *a.model.module, nullptr, torch::kCPU);
  return a.model.module;
}

// The largest parameter difference between two runs' last.pt (0: bitwise equal weights).
// A run's model as `attnlab eval` builds it, with its best checkpoint, on the CPU, in eval mode.
inline Assembled load_run(const std::string& run_dir) {
  Experiment exp = Experiment::read_run(run_dir);
  Assembled a = assemble(exp, run_dir, /*saved_tokenizer=*/true, torch::kCPU);
  load_checkpoint(run_checkpoint(run_dir, "best"), *a.model.module, nullptr, torch::kCPU);
  a.model.module->eval();
  return a;
}

inline double max_param_diff(const std::string& run_a, const std::string& run_b) {
  auto a = trained_model(run_a), b = trained_model(run_b);
  auto pb = b->named_parameters();
  double diff = 0;
  for (const auto& p : a->named_parameters())
    diff = std::max(diff, (p.value() - pb[p.key()]).abs().max().item<double>());
  return diff;
}

}  // namespace attnlab::testing
