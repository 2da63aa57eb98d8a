#!/usr/bin/env python3
"""Cross-check of attnlab's ViT against PyTorch's own layers.

Rebuilds a finished `vit` run on `image_classification` data in PyTorch -- its own IDX reader
(gzip + struct), the normalisation recomputed from the training images, the convolutional
stem (model.stem_layers) from torch.nn.functional's conv2d and batch_norm, patches cut with
Tensor.unfold, torch.nn.TransformerEncoderLayer for the blocks, the weights read from the
run's checkpoint -- classifies every image of a split, and compares the confusion matrix with
the one `attnlab eval` wrote (RUN_DIR/eval_SPLIT.json).

    attnlab eval runs/vit_fashion_mnist --split test
    /usr/bin/python3 scripts/reference/vit_fashion_mnist.py runs/vit_fashion_mnist --split test

Needs Debian's python3-torch and python3-yaml (not installed by the bootstrap).
"""
import gzip
import os
import struct
import sys

import torch

from attnlab_checkpoint import compare_with_eval, encoder_layer, open_run


def read_idx(path):
    """An IDX file of unsigned bytes (gzip'd or not) as a uint8 tensor."""
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    zero, kind, ndim = struct.unpack(">HBB", raw[:4])
    assert zero == 0 and kind == 8, f"{path}: not an IDX file of unsigned bytes"
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def find(directory, name):
    for path in (os.path.join(directory, name + ".gz"), os.path.join(directory, name)):
        if os.path.exists(path):
            return path
    sys.exit(f"{directory} has no {name}[.gz]")


class ReferenceViT(torch.nn.Module):
    """The same network from PyTorch's layers (eval mode only)."""

    def __init__(self, m, state):
        super().__init__()
        self.m, self.s = m, state
        layers = [encoder_layer(m, state, f"h.{i}.") for i in range(m["n_layer"])]
        self.layers = torch.nn.ModuleList(layers)

    def stem(self, images):
        """stem_layers x (3x3 conv, stride 2, padding 1; BatchNorm on its running statistics; ReLU)."""
        s, x = self.s, images
        for i in range(self.m.get("stem_layers", 0)):
            conv, norm = f"stem.layers.{3 * i}.", f"stem.layers.{3 * i + 1}."
            x = torch.nn.functional.conv2d(x, s[conv + "weight"], None, stride=2, padding=1)
            x = torch.nn.functional.batch_norm(x, s[norm + "running_mean"], s[norm + "running_var"],
                                               s[norm + "weight"], s[norm + "bias"], False, 0.0, 1e-5)
            x = torch.relu(x)
        return x

    def forward(self, images):
        s, p = self.s, self.m["patch_size"]
        images = self.stem(images)
        b, c = images.shape[:2]
        # [B, C, H, W] -> [B, H/p, W/p, C, p, p] -> [B, patches, C*p*p]: row-major patches
        patches = images.unfold(2, p, p).unfold(3, p, p).permute(0, 2, 3, 1, 4, 5).reshape(b, -1, c * p * p)
        tokens = torch.nn.functional.linear(patches, s["patch_embed.weight"], s["patch_embed.bias"])
        x = torch.cat([s["cls_token"].expand(b, 1, -1), tokens], 1) + s["wpe.weight"][: tokens.shape[1] + 1]
        for layer in self.layers:
            x = layer(x)
        x = torch.nn.functional.layer_norm(x, x.shape[-1:], s["ln_f.weight"], s["ln_f.bias"], 1e-5)
        pooled = x[:, 0] if self.m["pool"] == "cls" else x[:, 1:].mean(1)
        return torch.nn.functional.linear(pooled, s["head.weight"], s["head.bias"])


def main():
    args, cfg, checkpoint, state = open_run(__doc__.split("\n\n")[0], batch_size=500)
    d, m = cfg["data"], cfg["model"]
    if d["type"] != "image_classification" or m["type"] != "vit":
        sys.exit("needs a vit run on image_classification data")

    train_images = read_idx(find(d["dir"], "train-images-idx3-ubyte"))
    train_labels = read_idx(find(d["dir"], "train-labels-idx1-ubyte"))
    n_train = train_images.shape[0] - d["val_examples"]
    pixels = train_images[:n_train].double() / 255
    mean, std = pixels.mean().item(), pixels.std(unbiased=False).item()
    if args.split == "test":
        images = read_idx(find(d["dir"], "t10k-images-idx3-ubyte"))
        labels = read_idx(find(d["dir"], "t10k-labels-idx1-ubyte"))
    else:
        rows = slice(0, n_train) if args.split == "train" else slice(n_train, None)
        images, labels = train_images[rows], train_labels[rows]
    images = ((images.float() / 255 - mean) / std).unsqueeze(1)

    torch.set_grad_enabled(False)
    model = ReferenceViT(m, state)
    k = len(state["head.bias"])
    confusion = [[0] * k for _ in range(k)]
    for start in range(0, images.shape[0], args.batch_size):
        predictions = model(images[start:start + args.batch_size]).argmax(-1).tolist()
        for label, p in zip(labels[start:start + args.batch_size].tolist(), predictions):
            confusion[label][p] += 1

    total = sum(map(sum, confusion))
    accuracy = sum(confusion[c][c] for c in range(k)) / total
    print(f"PyTorch reference on {args.run_dir} ({checkpoint}), {args.split}: {total} images, "
          f"normalised with mean {mean:.4f} std {std:.4f}, accuracy {accuracy:.4f}")
    compare_with_eval(args.run_dir, args.split, confusion, "image", args.checkpoint)


if __name__ == "__main__":
    main()
