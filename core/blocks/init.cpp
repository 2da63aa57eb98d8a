#include "core/blocks/init.h"

#include <cmath>

namespace attnlab {

void init_transformer_weights(torch::nn::Module& module, int64_t n_layer) {
  torch::NoGradGuard no_grad;
  const double resid_std = n_layer > 0 ? 0.02 / std::sqrt(2.0 * static_cast<double>(n_layer)) : 0.02;
  for (auto& p : module.named_parameters()) {
    const std::string& name = p.key();
    auto ends_with = [&](const std::string& suffix) {
      return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    // adaLN-Zero (core/blocks/adaptive_norm.h): the modulation starts at zero, every block the identity.
    if (name.find("adaLN_modulation.") != std::string::npos) p.value().zero_();
    else if (ends_with("c_proj.weight")) p.value().normal_(0.0, resid_std);
    else if (p.value().dim() == 2) p.value().normal_(0.0, 0.02);
    else if (ends_with(".bias")) p.value().zero_();
  }
}

}  // namespace attnlab
