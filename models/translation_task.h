// Translation with teacher forcing: label-smoothed cross-entropy of the decoder's next-token
// logits (the loss trained on), with the plain per-token NLL and token accuracy beside it. In
// eval mode it can also decode each batch (greedy or beam search) and score the detokenised
// outputs against the references with corpus BLEU and chrF.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/task.h"
#include "models/seq2seq.h"
#include "models/translation_search.h"

namespace attnlab {

struct TranslationTaskOptions {
  double label_smoothing = 0.1;
  bool eval_bleu = true;  // decode and score in evaluation (costs a decoding pass)
  SearchOptions search;
  int64_t pad_id = 0;
  std::function<std::string(const std::vector<int64_t>&)> detokenize;
};

class TranslationTask : public Task {
 public:
  TranslationTask(Seq2seq model, TranslationTaskOptions options) : model_(std::move(model)), o_(std::move(options)) {}

  // Batch: "source" [B, S], "target_in" [B, T], "target_out" [B, T] int64 ([PAD] ignored).
  // Metrics: "nll", "accuracy"; in eval mode with eval_bleu also "bleu" and "chrf" (see
  // summarize) and the translations in TaskOutput::generated.
  TaskOutput compute(const Batch& batch) override;
  std::vector<std::string> metric_names() const override;
  void summarize(MetricSums& sums) const override;
  const TranslationTaskOptions& options() const { return o_; }

 private:
  Seq2seq model_;
  TranslationTaskOptions o_;
};

}  // namespace attnlab
