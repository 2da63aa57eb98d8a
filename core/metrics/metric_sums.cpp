#include "core/metrics/metric_sums.h"

#include <stdexcept>

namespace attnlab {

void MetricSums::add(const std::string& name, double sum, double count) {
  auto& m = sums_[name];
  m.sum += sum;
  m.count += count;
}

void MetricSums::add(const MetricSums& other) {
  for (const auto& [name, m] : other.sums_) add(name, m.sum, m.count);
}

double MetricSums::value(const std::string& name) const {
  auto it = sums_.find(name);
  if (it == sums_.end()) throw std::out_of_range("no metric '" + name + "'");
  return it->second.value();
}

std::map<std::string, double> MetricSums::values() const {
  std::map<std::string, double> out;
  for (const auto& [name, m] : sums_) out[name] = m.value();
  return out;
}

std::map<std::string, double> MetricSums::shown() const {
  std::map<std::string, double> out;
  for (const auto& [name, m] : sums_)
    if (name.empty() || name[0] != '_') out[name] = m.value();
  return out;
}

}  // namespace attnlab
