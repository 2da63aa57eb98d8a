#!/usr/bin/python3
"""Independent cross-check of attnlab's corpus BLEU and chrF, in plain Python (no sacreBLEU
package on Debian 12): sacreBLEU's default definitions re-implemented with Python's `re` and
Unicode strings, to compare with the C++ figures that `attnlab eval` prints.

  python3 scripts/reference/bleu_chrf.py runs/bible_en_es/eval_test_beam5.out.txt \
      runs/bible_en_es/eval_test_beam5.ref.txt
"""
import math
import re
import sys
from collections import Counter

# mteval-v13a (sacreBLEU's "13a" tokenizer)
_RULES = [
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
]


def tokenize_13a(line):
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = f" {line} "
    for regex, repl in _RULES:
        line = regex.sub(repl, line)
    return line.split()


def ngrams(items, n):
    return Counter(tuple(items[i:i + n]) for i in range(len(items) - n + 1))


def corpus_bleu(hyps, refs):
    matches, totals, hyp_len, ref_len = [0] * 4, [0] * 4, 0, 0
    for h, r in zip(hyps, refs):
        h, r = tokenize_13a(h), tokenize_13a(r)
        hyp_len, ref_len = hyp_len + len(h), ref_len + len(r)
        for n in range(1, 5):
            hc, rc = ngrams(h, n), ngrams(r, n)
            matches[n - 1] += sum(min(c, rc[g]) for g, c in hc.items())
            totals[n - 1] += max(len(h) - n + 1, 0)
    if min(matches) == 0:
        return 0.0, matches, totals, hyp_len, ref_len
    bp = 1.0 if hyp_len >= ref_len else math.exp(1 - ref_len / hyp_len)
    score = 100 * bp * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / 4)
    return score, matches, totals, hyp_len, ref_len


def corpus_chrf(hyps, refs, order=6, beta=2.0):
    stats = [[0, 0, 0] for _ in range(order)]  # hyp, ref, match
    for h, r in zip(hyps, refs):
        h, r = "".join(h.split()), "".join(r.split())
        for n in range(1, order + 1):
            hc, rc = Counter(h[i:i + n] for i in range(len(h) - n + 1)), Counter(r[i:i + n] for i in range(len(r) - n + 1))
            stats[n - 1][0] += sum(hc.values())
            stats[n - 1][1] += sum(rc.values())
            stats[n - 1][2] += sum(min(c, rc[g]) for g, c in hc.items())
    prec = [m / hy for hy, re_, m in stats if hy > 0 and re_ > 0]
    rec = [m / re_ for hy, re_, m in stats if hy > 0 and re_ > 0]
    if not prec:
        return 0.0
    p, r = sum(prec) / len(prec), sum(rec) / len(rec)
    f = beta * beta
    return 0.0 if p + r == 0 else 100 * (1 + f) * p * r / (f * p + r)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    hyps = open(sys.argv[1], encoding="utf-8").read().split("\n")[:-1]
    refs = open(sys.argv[2], encoding="utf-8").read().split("\n")[:-1]
    if len(hyps) != len(refs):
        sys.exit(f"{len(hyps)} outputs but {len(refs)} references")
    bleu, matches, totals, hyp_len, ref_len = corpus_bleu(hyps, refs)
    precisions = "/".join(f"{100 * m / t:.1f}" for m, t in zip(matches, totals))
    print(f"BLEU = {bleu:.2f} {precisions} (ratio = {hyp_len / ref_len:.3f} hyp_len = {hyp_len} ref_len = {ref_len})")
    print(f"chrF2 = {corpus_chrf(hyps, refs):.2f}")


if __name__ == "__main__":
    main()
