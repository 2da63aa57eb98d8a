// Data rows: one validation of text for every reader (datasets/text_lines.h): UTF-8 with the
// lines named, "\r\n" read as "\n", blank examples dropped and counted; damaged run files
// (metrics.jsonl, sweep.json) named with their line.
#include <catch2/catch.hpp>

#include "core/util/json_file.h"
#include "datasets/parallel_corpus.h"
#include "datasets/text_dataset.h"
#include "datasets/text_lines.h"
#include "datasets/verse_corpus.h"
#include "test_util.h"
#include "trainers/metrics_log.h"
#include "trainers/recipes.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

TEST_CASE("text rules: line lists, CRLF read as LF, invalid UTF-8 named by line") {
  CHECK(describe_lines({3}) == "line 3");
  CHECK(describe_lines({3, 7}) == "lines 3 and 7");
  CHECK(describe_lines({1, 2, 3, 4, 5}) == "lines 1, 2, 3, 4 and 5");
  CHECK(describe_lines({1, 2, 3, 4, 5, 6, 9}) == "lines 1, 2, 3, 4, 5 and 2 more");
  CHECK(checked_text("a\r\nb\r\n\r\nc", "f") == "a\nb\n\nc");
  CHECK(checked_text("a\rb\r", "f") == "a\nb\n");  // old Mac line ends
  CHECK(checked_text("\xEF\xBB\xBFword\n", "f") == "word\n");  // no byte-order mark
  // Latin-1 "ñ" (0xF1) on lines 2 and 4, after a CRLF line.
  const std::string latin1 = "uno\r\nespa\xf1ol\ndos\nma\xf1" "ana\n";
  CHECK_THROWS_WITH(checked_text(latin1, "in.txt"), Equals("in.txt: not valid UTF-8 at lines 2 and 4 (2 lines); "
                                                           "convert it first, e.g. `iconv -f latin1 -t utf-8`"));
  // Ill-formed sequences that look like UTF-8: overlong "/", a surrogate, beyond U+10FFFF.
  CHECK_THROWS_WITH(checked_text("ok\nx\xC0\xAF\n", "f"), Contains("f: not valid UTF-8 at line 2"));
  CHECK_THROWS_WITH(checked_text("\xED\xA0\x80\n", "f"), Contains("f: not valid UTF-8 at line 1"));
  CHECK_THROWS_WITH(checked_text("a\n\xF4\x90\x80\x80\n", "f"), Contains("f: not valid UTF-8 at line 2"));
  CHECK(checked_text("\xF4\x8F\xBF\xBF \xED\x9F\xBF", "f").size() == 8);  // U+10FFFF and U+D7FF are fine
  // UTF-16 without a byte-order mark: NUL bytes.
  CHECK_THROWS_WITH(checked_text(std::string("h\0i\0\n\0", 6), "u16.txt"),
                    Contains("u16.txt: NUL bytes at lines 1 and 2: not UTF-8 text (a UTF-16 file?"));
  CHECK(split_lines("a\n\nb\n") == std::vector<std::string>{"a", "", "b"});
  CHECK(is_blank(" \t "));
  CHECK_FALSE(is_blank(" x "));
  CHECK(is_blank("\xC2\xA0\xE3\x80\x80 "));  // no-break and ideographic spaces
  CHECK_FALSE(is_blank("\xC2\xA0x"));
}

TEST_CASE("text files: no carriage return reaches the text, a file without text is refused") {
  TempDir dir;
  write_text(dir / "crlf.txt", "In the beginning\r\nGod created\r\n");
  const std::string text = read_text_file(dir / "crlf.txt");
  CHECK(text == "In the beginning\nGod created\n");
  write_text(dir / "blank.txt", " \n\t\n");
  CHECK_THROWS_WITH(read_text_file(dir / "blank.txt"), Contains("blank.txt has no text"));
  write_text(dir / "bad.txt", "ok\n\xff\xfe\n");
  CHECK_THROWS_WITH(read_text_file(dir / "bad.txt"), Contains("bad.txt: not valid UTF-8 at line 2"));
}

TEST_CASE("verses: blank verses are dropped with their references and counted by line") {
  TempDir dir;
  write_text(dir / "v.txt", "first verse\r\n\r\nthird verse\r\n   \r\nfifth verse\r\n");
  write_text(dir / "v.refs", "Gen 1:1\nGen 1:2\nGen 1:3\nGen 1:4\nGen 1:5\n");
  VerseSplitOptions o;
  o.path = dir / "v.txt";
  const VerseCorpus c = VerseCorpus::read(o);
  CHECK(c.verses == std::vector<std::string>{"first verse", "third verse", "fifth verse"});
  CHECK(c.refs == std::vector<std::string>{"Gen 1:1", "Gen 1:3", "Gen 1:5"});
  CHECK(c.note == dir / "v.txt" + ": dropped 2 blank verses (lines 2 and 4)");
  write_text(dir / "v.txt", "\n\n\n\n \n");
  CHECK_THROWS_WITH(VerseCorpus::read(o), Contains("v.txt has no text (it is empty or whitespace only)"));
}

