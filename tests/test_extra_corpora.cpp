// Unlabelled pretraining text beyond the KJV: the WEB's diatheke output, commentaries cut into
// passages keyed to verses, verse keys resolved against the Bible, and the no-leak rule that
// keeps every passage about a val or test verse out of pretraining.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cstdlib>

#include "core/config/loader.h"
#include "datasets/commentary.h"
#include "datasets/extra_corpora.h"
#include "datasets/registry.h"
#include "datasets/text_dataset.h"
#include "datasets/text_lines.h"
#include "datasets/verse_keys.h"
#include "test_paths.h"
#include "test_util.h"
#include "trainers/experiment.h"

using namespace attnlab;
using attnlab::testing::TempDir;
using attnlab::testing::write_text;
using Catch::Matchers::Contains;

namespace {

bool has_module(const std::string& module) {
  if (std::system(("diatheke -b system -k modulelist 2>/dev/null | grep -q '^" + module + " '").c_str()) == 0)
    return true;
  WARN("SWORD module " + module + " is not installed (scripts/bootstrap.sh installs it); skipping");
  return false;
}

std::vector<std::pair<std::string, std::string>> keyed(const std::vector<Passage>& passages) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : passages) out.emplace_back(p.key, p.text);
  return out;
}

}  // namespace

TEST_CASE("the WEB's diatheke output: poetry lines continue their verse, labels are no book, words stay apart") {
  // Shaped like `diatheke -b engWEB2015eb -f plain -o hn`.
  const std::string out =
      "Genesis 1:1: In <H0430> the <H0853> beginning <H7225>, God <H0430>created <H1254> the heavens.\n"
      "Psalms 2:12: Give sincere homage to the Son,\n"
      "for his wrath will soon be kindled.\n"
      "Blessed are all those who take refuge in him. \n"
      "\n\n"
      "A Psalm by David, when he fled from Absalom his son.\n"
      "  Psalms 3:1: Yahweh, how my adversaries have increased!\n"
      "Many are those who rise up against me. \n"
      "\n"
      "Beloved  Song of Solomon 1:2: Let him kiss me.\n"
      "Revelation 22:21: The grace of the Lord Jesus Christ be with all the saints. Amen.\n"
      "(engWEB2015eb)\n";
  const auto verses = parse_diatheke_output(out, "engWEB2015eb");
  REQUIRE(verses.size() == 5);
  CHECK(verses[0].text == "In the beginning, God created the heavens.");
  CHECK(verses[1].ref == "Psalms 2:12");
  CHECK(verses[1].text == "Give sincere homage to the Son, for his wrath will soon be kindled. Blessed are all those "
                          "who take refuge in him.");
  CHECK(verses[2].ref == "Psalms 3:1");  // the title after the blank lines starts the next psalm
  CHECK(verses[2].text == "A Psalm by David, when he fled from Absalom his son. Yahweh, how my adversaries have "
                          "increased! Many are those who rise up against me.");
  CHECK(verses[3].ref == "Song of Solomon 1:2");
  CHECK(verses[4].ref == "Revelation of John 22:21");  // the KJV's name for the book
}

TEST_CASE("a commentary becomes passages keyed to the verses they comment on") {
  // Shaped like Scofield's notes: one per verse, linked verses repeat their note.
  const std::string scofield =
      "Genesis 1:1:  Book Introduction - Genesis\n"
      "  GENESIS is the book of beginnings.\n"
      "Genesis 1:2: * without form and void *  The earth had undergone a change.\n"
      "Genesis 1:3: \n"
      "Genesis 1:4: * Let there be light *  Made visible.\n"
      "Genesis 1:5: * Let there be light *  Made visible.\n"
      "Genesis 1:6: * Let there be light *  Made visible.\n"
      "Genesis 1:31: A linked note.\n"
      "Genesis 2:1: A linked note.\n"
      "Revelation 1:1: * The Revelation * A note.\n"
      "(Scofield)\n";
  using P = std::vector<std::pair<std::string, std::string>>;
  CHECK(keyed(parse_commentary(scofield, "Scofield", Corpus::Scope::entry)) ==
        P{{"Genesis 1:1", "Book Introduction - Genesis GENESIS is the book of beginnings."},
          {"Genesis 1:2", "without form and void The earth had undergone a change."},
          {"Genesis 1:4-6", "Let there be light Made visible."},
          {"Genesis 1:31-2:1", "A linked note."},
          {"Revelation of John 1:1", "The Revelation A note."}});

  // Shaped like the Treasury of David: one entry per psalm, sections by verse.
  const std::string tdavid =
      "Psalms 1:1: Psalm 1 OVERVIEW\n"
      "  * This Psalm may be regarded as * THE PREFACE PSALM.\n"
      "  * Verse 1. * BLESSED is the man.\n"
      "Nor standeth in the way of sinners,\n"
      "It would be correct as to the sense to divide this psalm at the last clause of Ps 95:7: but no.\n"
      "  * Whole Psalm. * The Psalm of Psalms.\n"
      "  * Verses 2, 3. * His delight.\n"
      "  *   Verses 4-6. —* The wicked.\n"
      "  * Ver. 16. * I will delight.\n"
      "Psalms 1:2: \n"
      "(TDavid)\n";
  const auto by_chapter = parse_commentary(tdavid, "TDavid", Corpus::Scope::chapter);
  CHECK(keyed(by_chapter) ==
        P{{"Psalms 1", "Psalm 1 OVERVIEW This Psalm may be regarded as THE PREFACE PSALM."},
          {"Psalms 1:1", "Verse 1. BLESSED is the man. Nor standeth in the way of sinners, It would be correct as to "
                         "the sense to divide this psalm at the last clause of Ps 95:7: but no."},
          {"Psalms 1", "Whole Psalm. The Psalm of Psalms."},
          {"Psalms 1:2-3", "Verses 2, 3. His delight."},
          {"Psalms 1:4-6", "Verses 4-6. — The wicked."},
          {"Psalms 1:16", "Ver. 16. I will delight."}});
  // Scoped by entry, the overview is keyed to the entry's own verse.
  CHECK(parse_commentary(tdavid, "TDavid", Corpus::Scope::entry).front().key == "Psalms 1:1");
}

