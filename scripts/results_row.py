#!/usr/bin/env python3
"""Prints a family's row of docs/results.md from its finished runs (scripts/reproduce.sh).

    results_row.py FAMILY OUT_DIR LOG_DIR

Reads each of the family's runs (the names scripts/reproduce.sh gives them) in OUT_DIR: its
eval_test*.json (eval_val.json for gpt and icl; eval_val_seed1.json, rollouts on fresh starts, for rl;
eval_test_samples1000_steps50_guidanceG.json, judged samples, for dit), the precision from its training log's first
line, and the wall time and peak RSS that /usr/bin/time wrote to LOG_DIR/RUN.time. Standard
library only.
"""
import json
import os
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def resources(log_dir, run):
    """(minutes, peak RSS MiB, precision) of a training run."""
    seconds, rss_kib = open(os.path.join(log_dir, run + ".time")).read().split()[-2:]
    first = open(os.path.join(log_dir, run + ".log")).readline().split(" | ")
    precision = next((p for p in first if p in ("fp32", "bf16")), "?")
    return float(seconds) / 60, int(rss_kib) / 1024, precision


def row(name, figure, anchor, minutes, rss, precision):
    return f"| {name} | {figure} | {anchor} | {minutes:.1f} min | {rss:.0f} MiB | {precision} |"


def main():
    family, out, logs = sys.argv[1], sys.argv[2], sys.argv[3]
    ev = lambda run, name="eval_test.json": load(os.path.join(out, run, name))
    print("| experiment | figure | anchor | training wall time | peak RSS | precision |")
    print("|---|---|---|---|---|---|")
    if family == "gpt":
        e = ev("kjv_char", "eval_val.json")
        print(row("GPT, kjv_char.yaml", f"val loss {e['loss']:.4f} ({e.get('bits_per_char', float('nan')):.4f} bits per character)",
                  "nanoGPT's recipe on the same data: docs/bench.md", *resources(logs, "kjv_char")))
        b = ev("kjv_bpe", "eval_val.json")
        print(row("GPT on BPE pieces, kjv_bpe.yaml", f"val {b['bits_per_char']:.4f} bits per character "
                  f"(loss {b['loss']:.4f} a token)", "below the character model's bits per character",
                  *resources(logs, "kjv_bpe")))
    elif family == "bert":
        acc = lambda name: 100 * ev(name)["accuracy"]
        f = [acc("english_books_finetune_2k"), acc("english_books_finetune_2k_seed1338")]
        s = [acc("kjv_books_scratch_2k"), acc("kjv_books_scratch_2k_seed1338")]
        print(row("BERT fine-tuned vs scratch, 2,000 labels (seeds 1337 / 1338)",
                  f"test accuracy {f[0]:.2f} / {f[1]:.2f}% vs {s[0]:.2f} / {s[1]:.2f}% "
                  f"({(f[0] + f[1] - s[0] - s[1]) / 2:+.2f} points on average)", "+5 points",
                  *resources(logs, "english_books_finetune_2k")))
        fa, sa = acc("english_books_finetune"), acc("kjv_books_scratch")
        print(row("BERT fine-tuned vs scratch, all labels", f"test accuracy {fa:.2f}% vs {sa:.2f}% ({fa - sa:+.2f} points)",
                  "-", *resources(logs, "english_books_finetune")))
        m, t, p = resources(logs, "english_mlm")
        print(row("BERT masked-LM pretraining, english_mlm.yaml", f"test MLM loss {ev('english_mlm')['loss']:.4f}", "-",
                  m, t, p))
    elif family == "translator":
        g, b = ev("bible_en_es"), ev("bible_en_es", "eval_test_beam5.json")
        print(row("translator, bible_en_es.yaml", f"test BLEU {g['bleu']:.2f} greedy / {b['bleu']:.2f} beam 5, "
                  f"chrF {g['chrf']:.2f} / {b['chrf']:.2f}", "the run on tagged text: 29.20 / 31.22", *resources(logs, "bible_en_es")))
    elif family == "vit":
        e = ev("vit_fashion_mnist")
        shirt = next((c["accuracy"] for c in e["confusion"]["classes"] if c["name"] == "Shirt"), float("nan"))
        print(row("ViT, fashion_mnist.yaml", f"test accuracy {100 * e['accuracy']:.2f}% (Shirt {100 * shirt:.1f}%)",
                  "91.6% (2-conv CNN of Fashion-MNIST's table)", *resources(logs, "vit_fashion_mnist")))
    elif family == "icl":
        e = ev("icl_linear", "eval_val.json")
        curves = e["curves"]
        k10 = curves["lines"]["transformer"][curves["x"].index(10)]
        print(row("in-context regressor, linear_regression.yaml", f"val error at k = 10: {k10:.4f}",
                  "<= 0.1 at k = 10", *resources(logs, "icl_linear")))
    elif family == "rl":
        seed1 = lambda run: ev(run, "eval_val_seed1.json")
        dt, bc, fbc = seed1("cartpole_dt"), seed1("cartpole_bc"), seed1("cartpole_filtered_bc")
        achieved = dt["curves"]["lines"]["achieved (mean)"]
        print(row("Decision Transformer, CartPole, cartpole_dt.yaml (vs BC / filtered BC)",
                  f"return {dt['return']:.1f} asked for 500 (targets {', '.join(f'{t:g}' for t in dt['curves']['x'])}: "
                  f"{', '.join(f'{a:.0f}' for a in achieved)}); BC {bc['return']:.1f}, filtered BC {fbc['return']:.1f}",
                  ">= 95% of the expert's 500; clearly above BC", *resources(logs, "cartpole_dt")))
        g = {c: seed1("key_door_grid_" + c) for c in ("dt", "bc", "filtered_bc")}
        print(row("key-door grid, key_door_grid_dt.yaml (vs BC / filtered BC)",
                  f"goal reached in {100 * g['dt']['solved']:.0f}% (return {g['dt']['return']:.3f}); BC "
                  f"{100 * g['bc']['solved']:.0f}%, filtered BC {100 * g['filtered_bc']['solved']:.0f}% "
                  f"({g['filtered_bc']['return']:.3f})", ">= 90% by DT or filtered BC", *resources(logs, "key_door_grid_dt")))
    elif family == "dit":
        g = {x: ev("dit_fashion_mnist", f"eval_test_samples1000_steps50_guidance{x}.json") for x in (1, 2, 4)}
        judge = ev("vit_judge")
        print(row("DiT, Fashion-MNIST, dit/fashion_mnist.yaml (1,000 samples, 50 DDIM steps)",
                  "judge accuracy " + " / ".join(f"{100 * g[x]['sample_accuracy']:.1f}%" for x in (1, 2, 4)) +
                  " at guidance 1 / 2 / 4 (the judge on real test images: " f"{100 * judge['accuracy']:.1f}%); "
                  "Fréchet distance " + " / ".join(f"{g[x]['frechet_distance']:.1f}" for x in (1, 2, 4)),
                  ">= 80% at one guidance", *resources(logs, "dit_fashion_mnist")))


if __name__ == "__main__":
    main()
