"""Classify a verse with an exported fine-tuned BERT-style encoder:
python3 classify_verse.py runs/kjv_books_finetune/torchscript.pt "Blessed are the meek: for they shall inherit the earth."

The input is built as in training: [CLS], the verse's tokens (cut to max_len - 2), [SEP].
"""
import argparse
import json

import torch

from attnlab_export import Export


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file")
    p.add_argument("verse")
    p.add_argument("--json", action="store_true", help="print ids, logits and the class as JSON")
    a = p.parse_args()
    exp = Export(a.file)
    exp.require("bert", "classification")
    sp = exp.meta["special_tokens"]
    ids = [sp["cls"]] + exp.tokenizer.encode(a.verse)[: exp.meta["max_length"] - 2] + [sp["sep"]]
    with torch.no_grad():
        logits = exp.module(torch.tensor([ids]))[0]
    names = exp.meta["class_names"]
    best = int(logits.argmax())
    if a.json:
        print(json.dumps({"ids": ids, "logits": logits.tolist(), "class": names[best]}))
        return
    probs = torch.softmax(logits, -1)
    for i in probs.argsort(descending=True)[:3].tolist():
        print(f"{names[i]:<24} {probs[i]:.3f}")


if __name__ == "__main__":
    main()
