// Attention rollout (Abnar & Zuidema, "Quantifying Attention Flow in Transformers", 2020):
// how much each position's output draws on each input token through all layers, for
// pictures of where a model looks (ViT attention maps).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace attnlab {

// layers: the attention weights of each layer, first to last, [B, nh, T, T] (rows sum to 1).
// Each layer is averaged over its heads and mixed with the identity for the residual
// connection, Â = (1 - residual) A + residual I, rows renormalised; the rollout is the
// product Â_L ... Â_1: [B, T, T], row t = how much output t draws on each input token.
torch::Tensor attention_rollout(const std::vector<torch::Tensor>& layers, double residual = 0.5);

}  // namespace attnlab
