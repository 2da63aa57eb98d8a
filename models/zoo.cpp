// The model zoo: one registration per family. Each reads its `model:` keys and pairs the
// module with the task that trains it on the data's objective.
#include <fmt/format.h>

#include "models/bert.h"
#include "models/causal_lm_task.h"
#include "models/decision_task.h"
#include "models/diffusion_task.h"
#include "models/dit.h"
#include "models/classification_task.h"
#include "models/gpt.h"
#include "models/recurrent_lm_task.h"
#include "models/icl_regression_task.h"
#include "models/masked_lm_task.h"
#include "models/memory_estimate.h"
#include "models/registry.h"
#include "models/seq2seq.h"
#include "models/translation_task.h"
#include "models/vit.h"

namespace attnlab {

namespace {

[[noreturn]] void unsupported(const std::string& model, const ModelContext& ctx, const std::string& supported) {
  throw std::runtime_error(fmt::format("model.type {} cannot train on data.type {} (a {} objective); it trains on {}",
                                       model, ctx.data_type, ctx.objective, supported));
}

int64_t vocab_for(int64_t configured, const ModelContext& ctx) {
  if (configured == 0) return ctx.vocab_size;
  TORCH_CHECK(configured >= ctx.vocab_size, "model.vocab_size (", configured,
              ") is smaller than the tokenizer's vocabulary (", ctx.vocab_size, ")");
  return configured;
}

ModelSpec gpt_family(ConfigSection& s) {
  GPTOptions o = GPTOptions::read(s);
  ModelSpec spec{"gpt", o.block_size, "", "", [o](const ModelContext& ctx) mutable {
    if (ctx.objective != "causal_lm") unsupported("gpt", ctx, "causal_lm data (data.type: text)");
    o.vocab_size = vocab_for(o.vocab_size, ctx);
    if (o.memory_length > 0 && !ctx.streams)
      throw std::invalid_argument("model.memory_length needs batches that continue each other (Transformer-XL's "
                                  "stream batching): set data.stream: true");
    GPT gpt(o);
    std::shared_ptr<Task> task;
    if (o.memory_length > 0)
      task = std::make_shared<RecurrentLMTask>(gpt, o.memory_length);
    else
      task = std::make_shared<CausalLMTask>([gpt](const torch::Tensor& idx) mutable { return gpt(idx); }, gpt.ptr());
    BuiltModel built{gpt.ptr(), task, {}, [gpt]() mutable { return gpt->exportable(); }};
    // One sample (`attnlab generate`'s defaults) from the first token of the batch's first row.
    built.decode = [gpt](const Batch& batch, int64_t new_tokens, bool kv_cache) mutable {
      gpt->generate(batch.at("input").narrow(0, 0, 1).narrow(1, 0, 1), new_tokens, 0.8, 200, 1337, kv_cache);
      return new_tokens;
    };
    return built;
  }};
  spec.length_key = "block_size";
  spec.memory = [o](const ModelContext& ctx, int64_t batch) {
    const int64_t vocab = o.vocab_size > 0 ? o.vocab_size : ctx.vocab_size;
    return training_memory(o, {o.n_layer, 0, vocab, vocab, o.tie_embeddings, true,
                               o.pos_encoding == "learned" ? o.block_size : 0, o.block_size, batch,
                               "model.n_layer, model.n_embd, model.mlp_ratio", "trainer.batch_size, model.block_size",
                               "model.vocab_size", 0, o.memory_length});
  };
  return spec;
}

ModelSpec bert_family(ConfigSection& s) {
  BertOptions o = BertOptions::read(s);
  ModelSpec spec{"bert", o.max_len, o.init_from, "encoder.", [o](const ModelContext& ctx) mutable {
    o.vocab_size = vocab_for(o.vocab_size, ctx);
    o.pad_id = ctx.pad_id;
    if (ctx.objective == "masked_lm") {
      o.head = "mlm";
      Bert bert(o);
      auto task = std::make_shared<MaskedLMTask>(
          [bert](const torch::Tensor& idx, const torch::Tensor& sel) mutable { return bert->mlm_logits(idx, sel); },
          ctx.pad_id);
      return BuiltModel{bert.ptr(), task, {}, [bert]() mutable { return bert->exportable(); }};
    }
    if (ctx.objective == "classification") {
      o.head = "classifier";
      o.num_classes = ctx.num_classes;
      Bert bert(o);
      auto task = std::make_shared<ClassificationTask>(
          [bert](const torch::Tensor& idx) mutable { return bert->classify(idx); },
          ClassificationTaskOptions{ctx.pad_id});
      return BuiltModel{bert.ptr(), task, {}, [bert]() mutable { return bert->exportable(); }};
    }
    unsupported("bert", ctx, "masked_lm data (data.type: masked_text) or classification data "
                             "(data.type: verse_classification)");
  }};
  spec.memory = [o](const ModelContext& ctx, int64_t batch) {
    const int64_t vocab = o.vocab_size > 0 ? o.vocab_size : ctx.vocab_size;
    const bool mlm = ctx.objective == "masked_lm";
    return training_memory(o, {o.n_layer, 0, vocab, mlm ? vocab : ctx.num_classes, mlm && o.tie_embeddings, mlm,
                               o.pos_encoding == "learned" ? o.max_len : 0, o.max_len, batch,
                               "model.n_layer, model.n_embd, model.mlp_ratio", "trainer.batch_size, model.max_len",
                               "model.vocab_size, data.vocab_size"});
  };
  return spec;
}

// The translator: Seq2seqOptions' keys, plus how it is trained (label_smoothing) and how it
// decodes in evaluation (eval_bleu, beam, length_penalty, max_output_ratio, max_output_extra).
ModelSpec seq2seq_family(ConfigSection& s) {
  Seq2seqOptions o = Seq2seqOptions::read(s);
  TranslationTaskOptions t;
  ATTNLAB_READ(s, t, label_smoothing, Range::half_open(0, 1));
  ATTNLAB_READ(s, t, eval_bleu);
  SearchOptions& d = t.search;
  ATTNLAB_READ(s, d, beam, Range::closed(1, 1000, "1 = greedy"));
  ATTNLAB_READ(s, d, length_penalty, Range::closed(0, 10, "0 = rank by log-probability alone"));
  ATTNLAB_READ(s, d, max_output_ratio, Range::closed(0, 100, "output tokens per source token"));
  ATTNLAB_READ(s, d, max_output_extra, Range::closed(1, 1 << 20));
  ModelSpec spec{"seq2seq", o.max_len, "", "", [o, t](const ModelContext& ctx) mutable {
    if (ctx.objective != "translation") unsupported("seq2seq", ctx, "translation data (data.type: parallel_text)");
    o.vocab_size = vocab_for(o.vocab_size, ctx);
    o.pad_id = ctx.pad_id;
    t.pad_id = ctx.pad_id;
    t.search.bos_id = ctx.bos_id, t.search.eos_id = ctx.eos_id;
    t.detokenize = ctx.detokenize;
    Seq2seq model(o);
    BuiltModel built{model.ptr(), std::make_shared<TranslationTask>(model, t), {},
                     [model]() mutable { return model->exportable(); }};
    // The batch's sources translated with the run's search (model.beam), [SEP]s counted.
    built.decode = [model, search = t.search](const Batch& batch, int64_t, bool kv_cache) mutable {
      SearchOptions o = search;
      o.kv_cache = kv_cache;
      int64_t tokens = 0;
      for (const auto& out : translate_batch(*model, batch.at("source"), o)) tokens += static_cast<int64_t>(out.size()) + 1;
      return tokens;
    };
    return built;
  }};
  spec.memory = [o](const ModelContext& ctx, int64_t batch) {
    const int64_t vocab = o.vocab_size > 0 ? o.vocab_size : ctx.vocab_size;
    // Training batches of data.max_tokens tokens (about max_tokens / max_len rows of max_len)
    // when set; evaluation batches of trainer.batch_size rows either way: the larger counts.
    auto need = [&](int64_t rows, const std::string& keys) {
      return training_memory(o, {o.n_layer, o.decoder_layers(), o.share_embeddings ? vocab : 2 * vocab, vocab,
                                 o.tie_output, true, o.pos_encoding == "learned" ? 2 * o.max_len : 0, o.max_len, rows,
                                 "model.n_layer, model.n_decoder_layer, model.n_embd, model.mlp_ratio", keys,
                                 "model.vocab_size, data.vocab_size"});
    };
    const MemoryNeed rows = need(batch, "trainer.batch_size, model.max_len");
    if (ctx.batch_tokens <= 0) return rows;
    const MemoryNeed tokens = need(std::max<int64_t>(1, (ctx.batch_tokens + o.max_len - 1) / o.max_len), "data.max_tokens");
    return tokens.bytes() >= rows.bytes() ? tokens : rows;
  };
  return spec;
}

// The Vision Transformer: ViTOptions' keys, plus label_smoothing for its training loss.
ModelSpec vit_family(ConfigSection& s) {
  ViTOptions o = ViTOptions::read(s);
  ClassificationTaskOptions t;
  ATTNLAB_READ(s, t, label_smoothing, Range::half_open(0, 1));
  ModelSpec spec{"vit", 0, "", "", [o, t](const ModelContext& ctx) mutable {
    if (ctx.objective != "image_classification")
      unsupported("vit", ctx, "image_classification data (data.type: image_classification)");
    o.channels = ctx.image_channels, o.image_height = ctx.image_height, o.image_width = ctx.image_width;
    o.num_classes = ctx.num_classes;
    ViT vit(o);
    t.tokens_per_example = 1 + o.num_patches();
    BuiltModel built{vit.ptr(),
                     std::make_shared<ClassificationTask>([vit](const torch::Tensor& x) mutable { return vit(x); }, t)};
    built.attention_map = [vit](const torch::Tensor& x) mutable { return vit->attention_map(x); };
    built.exportable = [vit]() mutable { return vit->exportable(); };
    built.score_images = [vit](const torch::Tensor& x) mutable {
      auto features = vit->pooled(x);
      return BuiltModel::ImageScores{features, vit->head(features)};
    };
    return built;
  }};
  spec.memory = [o](const ModelContext& ctx, int64_t batch) mutable {
    // The stem's feature maps are small beside the blocks' activations (the default's 3 layers
    // of 24, 48 and 96 channels keep about 26,000 floats an image, 6 blocks of 17 tokens about
    // 240,000): not counted. Its weights are.
    o.channels = ctx.image_channels, o.image_height = ctx.image_height, o.image_width = ctx.image_width;
    const int64_t p = o.patch_size, tokens = 1 + o.grid_height() * o.grid_width();
    TransformerSize size{o.n_layer, 0, o.map_channels() * p * p, ctx.num_classes, false, false, tokens, tokens, batch,
                         "model.n_layer, model.n_embd, model.mlp_ratio",
                         "trainer.batch_size, model.patch_size, model.stem_layers, model.stem_channels", "data.class_names"};
    if (o.stem_layers > 0) size.other_parameters = o.stem().parameter_count();
    return training_memory(o, size);
  };
  return spec;
}

// In-context regression (models/icl_regressor.h): the GPT stack as a backbone over
// real-valued prompts; its size comes from the data.
ModelSpec icl_regressor_family(ConfigSection& s) {
  IclRegressorOptions o = IclRegressorOptions::read(s);
  ModelSpec spec{"icl_regressor", 0, "", "", [o](const ModelContext& ctx) mutable {
    if (ctx.objective != "icl_regression")
      unsupported("icl_regressor", ctx, "icl_regression data (data.type: icl_linear)");
    o.n_dims = ctx.input_dims, o.n_points = ctx.seq_len / 2;
    IclRegressor model(o);
    return BuiltModel{model.ptr(), std::make_shared<IclRegressionTask>(model), {},
                      [model]() mutable { return model->exportable(); }};
  }};
  spec.memory = [o](const ModelContext& ctx, int64_t batch) {
    return training_memory(o, {o.n_layer, 0, ctx.input_dims, 1, false, true, ctx.seq_len, ctx.seq_len, batch,
                               "model.n_layer, model.n_embd, model.mlp_ratio", "trainer.batch_size, data.n_points",
                               ""});
  };
  return spec;
}

// Offline RL (models/decision_transformer.h): the GPT stack as a backbone over trajectories;
// conditioning none (with data.top_fraction for filtered BC) gives the behaviour-cloning baselines.
ModelSpec decision_transformer_family(ConfigSection& s) {
  DecisionTransformerOptions o = DecisionTransformerOptions::read(s);
  RolloutOptions r;
  ATTNLAB_READ(s, r, eval_episodes, Range::closed(0, 100000, "0 = no rollouts"));
  ATTNLAB_READ(s, r, eval_targets, Range::closed(1, 1000));
  ATTNLAB_READ(s, r, eval_return, Range::closed(-1e12, 1e12, "0 = the dataset's best return"));
  ATTNLAB_READ(s, r, eval_seed, Range::closed(0, 1 << 30));
  ModelSpec spec{"decision_transformer", o.context, "", "", [o, r](const ModelContext& ctx) mutable {
    if (ctx.objective != "offline_rl")
      unsupported("decision_transformer", ctx, "offline_rl data (data.type: trajectories)");
    o.observation_dims = ctx.input_dims, o.num_actions = ctx.num_actions, o.action_dims = ctx.action_dims;
    o.max_timestep = ctx.max_timestep, o.return_scale = ctx.return_scale;
    o.observation_mean = ctx.observation_mean, o.observation_std = ctx.observation_std;
    DecisionTransformer model(o);
    return BuiltModel{model.ptr(),
                      std::make_shared<DecisionTask>(model, r, ctx.env, ctx.best_return, ctx.mean_return), {},
                      [model]() mutable { return model->exportable(); }};
  }};
  spec.memory = [o](const ModelContext& ctx, int64_t batch) {
    const int64_t tokens = o.tokens_per_step() * o.context;
    return training_memory(o, {o.n_layer, 0, ctx.input_dims + std::max(ctx.num_actions, ctx.action_dims) + ctx.max_timestep,
                               std::max(ctx.num_actions, ctx.action_dims), false, true, tokens, tokens, batch,
                               "model.n_layer, model.n_embd, model.mlp_ratio", "trainer.batch_size, model.context", ""});
  };
  return spec;
}

// The Diffusion Transformer (models/dit.h) trained as a class-conditional denoiser
// (models/diffusion_task.h) on image classification data.
ModelSpec dit_family(ConfigSection& s) {
  DiTOptions o = DiTOptions::read(s);
  DiffusionTaskOptions t;
  ATTNLAB_READ(s, t, class_dropout, Range::half_open(0, 1, "labels dropped to 'no class' for classifier-free guidance"));
  ATTNLAB_READ(s, t, eval_samples, Range::closed(0, 1000000, "0 = no sampling at evaluations"));
  ATTNLAB_READ(s, t, eval_steps, Range::closed(1, o.diffusion.timesteps, "DDIM steps, at most diffusion_steps"));
  ATTNLAB_READ(s, t, eval_guidance, Range::closed(0, 100, "1 = no guidance"));
  ATTNLAB_READ(s, t, eval_seed, Range::closed(0, 1 << 30));
  const std::string judge = s.get("judge", std::string());
  if (t.eval_samples > 0 && judge.empty())
    s.fail("eval_samples", "needs model.judge: an image classifier's run to score the samples");
  if (t.eval_samples == 0 && !judge.empty())
    s.fail("judge", "judges samples, but model.eval_samples is 0 (attnlab eval: --samples N)");
  ModelSpec spec{"dit", 0, "", "", [o, t](const ModelContext& ctx) mutable {
    if (ctx.objective != "image_classification")
      unsupported("dit", ctx, "image_classification data (data.type: image_classification)");
    o.channels = ctx.image_channels, o.image_height = ctx.image_height, o.image_width = ctx.image_width;
    o.num_classes = ctx.num_classes;
    t.image_mean = ctx.image_mean, t.image_std = ctx.image_std;
    t.image_shape = {o.channels, o.image_height, o.image_width};
    t.tokens_per_example = o.num_patches();
    DiT dit(o);
    Denoiser denoiser{[dit](const torch::Tensor& x, const torch::Tensor& ts, const torch::Tensor& y) mutable {
                        return dit(x, ts, y);
                      },
                      o.num_classes, dit->null_class(), dit.ptr()};
    auto task = std::make_shared<DiffusionTask>(denoiser, GaussianDiffusion(o.diffusion), t);
    BuiltModel built{dit.ptr(), task, {}, [dit]() mutable { return dit->exportable(); }};
    built.sample_images = [task, dit](const torch::Tensor& labels, const SampleOptions& so) mutable {
      const bool was_training = dit->is_training();
      dit->eval();
      auto pixels = DiffusionTask::to_pixels(task->sample(labels, so));
      if (was_training) dit->train();
      return pixels;
    };
    built.set_judge = [task](std::shared_ptr<ImageJudge> judge) { task->set_judge(std::move(judge)); };
    return built;
  }};
  spec.judge = judge;
  spec.memory = [o](const ModelContext& ctx, int64_t batch) mutable {
    o.channels = ctx.image_channels, o.image_height = ctx.image_height, o.image_width = ctx.image_width;
    const int64_t p = o.patch_size, tokens = o.num_patches();
    TransformerSize size{o.n_layer, 0, o.channels * p * p, o.channels * p * p, false, true,
                         o.pos_encoding == "learned" ? tokens : 0, tokens, batch,
                         "model.n_layer, model.n_embd, model.mlp_ratio", "trainer.batch_size, model.patch_size", ""};
    // The timestep MLP, the class table and each block's adaLN modulation (6 n_embd outputs).
    size.other_parameters = 256 * o.n_embd + o.n_embd * o.n_embd + (ctx.num_classes + 1) * o.n_embd +
                            (o.n_layer * 6 + 2) * (o.n_embd * o.n_embd + o.n_embd);
    return training_memory(o, size);
  };
  return spec;
}

}  // namespace

void register_builtin_models() {
  register_model("dit", dit_family);
  register_model("decision_transformer", decision_transformer_family);
  register_model("icl_regressor", icl_regressor_family);
  register_model("vit", vit_family);
  register_model("seq2seq", seq2seq_family);
  register_model("gpt", gpt_family);
  register_model("bert", bert_family);
}

}  // namespace attnlab
