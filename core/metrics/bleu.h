// Corpus BLEU as sacreBLEU defines it by default: 13a tokenisation of detokenised text,
// n-grams up to 4 with clipped counts summed over the corpus, brevity penalty, one reference,
// and no smoothing (a zero n-gram precision gives 0). LibTorch-free.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/metrics/metric_sums.h"

namespace attnlab {

// mteval-v13a's tokenisation (sacreBLEU's "13a"): punctuation split off, periods and commas
// kept inside numbers.
std::vector<std::string> tokenize_13a(const std::string& line);

struct BleuStats {
  std::array<double, 4> matches{};  // clipped n-gram matches, n = 1..4
  std::array<double, 4> totals{};   // hypothesis n-grams
  double hyp_len = 0, ref_len = 0;  // tokens

  void add(const std::string& hypothesis, const std::string& reference);
  double brevity_penalty() const;
  double precision(int n) const;  // n = 1..4, in [0, 1]
  double score() const;            // 0..100

  // As (sum, count) entries of a MetricSums ("_bleu_p1".."_bleu_p4": matches over totals;
  // "_bleu_len": hypothesis over reference length), so that they add up across batches.
  void add_to(MetricSums& sums) const;
  static BleuStats from(const MetricSums& sums);  // zero stats when absent
};

}  // namespace attnlab
