#include "core/metrics/confusion_matrix.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace attnlab {

ConfusionMatrix::ConfusionMatrix(std::vector<std::string> class_names)
    : n_(static_cast<int64_t>(class_names.size())), names_(std::move(class_names)), counts_(n_ * n_, 0) {
  if (n_ == 0) throw std::invalid_argument("a confusion matrix needs at least one class");
}

void ConfusionMatrix::add(int64_t label, int64_t prediction) {
  if (label < 0 || label >= n_ || prediction < 0 || prediction >= n_)
    throw std::out_of_range(fmt::format("class id out of range: label {}, prediction {} ({} classes)", label,
                                        prediction, n_));
  ++counts_[label * n_ + prediction];
}

int64_t ConfusionMatrix::at(int64_t label, int64_t prediction) const { return counts_[label * n_ + prediction]; }

int64_t ConfusionMatrix::total() const {
  int64_t t = 0;
  for (auto c : counts_) t += c;
  return t;
}

int64_t ConfusionMatrix::support(int64_t label) const {
  int64_t s = 0;
  for (int64_t p = 0; p < n_; ++p) s += at(label, p);
  return s;
}

int64_t ConfusionMatrix::predicted(int64_t prediction) const {
  int64_t s = 0;
  for (int64_t l = 0; l < n_; ++l) s += at(l, prediction);
  return s;
}

double ConfusionMatrix::accuracy() const {
  int64_t correct = 0;
  for (int64_t c = 0; c < n_; ++c) correct += at(c, c);
  return total() > 0 ? static_cast<double>(correct) / static_cast<double>(total()) : 0.0;
}

double ConfusionMatrix::precision(int64_t c) const {
  const int64_t p = predicted(c);
  return p > 0 ? static_cast<double>(at(c, c)) / static_cast<double>(p) : 0.0;
}

double ConfusionMatrix::recall(int64_t c) const {
  const int64_t s = support(c);
  return s > 0 ? static_cast<double>(at(c, c)) / static_cast<double>(s) : 0.0;
}

double ConfusionMatrix::f1(int64_t c) const {
  const double p = precision(c), r = recall(c);
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

double ConfusionMatrix::macro_f1() const {
  double sum = 0;
  int64_t classes = 0;
  for (int64_t c = 0; c < n_; ++c) {
    if (support(c) == 0 && predicted(c) == 0) continue;  // absent from this split entirely
    sum += f1(c);
    ++classes;
  }
  return classes > 0 ? sum / static_cast<double>(classes) : 0.0;
}

double ConfusionMatrix::majority_accuracy() const {
  int64_t most = 0;
  for (int64_t c = 0; c < n_; ++c) most = std::max(most, support(c));
  return total() > 0 ? static_cast<double>(most) / static_cast<double>(total()) : 0.0;
}

nlohmann::json ConfusionMatrix::to_json() const {
  nlohmann::json rows = nlohmann::json::array(), classes = nlohmann::json::array();
  for (int64_t l = 0; l < n_; ++l) {
    std::vector<int64_t> row(counts_.begin() + l * n_, counts_.begin() + (l + 1) * n_);
    rows.push_back(row);
    // A class's accuracy (the share of its examples classified right) is its recall.
    classes.push_back({{"name", names_[l]}, {"support", support(l)}, {"accuracy", recall(l)},
                       {"precision", precision(l)}, {"recall", recall(l)}, {"f1", f1(l)}});
  }
  return {{"class_names", names_}, {"matrix", rows},          {"classes", classes},
          {"accuracy", accuracy()}, {"macro_f1", macro_f1()}, {"majority_accuracy", majority_accuracy()},
          {"examples", total()}};
}

std::string ConfusionMatrix::to_table() const {
  size_t name_w = 0;
  for (const auto& name : names_) name_w = std::max(name_w, name.size());
  const size_t label_w = std::max<size_t>(name_w + 3, 16);  // "NN name"
  std::string out = fmt::format("{:<{}}", "true \\ predicted", label_w);
  for (int64_t p = 0; p < n_; ++p) out += fmt::format(" {:>6}", p);
  out += "  accuracy\n";
  for (int64_t l = 0; l < n_; ++l) {
    out += fmt::format("{:>2} {:<{}}", l, names_[l], label_w - 3);
    for (int64_t p = 0; p < n_; ++p) out += fmt::format(" {:>6}", at(l, p));
    out += support(l) > 0 ? fmt::format("  {:>7.2f}%\n", 100.0 * recall(l)) : "         -\n";
  }
  return out;
}

}  // namespace attnlab
