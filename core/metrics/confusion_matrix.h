// Whole-split classification metrics (`attnlab eval`): the confusion matrix, and from it
// accuracy, per-class precision/recall/F1 and macro-F1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace attnlab {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(std::vector<std::string> class_names);

  void add(int64_t label, int64_t prediction);  // throws for an id outside [0, classes)
  int64_t at(int64_t label, int64_t prediction) const;
  int64_t total() const;
  int64_t support(int64_t label) const;        // examples whose true class is `label`
  int64_t predicted(int64_t prediction) const;  // examples predicted as `prediction`

  double accuracy() const;
  double precision(int64_t c) const;  // 0 when the class was never predicted
  double recall(int64_t c) const;     // 0 when the class never occurs
  double f1(int64_t c) const;
  // Unweighted mean of per-class F1 over the classes that occur in the labels or predictions.
  double macro_f1() const;
  // Accuracy of always predicting the most frequent true class: the floor to beat.
  double majority_accuracy() const;

  nlohmann::json to_json() const;  // matrix (rows = true class), per-class and summary figures
  std::string to_table() const;    // the matrix as aligned text, rows = true class, with each class's accuracy

 private:
  int64_t n_;
  std::vector<std::string> names_;
  std::vector<int64_t> counts_;  // n_ × n_, row = label
};

}  // namespace attnlab
