// Corpus chrF as sacreBLEU defines it by default (chrF2): character n-grams of orders 1..6
// with whitespace removed, statistics summed over the corpus, precision and recall averaged
// over the orders both sides have, then the F-score with beta = 2 (recall weighted more).
// LibTorch-free.
#pragma once

#include <array>
#include <string>

#include "core/metrics/metric_sums.h"

namespace attnlab {

struct ChrfStats {
  static constexpr int kOrder = 6;
  std::array<double, kOrder> hyp{}, ref{}, match{};  // n-gram counts, n = 1..6

  void add(const std::string& hypothesis, const std::string& reference);  // UTF-8
  double score(double beta = 2.0) const;                                   // 0..100

  // "_chrf_p1".."_chrf_p6" (matches over hypothesis n-grams) and "_chrf_r1".. (over reference).
  void add_to(MetricSums& sums) const;
  static ChrfStats from(const MetricSums& sums);
};

}  // namespace attnlab
