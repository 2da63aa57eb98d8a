// Evaluation by rollout (Chen et al. 2021, section 4): a Decision Transformer acts in its
// environment, conditioned on a target return that is decremented by every reward received;
// its context is the last K steps. Many episodes run as one batch.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "envs/env.h"
#include "models/decision_transformer.h"

namespace attnlab {

struct EpisodeOutcome {
  double target = 0;    // the return asked for
  double achieved = 0;  // the return collected
  int64_t length = 0;   // steps
  bool solved = false;  // achieved >= the environment's reward_threshold
};

// One episode per (targets[i], seeds[i]) in environment `env` (envs/env.h), all stepped together;
// the greedy action (the largest logit, or the continuous prediction) at each step. The model
// runs in the mode and precision the caller set (eval(), no gradients).
std::vector<EpisodeOutcome> rollout(DecisionTransformer& model, const std::string& env,
                                    const std::vector<double>& targets, const std::vector<uint64_t>& seeds);

}  // namespace attnlab
