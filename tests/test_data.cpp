// Tokenizer, text batches, and the SWORD corpus preparation.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "core/util/portable_random.h"
#include "datasets/char_tokenizer.h"
#include "datasets/corpora.h"
#include "datasets/text_dataset.h"
#include "test_util.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using Catch::Matchers::Contains;

TEST_CASE("char tokenizer: code-point vocabulary in order, exact round trip, saved with the run") {
  const std::string text = "And God said, Let there be light: and there was light.\nÆnon — the Lord’s\n";
  auto tok = CharTokenizer::from_text(text);
  const auto chars = utf8_chars(text);
  CHECK(tok.vocab_size() == static_cast<int64_t>(std::set<std::string>(chars.begin(), chars.end()).size()));
  auto ids = tok.encode(text);
  CHECK(ids.size() == utf8_chars(text).size());  // one id per character, not per byte
  CHECK(tok.decode(ids) == text);
  CHECK(tok.encode("\n")[0] == 0);    // '\n' has the lowest code point
  CHECK(tok.decode({tok.vocab_size() - 1}) == "’");  // U+2019 the highest
  TempDir dir;
  tok.save(dir.path());
  auto loaded = CharTokenizer::load(dir.path());
  CHECK(loaded.encode(text) == ids);
  CHECK_THROWS_WITH(tok.encode("xyz"), Contains("'x' is not in the tokenizer's vocabulary"));
}

TEST_CASE("text dataset: targets are inputs shifted by one, the last 10% is validation") {
  std::vector<int64_t> tokens(1000);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int64_t>(i % 97);
  TextDataset data(tokens, 0.1, 8);
  CHECK(data.size("train") == 900);
  CHECK(data.size("val") == 100);
  std::mt19937_64 rng(1), same(1);
  auto b = data.sample("train", 5, rng);
  CHECK(b.at("input").sizes() == torch::IntArrayRef({5, 8}));
  CHECK(b.at("input").narrow(1, 1, 7).equal(b.at("target").narrow(1, 0, 7)));
  CHECK(b.at("input").equal(data.sample("train", 5, same).at("input")));  // seeded
  // Consecutive tokens in a window follow the stream.
  auto in = b.at("input");
  CHECK(((in.narrow(1, 1, 7) - in.narrow(1, 0, 7)).remainder(97) == 1).all().item<bool>());
  auto v = data.sample("val", 3, rng);
  CHECK((v.at("input").select(1, 0) >= 900 % 97).any().item<bool>());
  CHECK_THROWS_WITH(TextDataset(tokens, 0.995, 8), Contains("train split has 5 tokens"));
  CHECK_THROWS_WITH(TextDataset(tokens, 0.005, 8), Contains("val split has 5 tokens"));
}

TEST_CASE("evaluation batches are fixed windows spread evenly over the split") {
  std::vector<int64_t> tokens(1000);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int64_t>(i);  // token = position
  TextDataset data(tokens, 0.1, 8);
  // 3 batches x 2 windows over val (positions 900..999): starts at 900 + w * 91 / 5.
  std::vector<int64_t> starts;
  for (int64_t b = 0; b < 3; ++b) {
    auto batch = data.eval_batch("val", b, 3, 2);
    CHECK(batch.at("input").equal(data.eval_batch("val", b, 3, 2).at("input")));  // the same every time
    CHECK(batch.at("target").select(1, 0).equal(batch.at("input").select(1, 0) + 1));
    for (int64_t i = 0; i < 2; ++i) starts.push_back(batch.at("input")[i][0].item<int64_t>());
  }
  CHECK(starts == std::vector<int64_t>{900, 918, 936, 954, 972, 991});
  CHECK(data.eval_batch("val", 2, 3, 2).at("target")[1][7].item<int64_t>() == 999);  // reaches the last token
}

TEST_CASE("a missing data file says which command creates it") {
  CHECK_THROWS_WITH(read_text_file("nowhere/kjv/kjv.txt"),
                    Contains("'nowhere/kjv/kjv.txt' not found") && Contains("attnlab data prepare kjv"));
  CHECK_THROWS_WITH(read_text_file("nowhere/mine.txt"), Contains("check data.path"));
}

