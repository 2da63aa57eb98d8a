#include "models/gpt.h"

#include "core/blocks/init.h"
#include "core/util/threads.h"
#include "core/util/precision.h"
#include "models/transformer_keys.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <limits>
#include <optional>

namespace attnlab {

GPTOptions GPTOptions::read(ConfigSection s) {
  GPTOptions o;
  read_transformer_keys(s, o);
  ATTNLAB_READ(s, o, block_size, Range::closed(1, 1 << 24));
  ATTNLAB_READ(s, o, tie_embeddings);
  ATTNLAB_READ(s, o, memory_length, Range::closed(0, 1 << 24, "0 = no memory"));
  if (o.memory_length > 0 && !relative_positions(o.pos_encoding))
    s.fail("memory_length", "needs relative positions: set model.pos_encoding to rope or alibi (or none), not " +
                                o.pos_encoding + " (an absolute table cannot place a segment after its memory)");
  if (o.memory_length > 0 && o.attention_window > 0)
    s.fail("memory_length", "and model.attention_window together are not supported: choose one");
  return o;
}

GPTImpl::GPTImpl(const GPTOptions& o) : options(o) {
  TORCH_CHECK(o.vocab_size >= 0, "GPT needs vocab_size >= 0 (0: a backbone without token embedding)");
  if (o.vocab_size > 0) wte = register_module("wte", torch::nn::Embedding(o.vocab_size, o.n_embd));
  wpe = register_module("wpe", PositionalEncoding(PositionalEncodingOptions(o.block_size, o.n_embd).kind(o.pos_encoding)));
  drop = register_module("drop", Dropout(o.dropout));
  h = register_module("h", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.n_layer; ++i) {
    blocks_.emplace_back(block_options(o, /*causal=*/true));
    h->push_back(blocks_.back());
  }
  ln_f = register_module("ln_f", LayerNorm(norm_options(o)));
  if (!o.tie_embeddings && o.vocab_size > 0)
    lm_head = register_module("lm_head", torch::nn::Linear(torch::nn::LinearOptions(o.n_embd, o.vocab_size).bias(false)));

  // nanoGPT's initialisation: N(0, 0.02) for every matrix, zero biases, and the projections
  // that write into the residual stream scaled by 1/sqrt(2 * n_layer) (GPT-2 paper).
  init_transformer_weights(*this, o.n_layer);
}

torch::Tensor GPTImpl::forward(const torch::Tensor& idx, DecoderCache* cache) { return output_head(features(idx, cache)); }

torch::Tensor GPTImpl::output_head(const torch::Tensor& features) {
  // Weight tying (by default): the output head is the token embedding matrix (nanoGPT,
  // Press & Wolf 2017).
  return lm_head ? lm_head(features) : torch::linear(features, wte->weight);
}

torch::Tensor GPTImpl::features(const torch::Tensor& idx, DecoderCache* cache) {
  TORCH_CHECK(idx.dim() == 2, "GPT expects token ids of shape [B, T]");
  TORCH_CHECK(wte, "this GPT is a backbone (vocab_size 0): call forward_embeddings");
  return forward_embeddings(wte(idx), cache);
}

void GPTImpl::require_relative_positions() const {
  TORCH_CHECK(relative_positions(options.pos_encoding), "Transformer-XL memory needs relative positions: "
              "model.pos_encoding rope or alibi (or none), not ", options.pos_encoding, " (an absolute table cannot "
              "place a segment after its memory)");
}

torch::Tensor GPTImpl::forward_segment(const torch::Tensor& idx, SegmentMemory& memory, int64_t memory_length) {
  require_relative_positions();
  TORCH_CHECK(memory_length >= 1, "memory_length must be >= 1, got ", memory_length);
  TORCH_CHECK(idx.dim() == 2 && wte, "forward_segment expects token ids [B, T] and a token embedding");
  TORCH_CHECK(memory.layers.empty() || (memory.layers.size() == blocks_.size() && memory.layers[0].size(0) == idx.size(0)),
              "this memory belongs to another stream (", memory.layers.size(), " layers)");
  std::vector<torch::Tensor> next;
  const auto x = segment_blocks(drop(wte(idx)), memory, torch::Tensor(), memory_length, next);
  memory.layers = std::move(next);
  return output_head(x);
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> GPTImpl::forward_segment_padded(const torch::Tensor& idx,
                                                                                        const torch::Tensor& memory,
                                                                                        const torch::Tensor& filled) {
  require_relative_positions();
  const int64_t M = options.memory_length;
  TORCH_CHECK(M >= 1, "forward_segment_padded needs a model with memory_length");
  TORCH_CHECK(idx.dim() == 2 && wte, "forward_segment_padded expects token ids [B, T] and a token embedding");
  TORCH_CHECK(memory.dim() == 4 && memory.size(0) == options.n_layer && memory.size(1) == idx.size(0) &&
                  memory.size(2) == M && memory.size(3) == options.n_embd,
              "the memory must be [n_layer, B, memory_length, n_embd] = [", options.n_layer, ", ", idx.size(0), ", ",
              M, ", ", options.n_embd, "], got ", memory.sizes());
  TORCH_CHECK(filled.dim() == 1 && filled.size(0) == idx.size(0), "filled must be [B] = [", idx.size(0), "]");
  // Memory slot j of a row is padding unless it is among the row's last `filled`. Sizes come
  // from the tensors (cumsum of ones) so that a trace stays batch-generic; M is fixed anyway.
  const auto slot = torch::ones_like(memory.select(0, 0).select(2, 0), torch::kLong).cumsum(1) - 1;  // [B, M]
  const auto padding = torch::cat({(slot + filled.unsqueeze(1)) < M, torch::zeros_like(idx, torch::kBool)}, 1);
  std::vector<torch::Tensor> next;
  const auto x = segment_blocks(drop(wte(idx)), SegmentMemory{memory.unbind(0)}, padding, M, next);
  const auto seen = (filled + torch::ones_like(idx).sum(1)).clamp_max(M);
  return {output_head(x), torch::stack(next), seen};
}

torch::Tensor GPTImpl::segment_blocks(torch::Tensor x, const SegmentMemory& memory, const torch::Tensor& padding,
                                      int64_t memory_length, std::vector<torch::Tensor>& next) {
  DecoderCache cache = memory_cache(memory);
  next.clear();
  for (size_t i = 0; i < blocks_.size(); ++i) {
    // What the next segment's layer i sees: the last memory_length of its inputs so far (a
    // negative start counts from the end, so that a trace does not fix the segment's length).
    const auto seen = memory.layers.empty() ? x : torch::cat({memory.layers[i], x}, 1);
    const int64_t kept = std::min<int64_t>(memory_length, seen.size(1));
    next.push_back(seen.narrow(1, -kept, kept).detach());
    x = blocks_[i](x, torch::Tensor(), padding, torch::Tensor(), &cache.blocks[i]);
  }
  return ln_f(x);
}

DecoderCache GPTImpl::memory_cache(const SegmentMemory& memory) {
  DecoderCache cache = new_cache();
  for (size_t i = 0; i < memory.layers.size() && i < blocks_.size(); ++i)
    cache.blocks[i] = blocks_[i]->context_cache(memory.layers[i]);
  return cache;
}

torch::Tensor GPTImpl::segment_features(const torch::Tensor& idx, DecoderCache& cache) {
  auto x = drop(wte(idx));
  for (size_t i = 0; i < blocks_.size(); ++i)
    x = blocks_[i](x, torch::Tensor(), torch::Tensor(), torch::Tensor(), &cache.blocks[i]);
  cache.length += idx.size(1);
  return ln_f(x);
}

torch::Tensor GPTImpl::forward_embeddings(const torch::Tensor& embeddings, DecoderCache* cache) {
  TORCH_CHECK(embeddings.dim() == 3, "GPT expects embeddings of shape [B, T, n_embd]");
  const int64_t kept = cache ? cache->length : 0;
  TORCH_CHECK(unbounded() || kept + embeddings.size(1) <= options.block_size, "sequence of length ",
              kept + embeddings.size(1), " exceeds block_size ", options.block_size);
  auto pos = positions_like(embeddings);
  if (kept > 0) pos = pos + kept;
  auto x = drop(wpe->apply(embeddings, pos));
  for (size_t i = 0; i < blocks_.size(); ++i)
    x = blocks_[i](x, torch::Tensor(), torch::Tensor(), torch::Tensor(), cache ? &cache->blocks[i] : nullptr);
  if (cache) cache->length += embeddings.size(1);
  return ln_f(x);
}

torch::Tensor GPTImpl::generate(torch::Tensor idx, int64_t max_new_tokens, double temperature, int64_t top_k,
                                uint64_t seed, bool kv_cache, torch::Tensor* logits_out,
                                const std::function<void(const torch::Tensor&)>& on_token) {
  torch::Tensor tokens, logits;
  {
    // No autograd bookkeeping at all (batch-1 decoding is bound by the count of operators).
    c10::InferenceMode inference;
    tokens = sample(std::move(idx), max_new_tokens, temperature, top_k, seed, kv_cache, logits_out ? &logits : nullptr,
                    on_token);
  }
  // Ordinary tensors for the caller: an inference tensor cannot be saved for a backward pass.
  if (logits_out) *logits_out = logits.defined() ? logits.clone() : logits;
  return tokens.clone();
}

torch::Tensor GPTImpl::sample(torch::Tensor idx, int64_t max_new_tokens, double temperature, int64_t top_k,
                              uint64_t seed, bool kv_cache, torch::Tensor* logits_out,
                              const std::function<void(const torch::Tensor&)>& on_token) {
  // Float32 whatever the run trained in (its weights are float32): sampling one sequence is
  // bound by per-operator overhead, which bf16 autocast adds to by casting every input
  // (measured 610 against 2620 tokens/s, docs/bench.md).
  AutocastScope fp32("fp32", wte->weight.device());
  std::optional<SingleThreadScope> one_thread;  // one sequence: operators too small to split
  if (idx.size(0) == 1 && !wte->weight.is_cuda()) one_thread.emplace();
  // Sampling happens on the CPU with our own generator: the same seed gives the same text
  // on every device.
  auto gen = at::detail::createCPUGenerator(seed);
  const auto device = wte->weight.device();
  const int64_t window = options.block_size;
  // A sliding-window model with relative positions reads the whole sequence: its rolling
  // cache makes each token cost the same however far past block_size it is.
  const bool rolling = unbounded();
  auto crop = [&](const torch::Tensor& t) {
    return rolling || t.size(1) <= window ? t : t.narrow(1, t.size(1) - window, window);
  };
  idx = idx.to(torch::kCPU);
  DecoderCache cache = new_cache();
  // Transformer-XL: the segment being decoded starts at idx[segment_start]; the ones before it
  // are folded into `memory`, as training's streams were.
  const int64_t memory_length = options.memory_length;
  SegmentMemory memory;
  int64_t segment_start = 0;
  std::vector<torch::Tensor> steps;
  for (int64_t i = 0; i < max_new_tokens; ++i) {
    adapt_threads();  // threads: auto follows the machine's load, a token at a time
    torch::Tensor h;  // the last position's features: only its logits are needed
    if (memory_length > 0) {
      bool fresh = !kv_cache || cache.length == 0;
      for (; idx.size(1) - segment_start > window; segment_start += window, fresh = true)
        forward_segment(idx.narrow(1, segment_start, window).to(device), memory, memory_length);
      if (fresh) cache = memory_cache(memory);
      const auto segment = idx.narrow(1, segment_start, idx.size(1) - segment_start);
      h = segment_features((fresh ? segment : segment.narrow(1, segment.size(1) - 1, 1)).to(device), cache);
    } else if (!kv_cache) {
      h = features(crop(idx).to(device));
    } else {
      if (!rolling && cache.length == window) cache = new_cache();  // the window moves on: recompute it
      // The first call (and a recomputation) reads the whole cropped context, later calls the last token.
      const auto fresh = cache.length == 0 ? crop(idx) : idx.narrow(1, idx.size(1) - 1, 1);
      h = features(fresh.to(device), &cache);
    }
    auto logits = output_head(h.select(1, -1)).to(torch::kCPU, torch::kFloat);  // [B, V]
    if (logits_out) steps.push_back(logits);
    torch::Tensor next;
    if (temperature <= 0.0) {
      next = logits.argmax(-1, /*keepdim=*/true);
    } else {
      logits = logits / temperature;
      if (top_k > 0 && top_k < logits.size(-1)) {  // k >= V keeps every token: no filter to apply
        auto kth = std::get<0>(logits.topk(top_k, -1)).select(-1, -1).unsqueeze(-1);
        logits = logits.masked_fill(logits < kth, -std::numeric_limits<float>::infinity());
      }
      next = torch::multinomial(torch::softmax(logits, -1), 1, /*replacement=*/false, gen);
    }
    idx = torch::cat({idx, next}, 1);
    if (on_token) on_token(next);
  }
  if (logits_out) *logits_out = steps.empty() ? torch::Tensor() : torch::stack(steps, 1);
  return idx;
}

Exportable GPTImpl::exportable() {
  const int64_t V = options.vocab_size;
  const InputSpec tokens{torch::kLong, {{"B"}, {"T", 0, options.block_size, "block_size"}}, "token ids", V};
  if (options.memory_length > 0) return memory_exportable(tokens);
  ExportMethod fwd{"forward", {"idx"}, "forward(idx: int64 [B, T], T <= block_size) -> logits: float32 [B, T, vocab_size]",
                   [this](const Tensors& in) { return Tensors{forward(in[0])}; },
                   [V](int64_t B, int64_t T, uint64_t seed) { return Tensors{example_tokens(B, T, seed, V)}; }};
  // Every position encoding stops at block_size: rope and alibi could run longer, but the
  // native model refuses what it was not trained on, and so does the file.
  fwd.inputs = {tokens};
  return {{fwd}, options.block_size};
}

Exportable GPTImpl::memory_exportable(const InputSpec& tokens) {
  // A trace cannot carry a memory that grows, so the file takes forward_segment_padded's form.
  const int64_t V = options.vocab_size, L = options.n_layer, M = options.memory_length, C = options.n_embd;
  ExportMethod seg{
      "forward_segment",
      {"idx", "memory", "memory_filled"},
      "forward_segment(idx: int64 [B, T], memory: float32 [n_layer, B, memory_length, n_embd], memory_filled: "
      "int64 [B]) -> (logits: float32 [B, T, vocab_size], memory, memory_filled), T <= block_size; a stream "
      "starts with memory zeros and memory_filled 0 (docs/export.md)",
      [this](const Tensors& in) {
        auto [logits, memory, filled] = forward_segment_padded(in[0], in[1], in[2]);
        return Tensors{logits, memory, filled};
      },
      [V, L, M, C](int64_t B, int64_t T, uint64_t seed) {
        auto gen = at::detail::createCPUGenerator(seed);
        auto filled = torch::randint(0, M + 1, {B}, gen, torch::kLong);
        filled[0] = M;  // a full memory, and (with two rows or more) an empty one
        if (B > 1) filled[1] = 0;
        return Tensors{example_tokens(B, T, seed, V), torch::randn({L, B, M, C}, gen), filled};
      }};
  seg.inputs = {tokens,
                {torch::kFloat,
                 {{"n_layer", L, 0, "n_layer"}, {"B", 0, 0, "", "idx.0"}, {"M", M, 0, "memory_length"},
                  {"C", C, 0, "n_embd"}},
                 "each layer's inputs at the memory's positions"},
                {torch::kLong, {{"B", 0, 0, "", "idx.0"}}, "real positions at the end of each row's memory", M + 1,
                 /*pad_id=*/-1, /*keep_one=*/false, "memory_length + 1"}};
  return {{seg}, options.block_size};
}

bool GPTImpl::unbounded() const {
  return options.attention_window > 0 && relative_positions(options.pos_encoding);
}

int64_t GPTImpl::num_params(bool non_embedding) const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  if (non_embedding && options.pos_encoding == "learned") n -= wpe->weight.numel();
  return n;
}

}  // namespace attnlab
