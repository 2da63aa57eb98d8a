// Metrics that aggregate exactly over any batching: each is a (sum, count) pair, and the
// value over a split is the sum of sums over the sum of counts (never a mean of means).
#pragma once

#include <map>
#include <string>

namespace attnlab {

struct MetricSum {
  double sum = 0;    // e.g. correct predictions, or loss × tokens
  double count = 0;  // e.g. predictions made, or tokens
  double value() const { return count > 0 ? sum / count : 0.0; }
};

// Named metrics, added batch by batch.
class MetricSums {
 public:
  void add(const std::string& name, double sum, double count);
  void add(const MetricSums& other);
  double value(const std::string& name) const;  // throws for an unknown name
  // name -> value, for logging.
  std::map<std::string, double> values() const;
  const std::map<std::string, MetricSum>& sums() const { return sums_; }

 private:
  std::map<std::string, MetricSum> sums_;
};

}  // namespace attnlab
