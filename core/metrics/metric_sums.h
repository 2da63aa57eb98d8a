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
  // A final value computed from other sums (e.g. BLEU from n-gram counts): stored as (value, 1).
  void set(const std::string& name, double value) { sums_[name] = {value, 1.0}; }
  double value(const std::string& name) const;  // throws for an unknown name
  // name -> value, for logging. Names starting with '_' are raw statistics that a task
  // turns into a final metric (e.g. "_bleu_p1"); values() includes them, shown() does not.
  std::map<std::string, double> values() const;
  std::map<std::string, double> shown() const;
  const std::map<std::string, MetricSum>& sums() const { return sums_; }

 private:
  std::map<std::string, MetricSum> sums_;
};

}  // namespace attnlab
