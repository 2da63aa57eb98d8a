#include "datasets/registry.h"

#include "core/registry.h"

namespace attnlab {

void register_builtin_data();  // datasets/families.cpp

namespace {
Registry<DataConfigurer>& families() {
  static Registry<DataConfigurer> r("data type", register_builtin_data);
  return r;
}
}  // namespace

void register_data(const std::string& type, DataConfigurer configurer) { families().add(type, std::move(configurer)); }

std::vector<std::string> data_types() { return families().names(); }

DataSpec configure_data(ConfigSection section) {
  std::string type = section.choice("type", "text", data_types());
  DataSpec spec = families().get(type)(section);
  spec.type = type;
  return spec;
}

std::shared_ptr<const Tokenizer> obtain_tokenizer(const DataBuildContext& ctx, const TokenizerOptions& options,
                                                  const std::vector<std::string>& training_texts,
                                                  bool with_specials, bool lossless) {
  std::shared_ptr<const Tokenizer> tok;
  if (ctx.load_tokenizer) {
    tok = load_tokenizer(ctx.run_dir, ctx.tokenizer_fingerprint);
    if (tok->type() != options.tokenizer)
      throw std::runtime_error("the run's tokenizer is '" + tok->type() + "' but data.tokenizer is '" +
                               options.tokenizer + "'");
  } else {
    tok = train_tokenizer(options, {&training_texts, with_specials, ctx.seed, lossless});
  }
  if (with_specials && !tok->specials().complete())
    throw std::runtime_error("this data needs a tokenizer with [PAD] [UNK] [CLS] [SEP] [MASK]");
  return tok;
}

}  // namespace attnlab
