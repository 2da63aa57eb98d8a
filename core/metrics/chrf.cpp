#include "core/metrics/chrf.h"

#include <map>
#include <vector>

namespace attnlab {

namespace {
// The text's characters (UTF-8 sequences) without whitespace.
std::vector<std::string> characters(const std::string& text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    if (i + len > text.size()) len = 1;
    if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')) out.push_back(text.substr(i, len));
    i += len;
  }
  return out;
}

std::map<std::string, int> ngrams(const std::vector<std::string>& chars, size_t n) {
  std::map<std::string, int> counts;
  for (size_t i = 0; i + n <= chars.size(); ++i) {
    std::string g;
    for (size_t k = i; k < i + n; ++k) g += chars[k];
    ++counts[g];
  }
  return counts;
}
}  // namespace

void ChrfStats::add(const std::string& hypothesis, const std::string& reference) {
  const auto h = characters(hypothesis), r = characters(reference);
  for (size_t n = 1; n <= kOrder; ++n) {
    const auto hc = ngrams(h, n), rc = ngrams(r, n);
    for (const auto& [g, c] : hc) {
      hyp[n - 1] += c;
      auto it = rc.find(g);
      if (it != rc.end()) match[n - 1] += std::min(c, it->second);
    }
    for (const auto& [g, c] : rc) ref[n - 1] += c;
  }
}

double ChrfStats::score(double beta) const {
  const double factor = beta * beta;
  double avg_prec = 0, avg_rec = 0;
  int effective = 0;
  for (int i = 0; i < kOrder; ++i) {
    if (hyp[static_cast<size_t>(i)] > 0 && ref[static_cast<size_t>(i)] > 0) {
      avg_prec += match[static_cast<size_t>(i)] / hyp[static_cast<size_t>(i)];
      avg_rec += match[static_cast<size_t>(i)] / ref[static_cast<size_t>(i)];
      ++effective;
    }
  }
  if (effective == 0) return 0.0;
  avg_prec /= effective, avg_rec /= effective;
  if (avg_prec + avg_rec <= 0) return 0.0;
  return 100.0 * (1 + factor) * avg_prec * avg_rec / (factor * avg_prec + avg_rec);
}

void ChrfStats::add_to(MetricSums& sums) const {
  for (int n = 1; n <= kOrder; ++n) {
    const auto i = static_cast<size_t>(n - 1);
    sums.add("_chrf_p" + std::to_string(n), match[i], hyp[i]);
    sums.add("_chrf_r" + std::to_string(n), match[i], ref[i]);
  }
}

ChrfStats ChrfStats::from(const MetricSums& sums) {
  ChrfStats s;
  const auto& all = sums.sums();
  for (int n = 1; n <= kOrder; ++n) {
    const auto i = static_cast<size_t>(n - 1);
    auto p = all.find("_chrf_p" + std::to_string(n)), r = all.find("_chrf_r" + std::to_string(n));
    if (p != all.end()) s.match[i] = p->second.sum, s.hyp[i] = p->second.count;
    if (r != all.end()) s.ref[i] = r->second.count;
  }
  return s;
}

}  // namespace attnlab