TEST_CASE("commentary lines are cut at sentence ends, long sentences at spaces") {
  CHECK(split_sentences("One two. Three four five! Six?", 15) == std::vector<std::string>{"One two. Three", "four five! Six?"});
  CHECK(split_sentences("A b. Antidisestablishment c.", 10) ==
        std::vector<std::string>{"A b.", "Antidisestablishment", "c."});
  CHECK(split_sentences("Short.", 240) == std::vector<std::string>{"Short."});
  CHECK(split_sentences("", 240).empty());
}

TEST_CASE("verse keys resolve to spans of the Bible's verses, or to nothing") {
  const VerseKeyIndex index({"Genesis 1:1", "Genesis 1:2", "Genesis 1:3", "Genesis 2:1", "Genesis 2:2", "I John 1:1",
                             "I John 1:2"});
  using Span = std::optional<std::pair<int64_t, int64_t>>;
  CHECK(index.resolve("Genesis 1:2") == Span({1, 1}));
  CHECK(index.resolve("Genesis 1:2-3") == Span({1, 2}));
  CHECK(index.resolve("Genesis 1:3-2:1") == Span({2, 3}));
  CHECK(index.resolve("Genesis 2") == Span({3, 4}));
  CHECK(index.resolve("I John 1:1-2") == Span({5, 6}));
  CHECK(index.resolve("I John 1") == Span({5, 6}));
  for (const char* bad : {"Genesis 1:3-1", "Genesis 1:4", "Genesis 1:2-9", "Genesis 3", "Tobit 1:1", "Genesis", "",
                          "Genesis 1:x"})
    CHECK_FALSE(index.resolve(bad).has_value());
}

TEST_CASE("extra corpora: only lines about training verses are added, and the count of the rest is reported") {
  TempDir dir;
  VerseSplitOptions o;
  o.path = attnlab::testing::verse_fixture(dir.path(), 3);  // 16 books x 3 verses, each "Book 1:v"
  VerseCorpus corpus = VerseCorpus::read(o);
  const VerseCorpus original = corpus;
  auto splits = split_verses(48, o);
  const auto before = splits;
  std::vector<bool> training(48, false);
  for (int64_t i : splits.at("train")) training[static_cast<size_t>(i)] = true;

  // A translation (a line per verse), a chapter-keyed and a range-keyed passage per book, and
  // keys the Bible lacks.
  std::string text, keys;
  std::vector<std::string> expected;  // the lines that must be kept, in order
  for (size_t i = 0; i < 48; ++i) {
    text += "other words for " + original.refs[i] + "\n";
    keys += original.refs[i] + "\n";
    if (training[i]) expected.push_back("other words for " + original.refs[i]);
  }
  for (size_t b = 0; b < 48; b += 3) {
    const std::string book = original.refs[b].substr(0, original.refs[b].rfind(' '));
    text += "on all of " + book + "\n" + "on two of " + book + "\n";
    keys += book + " 1\n" + book + " 1:2-3\n";
    if (training[b] && training[b + 1] && training[b + 2]) expected.push_back("on all of " + book);
    if (training[b + 1] && training[b + 2]) expected.push_back("on two of " + book);
  }
  text += "apocrypha\nbeyond the chapter\n";
  keys += "Tobit 1:1\nGenesis 1:3-4\n";
  write_text(dir / "extra.txt", text);
  write_text(dir / "extra.refs", keys);

  const auto report = add_extra_corpora(" " + (dir / "extra.txt") + " ,", corpus, splits);
  const size_t kept = corpus.verses.size() - 48;
  REQUIRE(std::vector<std::string>(corpus.verses.begin() + 48, corpus.verses.end()) == expected);
  CHECK(kept > 20);  // the fixture's split holds out some verses of most books, not all
  CHECK(splits.at("val") == before.at("val"));
  CHECK(splits.at("test") == before.at("test"));
  REQUIRE(splits.at("train").size() == before.at("train").size() + kept);
  for (size_t j = 0; j < kept; ++j) CHECK(splits.at("train")[before.at("train").size() + j] == static_cast<int64_t>(48 + j));
  REQUIRE(report.size() == 1);
  CHECK_THAT(report[0], Contains(fmt::format("{} of 82 lines", kept)) &&
                            Contains(fmt::format("{} keyed to val or test verses, 2 keyed to verses the Bible lacks",
                                                 82 - 2 - kept)));

  CHECK(add_extra_corpora("", corpus, splits).empty());
  CHECK_THROWS_WITH(add_extra_corpora(dir / "web/web.txt", corpus, splits), Contains("attnlab data prepare web"));
}