TEST_CASE("parallel text: UTF-8 by line, CRLF, blank sides dropped and counted, nothing usable refused") {
  TempDir dir;
  write_text(dir / "latin1.tsv", "r1\tgood\tbueno\nr2\tyear\ta\xf1o\n");
  CHECK_THROWS_WITH(read_parallel_tsv(dir / "latin1.tsv"), Contains("latin1.tsv: not valid UTF-8 at line 2"));

  write_text(dir / "mixed.tsv", "r1\tlight\tluz\r\nr2\t \tagua\r\n\r\nr4\twater\t\r\nr5\tday\tdía\r\n");
  std::string note;
  const auto pairs = read_parallel_tsv(dir / "mixed.tsv", &note);
  REQUIRE(pairs.size() == 2);
  CHECK(pairs[0].target == "luz");  // no '\r'
  CHECK(pairs[1].target == "día");
  CHECK(note == dir / "mixed.tsv" + ": dropped 2 pairs with a blank side (lines 2 and 4) and 1 blank line (line 3)");
  CHECK_THROWS_WITH(read_parallel_tsv(dir.path()), Contains(dir.path() + " is a directory, not a file"));

  write_text(dir / "empty.tsv", "r1\t\t\nr2\t \t \n");
  CHECK_THROWS_WITH(read_parallel_tsv(dir / "empty.tsv"),
                    Equals(dir / "empty.tsv" + " has no sentence pair with text on both sides (2 lines with a blank "
                                               "side, 0 blank)"));
  write_text(dir / "tabs.tsv", "r1\ta\tb\nno tabs here\nr3\ta\tb\nr4\tonly one tab\n");
  CHECK_THROWS_WITH(read_parallel_tsv(dir / "tabs.tsv"),
                    Equals(dir / "tabs.tsv" + ": expected three tab-separated fields (reference, source, target) at "
                                              "lines 2 and 4"));
}

TEST_CASE("translate and generate check their text before loading the run") {
  TempDir dir;
  TranslateRequest t;
  t.run_dir = dir / "no-run";
  t.input = dir.path();
  CHECK_THROWS_WITH(translate(t), Contains("--input " + dir.path() + " is a directory"));
  write_text(dir / "in.txt", "hello\n\xe9t\xe9\n");
  t.input = dir / "in.txt";
  CHECK_THROWS_WITH(translate(t), Contains("in.txt: not valid UTF-8 at line 2"));
  GenerateRequest g;
  g.run_dir = dir / "no-run";
  g.prompt = "caf\xe9";
  CHECK_THROWS_WITH(generate(g), Contains("--prompt: not valid UTF-8 at line 1"));
}

TEST_CASE("damaged run files name the file and the line") {
  TempDir dir;
  write_text(dir / "metrics.jsonl", "{\"step\": 0, \"val_loss\": 2.5}\n{\"step\": 10, \"val_lo\n");
  std::vector<int64_t> seen;
  CHECK_THROWS_WITH(for_each_json_line(dir / "metrics.jsonl", [&](const nlohmann::json& j, int64_t line) {
                      seen.push_back(j.at("step").get<int64_t>() + line);
                    }),
                    Contains(dir / "metrics.jsonl" + ":2: a damaged record"));
  CHECK(seen == std::vector<int64_t>{1});
  write_text(dir / "typed.jsonl", "{\"step\": \"ten\"}\n");
  CHECK_THROWS_WITH(for_each_json_line(dir / "typed.jsonl", [](const nlohmann::json& j, int64_t) { j.at("step").get<int64_t>(); }),
                    Contains(dir / "typed.jsonl" + ":1: a damaged record"));

  // Resuming keeps the records up to the checkpoint: a half-written last line (a killed run)
  // is dropped, a damaged line before it is named.
  write_text(dir / "run/metrics.jsonl", "{\"step\": 0}\n{\"step\": 5}\n{\"step\": 10, \"lo");
  { MetricsLog keep(dir / "run/metrics.jsonl", 5); }
  CHECK(attnlab::testing::read_text(dir / "run/metrics.jsonl") == "{\"step\": 0}\n{\"step\": 5}\n");
  write_text(dir / "run/metrics.jsonl", "{\"step\": 0}\nnot json\n{\"step\": 5}\n");
  CHECK_THROWS_WITH(MetricsLog(dir / "run/metrics.jsonl", 5),
                    Contains(dir / "run/metrics.jsonl" + ":2: a damaged record (not a JSON object): not json"));

  write_text(dir / "sweep/sweep.json", "{\n  \"metric\": \"val_loss\",\n  oops\n}\n");
  CompareRequest c;
  c.report_dir = dir / "sweep";
  CHECK_THROWS_WITH(compare(c), Contains(dir / "sweep/sweep.json" + ":3: not valid JSON (the file is damaged)"));
  write_text(dir / "sweep/sweep.json", "{\"metric\": 5}\n");
  CHECK_THROWS_WITH(compare(c), Contains(dir / "sweep/sweep.json" + ": a field is missing or of the wrong type"));
}
