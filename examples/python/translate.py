"""Translate with an exported translator, greedy decoding over its encode/decode methods:
python3 translate.py runs/bible_en_es/torchscript.pt "And God said, Let there be light: and there was light."
python3 translate.py runs/bible_en_es/torchscript.pt --input sentences.txt   (one per line)

Follows `attnlab translate --beam 1`: the source is its tokens (cut to max_len - 1) and [SEP];
the output starts from [CLS] and ends at [SEP] or at floor(max_output_ratio * source tokens) +
max_output_extra tokens (the run's model config), within max_len.
"""
import argparse
import json
import math

import torch

from attnlab_export import Export


def translate(exp, sentence):
    max_len = exp.meta["max_length"]
    bos, eos = exp.meta["bos_id"], exp.meta["eos_id"]
    source = exp.tokenizer.encode(sentence)[: max_len - 1] + [eos]
    model = exp.config["model"]
    limit = math.floor(model["max_output_ratio"] * len(source)) + model["max_output_extra"]
    limit = min(max(limit, 1), max_len)
    out = [bos]
    with torch.no_grad():
        memory, source_mask = exp.module.encode(torch.tensor([source]))
        for t in range(limit):
            if t + 1 >= limit:  # the last position may only end the output
                token = eos
            else:
                logits = exp.module.decode(torch.tensor([out]), memory, source_mask)[0, -1]
                token = int(torch.log_softmax(logits.float(), -1).argmax())
            if token == eos:
                break
            out.append(token)
    return out[1:]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file")
    p.add_argument("sentence", nargs="?")
    p.add_argument("--input", help="a file of sentences, one per line (an empty line gives an empty line)")
    p.add_argument("--json", action="store_true", help="print the output ids and text as JSON")
    a = p.parse_args()
    if (a.sentence is None) == (a.input is None):
        p.error("give a sentence or --input FILE")
    exp = Export(a.file)
    exp.require("seq2seq")
    if a.input:
        with open(a.input, encoding="utf-8") as f:
            sentences = f.read().splitlines()
    else:
        sentences = [a.sentence]
    for sentence in sentences:
        ids = translate(exp, sentence) if sentence.strip() else []
        text = exp.tokenizer.decode(ids)
        print(json.dumps({"ids": ids, "text": text}) if a.json else text, flush=True)


if __name__ == "__main__":
    main()
