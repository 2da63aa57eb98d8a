#include "models/recurrent_lm_task.h"

#include <fmt/format.h>

#include "models/causal_lm_task.h"

namespace attnlab {

TaskOutput RecurrentLMTask::compute(const Batch& batch) {
  const auto first = batch.find("first");
  if (first == batch.end())
    throw std::invalid_argument("model.memory_length needs batches that continue each other: set data.stream: true");
  const int64_t starting = first->second.sum().item<int64_t>();
  if (starting != 0 && starting != first->second.numel())
    throw std::invalid_argument("a stream batch mixes rows that start their streams with rows that continue them");
  const auto& input = batch.at("input");
  // A new stream, or rows that are not the memory's (an evaluation's batch after training's).
  if (starting > 0 || (!memory_.layers.empty() && memory_.layers.front().size(0) != input.size(0)))
    memory_.layers.clear();
  return causal_lm_output(gpt_->forward_segment(input, memory_, memory_length_), input, batch.at("target"),
                          /*by_position=*/!gpt_->is_training(), target_characters(batch));
}

MetricCurves RecurrentLMTask::curves(const MetricSums& sums) const {
  MetricCurves c = lm_position_curves(sums);
  c.title = fmt::format("next-token loss by position in the segment (with up to {} positions of memory)", memory_length_);
  c.x_label = "position in the segment (1 = the first token)";
  return c;
}

std::map<std::string, torch::Tensor> RecurrentLMTask::carried_state() const {
  std::map<std::string, torch::Tensor> state;
  for (size_t i = 0; i < memory_.layers.size(); ++i) state["memory." + std::to_string(i)] = memory_.layers[i];
  return state;
}

void RecurrentLMTask::set_carried_state(const std::map<std::string, torch::Tensor>& state) {
  const auto layers = static_cast<size_t>(gpt_->options.n_layer);
  std::vector<torch::Tensor> memory;
  for (size_t i = 0; i < layers && !state.empty(); ++i) {
    const auto it = state.find("memory." + std::to_string(i));
    if (it == state.end() || it->second.dim() != 3 || it->second.size(2) != gpt_->options.n_embd ||
        it->second.size(1) > memory_length_ || (i > 0 && it->second.sizes() != memory.front().sizes()))
      throw std::invalid_argument(fmt::format(
          "the carried Transformer-XL memory does not fit this model ({} layers of [B, <= {}, {}]): it was saved by "
          "another configuration",
          layers, memory_length_, gpt_->options.n_embd));
    memory.push_back(it->second.to(gpt_->wte->weight.device()));
  }
  if (!state.empty() && state.size() != layers)
    throw std::invalid_argument(fmt::format("the carried Transformer-XL memory has {} entries, this model {} layers",
                                            state.size(), layers));
  memory_.layers = std::move(memory);
}

}  // namespace attnlab
