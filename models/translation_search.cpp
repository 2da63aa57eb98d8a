#include "models/translation_search.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/util/threads.h"

namespace attnlab {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// Output limit of each row, counting [SEP]: ratio * real source tokens + extra, within the
// model's positions (the decoder reads [CLS] plus all but the last output token).
std::vector<int64_t> output_limits(const Seq2seqImpl& model, const torch::Tensor& source, const SearchOptions& o) {
  auto lengths = source.ne(model.options.pad_id).sum(1).to(torch::kCPU);
  std::vector<int64_t> limits;
  for (int64_t b = 0; b < lengths.size(0); ++b) {
    const auto n = static_cast<double>(lengths[b].item<int64_t>());
    const auto limit = static_cast<int64_t>(std::floor(o.max_output_ratio * n)) + o.max_output_extra;
    limits.push_back(std::clamp<int64_t>(limit, 1, model.options.max_len));
  }
  return limits;
}

// The decoder's side of a search: the output prefix of every row so far. With the key/value
// cache each step feeds only the newest token; without it (kv_cache: false, for comparison)
// the whole prefix is decoded again.
class Decoding {
 public:
  Decoding(Seq2seqImpl& model, const EncoderMemory& memory, int64_t rows, int64_t bos, bool kv_cache)
      : model_(model), memory_(memory), kv_cache_(kv_cache), cache_(model.new_cache()),
        prefix_(torch::full({rows, 1}, bos, torch::TensorOptions().dtype(torch::kLong).device(memory.states.device()))) {}

  // Log-probabilities [N, V] of the next token, float32; rows whose output reached its limit
  // may only end ([SEP]).
  torch::Tensor next_log_probs(const torch::Tensor& at_limit, int64_t eos) {
    adapt_threads();  // threads: auto follows the machine's load, a token at a time
    auto fresh = kv_cache_ ? prefix_.narrow(1, prefix_.size(1) - 1, 1) : prefix_;
    auto logits = model_.decode(fresh, memory_, kv_cache_ ? &cache_ : nullptr).select(1, -1);
    auto logp = torch::log_softmax(logits.to(torch::kFloat), -1);
    if (at_limit.any().item<bool>()) {
      auto only_eos = torch::full_like(logp, kNegInf);
      only_eos.select(1, eos).zero_();
      logp = torch::where(at_limit.unsqueeze(1), only_eos, logp);
    }
    return logp;
  }

  // Row r continues row rows[r] (beam search; undefined: each row itself) with next[r].
  void extend(const torch::Tensor& next, const torch::Tensor& rows = {}) {
    if (rows.defined()) prefix_ = prefix_.index_select(0, rows), cache_.select_rows(rows);
    prefix_ = torch::cat({prefix_, next.view({-1, 1})}, 1);
  }

 private:
  Seq2seqImpl& model_;
  const EncoderMemory& memory_;
  bool kv_cache_;
  DecoderCache cache_;
  torch::Tensor prefix_;  // [N, t + 1]: [CLS] and the tokens chosen so far
};

}  // namespace

std::vector<std::vector<int64_t>> greedy_search(Seq2seqImpl& model, const torch::Tensor& source,
                                                const SearchOptions& o) {
  torch::NoGradGuard no_grad;
  const int64_t B = source.size(0);
  const auto limits = output_limits(model, source, o);
  const int64_t steps = *std::max_element(limits.begin(), limits.end());
  auto limit_t = torch::tensor(limits, torch::kLong).to(source.device());
  EncoderMemory memory = model.encode(source);
  Decoding decoding(model, memory, B, o.bos_id, o.kv_cache);
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(B));
  std::vector<bool> done(static_cast<size_t>(B), false);
  for (int64_t t = 0; t < steps; ++t) {
    auto next = decoding.next_log_probs(limit_t.le(t + 1), o.eos_id).argmax(-1);  // [B]
    auto cpu = next.to(torch::kCPU);
    bool all_done = true;
    for (int64_t b = 0; b < B; ++b) {
      if (done[static_cast<size_t>(b)]) continue;
      const int64_t token = cpu[b].item<int64_t>();
      if (token == o.eos_id) done[static_cast<size_t>(b)] = true;
      else out[static_cast<size_t>(b)].push_back(token);
      all_done = all_done && done[static_cast<size_t>(b)];
    }
    if (all_done) break;
    decoding.extend(next);
  }
  return out;
}