TEST_CASE("masked-LM pretraining with extra corpora keeps the Bible's tokenizer, val split and fine-tuning") {
  TempDir dir;
  const std::string path = attnlab::testing::verse_fixture(dir.path(), 3);
  write_text(dir / "extra.txt", "And law altar tribe, selah.\nAnd angel throne seal, selah.\n");
  write_text(dir / "extra.refs", "Genesis 1\nRevelation of John 1:1\n");
  auto build = [&](const std::string& extra) {
    auto exp = Experiment::read(load_config(std::string(ATTNLAB_SOURCE_DIR) + "/configs/bert/kjv_mlm_tiny.yaml",
                                            {"data.path=" + path, "data.extra_corpora=" + extra}));
    return assemble(exp, dir / "run", false, torch::kCPU).data;
  };
  const auto plain = build(""), extended = build(dir / "extra.txt");
  // The tokenizer comes from the Bible's training verses alone: a classifier fine-tuned from
  // this run (which reads only the Bible) gets the same token ids.
  CHECK(extended.context.tokenizer_fingerprint == plain.context.tokenizer_fingerprint);
  CHECK(extended.source->num_examples("val") == plain.source->num_examples("val"));
  CHECK(extended.source->num_examples("test") == plain.source->num_examples("test"));
  const auto added = extended.source->num_examples("train") - plain.source->num_examples("train");
  CHECK(added >= 0);
  CHECK(added <= 2);
  bool reported = false;
  for (const auto& line : extended.report) reported |= line.find(std::to_string(added) + " of 2 lines") != std::string::npos;
  CHECK(reported);
}

TEST_CASE("the installed WEB and commentaries prepare into keyed lines, and MHCC is refused with the reason") {
  CHECK_THROWS_WITH(prepare_corpus("mhcc", "/nonexistent"), Contains("Error reading ulCompOffset"));
  if (!has_module("engWEB2015eb") || !has_module("Scofield") || !has_module("TDavid")) return;
  const auto web = read_sword_bible(find_corpus("web"));
  CHECK(web.size() == 37320);  // the 31,098 verses of the 66 books and the deuterocanon's
  CHECK(web.front().text == "In the beginning, God created the heavens and the earth.");
  size_t joined = 0;
  for (const auto& v : web) joined += v.text.find("Godcreated") != std::string::npos;
  CHECK(joined == 0);

  // Every commentary key names a KJV verse or chapter (the book names agree), but for the
  // Treasury of David's 12 lines on verses the KJV's psalms lack ("Psalms 13:8").
  std::vector<std::string> refs;
  for (const auto& v : read_sword_bible(find_corpus("kjv"))) refs.push_back(v.ref);
  const VerseKeyIndex index(refs);
  TempDir dir;
  CHECK_THAT(prepare_corpus("scofield", dir.path()), Contains("wrote 3216 passages as 5808 lines"));
  CHECK_THAT(prepare_corpus("tdavid", dir.path()), Contains("wrote 13805 passages as 63737 lines"));
  for (const auto& [name, unresolved] : {std::pair<std::string, size_t>{"scofield", 0}, {"tdavid", 12}}) {
    size_t lines = 0, missing = 0;
    for (const auto& key : split_lines(read_text_file(dir / (name + ".refs")))) ++lines, missing += !index.resolve(key);
    CHECK(lines > 5000);
    CHECK(missing == unresolved);
  }
}
