// Corpus BLEU (sacreBLEU's default: 13a, 4-grams, brevity penalty, no smoothing) and chrF
// (character 6-grams, beta 2) against hand computations.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/metrics/bleu.h"
#include "core/metrics/chrf.h"

using namespace attnlab;

TEST_CASE("13a tokenisation splits punctuation but keeps numbers whole") {
  using V = std::vector<std::string>;
  CHECK(tokenize_13a("Hello, world.") == V{"Hello", ",", "world", "."});
  CHECK(tokenize_13a("pi is 3.14, or 3,14!") == V{"pi", "is", "3.14", ",", "or", "3,14", "!"});
  CHECK(tokenize_13a("1-2 (a-b) &quot;x&quot;") == V{"1", "-", "2", "(", "a-b", ")", "\"", "x", "\""});
  CHECK(tokenize_13a("¿Qué? dijo: sí.") == V{"¿Qué", "?", "dijo", ":", "sí", "."});
}

TEST_CASE("BLEU: perfect match is 100, no match is 0") {
  BleuStats perfect;
  perfect.add("In the beginning God created the heaven and the earth.",
              "In the beginning God created the heaven and the earth.");
  CHECK(perfect.score() == Approx(100.0));
  BleuStats none;
  none.add("uno dos tres cuatro cinco", "six seven eight nine ten");
  CHECK(none.score() == 0.0);
  BleuStats no_four_grams;  // unigrams and bigrams match but no 4-gram: 0 without smoothing
  no_four_grams.add("a b c x a b", "a b c y");
  CHECK(no_four_grams.precision(3) > 0);
  CHECK(no_four_grams.score() == 0.0);
}

TEST_CASE("BLEU: clipped n-gram precisions by hand") {
  // hyp: the cat sat on the mat / ref: the cat sat on a mat. "the" twice in the hypothesis
  // but once in the reference: clipped to 1. p1 = 5/6, p2 = 3/5, p3 = 2/4, p4 = 1/3.
  BleuStats s;
  s.add("the cat sat on the mat", "the cat sat on a mat");
  CHECK(s.precision(1) == Approx(5.0 / 6));
  CHECK(s.precision(2) == Approx(3.0 / 5));
  CHECK(s.precision(3) == Approx(2.0 / 4));
  CHECK(s.precision(4) == Approx(1.0 / 3));
  CHECK(s.brevity_penalty() == 1.0);
  CHECK(s.score() == Approx(100.0 * std::pow(5.0 / 6 * 3.0 / 5 * 2.0 / 4 * 1.0 / 3, 0.25)));
}

TEST_CASE("BLEU: the brevity penalty punishes a short hypothesis, over the whole corpus") {
  // 5 of the reference's 6 tokens, all n-grams matching: BLEU = exp(1 - 6/5).
  BleuStats s;
  s.add("the cat sat on the", "the cat sat on the mat");
  CHECK(s.brevity_penalty() == Approx(std::exp(1.0 - 6.0 / 5.0)));
  CHECK(s.score() == Approx(100.0 * std::exp(-0.2)));
  // Corpus level: lengths and counts add up before the score (not a mean of sentence BLEUs).
  s.add("a b c d e f g", "a b c d e f g");  // 5 + 7 = 12 hypothesis tokens, 6 + 7 = 13 reference
  CHECK(s.brevity_penalty() == Approx(std::exp(1.0 - 13.0 / 12.0)));
  // Stats survive the trip through MetricSums (how evaluation adds them across batches).
  MetricSums sums;
  s.add_to(sums);
  CHECK(BleuStats::from(sums).score() == Approx(s.score()));
}

TEST_CASE("chrF: character n-grams without whitespace, beta 2, by hand") {
  ChrfStats perfect;
  perfect.add("la luz", "la luz");
  CHECK(perfect.score() == Approx(100.0));
  ChrfStats none;
  none.add("abc", "xyz");
  CHECK(none.score() == 0.0);
  // hyp "ab" vs ref "ac": 1-grams p = r = 1/2; 2-grams p = r = 0; orders 3..6 absent on both
  // sides do not count. Averages p = r = 1/4, so F2 = 1/4.
  ChrfStats half;
  half.add("a b", "ac");  // whitespace is ignored
  CHECK(half.score() == Approx(25.0));
  // Recall weighs more: a hypothesis covering half the reference scores below one that is
  // half wrong but covers it all. "ab" vs "abcd": p1 = 1, r1 = 1/2; p2 = 1, r2 = 1/3.
  ChrfStats short_hyp;
  short_hyp.add("ab", "abcd");
  const double p = 1.0, r = (0.5 + 1.0 / 3) / 2;
  CHECK(short_hyp.score() == Approx(100.0 * 5 * p * r / (4 * p + r)));
  MetricSums sums;
  short_hyp.add_to(sums);
  CHECK(ChrfStats::from(sums).score() == Approx(short_hyp.score()));
}
