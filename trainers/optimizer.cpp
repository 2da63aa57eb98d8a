#include "trainers/optimizer.h"

#include <cmath>

namespace attnlab {

FlatAdamW::FlatAdamW(std::vector<torch::optim::OptimizerParamGroup> groups, torch::optim::AdamWOptions defaults)
    : torch::optim::AdamW(std::move(groups), defaults) {
  torch::NoGradGuard no_grad;
  for (auto& group : param_groups()) {
    Flat f;
    int64_t total = 0;
    for (const auto& p : group.params()) {
      TORCH_CHECK(p.scalar_type() == group.params().front().scalar_type() && p.device() == group.params().front().device(),
                  "FlatAdamW needs the parameters of a group on one device with one dtype");
      f.spans.emplace_back(total, p.numel());
      total += p.numel();
    }
    const auto options = group.params().empty() ? torch::TensorOptions() : group.params().front().options();
    f.params = torch::empty({total}, options);
    f.grads = torch::zeros({total}, options);
    f.exp_avg = torch::zeros({total}, options);
    f.exp_avg_sq = torch::zeros({total}, options);
    for (size_t i = 0; i < group.params().size(); ++i) {
      auto& p = group.params()[i];
      const auto [offset, n] = f.spans[i];
      auto view = [&](const torch::Tensor& buffer) { return buffer.narrow(0, offset, n).view(p.sizes()); };
      view(f.params).copy_(p);
      p.set_data(view(f.params));       // the model's parameter now lives in the flat buffer
      p.mutable_grad() = view(f.grads);  // backward accumulates into it in place
    }
    flat_.push_back(std::move(f));
  }
  adopt_state();
}

void FlatAdamW::adopt_state() {
  torch::NoGradGuard no_grad;
  for (size_t g = 0; g < flat_.size(); ++g) {
    auto& group = param_groups()[g];
    Flat& f = flat_[g];
    for (size_t i = 0; i < group.params().size(); ++i) {
      const auto& p = group.params()[i];
      const auto [offset, n] = f.spans[i];
      auto m = f.exp_avg.narrow(0, offset, n).view(p.sizes());
      auto v = f.exp_avg_sq.narrow(0, offset, n).view(p.sizes());
      const auto key = c10::guts::to_string(p.unsafeGetTensorImpl());
      auto it = state().find(key);
      auto fresh = std::make_unique<torch::optim::AdamWParamState>();
      if (it != state().end()) {  // from a checkpoint
        auto& loaded = static_cast<torch::optim::AdamWParamState&>(*it->second);
        m.copy_(loaded.exp_avg()), v.copy_(loaded.exp_avg_sq());
        fresh->step(loaded.step());
      } else {
        m.zero_(), v.zero_();
      }
      fresh->exp_avg(m), fresh->exp_avg_sq(v);
      state()[key] = std::move(fresh);
    }
  }
}

void FlatAdamW::load(torch::serialize::InputArchive& archive) {
  torch::optim::AdamW::load(archive);
  adopt_state();
}

void FlatAdamW::zero_grad() {
  for (auto& f : flat_) f.grads.zero_();
}

double FlatAdamW::clip_grad_norm(double max_norm) {
  std::vector<torch::Tensor> norms;
  for (auto& f : flat_) norms.push_back(f.grads.norm());
  const double total = torch::stack(norms).norm().item<double>();
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1)
    for (auto& f : flat_) f.grads.mul_(coef);
  return total;
}

void FlatAdamW::scale_grads(double factor) {
  for (auto& f : flat_) f.grads.mul_(factor);
}

std::vector<torch::Tensor> FlatAdamW::flat_params() const {
  std::vector<torch::Tensor> out;
  for (const auto& f : flat_) out.push_back(f.params);
  return out;
}

std::vector<torch::Tensor> FlatAdamW::flat_grads() const {
  std::vector<torch::Tensor> out;
  for (const auto& f : flat_) out.push_back(f.grads);
  return out;
}

// LibTorch 1.13's AdamW::step, op for op, on each group's flat buffers.
torch::Tensor FlatAdamW::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss = {};
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (size_t g = 0; g < flat_.size(); ++g) {
    auto& group = param_groups()[g];
    if (group.params().empty()) continue;
    auto& o = static_cast<torch::optim::AdamWOptions&>(group.options());
    TORCH_CHECK(!o.amsgrad(), "FlatAdamW does not implement amsgrad");
    Flat& f = flat_[g];
    // Every parameter of a group has taken the same number of steps.
    int64_t step = 0;
    for (const auto& p : group.params()) {
      auto& s = static_cast<torch::optim::AdamWParamState&>(*state().at(c10::guts::to_string(p.unsafeGetTensorImpl())));
      s.step(s.step() + 1);
      step = s.step();
    }
    if (o.weight_decay() != 0) f.params.mul_(1 - o.lr() * o.weight_decay());
    const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
    const double bias_correction1 = 1 - std::pow(beta1, step);
    const double bias_correction2 = 1 - std::pow(beta2, step);
    f.exp_avg.mul_(beta1).add_(f.grads, 1 - beta1);
    f.exp_avg_sq.mul_(beta2).addcmul_(f.grads, f.grads, 1 - beta2);
    auto denom = (f.exp_avg_sq.sqrt() / std::sqrt(bias_correction2)).add_(o.eps());
    f.params.addcdiv_(f.exp_avg, denom, -o.lr() / bias_correction1);
  }
  return loss;
}

std::unique_ptr<FlatAdamW> make_adamw(torch::nn::Module& model, const OptimizerOptions& o) {
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : model.parameters()) {
    if (!p.requires_grad()) continue;
    (p.dim() >= 2 ? decay : no_decay).push_back(p);
  }
  auto options = [&](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(o.learning_rate)
                                                            .betas({o.beta1, o.beta2})
                                                            .eps(o.eps)
                                                            .weight_decay(wd));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, options(o.weight_decay));
  groups.emplace_back(no_decay, options(0.0));
  return std::make_unique<FlatAdamW>(std::move(groups), torch::optim::AdamWOptions(o.learning_rate));
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace attnlab
