#include "envs/cartpole.h"

#include <cmath>

#include "core/util/portable_random.h"

namespace attnlab {

CartPole::State CartPole::dynamics(const State& s, int action) {
  const auto [x, x_dot, theta, theta_dot] = s;
  const double total_mass = masspole + masscart, polemass_length = masspole * length;
  const double force = action == 1 ? force_mag : -force_mag;
  const double costheta = std::cos(theta), sintheta = std::sin(theta);
  const double temp = (force + polemass_length * theta_dot * theta_dot * sintheta) / total_mass;
  const double thetaacc =
      (gravity * sintheta - costheta * temp) / (length * (4.0 / 3.0 - masspole * costheta * costheta / total_mass));
  const double xacc = temp - polemass_length * thetaacc * costheta / total_mass;
  // Gymnasium's default "euler" integrator: positions move with the old velocities.
  return {x + tau * x_dot, x_dot + tau * xacc, theta + tau * theta_dot, theta_dot + tau * thetaacc};
}

bool CartPole::out_of_bounds(const State& s) {
  return s[0] < -x_threshold || s[0] > x_threshold || s[2] < -theta_threshold || s[2] > theta_threshold;
}

std::vector<double> CartPole::start(uint64_t seed) {
  uint64_t stream = seed;
  for (double& v : s_) v = -0.05 + 0.1 * static_cast<double>(splitmix64(stream) >> 11) * 0x1.0p-53;
  return {s_.begin(), s_.end()};
}

StepResult CartPole::transition(const std::vector<double>& action) {
  s_ = dynamics(s_, static_cast<int>(action[0]));
  return {{s_.begin(), s_.end()}, 1.0, out_of_bounds(s_), false};
}

BehaviourMix cartpole_behaviour() {
  BehaviourMix mix;
  mix.note = "random 45%, medium (biased pole controller) 47%, expert (whole-state controller) 8% of episodes";
  mix.parts.push_back({"random", 450, [](std::mt19937_64&) { return uniform_random_policy(2); }});
  mix.parts.push_back({"medium", 470, [](std::mt19937_64& rng) -> Policy {
                         const double bias = 0.02 + 0.13 * uniform01(rng), noise = 0.3 * uniform01(rng);
                         return [bias, noise](const std::vector<double>& o, std::mt19937_64& r) {
                           if (uniform01(r) < noise) return std::vector<double>{static_cast<double>(r() % 2)};
                           return std::vector<double>{o[2] + 0.3 * o[3] + bias > 0 ? 1.0 : 0.0};
                         };
                       }});
  mix.parts.push_back({"expert", 80, [](std::mt19937_64&) -> Policy {
                         return [](const std::vector<double>& o, std::mt19937_64&) {
                           return std::vector<double>{0.1 * o[0] + 0.5 * o[1] + 10 * o[2] + 2 * o[3] > 0 ? 1.0 : 0.0};
                         };
                       }});
  return mix;
}

}  // namespace attnlab
