#include "models/seq2seq.h"

#include <cmath>

#include "core/blocks/init.h"
#include "models/transformer_keys.h"

namespace attnlab {

Seq2seqOptions Seq2seqOptions::read(ConfigSection& s) {
  Seq2seqOptions o;
  read_transformer_keys(s, o);
  ATTNLAB_READ(s, o, max_len, Range::closed(2, 1 << 24, "a token and [SEP]"));
  ATTNLAB_READ(s, o, n_decoder_layer, Range::closed(0, 10000, "0 = n_layer"));
  ATTNLAB_READ(s, o, share_embeddings);
  ATTNLAB_READ(s, o, tie_output);
  return o;
}

Seq2seqImpl::Seq2seqImpl(const Seq2seqOptions& o) : options(o) {
  TORCH_CHECK(o.vocab_size > 0, "seq2seq needs vocab_size > 0");
  const int64_t C = o.n_embd;
  src_embed = register_module("src_embed", torch::nn::Embedding(o.vocab_size, C));
  tgt_embed = o.share_embeddings ? src_embed : register_module("tgt_embed", torch::nn::Embedding(o.vocab_size, C));
  pos = register_module("pos", PositionalEncoding(PositionalEncodingOptions(o.max_len, C).kind(o.pos_encoding)));
  drop = register_module("drop", Dropout(o.dropout));
  encoder = register_module("encoder", torch::nn::ModuleList());
  decoder = register_module("decoder", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.n_layer; ++i) {
    encoder_.emplace_back(block_options(o, /*causal=*/false));
    encoder->push_back(encoder_.back());
  }
  for (int64_t i = 0; i < o.decoder_layers(); ++i) {
    decoder_.emplace_back(block_options(o, /*causal=*/true).cross_attention(true));
    decoder->push_back(decoder_.back());
  }
  if (o.norm_position == "pre") {
    enc_ln = register_module("enc_ln", LayerNorm(norm_options(o)));
    dec_ln = register_module("dec_ln", LayerNorm(norm_options(o)));
  }
  if (!o.tie_output) lm_head = register_module("lm_head", torch::nn::Linear(torch::nn::LinearOptions(C, o.vocab_size).bias(false)));

  init_transformer_weights(*this, /*n_layer=*/0);
  // As in the paper (and fairseq): embeddings N(0, 1/C), multiplied by sqrt(C) on lookup,
  // so tokens and sinusoids have the same scale and tied logits start near unit scale.
  torch::NoGradGuard no_grad;
  src_embed->weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(C)));
  if (!o.share_embeddings) tgt_embed->weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(C)));
  src_embed->weight[o.pad_id].zero_();
  tgt_embed->weight[o.pad_id].zero_();
}

torch::Tensor Seq2seqImpl::embed(torch::nn::Embedding& table, const torch::Tensor& ids, int64_t offset) {
  TORCH_CHECK(ids.dim() == 2, "seq2seq expects token ids of shape [B, T]");
  TORCH_CHECK(offset + ids.size(1) <= options.max_len, "sequence of length ", offset + ids.size(1),
              " exceeds max_len ", options.max_len);
  auto positions = positions_like(ids);
  if (offset > 0) positions = positions + offset;
  return drop(pos->apply(table(ids) * std::sqrt(static_cast<double>(options.n_embd)), positions));
}

EncoderMemory Seq2seqImpl::encode(const torch::Tensor& source) {
  EncoderMemory memory{embed(src_embed, source, 0), source.eq(options.pad_id)};
  for (auto& block : encoder_) memory.states = block(memory.states, torch::Tensor(), memory.mask);
  if (enc_ln) memory.states = enc_ln(memory.states);
  return memory;
}

