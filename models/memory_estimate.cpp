#include "models/memory_estimate.h"

namespace attnlab {

MemoryNeed training_memory(const BlockKeys& k, const TransformerSize& s) {
  const double d = static_cast<double>(k.n_embd), r = static_cast<double>(k.mlp_ratio);
  const double heads = static_cast<double>(k.n_head);
  const double kv_share = k.n_kv_head > 0 ? static_cast<double>(k.n_kv_head) / heads : 1.0;
  // SwiGLU's hidden width is 2/3 of mlp_ratio n_embd (core/blocks/feed_forward.h), over three matrices.
  const double mlp = 2.0 * r * d * d;
  const double attention = (2.0 + 2.0 * kv_share) * d * d;
  const double block = attention + mlp + 4.0 * d;  // + the norms
  const double blocks = static_cast<double>(s.encoder_blocks) * block +
                        static_cast<double>(s.decoder_blocks) * (block + attention);  // cross-attention
  const double parameters = blocks + static_cast<double>(s.input_rows) * d +
                            (s.outputs_tied ? 0.0 : static_cast<double>(s.outputs) * d) +
                            static_cast<double>(s.positions) * d + static_cast<double>(s.other_parameters);

  const double tokens = static_cast<double>(s.batch) * static_cast<double>(s.seq_len);
  const double T = static_cast<double>(s.seq_len);
  // Scores a query keeps: every key, or the keys of its window's blocks (core/blocks/window_attention.h:
  // 2W - 1 causal, 3W - 2 bidirectional, bounded here by 3W), and a Transformer-XL memory's.
  const double W = static_cast<double>(k.attention_window);
  const double attended = W > 0 ? 3.0 * W : T + static_cast<double>(s.memory_length);
  const double per_block = (9.0 + 2.0 * r) * d + 2.5 * heads * attended;
  const double activations =
      tokens * (static_cast<double>(s.encoder_blocks) + 1.5 * static_cast<double>(s.decoder_blocks)) * per_block;
  const double logits = 2.0 * (s.output_per_token ? tokens : static_cast<double>(s.batch)) * static_cast<double>(s.outputs);

  MemoryNeed need;
  const std::string outputs = s.output_keys.empty() ? "" : ", " + s.output_keys;
  need.parts.push_back({"weights, their gradients and AdamW's two moments", s.size_keys + outputs, 16.0 * parameters});
  need.parts.push_back({"activations kept for the backward pass of one micro-batch",
                        s.batch_keys + ", model.n_layer, model.n_embd", 4.0 * activations});
  need.parts.push_back({"logits and their gradient", s.batch_keys + outputs, 4.0 * logits});
  return need;
}

}  // namespace attnlab
