#include "trainers/checkpoint.h"

#include <ATen/Context.h>

#include <filesystem>

#include "core/util/checkpoint_file.h"

namespace attnlab {

namespace {

constexpr int64_t kFormatVersion = 2;  // 1 stored best_val_loss instead of best_metric

c10::Dict<std::string, torch::Tensor> model_state(const torch::nn::Module& model) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& p : model.named_parameters()) dict.insert(p.key(), p.value().detach().cpu());
  for (const auto& b : model.named_buffers()) dict.insert(b.key(), b.value().detach().cpu());
  return dict;
}

// LibTorch's own generators drive dropout; resuming must continue their streams.
torch::Tensor rng_state(const torch::Device& device) {
  auto gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_rng_state(const torch::Device& device, const torch::Tensor& state) {
  auto gen = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

// LibTorch 1.13 restores optimizer state but not each group's options (lr, weight decay, ...):
// they are stored here explicitly, one dict per group.
c10::List<c10::Dict<std::string, double>> group_options(const torch::optim::Optimizer& optimizer) {
  c10::List<c10::Dict<std::string, double>> groups;
  for (const auto& g : optimizer.param_groups()) {
    c10::Dict<std::string, double> d;
    d.insert("lr", g.options().get_lr());
    if (const auto* o = dynamic_cast<const torch::optim::AdamWOptions*>(&g.options())) {
      d.insert("beta1", std::get<0>(o->betas()));
      d.insert("beta2", std::get<1>(o->betas()));
      d.insert("eps", o->eps());
      d.insert("weight_decay", o->weight_decay());
      d.insert("amsgrad", o->amsgrad() ? 1.0 : 0.0);
    }
    groups.push_back(d);
  }
  return groups;
}

void set_group_options(torch::optim::Optimizer& optimizer, const c10::List<c10::Dict<std::string, double>>& groups,
                       const std::string& path) {
  if (groups.size() != optimizer.param_groups().size())
    throw CheckpointError("checkpoint " + path + " has " + std::to_string(groups.size()) +
                          " optimizer parameter groups, this optimizer has " +
                          std::to_string(optimizer.param_groups().size()));
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto d = groups.get(i);
    auto& options = optimizer.param_groups()[i].options();
    options.set_lr(d.at("lr"));
    if (auto* o = dynamic_cast<torch::optim::AdamWOptions*>(&options); o && d.contains("beta1")) {
      o->betas({d.at("beta1"), d.at("beta2")});
      o->eps(d.at("eps"));
      o->weight_decay(d.at("weight_decay"));
      o->amsgrad(d.at("amsgrad") != 0.0);
    }
  }
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// The first floating-point tensor (by name) holding a NaN or an infinity, or "".
std::string first_non_finite(const c10::Dict<std::string, torch::Tensor>& tensors) {
  for (const auto& e : tensors)
    if (e.value().is_floating_point() && !torch::isfinite(e.value()).all().item<bool>()) return e.key();
  return "";
}

[[noreturn]] void refuse_non_finite(const std::string& path, const std::string& tensor) {
  throw CheckpointError("checkpoint " + path + " holds non-finite values (NaN or infinity) in tensor '" + tensor +
                        "': the run diverged before it was written; use an earlier checkpoint or retrain");
}

}  // namespace

void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const torch::optim::Optimizer* optimizer, const TrainingState& state) {
  torch::serialize::OutputArchive archive;
  archive.write("format_version", c10::IValue(kFormatVersion));
  archive.write("model", c10::IValue(model_state(model)));
  if (optimizer) {
    torch::serialize::OutputArchive opt_archive;
    optimizer->save(opt_archive);
    archive.write("optimizer", opt_archive);
    archive.write("optimizer_groups", c10::IValue(group_options(*optimizer)));
  }
  archive.write("step", c10::IValue(state.step));
  archive.write("best_metric", c10::IValue(state.best_metric));
  archive.write("evaluated_step", c10::IValue(state.evaluated_step));
  archive.write("sampler_state", c10::IValue(state.sampler_state));
  archive.write("elapsed_seconds", c10::IValue(state.elapsed_seconds));
  archive.write("flops", c10::IValue(state.flops));
  archive.write("horizon", c10::IValue(state.horizon));
  archive.write("config_yaml", c10::IValue(state.config_yaml));
  if (!state.carried_state.empty()) {
    c10::Dict<std::string, torch::Tensor> carried;
    for (const auto& [name, t] : state.carried_state) carried.insert(name, t.detach().cpu());
    archive.write("carried_state", c10::IValue(carried));
  }
  archive.write("rng_cpu", rng_state(torch::kCPU), /*is_buffer=*/true);
  if (torch::cuda::is_available()) archive.write("rng_cuda", rng_state(torch::Device(torch::kCUDA, 0)), true);
  save_archive(archive, path);
}

