#include "models/decision_transformer.h"

#include "models/transformer_keys.h"

namespace attnlab {

DecisionTransformerOptions DecisionTransformerOptions::read(ConfigSection s) {
  DecisionTransformerOptions o;
  read_block_keys(s, o);
  ATTNLAB_READ(s, o, context, Range::closed(1, 1 << 16, "timesteps"));
  o.conditioning = s.choice("conditioning", o.conditioning, {"return", "none"});
  return o;
}

DecisionTransformerImpl::DecisionTransformerImpl(const DecisionTransformerOptions& o) : options(o) {
  TORCH_CHECK(o.observation_dims > 0 && o.max_timestep > 0 && (o.num_actions > 0 || o.action_dims > 0),
              "DecisionTransformer needs observation_dims, max_timestep and an action space from the data");
  TORCH_CHECK(static_cast<int64_t>(o.observation_mean.size()) == o.observation_dims &&
                  o.observation_std.size() == o.observation_mean.size(),
              "DecisionTransformer: observation statistics of observation_dims numbers expected");
  GPTOptions g;
  static_cast<BlockKeys&>(g) = o;
  g.vocab_size = 0;  // a backbone: the read-ins below replace the token embedding
  g.block_size = o.tokens_per_step() * o.context;
  if (o.conditioning == "return") embed_return = register_module("embed_return", torch::nn::Linear(1, o.n_embd));
  embed_state = register_module("embed_state", torch::nn::Linear(o.observation_dims, o.n_embd));
  if (o.discrete())
    embed_discrete_action = register_module("embed_action", torch::nn::Embedding(o.num_actions, o.n_embd));
  else
    embed_continuous_action = register_module("embed_action", torch::nn::Linear(o.action_dims, o.n_embd));
  embed_timestep = register_module("embed_timestep", torch::nn::Embedding(o.max_timestep, o.n_embd));
  embed_norm = register_module("embed_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.n_embd})));
  backbone = register_module("backbone", GPT(g));
  predict_action =
      register_module("predict_action", torch::nn::Linear(o.n_embd, o.discrete() ? o.num_actions : o.action_dims));
  observation_mean = register_buffer("observation_mean", torch::tensor(o.observation_mean, torch::kDouble).to(torch::kFloat));
  observation_std = register_buffer("observation_std", torch::tensor(o.observation_std, torch::kDouble).to(torch::kFloat));
}

torch::Tensor DecisionTransformerImpl::forward(const torch::Tensor& returns_to_go, const torch::Tensor& states,
                                               const torch::Tensor& actions, const torch::Tensor& timesteps) {
  const auto& o = options;
  TORCH_CHECK(states.dim() == 3 && states.size(-1) == o.observation_dims && returns_to_go.sizes() == states.sizes().slice(0, 2) &&
                  timesteps.sizes() == returns_to_go.sizes(),
              "DecisionTransformer expects returns_to_go [B, T], states [B, T, observation_dims], timesteps [B, T]");
  TORCH_CHECK(o.discrete() ? actions.sizes() == returns_to_go.sizes()
                           : (actions.dim() == 3 && actions.size(-1) == o.action_dims &&
                              actions.sizes().slice(0, 2) == returns_to_go.sizes()),
              "DecisionTransformer expects actions [B, T] (discrete) or [B, T, action_dims]");
  TORCH_CHECK(states.size(1) <= o.context, "DecisionTransformer: ", states.size(1), " steps exceed model.context (",
              o.context, ")");
  // Each step's time, added to each of its tokens (the paper's "positional" embedding; the
  // backbone adds its own token positions too).
  // Timesteps are in [0, max_timestep): the data's longest episode or the environment's time
  // limit covers every step the data or a rollout gives (one past it is an index error, not
  // a silent clamp; the exported file checks it by name).
  const auto time = embed_timestep(timesteps);
  const auto s = embed_state((states - observation_mean) / observation_std) + time;
  const auto a = (o.discrete() ? embed_discrete_action(actions) : embed_continuous_action(actions)) + time;
  std::vector<torch::Tensor> per_step;
  if (o.conditioning == "return") per_step.push_back(embed_return((returns_to_go / o.return_scale).unsqueeze(-1)) + time);
  per_step.push_back(s);
  per_step.push_back(a);
  const int64_t n = o.tokens_per_step(), state_slot = n - 2;
  const auto tokens = torch::stack(per_step, 2).flatten(1, 2);  // [B, n T, n_embd]: R_1, s_1, a_1, R_2, ...
  const auto h = backbone->forward_embeddings(embed_norm(tokens)).unflatten(1, {-1, n});  // [B, T, n, n_embd]
  return predict_action(h.select(2, state_slot));
}

Exportable DecisionTransformerImpl::exportable() {
  const auto o = options;
  ExportMethod fwd{
      "forward",
      {"returns_to_go", "states", "actions", "timesteps"},
      o.discrete() ? "forward(returns_to_go: float32 [B, T], states: float32 [B, T, observation_dims], actions: int64 [B, "
                     "T], timesteps: int64 [B, T], T <= context) -> action logits: float32 [B, T, num_actions], the "
                     "action at step t from R_1..R_t, s_1..s_t, a_1..a_(t-1)"
                   : "forward(returns_to_go: float32 [B, T], states: float32 [B, T, observation_dims], actions: float32 "
                     "[B, T, action_dims], timesteps: int64 [B, T], T <= context) -> actions: float32 [B, T, "
                     "action_dims], the action at step t from R_1..R_t, s_1..s_t, a_1..a_(t-1)",
      [this](const Tensors& in) { return Tensors{forward(in[0], in[1], in[2], in[3])}; },
      [o](int64_t B, int64_t T, uint64_t seed) {
        auto gen = at::detail::createCPUGenerator(seed);
        const auto states = torch::randn({B, T, o.observation_dims}, gen);
        const auto rtg = torch::rand({B, T}, gen) * o.return_scale;
        const auto actions = o.discrete() ? torch::randint(o.num_actions, {B, T}, gen)
                                          : torch::randn({B, T, o.action_dims}, gen);
        const auto start = torch::randint(std::max<int64_t>(1, o.max_timestep - T), {B, 1}, gen);
        return Tensors{rtg, states, actions, start + torch::arange(T).unsqueeze(0)};
      }};
  InputSpec actions = o.discrete() ? InputSpec{torch::kLong, {{"B", 0, 0, "", "returns_to_go.0"}, {"T", 0, 0, "", "returns_to_go.1"}}, "actions",
                                               o.num_actions, -1, false, "num_actions"}
                                   : InputSpec{torch::kFloat,
                                               {{"B", 0, 0, "", "returns_to_go.0"}, {"T", 0, 0, "", "returns_to_go.1"},
                                                {"A", o.action_dims, 0, "action_dims"}},
                                               "actions"};
  fwd.inputs = {{torch::kFloat, {{"B"}, {"T", 0, o.context, "context"}}, "returns-to-go"},
                {torch::kFloat,
                 {{"B", 0, 0, "", "returns_to_go.0"}, {"T", 0, 0, "", "returns_to_go.1"}, {"S", o.observation_dims, 0, "observation_dims"}},
                 "states"},
                actions,
                {torch::kLong, {{"B", 0, 0, "", "returns_to_go.0"}, {"T", 0, 0, "", "returns_to_go.1"}}, "timesteps",
                 o.max_timestep, -1, false, "max_timestep"}};
  return {{fwd}, o.context};
}

}  // namespace attnlab