torch::Tensor Seq2seqImpl::decode(const torch::Tensor& target, const EncoderMemory& memory, DecoderCache* cache) {
  // Target padding only ever follows the real tokens, so the causal mask already keeps real
  // positions from seeing it; padded positions are excluded from the loss.
  auto x = embed(tgt_embed, target, cache ? cache->length : 0);
  for (size_t i = 0; i < decoder_.size(); ++i)
    x = decoder_[i](x, memory.states, torch::Tensor(), memory.mask, cache ? &cache->blocks[i] : nullptr);
  if (cache) cache->length += target.size(1);
  if (dec_ln) x = dec_ln(x);
  return lm_head ? lm_head(x) : torch::linear(x, tgt_embed->weight);
}

torch::Tensor Seq2seqImpl::forward(const torch::Tensor& source, const torch::Tensor& target_in) {
  return decode(target_in, encode(source));
}

Exportable Seq2seqImpl::exportable() {
  const int64_t V = options.vocab_size, pad = options.pad_id;
  // Sources padded at the end of all but the first row; targets start after the specials.
  auto source = [V, pad](int64_t B, int64_t S, uint64_t seed) {
    return example_tokens(B, S, seed, V, std::min<int64_t>(5, V - 1), pad);
  };
  auto target = [V](int64_t B, int64_t T, uint64_t seed) {
    return example_tokens(B, T, seed + 1, V, std::min<int64_t>(5, V - 1));
  };
  ExportMethod enc{"encode", {"source"},
                   "encode(source: int64 [B, S], S <= max_len) -> (memory: float32 [B, S, n_embd], source_mask: bool "
                   "[B, S], true at [PAD])",
                   [this](const Tensors& in) {
                     EncoderMemory m = encode(in[0]);
                     return Tensors{m.states, m.mask};
                   },
                   [source](int64_t B, int64_t S, uint64_t seed) { return Tensors{source(B, S, seed)}; }};
  ExportMethod dec{"decode", {"target", "memory", "source_mask"},
                   "decode(target: int64 [B, T], memory, source_mask) -> logits: float32 [B, T, vocab_size] (target: "
                   "[CLS] then the output so far, T <= max_len)",
                   [this](const Tensors& in) { return Tensors{decode(in[0], EncoderMemory{in[1], in[2]})}; },
                   [this, source, target](int64_t B, int64_t T, uint64_t seed) {
                     torch::NoGradGuard no_grad;
                     EncoderMemory m = encode(source(B, T, seed));
                     return Tensors{target(B, T, seed), m.states, m.mask};
                   }};
  ExportMethod fwd{"forward", {"source", "target_in"},
                   "forward(source: int64 [B, S], target_in: int64 [B, T]) -> logits: float32 [B, T, vocab_size] "
                   "(teacher forcing)",
                   [this](const Tensors& in) { return Tensors{forward(in[0], in[1])}; },
                   [source, target](int64_t B, int64_t T, uint64_t seed) {
                     return Tensors{source(B, T, seed), target(B, T, seed)};
                   }};
  const int64_t L = options.max_len;
  const InputSpec sources{torch::kLong, {{"B"}, {"S", 0, L, "max_len"}}, "token ids, [SEP] last", V, pad};
  enc.inputs = {sources};
  dec.inputs = {{torch::kLong, {{"B"}, {"T", 0, L, "max_len"}}, "token ids, [CLS] first", V},
                {torch::kFloat, {{"B", 0, 0, "", "target.0"}, {"S", 0, L, "max_len"}, {"n_embd", options.n_embd, 0, "n_embd"}},
                 "encode()'s memory"},
                {torch::kBool, {{"B", 0, 0, "", "target.0"}, {"S", 0, 0, "", "memory.1"}},
                 "encode()'s source_mask, true at [PAD]", 0, -1, /*keep_one=*/true}};
  fwd.inputs = {sources, {torch::kLong, {{"B", 0, 0, "", "source.0"}, {"T", 0, L, "max_len"}}, "token ids, [CLS] first", V}};
  return {{enc, dec, fwd}, L};
}

}  // namespace attnlab
