"""Generate text with an exported GPT: python3 generate.py runs/kjv_char/torchscript.pt --prompt "And God said"

Sampling follows `attnlab generate` step by step (temperature, top-k, a CPU generator seeded
with --seed), so the same arguments give the same text.
"""
import argparse
import json

import torch

from attnlab_export import Export


def last_logits(exp):
    """A function of the sequence so far [1, T] -> the next token's logits [1, V], as attnlab reads it."""
    block_size = exp.meta["max_length"]
    model = exp.config["model"]
    memory_length = model.get("memory_length", 0)
    if not memory_length:  # the last block_size tokens
        return lambda idx: exp.module(idx[:, -block_size:])[:, -1, :]
    # Transformer-XL: segments of block_size from the first token, each continuing the memory
    # of those before (forward_segment's memory starts as zeros with memory_filled 0); the
    # segment being written is read afresh after that memory at every step.
    state = {
        "start": 0,
        "memory": torch.zeros(model["n_layer"], 1, memory_length, model["n_embd"]),
        "filled": torch.zeros(1, dtype=torch.long),
    }

    def step(idx):
        while idx.size(1) - state["start"] > block_size:
            s = state["start"]
            _, state["memory"], state["filled"] = exp.module.forward_segment(
                idx[:, s : s + block_size], state["memory"], state["filled"])
            state["start"] = s + block_size
        return exp.module.forward_segment(idx[:, state["start"]:], state["memory"], state["filled"])[0][:, -1, :]

    return step


def generate(exp, prompt, max_new_tokens, temperature, top_k, seed):
    gen = torch.Generator().manual_seed(seed)
    idx = torch.tensor([exp.tokenizer.encode(prompt)], dtype=torch.long)
    next_logits = last_logits(exp)
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits = next_logits(idx).float()
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
