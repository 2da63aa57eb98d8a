"""Draw images with an exported Diffusion Transformer (docs/diffusion.md), DDIM from the file alone:
python3 sample_dit.py runs/dit_fashion_mnist/torchscript.pt [--class all|NAME] [--n 8] [--steps 50]
                      [--guidance 4] [--eta 0] [--seed 0] [--out samples.pgm] [--json]

The file's forward(x_t, t, labels) predicts the noise (or v); attnlab.json carries the noise
schedule (alphas_cumprod), the "no class" id and the class names. The sampler below is attnlab's
(models/diffusion.cpp), operation for operation, in float32: the same seed draws the same images
as `attnlab sample RUN --steps S --guidance G --seed N --precision fp32` (a run sampled in bf16,
attnlab's default where the CPU has it, draws slightly different ones). Writes a PGM grid (one row per
class; any image viewer opens it); --json prints the pixels in [0, 1].
"""
import argparse
import json
import math
import sys

import torch

from attnlab_export import Export


def sampling_timesteps(T, steps):
    """Evenly spread, trailing: round(T - i T / steps) - 1 with halves rounded up, descending."""
    return [(2 * T * (steps - i) + steps) // (2 * steps) - 1 for i in range(steps)]


class Sampler:
    def __init__(self, export):
        self.module = export.module
        facts = export.meta["model"]
        self.alpha_bar = facts["alphas_cumprod"]
        self.prediction = facts["prediction"]
        self.null_class = facts["null_class"]

    def epsilon(self, out, x, t):
        if self.prediction == "epsilon":
            return out
        ab = torch.tensor([self.alpha_bar[i] for i in t.tolist()], dtype=torch.float64).view(-1, 1, 1, 1)
        return ab.to(x.dtype).sqrt() * out + (1 - ab).to(x.dtype).sqrt() * x  # 1 - ab in double, as attnlab

    def guided_epsilon(self, x, t, labels, guidance):
        if guidance == 1:
            return self.epsilon(self.module(x, t, labels), x, t)
        x2, t2 = torch.cat([x, x]), torch.cat([t, t])
        out = self.epsilon(self.module(x2, t2, torch.cat([labels, torch.full_like(labels, self.null_class)])), x2, t2)
        cond, uncond = out[: x.shape[0]], out[x.shape[0]:]
        return uncond + guidance * (cond - uncond)

    def step(self, x, t, t_prev, eps, eta, noise):
        ab = self.alpha_bar[t]
        ab_prev = self.alpha_bar[t_prev] if t_prev >= 0 else 1.0
        x0 = ((x - math.sqrt(1 - ab) * eps) / math.sqrt(ab)).clamp(-1, 1)
        eps = (x - math.sqrt(ab) * x0) / math.sqrt(1 - ab)  # the noise the clipped x_0 implies
        sigma = eta * math.sqrt((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev))
        x_prev = math.sqrt(ab_prev) * x0 + math.sqrt(max(0.0, 1 - ab_prev - sigma * sigma)) * eps
        return x_prev + sigma * noise if sigma > 0 else x_prev

    @torch.no_grad()
    def sample(self, labels, shape, steps, guidance, eta, seed):
        """Images in [0, 1], in chunks of 250 (chunk k drawn from seed + 250 k), as attnlab draws them."""
        out = []
        for start in range(0, len(labels), 250):
            y = labels[start:start + 250]
            gen = torch.Generator().manual_seed(seed + start)
            x = torch.randn([len(y)] + shape, generator=gen)
            ts = sampling_timesteps(len(self.alpha_bar), steps)
            for i, t in enumerate(ts):
                t_prev = ts[i + 1] if i + 1 < len(ts) else -1
                eps = self.guided_epsilon(x, torch.full((len(y),), t, dtype=torch.long), y, guidance)
                noise = torch.randn([len(y)] + shape, generator=gen) if eta > 0 else None
                x = self.step(x, t, t_prev, eps, eta, noise)
            out.append(((x + 1) / 2).clamp(0, 1))
        return torch.cat(out)


def write_pgm(path, rows):
    """Rows of [N, 1, H, W] images in [0, 1] as one binary PGM, 2 pixels between images."""
    n, h, w = max(r.shape[0] for r in rows), rows[0].shape[2], rows[0].shape[3]
    grid = torch.ones(len(rows) * (h + 2), n * (w + 2))
    for i, r in enumerate(rows):
        for j in range(r.shape[0]):
            grid[i * (h + 2):i * (h + 2) + h, j * (w + 2):j * (w + 2) + w] = r[j, 0]
    with open(path, "wb") as f:
        f.write(f"P5 {grid.shape[1]} {grid.shape[0]} 255\n".encode())
        f.write(bytes((grid * 255).round().to(torch.uint8).flatten().tolist()))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--class", dest="class_name", default="all")
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--guidance", type=float, default=4)
    p.add_argument("--eta", type=float, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="samples.pgm")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    export = Export(a.model)
    export.require("dit")
    names, image = export.meta["class_names"], export.meta["image"]
    T = export.meta["model"]["diffusion_steps"]
    if not 1 <= a.steps <= T:
        raise SystemExit(f"--steps must be in [1, {T}] (the model's diffusion_steps), got {a.steps}")
    if not 0 <= a.eta <= 1 or a.guidance < 0 or a.n < 1:
        raise SystemExit("--eta must be in [0, 1], --guidance >= 0 (1 = none, 0 = unconditional), --n >= 1")
    if a.class_name != "all" and a.class_name not in names:
        raise SystemExit(f"--class {a.class_name!r} is not one of {names} nor 'all'")
    classes = list(range(len(names))) if a.class_name == "all" else [names.index(a.class_name)]
    labels = torch.tensor(classes, dtype=torch.long).repeat_interleave(a.n)
    shape = [image["channels"], image["height"], image["width"]]
    pixels = Sampler(export).sample(labels, shape, a.steps, a.guidance, a.eta, a.seed)
    if a.json:
        print(json.dumps({"pixels": [round(v, 6) for v in pixels.flatten().tolist()]}))
    if shape[0] == 1:
        write_pgm(a.out, [pixels[k * a.n:(k + 1) * a.n] for k in range(len(classes))])
        print(f"wrote {a.out}: {len(classes)} row(s) of {a.n} ({', '.join(names[c] for c in classes)})",
              file=sys.stderr if a.json else sys.stdout)


if __name__ == "__main__":
    main()
