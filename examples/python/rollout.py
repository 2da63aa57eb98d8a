"""Act with an exported Decision Transformer (docs/rl.md), in Python ports of attnlab's environments:
python3 rollout.py runs/cartpole_dt/torchscript.pt [--targets 100,500] [--episodes 10] [--seed 0]

Runs `episodes` episodes at each target return, all stepped together as `attnlab eval` steps them
(episode e of every target starts from reset seed seed * 1000000 + e), conditions on the target,
decrements it by every reward received, and takes the largest logit. Without --targets it uses the
run's own (model.eval_return or the dataset's best return, split into model.eval_targets), so it
prints what `attnlab eval RUN` prints for the same checkpoint.
"""
import argparse
import json
import math

import torch

from attnlab_export import Export

MASK64 = (1 << 64) - 1


def splitmix64(state):
    """attnlab's portable reset stream (core/util/portable_random.h): returns (value, new state)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31), state


class CartPole:
    """envs/cartpole.h: Gymnasium's CartPole-v1 equations, integrated as attnlab integrates them."""

    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    x_threshold, theta_threshold, time_limit = 2.4, 12 * 2 * math.pi / 360, 500
    reward_threshold = 475

    def reset(self, seed):
        stream, self.state, self.steps = seed, [], 0
        for _ in range(4):
            value, stream = splitmix64(stream)
            self.state.append(-0.05 + 0.1 * ((value >> 11) * 2.0**-53))
        return list(self.state)

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        total_mass, polemass_length = self.masspole + self.masscart, self.masspole * self.length
        force = self.force_mag if action == 1 else -self.force_mag
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + polemass_length * theta_dot * theta_dot * sintheta) / total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta * costheta / total_mass))
        xacc = temp - polemass_length * thetaacc * costheta / total_mass
        self.state = [x + self.tau * x_dot, x_dot + self.tau * xacc, theta + self.tau * theta_dot,
                      theta_dot + self.tau * thetaacc]
        self.steps += 1
        x, _, theta, _ = self.state
        terminated = x < -self.x_threshold or x > self.x_threshold or theta < -self.theta_threshold or \
            theta > self.theta_threshold
        return list(self.state), 1.0, terminated or self.steps >= self.time_limit


class KeyDoorGrid:
    """envs/key_door_grid.h: fetch the key, pass the door, reach the goal."""

    rows, cols, time_limit, reward_threshold = 5, 9, 40, 0.1
    key_cell, door_cell, goal_cell = 3 * 9 + 1, 2 * 9 + 4, 2 * 9 + 7

    def wall(self, cell):
        r, c = divmod(cell, self.cols)
        return r in (0, self.rows - 1) or c in (0, self.cols - 1) or (c == 4 and cell != self.door_cell)

    def observation(self):
        o = [0.0] * (self.rows * self.cols + 1)
        o[self.cell] = 1.0
        o[-1] = 1.0 if self.has_key else 0.0
        return o

    def reset(self, seed):
        starts = [r * self.cols + c for r in (1, 2, 3) for c in (1, 2, 3) if r * self.cols + c != self.key_cell]
        value, _ = splitmix64(seed)
        self.cell, self.has_key, self.steps = starts[value % len(starts)], False, 0
        return self.observation()

    def step(self, action):
        nxt = self.cell + (-self.cols, 1, self.cols, -1)[action]
        if nxt == self.door_cell:
            nxt = nxt if self.has_key else self.cell
        elif self.wall(nxt):
            nxt = self.cell
        self.cell, self.steps = nxt, self.steps + 1
        self.has_key = self.has_key or nxt == self.key_cell
        terminated = nxt == self.goal_cell
        reward = 1.0 - 0.9 * self.steps / self.time_limit if terminated else 0.0
        return self.observation(), reward, terminated or self.steps >= self.time_limit


ENVS = {"cartpole": CartPole, "key_door_grid": KeyDoorGrid}


@torch.no_grad()
def rollout(model, env_name, context, targets, seeds):
    """One episode per (target, seed), stepped together: returns (achieved, lengths)."""
    n = len(targets)
    envs = [ENVS[env_name]() for _ in range(n)]
    states_now = [e.reset(s) for e, s in zip(envs, seeds)]
    rtg_now = torch.tensor(targets, dtype=torch.float32)
    achieved, lengths, live = [0.0] * n, [0] * n, [True] * n
    rtg, states, actions = [], [], []  # step-major histories, as attnlab keeps them
    for t in range(max(e.time_limit for e in envs)):
        rows = [i for i in range(n) if live[i]]
        if not rows:
            break
        rtg.append(rtg_now.clone())
        states.append(torch.tensor(states_now, dtype=torch.float32))
        actions.append(torch.zeros(n, dtype=torch.long))
        first = max(0, t + 1 - context)
        idx = torch.tensor(rows)
        r = torch.stack(rtg[first:], 1)[idx]
        s = torch.stack(states[first:], 1)[idx]
        a = torch.stack(actions[first:], 1)[idx]
        ts = torch.arange(first, t + 1).unsqueeze(0).expand(len(rows), -1).contiguous()
        chosen = model(r, s, a, ts)[:, -1].argmax(-1)
        for b, i in enumerate(rows):
            action = int(chosen[b])
            actions[-1][i] = action
            obs, reward, done = envs[i].step(action)
            achieved[i] += reward
            lengths[i] += 1
            rtg_now[i] -= torch.tensor(reward, dtype=torch.float32)
            states_now[i] = obs
            live[i] = not done
    return achieved, lengths


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file")
    p.add_argument("--targets", help="comma-separated target returns (default: the run's)")
    p.add_argument("--episodes", type=int, help="episodes per target (default: model.eval_episodes)")
    p.add_argument("--seed", type=int, help="default: model.eval_seed")
    p.add_argument("--json", action="store_true", help="one JSON line: targets, returns, lengths")
    args = p.parse_args()

    exp = Export(args.file)
    meta, model_cfg = exp.meta, exp.config["model"]
    if meta.get("objective") != "offline_rl" or meta["actions"]["type"] != "discrete":
        raise SystemExit(f"{args.file} is not a Decision Transformer with discrete actions")
    env_name = meta["env"]
    if env_name not in ENVS:
        raise SystemExit(f"no Python port of environment {env_name!r} (ports: {', '.join(ENVS)})")
    episodes = args.episodes if args.episodes is not None else model_cfg["eval_episodes"]
    seed = args.seed if args.seed is not None else model_cfg["eval_seed"]
    if args.targets:
        targets = [float(t) for t in args.targets.split(",")]
    else:
        top = model_cfg["eval_return"] or meta["dataset_best_return"]
        k_max = model_cfg["eval_targets"]
        targets = [top * k / k_max for k in range(1, k_max + 1)]
    all_targets = [t for t in targets for _ in range(episodes)]
    all_seeds = [seed * 1000000 + e for _ in targets for e in range(episodes)]
    achieved, lengths = rollout(exp.module, env_name, meta["max_length"], all_targets, all_seeds)
    if args.json:
        print(json.dumps({"targets": targets, "returns": achieved, "lengths": lengths}))
        return
    print(f"{env_name}: {episodes} episodes a target (reset seeds {seed * 1000000} + e)")
    print(f"{'target':>10} {'mean':>10} {'std':>10}")
    for k, target in enumerate(targets):
        got = torch.tensor(achieved[k * episodes:(k + 1) * episodes], dtype=torch.float64)
        print(f"{target:10.3f} {got.mean():10.3f} {got.std(unbiased=False):10.3f}")


if __name__ == "__main__":
    main()
