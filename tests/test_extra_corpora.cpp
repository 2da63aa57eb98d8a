// Unlabelled pretraining text beyond the KJV: the WEB's diatheke output, commentaries cut into
// passages keyed to verses, verse keys resolved against the Bible, and the no-leak rule that
// keeps every passage about a val or test verse out of pretraining.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <set>

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

TEST_CASE("the WEB's diatheke output: lines placed by the next verse's indent, labels and markup dropped") {
  // Shaped like `diatheke -b engWEB2015eb -f plain -o hn`: a verse line indented by two
  // spaces has a heading above it; any other line continues the verse above it, also after a
  // blank line (a paragraph break inside a verse).
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
      " Beloved <H1730>   Song of Solomon 5:10: My beloved <H1730> is white.\n"
      "Psalms 74:23: Don’t forget the voice of your adversaries.\n"
      "The tumult ascends continually.\n"
      "For the Chief Musician. A Psalm by Asaph.\n"
      "  Psalms 75:1: We give thanks to you, God.\n"
      "Hebrews 2:8: You have put all things in subjection under his feet.”\n"
      "\n"
      "For in that he subjected all things to him, he left nothing.\n"
      "Hebrews 2:9: But we see him.\n"
      "Romans 16:25:    \n"
      "<div sID=\"gen34813\" type=\"x-p\"/>Romans 16:26: \n"
      "Revelation 22:21: The grace of the Lord Jesus Christ be with all the saints. Amen.\n"
      "\n\n"
      "World English Bible Glossary\n"
      "   The following words used in the World English Bible (WEB) are not very common.\n"
      "(engWEB2015eb)\n";
  const auto verses = parse_diatheke_output(out, "engWEB2015eb");
  REQUIRE(verses.size() == 12);
  CHECK(verses[0].text == "In the beginning, God created the heavens.");
  CHECK(verses[1].ref == "Psalms 2:12");
  CHECK(verses[1].text == "Give sincere homage to the Son, for his wrath will soon be kindled. Blessed are all those "
                          "who take refuge in him.");
  CHECK(verses[2].ref == "Psalms 3:1");  // the title after the blank lines starts the next psalm
  CHECK(verses[2].text == "A Psalm by David, when he fled from Absalom his son. Yahweh, how my adversaries have "
                          "increased! Many are those who rise up against me.");
  CHECK(verses[3].ref == "Song of Solomon 1:2");
  CHECK(verses[4].ref == "Song of Solomon 5:10");
  CHECK(verses[4].text == "My beloved is white.");
  CHECK(verses[5].text == "Don’t forget the voice of your adversaries. The tumult ascends continually.");
  CHECK(verses[6].text == "For the Chief Musician. A Psalm by Asaph. We give thanks to you, God.");
  CHECK(verses[7].text == "You have put all things in subjection under his feet.” For in that he subjected all things "
                          "to him, he left nothing.");
  CHECK(verses[8].text == "But we see him.");
  CHECK(verses[9].ref == "Romans 16:25");
  CHECK(verses[9].text.empty());
  CHECK(verses[10].ref == "Romans 16:26");  // the markup before it removed
  CHECK(verses[10].text.empty());
  CHECK(verses[11].ref == "Revelation of John 22:21");  // the KJV's name for the book
  CHECK(verses[11].text == "The grace of the Lord Jesus Christ be with all the saints. Amen.");  // no glossary
}

