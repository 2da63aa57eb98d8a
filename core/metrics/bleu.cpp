#include "core/metrics/bleu.h"

#include <cmath>
#include <map>
#include <regex>
#include <sstream>

namespace attnlab {

std::vector<std::string> tokenize_13a(const std::string& input) {
  std::string line;
  // Unescape the four entities mteval unescapes; the text is one segment.
  static const std::vector<std::pair<std::string, std::string>> entities = {
      {"&quot;", "\""}, {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}};
  line = input;
  for (const std::string& s : {std::string("<skipped>"), std::string("-\n")}) {
    for (size_t at; (at = line.find(s)) != std::string::npos;) line.erase(at, s.size());
  }
  for (auto& c : line)
    if (c == '\n') c = ' ';
  if (line.find('&') != std::string::npos)
    for (const auto& [from, to] : entities)
      for (size_t at = 0; (at = line.find(from, at)) != std::string::npos; at += to.size()) line.replace(at, from.size(), to);
  // Rule 1: the ASCII punctuation {-~ [-` space-& (-+ :-@ / gets spaces on both sides.
  static const std::string punct = "{|}~[\\]^_` !\"#$%&()*+:;<=>?@/";
  std::string spaced = " ";
  for (char c : line) {
    if (punct.find(c) != std::string::npos) spaced += ' ', spaced += c, spaced += ' ';
    else spaced += c;
  }
  spaced += ' ';
  // Rules 2-4: period and comma split off unless between digits; a dash after a digit.
  // Byte-wise matching is exact here: the classes are ASCII and UTF-8 bytes >= 0x80 are never digits.
  static const std::regex before(R"(([^0-9])([\.,]))"), after(R"(([\.,])([^0-9]))"), dash(R"(([0-9])(-))");
  spaced = std::regex_replace(spaced, before, "$1 $2 ");
  spaced = std::regex_replace(spaced, after, " $1 $2");
  spaced = std::regex_replace(spaced, dash, "$1 $2 ");
  std::istringstream words(spaced);
  std::vector<std::string> tokens;
  for (std::string w; words >> w;) tokens.push_back(w);
  return tokens;
}

namespace {
std::map<std::vector<std::string>, int> ngram_counts(const std::vector<std::string>& tokens, size_t n) {
  std::map<std::vector<std::string>, int> counts;
  for (size_t i = 0; i + n <= tokens.size(); ++i) ++counts[std::vector<std::string>(tokens.begin() + i, tokens.begin() + i + n)];
  return counts;
}
}  // namespace

void BleuStats::add(const std::string& hypothesis, const std::string& reference) {
  const auto hyp = tokenize_13a(hypothesis), ref = tokenize_13a(reference);
  hyp_len += static_cast<double>(hyp.size()), ref_len += static_cast<double>(ref.size());
  for (size_t n = 1; n <= 4; ++n) {
    const auto h = ngram_counts(hyp, n), r = ngram_counts(ref, n);
    for (const auto& [gram, count] : h) {
      auto it = r.find(gram);
      if (it != r.end()) matches[n - 1] += std::min(count, it->second);  // clipped by the reference
    }
    totals[n - 1] += hyp.size() >= n ? static_cast<double>(hyp.size() - n + 1) : 0.0;
  }
}

double BleuStats::brevity_penalty() const {
  if (hyp_len >= ref_len) return 1.0;
  return hyp_len > 0 ? std::exp(1.0 - ref_len / hyp_len) : 0.0;
}

double BleuStats::precision(int n) const {
  const double t = totals.at(static_cast<size_t>(n - 1));
  return t > 0 ? matches.at(static_cast<size_t>(n - 1)) / t : 0.0;
}

double BleuStats::score() const {
  double log_sum = 0;
  for (int n = 1; n <= 4; ++n) {
    const double p = precision(n);
    if (p <= 0) return 0.0;  // no smoothing: a missing n-gram order zeroes the geometric mean
    log_sum += std::log(p);
  }
  return 100.0 * brevity_penalty() * std::exp(log_sum / 4.0);
}

void BleuStats::add_to(MetricSums& sums) const {
  for (int n = 1; n <= 4; ++n)
    sums.add("_bleu_p" + std::to_string(n), matches[static_cast<size_t>(n - 1)], totals[static_cast<size_t>(n - 1)]);
  sums.add("_bleu_len", hyp_len, ref_len);
}

BleuStats BleuStats::from(const MetricSums& sums) {
  BleuStats s;
  const auto& all = sums.sums();
  for (int n = 1; n <= 4; ++n) {
    auto it = all.find("_bleu_p" + std::to_string(n));
    if (it != all.end()) s.matches[static_cast<size_t>(n - 1)] = it->second.sum, s.totals[static_cast<size_t>(n - 1)] = it->second.count;
  }
  auto it = all.find("_bleu_len");
  if (it != all.end()) s.hyp_len = it->second.sum, s.ref_len = it->second.count;
  return s;
}

}  // namespace attnlab
