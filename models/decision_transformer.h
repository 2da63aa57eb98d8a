// The Decision Transformer (Chen et al. 2021, "Decision Transformer: Reinforcement Learning
// via Sequence Modeling"): the GPT family's causal stack, reused as a backbone, over the
// interleaved steps R_1, s_1, a_1, R_2, s_2, a_2, ... of a trajectory, where R_t is the
// return-to-go (the return still to collect). The action a_t is read out at the state token
// s_t, so it depends on the target return, the states and the earlier actions only.
// conditioning "none" drops the return tokens: behaviour cloning on the same backbone.
#pragma once

#include <torch/torch.h>

#include "core/config/section.h"
#include "core/export/exportable.h"
#include "models/block_keys.h"
#include "models/gpt.h"

namespace attnlab {

// One field per `model:` key (the block keys, context, conditioning); the rest comes from the data.
struct DecisionTransformerOptions : BlockKeys {
  DecisionTransformerOptions() { n_layer = 3, n_head = 1, n_embd = 128, dropout = 0.1; }  // the paper's
  int64_t context = 20;                  // K: timesteps the model sees
  std::string conditioning = "return";   // return (Decision Transformer) | none (behaviour cloning)
  // From the data (ModelContext):
  int64_t observation_dims = 0;
  int64_t num_actions = 0;   // > 0: discrete actions (logits out); 0: continuous
  int64_t action_dims = 0;   // continuous actions: numbers per action
  int64_t max_timestep = 0;  // timesteps are in [0, max_timestep)
  std::vector<double> observation_mean, observation_std;
  double return_scale = 1;

  bool discrete() const { return num_actions > 0; }
  int64_t tokens_per_step() const { return conditioning == "return" ? 3 : 2; }
  static DecisionTransformerOptions read(ConfigSection s);
};

class DecisionTransformerImpl : public torch::nn::Module {
 public:
  explicit DecisionTransformerImpl(const DecisionTransformerOptions& options);

  // returns_to_go float [B, T] (unscaled), states float [B, T, observation_dims] (as the
  // environment gives them), actions int64 [B, T] (discrete) or float [B, T, action_dims],
  // timesteps int64 [B, T]; T <= context. Returns the action predicted at each state: logits
  // [B, T, num_actions] (discrete) or actions [B, T, action_dims]. Prediction t reads
  // R_1..R_t, s_1..s_t and a_1..a_(t-1): actions[:, t] may hold anything.
  torch::Tensor forward(const torch::Tensor& returns_to_go, const torch::Tensor& states, const torch::Tensor& actions,
                        const torch::Tensor& timesteps);

  // TorchScript export: forward at any batch size and any T <= context.
  Exportable exportable();

  DecisionTransformerOptions options;
  torch::nn::Linear embed_return{nullptr}, embed_state{nullptr}, embed_continuous_action{nullptr};
  torch::nn::Embedding embed_discrete_action{nullptr}, embed_timestep{nullptr};
  torch::nn::LayerNorm embed_norm{nullptr};
  GPT backbone{nullptr};
  torch::nn::Linear predict_action{nullptr};
  torch::Tensor observation_mean, observation_std;  // buffers: normalisation travels with the weights
};
TORCH_MODULE(DecisionTransformer);

}  // namespace attnlab