TEST_CASE("diatheke output becomes one clean verse per line") {
  // Shaped like `diatheke -f plain -o h`: headings on lines of their own before a verse.
  const std::string out =
      "Genesis 1:1: In the beginning God created the heaven and the earth.\n"
      "Genesis 1:2: And the earth was without form, and void;  \n"
      " Psalms 144:15: Happy is that people, whose God is the LORD. \n"
      "\n\n"
      "David’s Psalm of praise.\n"
      "   Psalms 145:1: I will extol thee, my God, O king.\n"
      "\n"
      " Psalms 145:2: Every day will I bless thee.\n"
      " Romans 16:27: To God only wise, be glory through Jesus Christ for ever. Amen.\n"
      "Written to the Romans from Corinthus.\n"
      " I Corinthians 1:1: Paul, called to be an apostle.\n"
      "1 Samuel 2:3: \xC2\xB6 Talk no more  so exceeding proudly;\n"
      "Revelation of John 22:21: The grace of our Lord Jesus Christ be with you all. Amen.    \n"
      "Proverbs 17:27: de prudente <H7119> espíritu <G0846>, a<b> <H12\n"
      "(engKJV2006eb)\n";
  auto verses = parse_diatheke_output(out, "engKJV2006eb");
  REQUIRE(verses.size() == 10);
  CHECK(verses[9].text == "de prudente espíritu, a<b> <H12");  // Strong's numbers removed, nothing else
  CHECK(verses[0].ref == "Genesis 1:1");
  CHECK(verses[1].text == "And the earth was without form, and void;");
  CHECK(verses[2].text == "Happy is that people, whose God is the LORD.");
  CHECK(verses[3].ref == "Psalms 145:1");
  CHECK(verses[3].text == "David’s Psalm of praise. I will extol thee, my God, O king.");  // title starts the psalm
  CHECK(verses[4].text == "Every day will I bless thee.");
  CHECK(verses[5].text ==
        "To God only wise, be glory through Jesus Christ for ever. Amen. Written to the Romans from Corinthus.");
  CHECK(verses[6].ref == "I Corinthians 1:1");
  CHECK(verses[6].text == "Paul, called to be an apostle.");
  CHECK(verses[7].ref == "1 Samuel 2:3");
  CHECK(verses[7].text == "Talk no more so exceeding proudly;");  // pilcrow and extra spaces gone
  CHECK(verses[8].ref == "Revelation of John 22:21");
  CHECK(verses[8].text == "The grace of our Lord Jesus Christ be with you all. Amen.");
}

namespace {
// The tests that read the installed SWORD modules need diatheke; without it they say so and skip.
bool diatheke_installed() {
  if (std::system("command -v diatheke >/dev/null 2>&1") == 0) return true;
  WARN("diatheke is not installed (scripts/bootstrap.sh installs it); skipping");
  return false;
}
}  // namespace

TEST_CASE("the installed KJV module yields every verse") {
  if (!diatheke_installed()) return;
  auto verses = read_sword_bible(find_corpus("kjv"));
  CHECK(verses.size() == 31102);
  CHECK(verses.front().text == "In the beginning God created the heaven and the earth.");
  size_t bytes = 0;  // the whole text pinned: kjv.txt is 4,149,463 bytes with its newlines
  for (const auto& v : verses) bytes += v.text.size() + 1;
  CHECK(bytes == 4149463);
  CHECK(verses.back().ref == "Revelation of John 22:21");
  size_t titled = 0;
  for (const auto& v : verses) titled += v.text.find("David’s Psalm of praise.") != std::string::npos;
  CHECK(titled == 1);  // Psalm 145's title, not repeated before the 14,781 verses after it
  CHECK(verses[14236].ref == "Psalms 23:1");
  CHECK(verses[14236].text.rfind("A Psalm of David. The LORD is my shepherd", 0) == 0);
  CHECK_THROWS_WITH(find_corpus("kvj"), Contains("known: kjv, sparv"));
}

TEST_CASE("the installed Reina-Valera module yields every verse, without Strong's numbers") {
  if (!diatheke_installed()) return;
  auto verses = read_sword_bible(find_corpus("sparv"));
  CHECK(verses.size() == 31102);
  CHECK(verses.front().text == "EN el principio crió Dios los cielos y la tierra.");
  size_t tagged = 0, empty = 0;
  for (const auto& v : verses) tagged += v.text.find("<H") != std::string::npos || v.text.find("<G") != std::string::npos,
                                empty += v.text.empty();
  CHECK(tagged == 0);
  CHECK(empty == 18);  // the verses `data prepare bible-en-es` leaves out
}

TEST_CASE("portable random numbers: seeded streams, uniform and normal moments, shuffles are permutations") {
  auto a = seeded_generator(7, {1, 2}), b = seeded_generator(7, {1, 2}), c = seeded_generator(7, {1, 3});
  const auto first = a();
  CHECK(first == b());
  CHECK(first != c());
  CHECK(seeded_generator(7ull << 32, {1, 2})() != first);  // the seed's high word counts too

  std::mt19937_64 rng(1);
  double sum = 0, sum_sq = 0, u_min = 1, u_max = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double z = standard_normal(rng), u = uniform01(rng);
    sum += z, sum_sq += z * z, u_min = std::min(u_min, u), u_max = std::max(u_max, u);
  }
  CHECK(std::abs(sum / n) < 0.01);          // mean 0 (standard error 0.0022)
  CHECK(std::abs(sum_sq / n - 1.0) < 0.02);  // variance 1 (standard error 0.0032)
  CHECK(u_min >= 0.0);
  CHECK(u_min < 1e-3);
  CHECK(u_max < 1.0);
  CHECK(u_max > 1 - 1e-3);

  std::vector<int> v(50);
  for (int i = 0; i < 50; ++i) v[static_cast<size_t>(i)] = i;
  shuffle(v, rng);
  auto sorted = v;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 50; ++i) CHECK(sorted[static_cast<size_t>(i)] == i);
  int moved = 0;
  for (int i = 0; i < 50; ++i) moved += v[static_cast<size_t>(i)] != i;
  CHECK(moved > 40);
}
