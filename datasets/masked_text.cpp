#include "datasets/masked_text.h"

#include "core/util/portable_random.h"

namespace attnlab {

torch::Tensor mask_tokens(torch::Tensor& input, const MaskingOptions& o, const SpecialTokens& sp, int64_t vocab_size,
                          std::mt19937_64& rng) {
  auto is_special = [&](int64_t id) { return id == sp.pad || id == sp.unk || id == sp.cls || id == sp.sep || id == sp.mask; };
  std::vector<int64_t> ordinary;  // the ids a random replacement is drawn from
  for (int64_t id = 0; id < vocab_size; ++id)
    if (!is_special(id)) ordinary.push_back(id);

  auto target = torch::full_like(input, -1);
  auto in = input.accessor<int64_t, 2>();
  auto tg = target.accessor<int64_t, 2>();
  auto corrupt = [&](int64_t b, int64_t t) {
    tg[b][t] = in[b][t];
    const double r = uniform01(rng);
    if (r < o.mask_token_prob) in[b][t] = sp.mask;
    else if (r < o.mask_token_prob + o.random_token_prob) in[b][t] = ordinary[rng() % ordinary.size()];
  };
  std::vector<std::pair<int64_t, int64_t>> eligible;
  bool any = false;
  for (int64_t b = 0; b < input.size(0); ++b)
    for (int64_t t = 0; t < input.size(1); ++t) {
      if (is_special(in[b][t])) continue;
      eligible.emplace_back(b, t);
      if (uniform01(rng) < o.mask_prob) corrupt(b, t), any = true;
    }
  if (!any && !eligible.empty()) {
    const auto [b, t] = eligible[rng() % eligible.size()];
    corrupt(b, t);
  }
  return target;
}

MaskedTextDataset::MaskedTextDataset(const VerseCorpus& corpus, std::map<std::string, std::vector<int64_t>> splits,
                                     const Tokenizer& tokenizer, int64_t max_len, MaskingOptions masking,
                                     uint64_t seed)
    : VerseBatchSource(corpus, std::move(splits), tokenizer, max_len),
      masking_(masking),
      specials_(tokenizer.specials()),
      vocab_size_(tokenizer.vocab_size()),
      seed_(seed) {}

Batch MaskedTextDataset::make(const std::vector<int64_t>& verses, std::mt19937_64* rng) const {
  auto input = padded(verses);
  if (rng) return {{"target", mask_tokens(input, masking_, specials_, vocab_size_, *rng)}, {"input", input}};
  // Evaluation: each verse masked by its own generator, so a verse's masks never depend on
  // which batch it lands in.
  std::vector<torch::Tensor> inputs, targets;
  for (size_t i = 0; i < verses.size(); ++i) {
    auto row = input.narrow(0, static_cast<int64_t>(i), 1).clone();
    std::mt19937_64 fixed(seed_ * 1000003u + static_cast<uint64_t>(verses[i]));
    targets.push_back(mask_tokens(row, masking_, specials_, vocab_size_, fixed));
    inputs.push_back(row);
  }
  return {{"input", torch::cat(inputs)}, {"target", torch::cat(targets)}};
}

}  // namespace attnlab
