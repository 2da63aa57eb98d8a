#!/usr/bin/python3
"""PyTorch reference for configs/gpt/kjv_char.yaml: nanoGPT's model and training loop
(model.py / train.py, CPU, float32, no compile) condensed, to check that attnlab's C++
reaches the same losses on the same text, and to time nanoGPT side by side with attnlab
(scripts/bench_vs_nanogpt.sh).

    apt-get install python3-torch          # installed by scripts/bootstrap.sh
    /usr/bin/python3 scripts/reference/nanogpt_char.py data/kjv/kjv.txt [max_iters]   # Debian's Python
        [--recipe small|large] [--eval both|nanogpt] [--eval-iters N] [--eval-interval N] [--bf16]
        [--generate N [--block-size B]]

--recipe small is configs/gpt/kjv_char.yaml (4 layers, 128 wide, block 64); large is nanoGPT's
Shakespeare recipe at batch 12 (6 layers, 6 heads, 384 wide, block 256, dropout 0.2).
--eval both prints nanoGPT's own estimate (eval_iters random batches) and attnlab's estimate
(eval_iters x batch_size windows spread evenly over the split) at every evaluation; nanogpt
runs only nanoGPT's, as train.py does (for timing). --bf16: CPU autocast to bfloat16, as
nanoGPT's dtype='bfloat16'. --generate N only times nanoGPT's sampling (no key/value cache) of
N tokens from an untrained model of the recipe.
"""
import argparse, contextlib, math, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

n_layer, n_head, n_embd, block_size, dropout, bias = 4, 4, 128, 64, 0.0, False
batch_size, max_iters, eval_interval, eval_iters = 12, 2000, 250, 20
learning_rate, min_lr, warmup_iters, lr_decay_iters = 1e-3, 1e-4, 100, 2000
weight_decay, beta1, beta2, grad_clip = 0.1, 0.9, 0.99, 1.0

class LayerNorm(nn.Module):
    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None
    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)

class CausalSelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.attn_dropout, self.resid_dropout = nn.Dropout(dropout), nn.Dropout(dropout)
        self.register_buffer("mask", torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size))
    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(n_embd, dim=2)
        q, k, v = [t.view(B, T, n_head, C // n_head).transpose(1, 2) for t in (q, k, v)]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = self.attn_dropout(F.softmax(att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf")), dim=-1))
        return self.resid_dropout(self.c_proj((att @ v).transpose(1, 2).contiguous().view(B, T, C)))

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd, bias=bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * n_embd, n_embd, bias=bias)
        self.dropout = nn.Dropout(dropout)
    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.attn, self.ln_2, self.mlp = LayerNorm(n_embd, bias), CausalSelfAttention(), LayerNorm(n_embd, bias), MLP()
    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))

