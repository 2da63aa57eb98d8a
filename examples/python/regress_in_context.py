"""Regress from the prompt alone with an exported in-context regressor (docs/icl.md):
python3 regress_in_context.py runs/icl_linear/torchscript.pt [--prompts 1000] [--seed 0]

Draws prompts as the training data does (w ~ N(0, I_d), x_i ~ N(0, I_d), y_i = w.x_i), asks
the model for every y_i from the pairs before it, and prints the squared error / d against the
number of in-context examples k, next to least squares on the same prompts. No weight changes:
each prompt is a new linear function.
"""
import argparse
import json

import torch

from attnlab_export import Export


def least_squares(xs, ys):
    """Prediction of y_k from the k pairs before it, minimum-norm while k < d: [B, P]."""
    out = [torch.zeros(xs.shape[0], dtype=torch.float64)]
    x, y = xs.double(), ys.double()
    for k in range(1, xs.shape[1]):
        w = torch.linalg.pinv(x[:, :k]) @ y[:, :k, None]
        out.append((x[:, k] * w[..., 0]).sum(-1))
    return torch.stack(out, 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file")
    p.add_argument("--prompts", type=int, default=1000)
    p.add_argument("--points", type=int, default=0, help="pairs per prompt; 0 = the longest the model takes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the curves and the first prompt as JSON")
    a = p.parse_args()
    exp = Export(a.file)
    exp.require("icl_regressor")
    d, points = exp.meta["input_dims"], a.points or exp.meta["max_length"]
    gen = torch.Generator().manual_seed(a.seed)
    xs = torch.randn(a.prompts, points, d, generator=gen)
    w = torch.randn(a.prompts, d, 1, generator=gen)
    ys = (xs @ w)[..., 0]
    with torch.no_grad():
        predicted = exp.module(xs, ys)
    model = ((predicted.double() - ys.double()) ** 2).mean(0) / d
    lsq = ((least_squares(xs, ys) - ys.double()) ** 2).mean(0) / d
    if a.json:
        print(json.dumps({"model": model.tolist(), "least_squares": lsq.tolist(), "xs": xs[0].tolist(),
                          "ys": ys[0].tolist(), "predictions": predicted[0].tolist()}))
        return
    print(f"{a.prompts} new prompts, d = {d}: squared error / d against in-context examples k")
    print(f"{'k':>4}  {'model':>10}  {'least squares':>14}")
    for k in range(points):
        print(f"{k:>4}  {model[k]:>10.4f}  {lsq[k]:>14.4f}")


if __name__ == "__main__":
    main()
