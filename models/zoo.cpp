// The model zoo: one registration per family. Each reads its `model:` keys and pairs the
// module with the task that trains it.
#include "models/causal_lm_task.h"
#include "models/gpt.h"
#include "models/registry.h"

namespace attnlab {

void register_builtin_models() {
  register_model("gpt", [](ConfigSection& s) {
    GPTOptions o = GPTOptions::read(s);
    return ModelSpec{"gpt", o.block_size, [o](const ModelContext& ctx) mutable {
      if (o.vocab_size == 0) o.vocab_size = ctx.vocab_size;
      TORCH_CHECK(o.vocab_size >= ctx.vocab_size, "model.vocab_size (", o.vocab_size,
                  ") is smaller than the tokenizer's vocabulary (", ctx.vocab_size, ")");
      GPT gpt(o);
      auto task = std::make_shared<CausalLMTask>([gpt](const torch::Tensor& idx) mutable { return gpt(idx); });
      return BuiltModel{gpt.ptr(), task};
    }};
  });
}

}  // namespace attnlab
