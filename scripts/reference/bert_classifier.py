#!/usr/bin/env python3
"""Cross-check of attnlab's BERT against PyTorch's own layers.

Rebuilds a finished `verse_classification` run in PyTorch -- torch.nn.TransformerEncoderLayer
for the blocks, python3-sentencepiece for the tokenizer, the weights read from the run's
checkpoint, the verse split recomputed from the config -- classifies every verse of a split,
and compares the confusion matrix with the one `attnlab eval` wrote (RUN_DIR/eval_SPLIT.json).

    attnlab eval runs/kjv_books_finetune --split test
    /usr/bin/python3 scripts/reference/bert_classifier.py runs/kjv_books_finetune --split test

Needs Debian's python3-torch and python3-sentencepiece (not installed by the bootstrap).
"""
import os
import sys

import sentencepiece as spm
import torch

from attnlab_checkpoint import compare_with_eval, encoder_layer, open_run

MASK64 = (1 << 64) - 1

BOOK_GROUPS = [
    ["Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy"],
    ["Joshua", "Judges", "Ruth", "I Samuel", "II Samuel", "I Kings", "II Kings", "I Chronicles",
     "II Chronicles", "Ezra", "Nehemiah", "Esther"],
    ["Job", "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon"],
    ["Isaiah", "Jeremiah", "Lamentations", "Ezekiel", "Daniel"],
    ["Hosea", "Joel", "Amos", "Obadiah", "Jonah", "Micah", "Nahum", "Habakkuk", "Zephaniah", "Haggai",
     "Zechariah", "Malachi"],
    ["Matthew", "Mark", "Luke", "John", "Acts"],
    ["Romans", "I Corinthians", "II Corinthians", "Galatians", "Ephesians", "Philippians", "Colossians",
     "I Thessalonians", "II Thessalonians", "I Timothy", "II Timothy", "Titus", "Philemon"],
    ["Hebrews", "James", "I Peter", "II Peter", "I John", "II John", "III John", "Jude", "Revelation of John"],
]
GROUP_OF = {book: g for g, books in enumerate(BOOK_GROUPS) for book in books}


class MT19937_64:
    """std::mt19937_64, whose raw output attnlab's verse split uses."""

    def __init__(self, seed):
        self.mt = [seed & MASK64]
        for i in range(1, 312):
            prev = self.mt[-1]
            self.mt.append((6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK64)
        self.index = 312

    def __call__(self):
        if self.index >= 312:
            for i in range(312):
                x = (self.mt[i] & 0xFFFFFFFF80000000) | (self.mt[(i + 1) % 312] & 0x7FFFFFFF)
                xa = x >> 1
                if x & 1:
                    xa ^= 0xB5026F5AA96619E9
                self.mt[i] = self.mt[(i + 156) % 312] ^ xa
            self.index = 0
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK64


def split_verses(n, val_fraction, test_fraction, seed):
    """datasets/verse_corpus.cpp: split_verses."""
    perm = list(range(n))
    rng = MT19937_64(seed)
    for i in range(n - 1, 0, -1):
        j = rng() % (i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    n_val, n_test = int(n * val_fraction), int(n * test_fraction)
    n_train = n - n_val - n_test
    return {"train": sorted(perm[:n_train]), "val": sorted(perm[n_train:n_train + n_val]),
            "test": sorted(perm[n_train + n_val:])}


class ReferenceBert(torch.nn.Module):
    """The same network from PyTorch's layers (eval mode only)."""

    def __init__(self, m, state, num_classes):
        super().__init__()
        self.m, self.s = m, state
        self.post = m["norm_position"] == "post"
        layers = [encoder_layer(m, state, f"encoder.h.{i}.") for i in range(m["n_layer"])]
        self.layers = torch.nn.ModuleList(layers)

    def ln(self, x, name):
        return torch.nn.functional.layer_norm(x, x.shape[-1:], self.s[name + ".weight"], self.s[name + ".bias"], 1e-5)

    def forward(self, ids, pad_id):
        s = self.s
        pad = ids.eq(pad_id)
        x = s["encoder.wte.weight"][ids] + s["encoder.wpe.weight"][: ids.shape[1]]
        if self.post:
            x = self.ln(x, "encoder.ln_emb")
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=pad)
        if not self.post:
            x = self.ln(x, "encoder.ln_f")
        if self.m["pooling"] == "cls":
            pooled = x[:, 0]
        else:
            real = (~pad).unsqueeze(-1).to(x.dtype)
            pooled = (x * real).sum(1) / real.sum(1).clamp_min(1.0)
        return torch.nn.functional.linear(pooled, s["classifier.weight"], s["classifier.bias"])


def main():
    args, cfg, checkpoint, state = open_run(__doc__.split("\n\n")[0], batch_size=64)
    d, m = cfg["data"], cfg["model"]
    if d["type"] != "verse_classification" or m["type"] != "bert" or d["tokenizer"] != "sentencepiece":
        sys.exit("needs a bert run on verse_classification data with the sentencepiece tokenizer")

    verses = open(d["path"], encoding="utf-8").read().split("\n")[:-1]
    refs_path = d["refs"] or os.path.splitext(d["path"])[0] + ".refs"
    refs = open(refs_path, encoding="utf-8").read().split("\n")[:-1]
    rows = split_verses(len(verses), d["val_fraction"], d["test_fraction"], d["split_seed"])[args.split]
    max_len = d["max_len"] or m["max_len"]
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.run_dir, "tokenizer.model"))
    pad_id, cls_id, sep_id = 0, 2, 3

    torch.set_grad_enabled(False)
    model = ReferenceBert(m, state, len(BOOK_GROUPS))
    confusion = [[0] * len(BOOK_GROUPS) for _ in BOOK_GROUPS]
    for start in range(0, len(rows), args.batch_size):
        batch = rows[start:start + args.batch_size]
        seqs = [[cls_id] + sp.encode(verses[v])[: max_len - 2] + [sep_id] for v in batch]
        width = max(len(t) for t in seqs)
        ids = torch.tensor([t + [pad_id] * (width - len(t)) for t in seqs])
        predictions = model(ids, pad_id).argmax(-1).tolist()
        for v, p in zip(batch, predictions):
            confusion[GROUP_OF[refs[v].rsplit(" ", 1)[0]]][p] += 1

    total = sum(map(sum, confusion))
    accuracy = sum(confusion[c][c] for c in range(len(confusion))) / total
    print(f"PyTorch reference on {args.run_dir} ({checkpoint}), {args.split}: {total} verses, accuracy {accuracy:.4f}")
    compare_with_eval(args.run_dir, args.split, confusion, "verse", args.checkpoint)


if __name__ == "__main__":
    main()