TEST_CASE("a commentary becomes passages keyed to the verses they comment on") {
  // Shaped like Scofield's notes: every verse printed in order, linked verses repeat their note.
  const std::string scofield =
      "Genesis 1:1:  Book Introduction - Genesis\n"
      "  GENESIS is the book of beginnings.\n"
      "Genesis 1:2: * without form and void *  The earth had undergone a change.\n"
      "Genesis 1:3: \n"
      "Genesis 1:4: * Let there be light *  Made visible.\n"
      "Genesis 1:5: * Let there be light *  Made visible.\n"
      "Genesis 1:6: * Let there be light *  Made visible.\n"
      "Genesis 1:7: A linked note\n"
      "  over two lines.   \n"
      "Genesis 2:1: A linked note\n"
      "  over two lines.\n"
      "Genesis 2:2: Linked across chapters, on verse 3.\n"
      "Genesis 3:1: Linked across chapters, on verse 3.\n"
      "Genesis 3:2: * And Babylon * Verses 12-16 speak of the city.\n"
      "Genesis 3:3: The same words on a verse further on.\n"
      "Genesis 3:4: \n"
      "Genesis 3:5: The same words on a verse further on.\n"
      "Revelation 1:1: * The Revelation * A note.\n"
      "(Scofield)\n";
  using P = std::vector<std::pair<std::string, std::string>>;
  CHECK(keyed(parse_commentary(scofield, "Scofield", Corpus::Scope::entry)) ==
        P{{"Genesis 1:1", "Book Introduction - Genesis GENESIS is the book of beginnings."},
          {"Genesis 1:2", "without form and void The earth had undergone a change."},
          {"Genesis 1:4-6", "Let there be light Made visible."},
          {"Genesis 1:7-2:1", "A linked note over two lines."},  // the copies differ in trailing spaces
          {"Genesis 2; Genesis 3", "Linked across chapters, on verse 3."},  // verse 3 of which chapter?
          {"Genesis 3:2-16", "And Babylon Verses 12-16 speak of the city."},  // widened to what it speaks of
          {"Genesis 3:3", "The same words on a verse further on."},  // not linked: 3:4 between
          {"Genesis 3:5", "The same words on a verse further on."},
          {"Revelation of John 1:1", "The Revelation A note."}});

  // Shaped like the Treasury of David: one entry per psalm, sections by verse.
  const std::string tdavid =
      "Psalms 1:1: Psalm 1 OVERVIEW\n"
      "  * This Psalm may be regarded as * THE PREFACE PSALM.\n"
      "  * Verse 1. * BLESSED is the man.\n"
      "Nor standeth in the way of sinners,\n"
      "It would be correct as to the sense to divide this psalm at the last clause of Ps 95:7: but no.\n"
      "Psalms 95:7: quoted at the start of a line, and not the next verse.\n"
      "  * Whole Psalm. * The Psalm of Psalms.\n"
      "  * Verses 2, 3. * His delight.\n"
      "  *   Verses 4-6. —* The wicked.\n"
      "  * Verses 7 to 9 * The end. Verse 12. An unmarked section.\n"
      "  * Ver. 16. * I will delight.\n"
      "Psalms 1:2: \n"
      "(TDavid)\n";
  const auto by_chapter = parse_commentary(tdavid, "TDavid", Corpus::Scope::chapter);
  CHECK(keyed(by_chapter) ==
        P{{"Psalms 1", "Psalm 1 OVERVIEW This Psalm may be regarded as THE PREFACE PSALM."},
          {"Psalms 1:1", "Verse 1. BLESSED is the man. Nor standeth in the way of sinners, It would be correct as to "
                         "the sense to divide this psalm at the last clause of Ps 95:7: but no. Psalms 95:7: quoted at the start "
                         "of a line, and not the next verse."},
          {"Psalms 1", "Whole Psalm. The Psalm of Psalms."},
          {"Psalms 1:2-3", "Verses 2, 3. His delight."},
          {"Psalms 1:4-6", "Verses 4-6. — The wicked."},
          {"Psalms 1:7-12", "Verses 7 to 9 The end. Verse 12. An unmarked section."},
          {"Psalms 1:16", "Ver. 16. I will delight."}});
  // Scoped by entry, the whole entry is one passage keyed to its verse and all it mentions.
  const auto by_entry = parse_commentary(tdavid, "TDavid", Corpus::Scope::entry);
  REQUIRE(by_entry.size() == 1);
  CHECK(by_entry[0].key == "Psalms 1:1-16");
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
  using Spans = std::optional<std::vector<std::pair<int64_t, int64_t>>>;
  CHECK(index.resolve_all("Genesis 1:2; I John 1") == Spans({{1, 1}, {5, 6}}));
  CHECK(index.resolve_all("Genesis 2:2") == Spans({{4, 4}}));
  CHECK_FALSE(index.resolve_all("Genesis 1:2; Tobit 1:1").has_value());
  CHECK_FALSE(index.resolve_all("Genesis 1:2;").has_value());
  CHECK(verse_key("Genesis", 1, 31, 2, 3) == "Genesis 1:31-2:3");
  CHECK(verse_key("Genesis", 1, 2, 1, 4) == "Genesis 1:2-4");
  CHECK(verse_key("Genesis", 1, 2, 1, 2) == "Genesis 1:2");
  CHECK(chapter_key("Psalms", 1) == "Psalms 1");
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
  int first_held = 0, last_held = 0;  // ranges held out at one end only: where an off-by-one shows
  for (size_t b = 0; b < 48; b += 3) {
    const std::string book = original.refs[b].substr(0, original.refs[b].rfind(' '));
    text += "on all of " + book + "\n" + "on two of " + book + "\n";
    keys += book + " 1\n" + book + " 1:2-3\n";
    if (training[b] && training[b + 1] && training[b + 2]) expected.push_back("on all of " + book);
    if (training[b + 1] && training[b + 2]) expected.push_back("on two of " + book);
    first_held += !training[b + 1] && training[b + 2];
    last_held += training[b + 1] && !training[b + 2];
  }
  CHECK(first_held > 0);
  CHECK(last_held > 0);
  // The same text under several keys: added once, and only if every copy is about training verses.
  std::vector<size_t> train_at, held_at;
  for (size_t i = 0; i < 48; ++i) (training[i] ? train_at : held_at).push_back(i);
  text += "shared with a held-out verse\nshared with a held-out verse\n";
  keys += original.refs[train_at[0]] + "\n" + original.refs[held_at[0]] + "\n";
  text += "repeated on training verses\nrepeated on training verses\n";
  keys += original.refs[train_at[0]] + "\n" + original.refs[train_at[1]] + "\n";
  expected.push_back("repeated on training verses");
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
  CHECK_THAT(report[0], Contains(fmt::format("{} of 86 lines", kept)) &&
                            Contains(fmt::format("{} keyed to val or test verses (or the same text as one), 0 quoting "
                                                 "one (8 words in a row), 2 keyed to verses the Bible lacks, 1 repeated",
                                                 86 - 2 - 1 - kept)));

  CHECK(add_extra_corpora("", corpus, splits).empty());
  CHECK_THROWS_WITH(add_extra_corpora(dir / "web/web.txt", corpus, splits), Contains("attnlab data prepare web"));
}