class GPT(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab_size, n_embd), nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(dropout)
        self.h = nn.ModuleList([Block() for _ in range(n_layer)])
        self.ln_f = LayerNorm(n_embd, bias)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith("c_proj.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))
    def _init_weights(self, m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            torch.nn.init.normal_(m.weight, mean=0.0, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            torch.nn.init.zeros_(m.bias)
    def forward(self, idx, targets=None):
        pos = torch.arange(idx.size(1))
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for block in self.h:
            x = block(x)
        if targets is None:  # inference: the last position's logits only, as nanoGPT
            return self.lm_head(self.ln_f(x[:, [-1], :]))
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=0.8, top_k=200):  # nanoGPT's, no cache
        for _ in range(max_new_tokens):
            idx_cond = idx if idx.size(1) <= block_size else idx[:, -block_size:]
            logits = self(idx_cond)[:, -1, :] / temperature
            v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
            logits[logits < v[:, [-1]]] = -float("Inf")
            idx = torch.cat((idx, torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)), dim=1)
        return idx

def time_generation(vocab_size, new_tokens):
    """nanoGPT's sample.py speed: one sample of new_tokens from a fresh model (speed does not
    depend on the weights), after a 10-token warm-up."""
    torch.manual_seed(1337)
    model = GPT(vocab_size).eval()
    start = torch.zeros((1, 1), dtype=torch.long)
    model.generate(start, 10)
    t0 = time.time()
    model.generate(start, new_tokens)
    seconds = time.time() - t0
    print(f"generation: {new_tokens} tokens in {seconds:.2f} s = {new_tokens / seconds:.0f} tokens/s "
          f"(block_size {block_size}, {n_layer} layers, {n_embd} wide)")

EVAL_BOTH, BF16 = True, False

def autocast():
    return torch.autocast("cpu", dtype=torch.bfloat16) if BF16 else contextlib.nullcontext()

def get_lr(it):
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    if it > lr_decay_iters:
        return min_lr
    coeff = 0.5 * (1.0 + math.cos(math.pi * (it - warmup_iters) / (lr_decay_iters - warmup_iters)))
    return min_lr + coeff * (learning_rate - min_lr)

def main(path, max_iters=max_iters, seed=1337):
    torch.manual_seed(seed)
    text = open(path, encoding="utf-8").read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(len(data) * 0.9)
    splits = {"train": data[:n], "val": data[n:]}

    def get_batch(split):
        d = splits[split]
        ix = torch.randint(len(d) - block_size, (batch_size,))
        return torch.stack([d[i:i + block_size] for i in ix]), torch.stack([d[i + 1:i + 1 + block_size] for i in ix])

    def fixed_batch(split, b):  # attnlab's evaluation windows
        d = splits[split]
        total, max_start = eval_iters * batch_size, len(d) - block_size - 1
        ix = [(b * batch_size + i) * max_start // (total - 1) for i in range(batch_size)]
        return torch.stack([d[i:i + block_size] for i in ix]), torch.stack([d[i + 1:i + 1 + block_size] for i in ix])

    model = GPT(len(chars))
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=learning_rate, betas=(beta1, beta2))
    print(f"vocab {len(chars)}, threads {torch.get_num_threads()}, {sum(p.numel() for p in params) / 1e6:.2f}M parameters")
    start, step_times = time.time(), []
    for it in range(max_iters + 1):
        for g in opt.param_groups:
            g["lr"] = get_lr(it)
        if it % eval_interval == 0 or it == max_iters:
            model.eval()
            with torch.no_grad(), autocast():
                rnd = {s: sum(model(*get_batch(s)).item() for _ in range(eval_iters)) / eval_iters for s in splits}
                fix = {s: sum(model(*fixed_batch(s, b)).item() for b in range(eval_iters)) / eval_iters
                       for s in splits} if EVAL_BOTH else None
            model.train()
            print(f"step {it}: random batches train {rnd['train']:.4f} val {rnd['val']:.4f}" +
                  (f" | fixed windows train {fix['train']:.4f} val {fix['val']:.4f}" if fix else ""), flush=True)
        if it == max_iters:
            break
        t0 = time.time()
        with autocast():
            loss = model(*get_batch("train"))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step_times.append(time.time() - t0)
    steady = sorted(step_times[len(step_times) // 10:])
    print(f"median {steady[len(steady) // 2] * 1000:.1f} ms/step (steady state, training steps only), "
          f"{time.time() - start:.0f} s total")

RECIPES = {
    "small": {},
    "large": dict(n_layer=6, n_head=6, n_embd=384, block_size=256, dropout=0.2, lr_decay_iters=5000),
}

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default="data/kjv/kjv.txt")
    ap.add_argument("max_iters", nargs="?", type=int, default=max_iters)
    ap.add_argument("--recipe", choices=sorted(RECIPES), default="small")
    ap.add_argument("--eval", choices=["both", "nanogpt"], default="both")
    ap.add_argument("--eval-iters", type=int)
    ap.add_argument("--eval-interval", type=int)
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--generate", type=int, metavar="N", help="only time generating N tokens (nanoGPT's sample.py)")
    ap.add_argument("--block-size", type=int)
    args = ap.parse_args()
    globals().update(RECIPES[args.recipe])
    if args.block_size:
        block_size = args.block_size
    if args.generate:
        time_generation(len(set(open(args.path, encoding="utf-8").read())), args.generate)
        sys.exit(0)
    if args.eval_iters is not None:
        eval_iters = args.eval_iters
    if args.eval_interval is not None:
        eval_interval = args.eval_interval
    EVAL_BOTH, BF16 = args.eval == "both", args.bf16
    main(args.path, args.max_iters)
