#include "trainers/evaluation.h"

#include <set>
#include <sstream>

#include "core/util/precision.h"
#include "core/util/stop_signals.h"
#include "core/util/threads.h"

namespace attnlab {

namespace {
void accumulate(MetricSums& sums, const TaskOutput& out, ConfusionMatrix* confusion, std::vector<GeneratedText>* generated) {
  const double n = out.loss_count > 0 ? static_cast<double>(out.loss_count) : 1.0;
  sums.add("loss", out.loss.item<double>() * n, n);
  sums.add(out.metrics);
  if (confusion && out.predictions.defined()) {
    auto pred = out.predictions.to(torch::kCPU, torch::kLong).contiguous();
    auto label = out.labels.to(torch::kCPU, torch::kLong).contiguous();
    for (int64_t i = 0; i < pred.numel(); ++i) confusion->add(label.data_ptr<int64_t>()[i], pred.data_ptr<int64_t>()[i]);
  }
  if (generated) generated->insert(generated->end(), out.generated.begin(), out.generated.end());
}

// Adds every rank's sums, name by name: the union of the names, since a rank may have had no batch.
void add_over_ranks(MetricSums& sums, ProcessGroup& group) {
  std::string mine;
  for (const auto& [name, sum] : sums.sums()) mine += name + "\n";
  std::set<std::string> names;
  for (const auto& list : group.all_gather(mine)) {
    std::istringstream in(list);
    for (std::string name; std::getline(in, name);) names.insert(name);
  }
  std::vector<double> values;
  for (const auto& name : names) {
    const auto it = sums.sums().find(name);
    values.push_back(it == sums.sums().end() ? 0.0 : it->second.sum);
    values.push_back(it == sums.sums().end() ? 0.0 : it->second.count);
  }
  group.all_reduce_sum(values);
  MetricSums total;
  size_t i = 0;
  for (const auto& name : names) total.add(name, values[i], values[i + 1]), i += 2;
  sums = total;
}
}  // namespace

MetricSums evaluate_split(torch::nn::Module& model, Task& task, const BatchSource& data, const std::string& split,
                          int64_t batch_size, int64_t iters, const torch::Device& device, ConfusionMatrix* confusion,
                          std::vector<GeneratedText>* generated, const std::string& precision, ProcessGroup* group) {
  data.check_split(split);
  torch::NoGradGuard no_grad;
  AutocastScope autocast(precision, device);
  CarriedStateScope carried(task);  // an evaluation walks its own streams; training's memory waits
  const bool was_training = model.is_training();
  model.eval();
  const int64_t rank = group ? group->rank() : 0, world = group ? group->size() : 1;
  MetricSums sums;
  // A stop request ends a long evaluation at the next batch (one process: ranks of a
  // distributed run stop together at a step boundary instead, as the all-reduce below waits).
  auto check_stop = [&] {
    if (!group)
      if (const int sig = stop_signal_raised()) throw StopRequested(sig);
  };
  if (iters > 0) {
    for (int64_t i = rank; i < iters; i += world, adapt_threads(), check_stop())
      accumulate(sums, task.compute(to_device(data.eval_batch(split, i, iters, batch_size), device)), confusion, generated);
  } else {
    const int64_t n = data.num_examples(split);
    for (int64_t start = rank * batch_size; start < n; start += world * batch_size, adapt_threads(), check_stop())
      accumulate(sums, task.compute(to_device(data.examples(split, start, batch_size), device)), confusion, generated);
  }
  if (group) add_over_ranks(sums, *group);
  task.run_episodes(sums, split);  // the same on every rank: seeded episodes
  task.summarize(sums);
  if (was_training) model.train();
  return sums;
}

std::vector<std::string> validation_metric_names(const Task& task) {
  std::vector<std::string> names = {"val_loss"};
  for (const auto& m : task.metric_names()) names.push_back("val_" + m);
  return names;
}

bool higher_is_better(const std::string& metric) {
  // Costs: losses, distances and the bits a model spends on each character.
  for (const char* cost : {"loss", "distance", "bits_per_char"})
    if (metric.find(cost) != std::string::npos) return false;
  return true;
}

}  // namespace attnlab