TEST_CASE("extra corpora: a line quoting 8 words in a row of a val or test verse is left out, whatever its key") {
  TempDir dir;
  // 40 verses of 10 distinct words each.
  std::string text, refs;
  for (int v = 0; v < 40; ++v) {
    for (int w = 0; w < 10; ++w) text += (w ? " " : "") + fmt::format("w{}x{}", v, w);
    text += ".\n";
    refs += fmt::format("Genesis 1:{}\n", v + 1);
  }
  write_text(dir / "bible.txt", text);
  write_text(dir / "bible.refs", refs);
  VerseSplitOptions o;
  o.path = dir / "bible.txt";
  VerseCorpus corpus = VerseCorpus::read(o);
  auto splits = split_verses(40, o);
  std::set<int64_t> training(splits.at("train").begin(), splits.at("train").end());
  const int64_t held = *std::find_if(splits.at("val").begin(), splits.at("val").end(), [](int64_t i) { return i > 0; });
  REQUIRE(training.count(0));
  auto words = [](int64_t v, int from, int count) {
    std::string out;
    for (int w = from; w < from + count; ++w) out += (w > from ? " " : "") + fmt::format("w{}x{}", v, w);
    return out;
  };
  // Verse 0's words 2..9 appear in a held-out test verse too: common wording, not a quote.
  const int64_t other = splits.at("test").front();
  corpus.verses[static_cast<size_t>(other)] = words(other, 0, 2) + " " + words(0, 2, 8) + ".";
  const std::string key = "Genesis 1:1";  // a training verse
  write_text(dir / "extra.txt", "A commentary quoting \"" + words(held, 1, 8) + "\" as it goes.\n" +
                                    "Quoting in other case: " + fmt::format("W{}X1, w{}x2 ", held, held) +
                                    words(held, 3, 6) + "!\n" + "Seven words only: " + words(held, 1, 7) + ".\n" +
                                    "A training verse: " + words(0, 0, 10) + ".\n" +
                                    "Wording both share: " + words(0, 2, 8) + ".\n");
  write_text(dir / "extra.refs", key + "\n" + key + "\n" + key + "\n" + key + "\n" + key + "\n");
  const auto report = add_extra_corpora(dir / "extra.txt", corpus, splits);
  REQUIRE(corpus.verses.size() == 43);
  CHECK_THAT(corpus.verses[40], Contains("Seven words only"));
  CHECK_THAT(corpus.verses[41], Contains("A training verse"));
  CHECK_THAT(corpus.verses[42], Contains("Wording both share"));
  CHECK_THAT(report.at(0), Contains("3 of 5 lines") && Contains("2 quoting one (8 words in a row)"));
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
  // Genesis 1 is verses 0-2 of the fixture, Revelation of John 1:1 verse 45.
  VerseSplitOptions o;
  std::set<int64_t> training;
  for (int64_t i : split_verses(48, o).at("train")) training.insert(i);
  const int64_t expected = (training.count(0) && training.count(1) && training.count(2)) + training.count(45);
  const auto added = extended.source->num_examples("train") - plain.source->num_examples("train");
  CHECK(added == expected);
  bool reported = false;
  for (const auto& line : extended.report) reported |= line.find(std::to_string(added) + " of 2 lines") != std::string::npos;
  CHECK(reported);
}

