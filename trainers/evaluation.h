// Evaluation of a task on one split, shared by the trainer's periodic evaluations and
// `attnlab eval`: metrics are summed with their counts over every batch, so the figures are
// exact over the examples seen, whatever the batch sizes.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/metrics/confusion_matrix.h"
#include "core/metrics/metric_sums.h"
#include "core/distributed/process_group.h"
#include "core/task.h"

namespace attnlab {

// `iters` > 0: the dataset's `iters` fixed evaluation batches of `batch_size`;
// `iters` == 0: every example of the split, in order. Returns "loss" (weighted by each
// batch's loss_count) and the task's metrics. A task that reports predictions and labels
// fills `confusion` when given; one that generates text (translations) appends it to
// `generated` when given. The task's run_episodes() adds what it measures by acting
// (rollouts); then its summarize() turns the sums into final metrics (e.g. corpus BLEU). Runs without gradients and in eval mode, at `precision` ("bf16": under
// autocast, as the run trained); restores train mode. With a process `group`, each rank
// evaluates every size()-th batch and the sums are added over the ranks before summarize(),
// so every rank returns the figures one process would (confusion and generated stay local).
MetricSums evaluate_split(torch::nn::Module& model, Task& task, const BatchSource& data, const std::string& split,
                          int64_t batch_size, int64_t iters, const torch::Device& device,
                          ConfusionMatrix* confusion = nullptr, std::vector<GeneratedText>* generated = nullptr,
                          const std::string& precision = "fp32", ProcessGroup* group = nullptr);

// Whether a larger value of `metric` is better: losses, distances and bits per character are
// lower-is-better, accuracies higher.
bool higher_is_better(const std::string& metric);

// What trainer.best_metric and a sweep's metric may name for this task: "val_loss", then
// "val_<name>" for each of its metric_names().
std::vector<std::string> validation_metric_names(const Task& task);

}  // namespace attnlab
