"""What the PyTorch cross-checks share: opening a run (command line, config, checkpoint weights), loading a
shared TransformerBlock's weights into torch.nn.TransformerEncoderLayer, and comparing a
confusion matrix with the one `attnlab eval` wrote."""
import argparse
import io
import json
import os
import sys

import torch
import yaml


def load_state(checkpoint):
    """An attnlab checkpoint: a 24-byte header, then a LibTorch archive with a 'model' dict."""
    with open(checkpoint, "rb") as f:
        data = f.read()[24:]
    return dict(torch.jit.load(io.BytesIO(data)).model)


def encoder_layer(m, state, prefix):
    """The block whose tensors are `prefix` + attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj,
    ln_1, ln_2 (biases included), as PyTorch's own layer in eval mode. m: the run's model keys."""
    layer = torch.nn.TransformerEncoderLayer(
        m["n_embd"], m["n_head"], dim_feedforward=m["mlp_ratio"] * m["n_embd"], dropout=0.0,
        activation=m["activation"], batch_first=True, norm_first=m["norm_position"] == "pre", layer_norm_eps=1e-5)
    with torch.no_grad():
        layer.self_attn.in_proj_weight.copy_(state[prefix + "attn.c_attn.weight"])
        layer.self_attn.in_proj_bias.copy_(state[prefix + "attn.c_attn.bias"])
        layer.self_attn.out_proj.weight.copy_(state[prefix + "attn.c_proj.weight"])
        layer.self_attn.out_proj.bias.copy_(state[prefix + "attn.c_proj.bias"])
        layer.linear1.weight.copy_(state[prefix + "mlp.c_fc.weight"])
        layer.linear1.bias.copy_(state[prefix + "mlp.c_fc.bias"])
        layer.linear2.weight.copy_(state[prefix + "mlp.c_proj.weight"])
        layer.linear2.bias.copy_(state[prefix + "mlp.c_proj.bias"])
        for ours, theirs in (("ln_1", layer.norm1), ("ln_2", layer.norm2)):
            theirs.weight.copy_(state[prefix + ours + ".weight"])
            theirs.bias.copy_(state[prefix + ours + ".bias"])
    return layer.eval()


def compare_with_eval(run_dir, split, confusion, what, checkpoint="best"):
    """Compares a confusion matrix (rows: true class) with the one `attnlab eval` wrote to
    RUN_DIR/eval_SPLIT.json (eval_SPLIT_last.json for the last checkpoint), prints the verdict
    and exits 0 when they are identical."""
    last = checkpoint == "last"
    report = os.path.join(run_dir, f"eval_{split}{'_last' if last else ''}.json")
    if not os.path.exists(report):
        flag = " --checkpoint last" if last else ""
        print(f"(no {report}: run `attnlab eval {run_dir} --split {split}{flag}` to compare)")
        sys.exit(0)
    ours = json.load(open(report))
    same = ours["confusion"]["matrix"] == confusion
    differing = sum(abs(a - b) for ra, rb in zip(ours["confusion"]["matrix"], confusion) for a, b in zip(ra, rb)) // 2
    print(f"attnlab eval: accuracy {ours['accuracy']:.4f}; confusion matrices "
          f"{'identical' if same else f'differ in {differing} {what}(s)'}")
    sys.exit(0 if same else 1)


def open_run(description, batch_size):
    """The command line every cross-check takes (RUN_DIR, --split, --checkpoint, --batch-size),
    the run's config.yaml, and the weights of its checkpoint (best.pt, falling back to last.pt
    as `attnlab eval` does). Returns (args, config, checkpoint path, state)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("run_dir")
    ap.add_argument("--split", default="test")
    ap.add_argument("--checkpoint", default="best")
    ap.add_argument("--batch-size", type=int, default=batch_size)
    args = ap.parse_args()
    config = yaml.safe_load(open(os.path.join(args.run_dir, "config.yaml")))
    checkpoint = os.path.join(args.run_dir, args.checkpoint + ".pt")
    if not os.path.exists(checkpoint):
        checkpoint = os.path.join(args.run_dir, "last.pt")
    return args, config, checkpoint, load_state(checkpoint)