TEST_CASE("the installed WEB and commentaries prepare into keyed lines, and MHCC is refused with the reason") {
  CHECK_THROWS_WITH(prepare_corpus("mhcc", "/nonexistent"), Contains("Error reading ulCompOffset"));
  if (!has_module("engWEB2015eb") || !has_module("Scofield") || !has_module("TDavid")) return;
  // Every key names a KJV verse or chapter (the book names agree), but for the WEB's
  // deuterocanon and the Treasury of David's 12 lines on verses the KJV's psalms lack.
  std::vector<std::string> refs;
  for (const auto& v : read_sword_bible(find_corpus("kjv"))) refs.push_back(v.ref);
  const VerseKeyIndex index(refs);
  TempDir dir;

  CHECK_THAT(prepare_corpus("web", dir.path()), Contains("wrote 37519 verses"));  // with the deuterocanon
  const auto web = split_lines(read_text_file(dir / "web.txt"));
  const auto web_keys = split_lines(read_text_file(dir / "web.refs"));
  REQUIRE(web.size() == web_keys.size());
  CHECK(web.front() == "In the beginning, God created the heavens and the earth.");
  size_t joined = 0, embedded = 0, canonical = 0;
  const std::regex reference(R"([A-Z][a-z]+ \d+:\d+:)");
  for (size_t i = 0; i < web.size(); ++i) {
    joined += web[i].find("Godcreated") != std::string::npos;
    embedded += std::regex_search(web[i], reference);  // a verse glued into another
    canonical += index.resolve_all(web_keys[i]).has_value();
  }
  CHECK(joined == 0);
  CHECK(embedded == 0);
  CHECK(canonical == refs.size());
  CHECK(std::count(web_keys.begin(), web_keys.end(), "Romans 14:23; Romans 16:25-27") == 1);  // NRSVA numbering
  CHECK(web.back() == "The grace of the Lord Jesus Christ be with all the saints. Amen.");  // no glossary

  CHECK_THAT(prepare_corpus("scofield", dir.path()), Contains("wrote 3143 passages as 5696 lines"));
  CHECK_THAT(prepare_corpus("tdavid", dir.path()), Contains("wrote 13805 passages as 63737 lines"));
  // Scofield's keys all resolve; the Treasury of David's that do not name verses past the end
  // of their psalm (its own numbering, or a verse mentioned in passing), never another book.
  for (const std::string name : {"scofield", "tdavid"}) {
    size_t lines = 0, missing = 0;
    for (const auto& key : split_lines(read_text_file(dir / (name + ".refs")))) {
      ++lines;
      if (index.resolve_all(key)) continue;
      ++missing;
      CHECK(name == "tdavid");
      CHECK(index.resolve_all(key.substr(0, key.find(':'))));  // its psalm exists
    }
    CHECK(lines > 5000);
    CHECK(missing < lines / 100);
  }
}
