#include "core/config/section.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace attnlab {

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// 16777216 reads as such (not 1.67772e+07), 0.5 as "0.5", 1e-08 and 4.61169e+18 as such.
std::string bound(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::abs(v) < 1e19) return fmt::format("{:.0f}", v);
  return fmt::format("{:g}", v);
}

}  // namespace

bool Range::contains(double v) const {  // NaN fails every comparison, infinities the bounds
  if (!std::isfinite(v)) return false;
  if (lo_open ? !(v > lo) : !(v >= lo)) return false;
  return hi_open ? v < hi : v <= hi;
}

bool Range::contains(int64_t v) const {
  // Bounds beyond int64 hold every value; others are compared after rounding inwards.
  const bool above_lo = !std::isfinite(lo) || lo < -9.2e18 ||
                        (lo_open ? v > static_cast<int64_t>(std::floor(lo)) : v >= static_cast<int64_t>(std::ceil(lo)));
  const bool below_hi = !std::isfinite(hi) || hi > 9.2e18 ||
                        (hi_open ? v < static_cast<int64_t>(std::ceil(hi)) : v <= static_cast<int64_t>(std::floor(hi)));
  return above_lo && below_hi;
}

std::string Range::describe() const {
  std::string out;
  const bool bounded_above = std::isfinite(hi) && hi < kMaxCount;
  if (!std::isfinite(lo) && !std::isfinite(hi)) out = "a finite number";
  else if (!std::isfinite(lo)) out = fmt::format("{} {}", hi_open ? "<" : "<=", bound(hi));
  else if (!bounded_above) out = fmt::format("{} {}", lo_open ? ">" : ">=", bound(lo));
  else out = fmt::format("in {}{}, {}{}", lo_open ? "(" : "[", bound(lo), bound(hi), hi_open ? ")" : "]");
  if (std::isfinite(lo) && !bounded_above && std::isfinite(hi)) out += fmt::format(" and at most {}", bound(hi));
  if (!note.empty()) out += " (" + note + ")";
  return out;
}

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  size_t limit = std::max<size_t>(2, word.size() / 3);
  return best_d <= limit ? best : "";
}

ConfigSection::ConfigSection(NodePtr given, NodePtr resolved, std::string path, SourceLocation loc)
    : given_(std::move(given)), resolved_(std::move(resolved)), path_(std::move(path)), loc_(std::move(loc)) {}

bool ConfigSection::has(const std::string& key) const { return given_ && given_->find(key); }

std::string ConfigSection::where(const std::string& key) const {
  const ConfigNode::Entry* e = given_ ? given_->find(key) : nullptr;
  SourceLocation at = e ? (e->value->loc.line ? e->value->loc : e->key_loc) : loc_;
  return fmt::format("{}: {}", at.str(), dotted(key));
}

void ConfigSection::fail(const std::string& key, const std::string& message) const {
  throw ConfigError(fmt::format("{}: {}", where(key), message));
}

void ConfigSection::check(const std::string& key, double value, const Range& range, bool integer) {
  if (declared_) declared_->push_back({dotted(key), integer, range});
  if (!range.contains(value))
    fail(key, fmt::format("must be {}, got {}", range.describe(),
                          integer ? fmt::format("{:.0f}", value) : bound(value)));
}

const ConfigNode* ConfigSection::scalar_node(const std::string& key, const char* expected) const {
  const ConfigNode::Entry* e = given_ ? given_->find(key) : nullptr;
  if (!e) return nullptr;
  if (e->value->kind != ConfigNode::Kind::Scalar)
    fail(key, fmt::format("expected {}, got {}", expected,
                          e->value->is_map()                          ? "a map"
                          : e->value->kind == ConfigNode::Kind::List ? "a list"
                                                                      : "an empty value (null)"));
  return e->value.get();
}

void ConfigSection::record(const std::string& key, const std::string& value, bool quoted) {
  auto n = ConfigNode::make_scalar(value);
  n->quoted = quoted;
  resolved_->set(key, n);
}

int64_t ConfigSection::get(const std::string& key, int64_t fallback, const Range& range) {
  int64_t value = fallback;
  if (const ConfigNode* n = scalar_node(key, "an integer")) {
    const std::string& s = n->scalar;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc::result_out_of_range)
      fail(key, fmt::format("must be {}, got {}", range.describe(), s));
    if (n->quoted || ec != std::errc() || ptr != s.data() + s.size())
      fail(key, fmt::format("expected an integer, got '{}'", s));
  }
  if (declared_) declared_->push_back({dotted(key), true, range});
  if (!range.contains(value)) fail(key, fmt::format("must be {}, got {}", range.describe(), value));
  record(key, std::to_string(value));
  return value;
}