TrainingState load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                              const torch::Device& device) {
  torch::serialize::InputArchive archive;
  load_archive(archive, path);  // CPU first: every check happens before anything is copied

  auto read = [&](const std::string& key) {
    c10::IValue v;
    if (!archive.try_read(key, v)) throw CheckpointError("checkpoint " + path + " has no '" + key + "' entry");
    return v;
  };
  const int64_t version = read("format_version").toInt();
  if (version != kFormatVersion && version != 1)
    throw CheckpointError("checkpoint " + path + " has an unsupported format version");

  auto saved = c10::impl::toTypedDict<std::string, torch::Tensor>(read("model").toGenericDict());
  auto expected = model_state(model);
  for (const auto& e : expected) {
    auto it = saved.find(e.key());
    if (it == saved.end())
      throw CheckpointError("checkpoint " + path + " lacks model tensor '" + e.key() +
                            "': it was written by a different model configuration");
    if (it->value().sizes() != e.value().sizes())
      throw CheckpointError("checkpoint " + path + ": tensor '" + e.key() + "' has shape " +
                            c10::str(it->value().sizes()) + ", the model expects " + c10::str(e.value().sizes()));
  }
  if (saved.size() != expected.size())
    throw CheckpointError("checkpoint " + path + " has tensors this model does not have (a different configuration?)");
  if (const std::string bad = first_non_finite(saved); !bad.empty()) refuse_non_finite(path, bad);

  TrainingState state;
  state.step = read("step").toInt();
  state.best_metric = read(version == 1 ? "best_val_loss" : "best_metric").toDouble();
  state.evaluated_step = read("evaluated_step").toInt();
  state.sampler_state = read("sampler_state").toStringRef();
  state.config_yaml = read("config_yaml").toStringRef();
  if (c10::IValue v; archive.try_read("elapsed_seconds", v)) state.elapsed_seconds = v.toDouble();  // older: 0
  if (c10::IValue v; archive.try_read("flops", v)) state.flops = v.toDouble();
  if (c10::IValue v; archive.try_read("horizon", v)) state.horizon = v.toInt();
  if (c10::IValue v; archive.try_read("carried_state", v)) {
    const auto carried = c10::impl::toTypedDict<std::string, torch::Tensor>(v.toGenericDict());
    if (const std::string bad = first_non_finite(carried); !bad.empty()) refuse_non_finite(path, "carried_state/" + bad);
    for (const auto& e : carried) state.carried_state[e.key()] = e.value();
  }

  {  // Everything checked: now copy.
    torch::NoGradGuard no_grad;
    for (auto& p : model.named_parameters()) p.value().copy_(saved.at(p.key()));
    for (auto& b : model.named_buffers()) b.value().copy_(saved.at(b.key()));
  }
  if (optimizer) {
    auto groups = c10::impl::toTypedList<c10::Dict<std::string, double>>(read("optimizer_groups").toList());
    torch::serialize::InputArchive opt_archive;
    if (!archive.try_read("optimizer", opt_archive)) throw CheckpointError("checkpoint " + path + " has no optimizer state");
    optimizer->load(opt_archive);
    set_group_options(*optimizer, groups, path);
    // Optimizer state was read on the CPU; move it next to the parameters.
    for (auto& kv : optimizer->state()) {
      auto* adamw = dynamic_cast<torch::optim::AdamWParamState*>(kv.second.get());
      if (!adamw) continue;
      auto& s = *adamw;
      s.exp_avg(s.exp_avg().to(device));
      s.exp_avg_sq(s.exp_avg_sq().to(device));
      if (s.max_exp_avg_sq().defined()) s.max_exp_avg_sq(s.max_exp_avg_sq().to(device));
    }
    torch::Tensor cpu_rng;
    archive.read("rng_cpu", cpu_rng, true);
    set_rng_state(torch::kCPU, cpu_rng);
    torch::Tensor cuda_rng;
    if (device.is_cuda() && archive.try_read("rng_cuda", cuda_rng, true))
      set_rng_state(torch::Device(torch::kCUDA, 0), cuda_rng);
  }
  return state;
}

std::string non_finite_tensor(const torch::nn::Module& model) { return first_non_finite(model_state(model)); }

std::optional<std::pair<std::string, int64_t>> newest_finite_checkpoint(const std::string& run_dir) {
  std::optional<std::pair<std::string, int64_t>> newest;
  for (const char* name : {"last", "best"}) {
    const std::string path = run_dir + "/" + name + ".pt";
    if (!std::filesystem::exists(path)) continue;
    try {
      torch::serialize::InputArchive archive;
      load_archive(archive, path);
      c10::IValue model, step;
      if (!archive.try_read("model", model) || !archive.try_read("step", step)) continue;
      if (!first_non_finite(c10::impl::toTypedDict<std::string, torch::Tensor>(model.toGenericDict())).empty()) continue;
      if (!newest || step.toInt() > newest->second) newest = std::make_pair(path, step.toInt());
    } catch (const std::exception&) {  // unreadable: not a good checkpoint either
    }
  }
  return newest;
}

void load_pretrained_tensors(const std::string& path, torch::nn::Module& model, const std::string& prefix) {
  torch::serialize::InputArchive archive;
  load_archive(archive, path);
  c10::IValue model_v;
  if (!archive.try_read("model", model_v))
    throw CheckpointError(path + " is not an attnlab training checkpoint");
  auto saved = c10::impl::toTypedDict<std::string, torch::Tensor>(model_v.toGenericDict());
  auto expected = model_state(model);
  int64_t copied = 0;
  for (const auto& e : expected) {
    if (!starts_with(e.key(), prefix)) continue;
    auto it = saved.find(e.key());
    if (it == saved.end())
      throw CheckpointError(path + " has no tensor '" + e.key() +
                            "' (pretrained with a different architecture?)");
    if (it->value().sizes() != e.value().sizes())
      throw CheckpointError("tensor '" + e.key() + "' has shape " + c10::str(it->value().sizes()) +
                            " in " + path + " but " + c10::str(e.value().sizes()) +
                            " in this model: use the pretraining run's model sizes");
    ++copied;
  }
  if (copied == 0) throw CheckpointError("this model has no tensors under '" + prefix + "'");
  if (const std::string bad = first_non_finite(saved); !bad.empty()) refuse_non_finite(path, bad);
  torch::NoGradGuard no_grad;
  for (auto& p : model.named_parameters())
    if (starts_with(p.key(), prefix)) p.value().copy_(saved.at(p.key()));
  for (auto& b : model.named_buffers())
    if (starts_with(b.key(), prefix)) b.value().copy_(saved.at(b.key()));
}

}  // namespace attnlab
