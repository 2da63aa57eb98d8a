// The attnlab command line end to end: train, refuse to clobber, resume, generate, errors.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "test_paths.h"
#include "test_util.h"

using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

struct Result {
  int status;
  std::string out;  // stdout and stderr
  std::string err;  // stderr alone
};

Result run(const std::string& args, const TempDir& dir) {
  const std::string err_file = dir / "stderr.txt";
  const std::string cmd = std::string(ATTNLAB_BIN) + " " + args + " 2>" + err_file;
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  std::string err = attnlab::testing::read_text(err_file);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out + err, err};
}

}  // namespace

TEST_CASE("CLI: help, and errors go to stderr with a non-zero exit") {
  TempDir dir;
  auto help = run("--help", dir);
  CHECK(help.status == 0);
  CHECK_THAT(help.out, Contains("train") && Contains("generate") && Contains("data"));
  CHECK(run("train --help", dir).status == 0);
  CHECK(run("generate --help", dir).status == 0);

  auto missing = run("train " + (dir / "nope.yaml"), dir);
  CHECK(missing.status != 0);
  CHECK_THAT(missing.err, Contains("cannot open config file"));

  auto typo = run(std::string("train ") + ATTNLAB_SOURCE_DIR + "/configs/gpt/kjv_char_tiny.yaml model.n_layr=3", dir);
  CHECK(typo.status == 1);
  CHECK_THAT(typo.err, Contains("unknown key 'model.n_layr'; did you mean 'model.n_layer'?"));

  auto no_data = run(std::string("train ") + ATTNLAB_SOURCE_DIR + "/configs/gpt/kjv_char_tiny.yaml data.path=" +
                         (dir / "data/kjv/kjv.txt") + " experiment.out_dir=" + dir.path(),
                     dir);
  CHECK(no_data.status == 1);
  CHECK_THAT(no_data.err, Contains("run `attnlab data prepare kjv`"));
}

TEST_CASE("CLI: train the tiny config, resume it, generate from it") {
  TempDir dir;
  write_text(dir / "text.txt", attnlab::testing::small_corpus());
  const std::string train = std::string("train ") + ATTNLAB_SOURCE_DIR + "/configs/gpt/kjv_char_tiny.yaml" +
                            " experiment.out_dir=" + dir.path() + " data.path=" + (dir / "text.txt");
  auto first = run(train + " trainer.max_iters=6", dir);
  INFO(first.out);
  REQUIRE(first.status == 0);
  CHECK_THAT(first.out, Contains("threads 1"));
  CHECK_THAT(first.out, Contains("step 5/6"));
  const std::string run_dir = dir / "kjv_char_tiny";
  for (const char* f : {"config.yaml", "tokenizer.json", "last.pt", "metrics.jsonl"})
    CHECK(fs::exists(run_dir + "/" + f));

  auto again = run(train, dir);
  CHECK(again.status == 1);
  CHECK_THAT(again.err, Contains("already holds a checkpoint") && Contains("--resume"));

  auto resumed = run("train --resume " + run_dir + " trainer.max_iters=10", dir);
  INFO(resumed.out);
  REQUIRE(resumed.status == 0);
  CHECK_THAT(resumed.out, Contains("at step 6"));
  CHECK_THAT(resumed.out, Contains("step 10/10"));
  CHECK_THAT(attnlab::testing::read_text(run_dir + "/config.yaml"), Contains("max_iters: 10"));

  const std::string gen = "generate " + run_dir + " --prompt 'the lord ' --max-new-tokens 30 --seed 3";
  auto a = run(gen, dir), b = run(gen, dir);
  INFO(a.out);
  REQUIRE(a.status == 0);
  const auto text = a.out.substr(a.out.find("the lord "));
  CHECK(text.size() == 9 + 30 + 1);  // prompt + 30 ASCII characters + newline
  CHECK(a.out == b.out);             // seeded
  CHECK(run(gen + " --checkpoint last --temperature 0", dir).status == 0);
  auto bad_prompt = run("generate " + run_dir + " --prompt 'xyz'", dir);
  CHECK(bad_prompt.status == 1);
  CHECK_THAT(bad_prompt.err, Contains("not in the tokenizer's vocabulary"));
}