double ConfigSection::get(const std::string& key, double fallback, const Range& range) {
  double value = fallback;
  if (const ConfigNode* n = scalar_node(key, "a number")) {
    const std::string& s = n->scalar;
    char* end = nullptr;
    errno = 0;
    // YAML spells NaN and infinity .nan, .inf, -.inf: read them as such, so that the range
    // check names them.
    const std::string text = s == ".nan" || s == ".NaN" || s == ".NAN" ? "nan"
                             : s == ".inf" || s == "+.inf" || s == ".Inf" || s == ".INF" ? "inf"
                             : s == "-.inf" || s == "-.Inf" || s == "-.INF" ? "-inf"
                                                                              : s;
    value = std::strtod(text.c_str(), &end);
    // strtod also reads hexadecimal ("0x10"), which integer keys refuse: so do number keys.
    if (n->quoted || s.empty() || end != text.c_str() + text.size() || s.find_first_of("xX") != std::string::npos)
      fail(key, fmt::format("expected a number, got '{}'", s));
    if (errno == ERANGE)
      fail(key, fmt::format("must be {}, got {}, which a double cannot hold ({})", range.describe(), s,
                            std::abs(value) > 1 ? "too large" : "rounds to 0"));
  }
  check(key, value, range, false);
  record(key, fmt::format("{}", value));
  return value;
}

bool ConfigSection::get(const std::string& key, bool fallback) {
  bool value = fallback;
  if (const ConfigNode* n = scalar_node(key, "true or false")) {
    std::string s = n->scalar;
    std::transform(s.begin(), s.end(), s.begin(), ::tolower);
    if (!n->quoted && (s == "true" || s == "yes" || s == "on")) value = true;
    else if (!n->quoted && (s == "false" || s == "no" || s == "off")) value = false;
    else fail(key, fmt::format("expected true or false, got '{}'", n->scalar));
  }
  record(key, value ? "true" : "false");
  return value;
}

std::string ConfigSection::get(const std::string& key, const std::string& fallback) {
  std::string value = fallback;
  if (const ConfigNode* n = scalar_node(key, "a string")) value = n->scalar;
  record(key, value, true);
  return value;
}

std::string ConfigSection::choice(const std::string& key, const std::string& fallback,
                                  const std::vector<std::string>& allowed) {
  std::string value = get(key, fallback);
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    std::string near = nearest(value, allowed);
    fail(key, fmt::format("'{}' is not one of: {}{}", value, join(allowed),
                          near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near)));
  }
  return value;
}

ConfigSection ConfigSection::section(const std::string& key) {
  NodePtr sub;
  SourceLocation where = loc_;
  if (const ConfigNode::Entry* e = given_ ? given_->find(key) : nullptr) {
    if (!e->value->is_map() && e->value->kind != ConfigNode::Kind::Null)
      fail(key, "expected a section (a map of keys)");
    if (e->value->is_map()) sub = e->value;
    where = e->key_loc;
  }
  auto* r = resolved_->find(key);
  if (!r) {
    resolved_->set(key, ConfigNode::make_map());
    r = resolved_->find(key);
  }
  ConfigSection child(sub, r->value, dotted(key), where);
  child.declared_ = declared_;
  return child;
}

ConfigRoot::ConfigRoot(NodePtr given) : given_(std::move(given)), resolved_(ConfigNode::make_map()) {}

ConfigSection ConfigRoot::section(const std::string& key) {
  ConfigSection top(given_, resolved_, "", given_->loc);
  top.declared_ = declared_;
  return top.section(key);
}

namespace {

void check_keys(const ConfigNode& given, const ConfigNode& resolved, const std::string& path) {
  for (const auto& e : given.entries) {
    std::string dotted = path.empty() ? e.key : path + "." + e.key;
    const auto* r = resolved.find(e.key);
    if (!r) {
      std::vector<std::string> valid;
      for (const auto& re : resolved.entries) valid.push_back(re.key);
      std::string near = nearest(e.key, valid);
      std::string hint;
      if (!near.empty()) hint = fmt::format("; did you mean '{}'?", path.empty() ? near : path + "." + near);
      else if (!valid.empty()) hint = fmt::format("; valid keys here: {}", join(valid));
      throw ConfigError(fmt::format("{}: unknown key '{}'{}", e.key_loc.str(), dotted, hint));
    }
    if (e.value->is_map() && r->value->is_map()) check_keys(*e.value, *r->value, dotted);
  }
}

}  // namespace

void ConfigRoot::check_unknown_keys() const { check_keys(*given_, *resolved_, ""); }

}  // namespace attnlab
