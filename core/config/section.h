// Typed, strict access to one section of a config tree. Every key read is recorded
// (with its default when absent) into the resolved config, and any key in the file that
// no code read is reported as unknown, with the nearest valid key as a suggestion.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "core/config/node.h"

namespace attnlab {

// The values a numeric key accepts: always finite, within [lo, hi] (either end may be open),
// with a note on special values ("0 = no limit") for the error message. Integer keys are
// capped at kMaxCount unless their range says otherwise, so no arithmetic on them overflows.
struct Range {
  static constexpr double kMaxCount = 1e12;

  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;
  std::string note;  // "0 = no limit"

  static Range at_least(double lo, std::string note = {}) { return {lo, kMaxCount, false, false, std::move(note)}; }
  static Range above(double lo, std::string note = {}) { return {lo, kMaxCount, true, false, std::move(note)}; }
  static Range closed(double lo, double hi, std::string note = {}) { return {lo, hi, false, false, std::move(note)}; }
  // [lo, hi): probabilities that must stay below 1 (dropout, beta1, label_smoothing).
  static Range half_open(double lo, double hi, std::string note = {}) { return {lo, hi, false, true, std::move(note)}; }
  // (lo, hi): fractions of a split that must leave something on both sides.
  static Range open(double lo, double hi, std::string note = {}) { return {lo, hi, true, true, std::move(note)}; }
  // (lo, hi]
  static Range open_closed(double lo, double hi, std::string note = {}) { return {lo, hi, true, false, std::move(note)}; }

  bool contains(double v) const;
  bool contains(int64_t v) const;  // compared as integers: 2^62 + 1 is not a double
  std::string describe() const;  // ">= 0", "> 0", "in [0, 1)", each with its note
};

// Seeds are unsigned 64-bit inside; the config takes any whole number up to 2^62.
constexpr double kMaxSeed = 4611686018427387904.0;

// One numeric key a reader declared: what the table-driven config tests mutate.
struct NumericKey {
  std::string path;  // "optimizer.grad_clip"
  bool integer = false;
  Range range;
};

class ConfigSection {
 public:
  // `given` is the user's tree (may be null: section absent); `resolved` receives what was read.
  ConfigSection(NodePtr given, NodePtr resolved, std::string path, SourceLocation loc);

  // Reads `key`, or records and returns `fallback` when it is absent. A number must be
  // finite and in `range` (the key is declared with it, see numeric_keys()).
  int64_t get(const std::string& key, int64_t fallback, const Range& range);
  double get(const std::string& key, double fallback, const Range& range);
  // A number without a Range does not compile (it would otherwise convert to bool).
  template <class T, class = std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>>>
  T get(const std::string& key, T fallback) = delete;
  bool get(const std::string& key, bool fallback);
  std::string get(const std::string& key, const std::string& fallback);
  std::string get(const std::string& key, const char* fallback) { return get(key, std::string(fallback)); }
  // A string restricted to `allowed`; a wrong value suggests the nearest one.
  std::string choice(const std::string& key, const std::string& fallback,
                     const std::vector<std::string>& allowed);

  ConfigSection section(const std::string& key);
  bool has(const std::string& key) const;

  // Throws a ConfigError "file:line: path.key: message" pointing at `key`
  // (or at the section when the key is absent).
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  // "file:line: path.key": for checks that can only run later (against the data), whose
  // message must still name the key.
  std::string where(const std::string& key) const;
  // Declares a numeric key read some other way (e.g. "auto or a count") and checks `value`.
  void check(const std::string& key, double value, const Range& range, bool integer);

  const std::string& path() const { return path_; }

 private:
  const ConfigNode* scalar_node(const std::string& key, const char* expected) const;
  std::string dotted(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  void record(const std::string& key, const std::string& value, bool quoted = false);

  NodePtr given_;
  NodePtr resolved_;
  std::string path_;
  SourceLocation loc_;
  std::shared_ptr<std::vector<NumericKey>> declared_;

  friend class ConfigRoot;
};

// The root of a config: sections are taken from it, and check_unknown_keys() runs once
// every reader has had its look.
class ConfigRoot {
 public:
  explicit ConfigRoot(NodePtr given);
  ConfigSection section(const std::string& key);
  // Throws for the first key of the file that no reader asked for.
  void check_unknown_keys() const;
  const NodePtr& resolved() const { return resolved_; }
  std::string resolved_yaml() const { return to_yaml(resolved_); }
  // Every numeric key the readers declared, with its range.
  const std::vector<NumericKey>& numeric_keys() const { return *declared_; }

 private:
  NodePtr given_;
  NodePtr resolved_;
  std::shared_ptr<std::vector<NumericKey>> declared_ = std::make_shared<std::vector<NumericKey>>();
};

// Reads `options.key` from the config key of the same name, its current value the default:
// one config key per option field, spelled once. A numeric field must name its Range
// (a number without one does not compile): ATTNLAB_READ(s, o, dropout, Range::half_open(0, 1)).
#define ATTNLAB_READ(section, options, key, ...) ((options).key = (section).get(#key, (options).key, ##__VA_ARGS__))

// The candidate closest to `word` by edit distance, or "" if none is close.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace attnlab
