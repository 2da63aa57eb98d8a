// Strict checks of numeric command-line flags, on the text as typed (before CLI11 converts it):
// a whole number must parse exactly and fit its range (99999999999999999999 overflows and is
// refused, not saturated); a real number must be finite and in range. The message names the
// range; CLI11 prefixes the flag.
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace attnlab::cli {

inline CLI::Validator whole_number(int64_t lo, int64_t hi = std::numeric_limits<int64_t>::max()) {
  const std::string range =
      hi == std::numeric_limits<int64_t>::max() ? fmt::format(">= {}", lo) : fmt::format("from {} to {}", lo, hi);
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        int64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec == std::errc::result_out_of_range ||
            (ec == std::errc() && end == text.data() + text.size() && (v < lo || v > hi)))
          return fmt::format("must be a whole number {}, got {} (out of range)", range, text);
        if (ec != std::errc() || end != text.data() + text.size())
          return fmt::format("must be a whole number {}, got '{}'", range, text);
        return "";
      },
      "INT " + range);
}

// Finite, in [lo, hi]; `or_zero`: 0 is also accepted (e.g. temperature 0 = greedy).
inline CLI::Validator real_number(double lo, double hi, bool or_zero = false) {
  const std::string range = fmt::format("{}from {:g} to {:g}", or_zero ? "0 or " : "", lo, hi);
  return CLI::Validator(
      [lo, hi, or_zero, range](std::string& text) -> std::string {
        size_t used = 0;
        double v = std::nan("");
        try {
          v = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != text.size() || !std::isfinite(v) || !((or_zero && v == 0) || (v >= lo && v <= hi)))
          return fmt::format("must be a number {}, got '{}'", range, text);
        return "";
      },
      "NUMBER " + range);
}

}  // namespace attnlab::cli
