// CartPole (Barto, Sutton & Anderson 1983) with the dynamics and limits of Gymnasium's
// CartPole-v1: a pole hinged on a cart that moves along a track; action 0 pushes the cart
// left and 1 right with 10 N; reward 1 for every step, including the one that ends the
// episode; the episode terminates when |x| > 2.4 m or |theta| > 12 degrees, and is truncated
// after 500 steps. Observation (x [m], x_dot [m/s], theta [rad], theta_dot [rad/s]); every
// component starts uniform in [-0.05, 0.05]: (splitmix64(seed) >> 11) * 2^-53 scaled, in order.
#pragma once

#include <array>
#include <random>

#include "envs/env.h"

namespace attnlab {

class CartPole : public Env {
 public:
  // Gymnasium's constants: gravity [m/s^2], masses [kg], the pole's half-length [m], the
  // force [N] and the Euler step tau [s].
  static constexpr double gravity = 9.8, masscart = 1.0, masspole = 0.1, length = 0.5, force_mag = 10.0,
                          tau = 0.02, x_threshold = 2.4, theta_threshold = 12 * 2 * M_PI / 360;
  static constexpr int64_t time_limit = 500;
  using State = std::array<double, 4>;

  // One Euler step of the equations of motion (Florian 2007's correction of Barto et al.,
  // as Gymnasium integrates them), with push `action` (0 left, 1 right).
  static State dynamics(const State& s, int action);
  static bool out_of_bounds(const State& s);

  int64_t observation_dims() const override { return 4; }
  ActionSpace action_space() const override { return {true, 2, 1}; }
  int64_t max_steps() const override { return time_limit; }
  double reward_threshold() const override { return 475; }  // CartPole-v1's
  const State& state() const { return s_; }

 protected:
  std::vector<double> start(uint64_t seed) override;
  StepResult transition(const std::vector<double>& action) override;

 private:
  State s_{};
};

// The behaviour policies of the offline CartPole dataset (`attnlab data prepare cartpole`):
// random; medium, a controller that watches the pole but pushes with a bias (drawn per episode)
// so the cart drifts off the track after 60-400 steps, with random actions at a rate drawn
// per episode; expert, a controller of the whole state that balances for all 500 steps.
BehaviourMix cartpole_behaviour();

}  // namespace attnlab