std::vector<std::vector<int64_t>> beam_search(Seq2seqImpl& model, const torch::Tensor& source,
                                              const SearchOptions& o) {
  torch::NoGradGuard no_grad;
  const int64_t B = source.size(0), K = o.beam;
  const auto limits = output_limits(model, source, o);
  const int64_t steps = *std::max_element(limits.begin(), limits.end());
  const auto device = source.device();
  // Every sentence gets K rows (beams); row b * K + k.
  auto expand = torch::arange(B, torch::TensorOptions().dtype(torch::kLong).device(device)).repeat_interleave(K);
  auto limit_t = torch::tensor(limits, torch::kLong).to(device).index_select(0, expand);
  EncoderMemory memory = model.encode(source);
  memory.select_rows(expand);
  Decoding decoding(model, memory, B * K, o.bos_id, o.kv_cache);
  std::vector<std::vector<int64_t>> tokens(static_cast<size_t>(B * K));  // each row's output so far
  // Beam scores (sum of log-probabilities); at first only beam 0 is live, so the K first
  // choices are K different tokens rather than K copies of one.
  auto scores = torch::full({B, K}, kNegInf, torch::kDouble);
  scores.select(1, 0).zero_();

  struct Finished {
    double score;  // normalised by length
    std::vector<int64_t> tokens;
  };
  std::vector<std::vector<Finished>> finished(static_cast<size_t>(B));
  std::vector<bool> done(static_cast<size_t>(B), false);
  for (int64_t t = 0; t < steps; ++t) {
    auto logp = decoding.next_log_probs(limit_t.le(t + 1), o.eos_id).to(torch::kCPU, torch::kDouble);
    const int64_t V = logp.size(1);
    auto candidates = (scores.view({B * K, 1}) + logp).view({B, K * V});
    auto [top_scores, top_index] = candidates.topk(std::min<int64_t>(2 * K, K * V), 1);
    auto ts = top_scores.accessor<double, 2>();
    auto ti = top_index.accessor<int64_t, 2>();
    std::vector<int64_t> rows, next_tokens;
    auto new_scores = torch::full({B, K}, kNegInf, torch::kDouble);
    for (int64_t b = 0; b < B; ++b) {
      int64_t kept = 0;
      for (int64_t c = 0; c < top_scores.size(1) && kept < K; ++c) {
        const double s = ts[b][c];
        const int64_t beam = ti[b][c] / V, token = ti[b][c] % V, row = b * K + beam;
        if (token == o.eos_id) {
          // Only an end among the K best candidates finishes a hypothesis (as fairseq).
          if (c < K && std::isfinite(s) && !done[static_cast<size_t>(b)]) {
            const auto len = static_cast<double>(tokens[static_cast<size_t>(row)].size() + 1);
            finished[static_cast<size_t>(b)].push_back({s / std::pow(len, o.length_penalty), tokens[static_cast<size_t>(row)]});
          }
          continue;
        }
        rows.push_back(row), next_tokens.push_back(token);
        new_scores[b][kept] = s;
        ++kept;
      }
      for (; kept < K; ++kept) rows.push_back(b * K), next_tokens.push_back(o.eos_id);  // dead rows (score -inf)
      // A sentence is done once K hypotheses have ended and no live beam can still beat the
      // best of them: a live score only falls, and at best ends divided by the longest
      // output's length penalty. (Stopping at K ended ones alone, as fairseq does, can end on
      // K short poor hypotheses while the best is still being written.)
      const auto& ended = finished[static_cast<size_t>(b)];
      if (!done[static_cast<size_t>(b)] && static_cast<int64_t>(ended.size()) >= K) {
        double best = kNegInf, reachable = kNegInf;
        for (const auto& f : ended) best = std::max(best, f.score);
        const double longest = std::pow(static_cast<double>(limits[static_cast<size_t>(b)]), o.length_penalty);
        for (int64_t k = 0; k < K; ++k) reachable = std::max(reachable, new_scores[b][k].item<double>() / longest);
        done[static_cast<size_t>(b)] = best >= reachable;
      }
    }
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
    std::vector<std::vector<int64_t>> next(static_cast<size_t>(B * K));
    for (size_t r = 0; r < rows.size(); ++r) {
      next[r] = tokens[static_cast<size_t>(rows[r])];
      next[r].push_back(next_tokens[r]);
    }
    tokens = std::move(next);
    scores = new_scores;
    decoding.extend(torch::tensor(next_tokens, torch::kLong).to(device), torch::tensor(rows, torch::kLong).to(device));
  }
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    const auto& f = finished[static_cast<size_t>(b)];
    if (f.empty()) continue;  // cannot happen: every row ends by its limit
    out[static_cast<size_t>(b)] =
        std::max_element(f.begin(), f.end(), [](const Finished& x, const Finished& y) { return x.score < y.score; })->tokens;
  }
  return out;
}

std::vector<std::vector<int64_t>> translate_batch(Seq2seqImpl& model, const torch::Tensor& source,
                                                  const SearchOptions& options) {
  return options.beam <= 1 ? greedy_search(model, source, options) : beam_search(model, source, options);
}

}  // namespace attnlab
