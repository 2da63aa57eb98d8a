"""Generate text with an exported GPT: python3 generate.py runs/kjv_char/torchscript.pt --prompt "And God said"

Sampling follows `attnlab generate` step by step (temperature, top-k, a CPU generator seeded
with --seed), so the same arguments give the same text.
"""
import argparse
import json

import torch

from attnlab_export import Export


def generate(exp, prompt, max_new_tokens, temperature, top_k, seed):
    block_size = exp.meta["max_length"]
    gen = torch.Generator().manual_seed(seed)
    idx = torch.tensor([exp.tokenizer.encode(prompt)], dtype=torch.long)
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits = exp.module(idx[:, -block_size:])[:, -1, :].float()
            if temperature <= 0:
                nxt = logits.argmax(-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k > 0:
                    kth = torch.topk(logits, min(top_k, logits.size(-1)), -1)[0][:, -1:]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                nxt = torch.multinomial(torch.softmax(logits, -1), 1, replacement=False, generator=gen)
            idx = torch.cat([idx, nxt], 1)
    return exp.tokenizer.decode(idx[0].tolist())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file")
    p.add_argument("--prompt", default="\n")
    p.add_argument("--max-new-tokens", type=int, default=200)
    p.add_argument("--temperature", type=float, default=0.8, help="0 = greedy")
    p.add_argument("--top-k", type=int, default=200, help="0 = all tokens")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--json", action="store_true", help="print {\"text\": ...}")
    a = p.parse_args()
    exp = Export(a.file)
    exp.require("gpt")
    text = generate(exp, a.prompt, a.max_new_tokens, a.temperature, a.top_k, a.seed)
    print(json.dumps({"text": text}) if a.json else text)


if __name__ == "__main__":
    main()
