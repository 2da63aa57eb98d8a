"""Classify a Fashion-MNIST image with an exported ViT:
python3 classify_image.py runs/vit_fashion_mnist/torchscript.pt --index 0

Reads image --index of an IDX file (gzip'd or not; default: Fashion-MNIST's test images) and
normalises it as in training: (pixel / 255 - mean) / std, from the file's attnlab.json.
--all classifies every image of the file and prints the accuracy.
"""
import argparse
import gzip
import json
import os
import struct

import torch

from attnlab_export import Export

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    """An IDX file of unsigned bytes as a uint8 tensor."""
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    zero, dtype, dims = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    shape = struct.unpack(f">{dims}I", data[4 : 4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims :]), dtype=torch.uint8).reshape(shape)


def default_file(name):
    for path in (f"{FASHION_MNIST}/{name}.gz", f"{FASHION_MNIST}/{name}"):
        if os.path.exists(path):
            return path
    return f"{FASHION_MNIST}/{name}.gz"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file")
    p.add_argument("--images", default=default_file("t10k-images-idx3-ubyte"))
    p.add_argument("--labels", default=default_file("t10k-labels-idx1-ubyte"), help="'' = none")
    p.add_argument("--index", type=int, default=0)
    p.add_argument("--all", action="store_true", help="classify every image; print the accuracy")
    p.add_argument("--json", action="store_true", help="print logits, class and label as JSON")
    a = p.parse_args()
    exp = Export(a.file)
    exp.require("vit")
    img = exp.meta["image"]
    names = exp.meta["class_names"]

    def classify(pixels):
        x = (pixels.reshape(-1, img["channels"], img["height"], img["width"]).float() / 255.0 - img["mean"]) / img["std"]
        with torch.no_grad():
            return exp.module(x)

    if a.all:
        images, labels = read_idx(a.images), read_idx(a.labels).long()
        predicted = torch.cat([classify(images[i : i + 500]).argmax(-1) for i in range(0, len(images), 500)])
        correct = int((predicted == labels).sum())
        print(json.dumps({"accuracy": correct / len(labels), "correct": correct, "images": len(labels)})
              if a.json else f"accuracy {correct / len(labels):.4f} ({correct} of {len(labels)} images)")
        return
    logits = classify(read_idx(a.images)[a.index])[0]
    label = names[int(read_idx(a.labels)[a.index])] if a.labels else None
    predicted = names[int(logits.argmax())]
    if a.json:
        print(json.dumps({"logits": logits.tolist(), "class": predicted, "label": label}))
    else:
        print(f"predicted: {predicted}" + (f"   true: {label}" if label else ""))


if __name__ == "__main__":
    main()
