#!/usr/bin/env python3
"""Config fuzzer: how well does `attnlab train` refuse bad config values?

    python3 scripts/fuzz_config.py --attnlab build/apps/attnlab --n 200 [--seed 1]
        [--out fuzz.jsonl] [--jobs 1]

Run from anywhere (it works in the repository root). Every mutant is INVALID by
construction except one control ("structure:empty_section", which must train). Kinds, drawn
in fixed proportions (60% numeric, 15% relation, 25% structure) from a seeded generator, so
the same --seed gives the same mutants whatever the binary:
  numeric    a numeric key of the tiny config set to nan, .nan, inf, -inf, a negative count,
             a probability > 1, an int64-max iteration count or an absurd size
  relation   min_lr > learning_rate, warmup_iters > lr_decay_iters, 11 ViT class names,
             curriculum_points > n_points
  structure  second YAML document, misspelled/odd/cyclic `extends`, a directory or a sweep
             file as the config, an empty section (valid), val_fraction: nan
Mutant files are written next to the config they extend (configs/*/.fuzz_*.yaml) and deleted;
each runs as `timeout 60 prlimit --as=16GiB BIN train MUTANT <speed overrides>` (no override
for a key the mutant sets). Classes: refused_named (rc != 0, the message names the key or
the problem), refused_other, backtrace (C++ backtrace, bad_alloc), crash (killed by a signal),
accepted (rc 0 for an invalid mutant), timeout, ok / refused_valid (the valid control).
Score = refused_named + ok. One JSON record per mutant goes to --out.
"""
import argparse, collections, concurrent.futures, json, os, random, re, shutil, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = ["configs/gpt/kjv_char_tiny.yaml", "configs/bert/kjv_mlm_tiny.yaml",
           "configs/bert/kjv_books_tiny.yaml", "configs/icl/linear_regression_tiny.yaml",
           "configs/vit/fashion_mnist_tiny.yaml", "configs/translator/bible_en_es_tiny.yaml"]
SPEED = {"trainer.max_iters": "2", "trainer.eval_interval": "2", "trainer.eval_iters": "1",
         "trainer.checkpoint_interval": "2", "trainer.log_interval": "1", "experiment.threads": "1"}
INT64_MAX = "9223372036854775807"
# Numeric keys (docs/config.md) by class: count (integer >= 0), iter (count that may overflow),
# prob ([0, 1]), pos (real >= 0), real (any finite number).
COMMON = {"experiment.seed": "real", "experiment.threads": "count", "distributed.timeout_s": "pos",
          "trainer.max_iters": "iter", "trainer.max_minutes": "pos", "trainer.batch_size": "count",
          "trainer.gradient_accumulation_steps": "count", "trainer.eval_interval": "count",
          "trainer.eval_iters": "count", "trainer.log_interval": "count",
          "trainer.checkpoint_interval": "count", "optimizer.learning_rate": "pos",
          "optimizer.weight_decay": "pos", "optimizer.beta1": "prob", "optimizer.beta2": "prob",
          "optimizer.eps": "pos", "optimizer.grad_clip": "pos", "schedule.warmup_iters": "iter",
          "schedule.lr_decay_iters": "iter", "schedule.min_lr": "pos",
          "model.n_layer": "count", "model.n_head": "count", "model.n_embd": "count",
          "model.mlp_ratio": "count", "model.dropout": "prob", "model.n_kv_head": "count"}
MODEL = {"gpt": {"model.vocab_size": "count", "model.block_size": "count"},
         "bert": {"model.vocab_size": "count", "model.max_len": "count"},
         "seq2seq": {"model.vocab_size": "count", "model.max_len": "count",
                     "model.n_decoder_layer": "count", "model.label_smoothing": "prob",
                     "model.beam": "count", "model.length_penalty": "real",
                     "model.max_output_ratio": "pos", "model.max_output_extra": "count"},
         "vit": {"model.patch_size": "count", "model.label_smoothing": "prob"},
         "icl_regressor": {}}
VERSE = {"data.val_fraction": "prob", "data.test_fraction": "prob", "data.split_seed": "real",
         "data.max_len": "count"}
DATA = {"text": {"data.val_fraction": "prob"},
        "masked_text": {**VERSE, "data.mask_prob": "prob", "data.mask_token_prob": "prob",
                        "data.random_token_prob": "prob"},
        "verse_classification": {**VERSE, "data.train_examples": "count"},
        "parallel_text": {"data.val_examples": "count", "data.test_examples": "count",
                          "data.split_seed": "real", "data.vocab_size": "count",
                          "data.max_len": "count", "data.max_tokens": "count",
                          "data.bucket_window": "count"},
        "image_classification": {"data.val_examples": "count", "data.crop_padding": "count"},
        "icl_linear": {"data.n_dims": "count", "data.n_points": "count", "data.noise_std": "pos",
                       "data.val_prompts": "count", "data.curriculum_every": "count",
                       "data.curriculum_dims": "count", "data.curriculum_points": "count"}}
HUGE = {"model.n_embd": "1000000", "model.mlp_ratio": "1000000", "model.n_layer": "1000000",
        "trainer.batch_size": "1000000000", "data.n_points": "1000000",
        "experiment.threads": "1000000", "data.crop_padding": "1000",
        "data.train_examples": "1000000000"}
NONFINITE = [("nan", "nan"), (".nan", ".nan"), ("inf", "inf"), ("-inf", "-inf")]
WEIGHTS = [("numeric", 0.60), ("relation", 0.15), ("structure", 0.25)]
# Within a kind, mutations take turns (so numeric is 10% each nan/.nan/inf/-inf/prob>1/overflow,
# 20% each negative/huge); the config and key are then drawn among those the mutation fits.
NUMERIC = ["nan", ".nan", "inf", "-inf", "negative", "negative", "prob>1", "overflow", "huge", "huge"]
RELATIONS = ["min_lr_above_lr", "warmup_above_decay", "class_names_11", "curriculum_points_above"]
STRUCTURES = ["second_document", "etxends", "extends_dot", "extends_empty", "extends_cycle",
              "directory", "sweep_file", "empty_section", "val_fraction_nan"]
BACKTRACE = re.compile(r"Exception raised from|frame #|std::bad_alloc|can't allocate memory")


def load(path):
    """The resolved {section: {key: value}} of a (simple, two-level) config and its extends."""
    out, section, base = {}, None, None
    for line in open(path).read().splitlines():
        body = re.sub(r"\s+#.*$", "", line).rstrip()
        if not body or body.lstrip().startswith("#"):
            continue
        m = re.match(r"^(\s*)([\w.]+):\s*(.*)$", body)
        if not m:
            continue
        value = m.group(3).strip().strip('"')
        if not m.group(1) and m.group(2) == "extends":
            base = load(os.path.join(os.path.dirname(path), value))
        elif not m.group(1):
            section = out.setdefault(m.group(2), {})
        elif section is not None:
            section[m.group(2)] = value
    if base:
        for sec, keys in out.items():
            base.setdefault(sec, {}).update(keys)
        out = base
    return out


def set_key(text, dotted, value):
    """text with section.key set to value (in place if present, else added to its section)."""
    section, key = dotted.split(".", 1)
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"^{section}:\s*(#.*)?$", line):
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or lines[j][0] in " #"):
                if re.match(rf"^\s+{key}:", lines[j]):
                    lines[j] = f"  {key}: {value}"
                    return "\n".join(lines) + "\n"
                j += 1
            lines.insert(i + 1, f"  {key}: {value}")
            return "\n".join(lines) + "\n"
    return "\n".join(lines) + f"\n{section}:\n  {key}: {value}\n"


def numeric_keys(cfg):
    keys = dict(COMMON)
    keys.update(MODEL[cfg["model"]["type"]])
    keys.update(DATA[cfg["data"]["type"]])
    return keys


def values_for(key, cls):
    vals = list(NONFINITE)
    if cls != "real":
        vals.append(("negative", "-0.5" if cls == "prob" else "-1"))
    if cls == "prob":
        vals.append(("prob>1", "1.5"))
    if cls == "iter":
        vals.append(("overflow", INT64_MAX))
    if key in HUGE:
        vals.append(("huge", HUGE[key]))
    return vals


def draw(rng, kind, sub, resolved):
    """One mutant: dict(mutation, config, sets {key: value}, names (keys the error may name))."""
    if kind == "numeric":
        fits = [(c, k, dict(values_for(k, cls))[sub]) for c in CONFIGS
                for k, cls in numeric_keys(resolved[c]).items() if sub in dict(values_for(k, cls))]
        config, key, value = rng.choice(fits)
        return dict(mutation=sub, config=config, sets={key: value}, names=[key])
    if kind == "relation":
        rel = sub
        if rel == "min_lr_above_lr":
            config = rng.choice(CONFIGS)
            lr = float(resolved[config]["optimizer"].get("learning_rate", "6e-4"))
            sets = {"schedule.min_lr": repr(lr * 2)}
            names = ["schedule.min_lr", "optimizer.learning_rate"]
        elif rel == "warmup_above_decay":
            config = rng.choice([c for c in CONFIGS if resolved[c].get("schedule", {})
                                 .get("type", "cosine") == "cosine"])
            decay = int(resolved[config]["schedule"].get("lr_decay_iters", "0")) or 10
            sets = {"schedule.lr_decay_iters": str(decay), "schedule.warmup_iters": str(decay + 10)}
            names = list(sets)
        elif rel == "class_names_11":
            config = "configs/vit/fashion_mnist_tiny.yaml"
            sets = {"data.class_names": '"' + ",".join(f"c{i}" for i in range(11)) + '"'}
            names = list(sets)
        else:
            config = "configs/icl/linear_regression_tiny.yaml"
            points = int(resolved[config]["data"]["n_points"])
            sets = {"data.curriculum_every": "5", "data.curriculum_points": str(points + 4)}
            names = ["data.curriculum_points", "data.n_points"]
        return dict(mutation=rel, config=config, sets=sets, names=names)
    if sub == "val_fraction_nan":
        config = rng.choice([c for c in CONFIGS if "data.val_fraction" in numeric_keys(resolved[c])])
        return dict(mutation=sub, config=config, sets={"data.val_fraction": "nan"},
                    names=["data.val_fraction"])
    config = rng.choice(CONFIGS)
    if sub == "directory":
        config = os.path.dirname(config)
    elif sub == "sweep_file":
        config = rng.choice(sorted(f"configs/sweeps/{f}" for f in os.listdir("configs/sweeps")))
    pattern = {"second_document": r"document", "etxends": r"etxends", "extends_dot": r"extends",
               "extends_empty": r"extends", "extends_cycle": r"cycl|circular",
               "directory": r"director", "sweep_file": r"sweep", "empty_section": None}[sub]
    return dict(mutation=sub, config=config, sets={}, names=[], pattern=pattern,
                expect="run" if sub == "empty_section" else "refuse")


def write_mutant(m, ident):
    """Writes the mutant's files; returns (config path to train, files to delete)."""
    sub, config = m["mutation"], m["config"]
    if sub in ("directory", "sweep_file"):
        return config, []
    folder = os.path.dirname(config)
    path = os.path.join(folder, f".fuzz_{ident}.yaml")
    text = open(config).read()
    for key, value in m["sets"].items():
        text = set_key(text, key, value)
    files = [path]
    extends = re.compile(r"^extends:.*$", re.M)
    if sub == "second_document":
        text += "---\nmodel:\n  n_layer: 3\n"
    elif sub == "etxends":
        text = extends.sub(lambda x: "etxends" + x.group(0)[7:], text)
    elif sub == "extends_dot":
        text = extends.sub("extends: .", text)
    elif sub == "extends_empty":
        text = extends.sub('extends: ""', text)
    elif sub == "extends_cycle":
        b, c = (f".fuzz_{ident}_{x}.yaml" for x in "bc")
        text = extends.sub(f"extends: {b}", text)
        open(os.path.join(folder, b), "w").write(f"extends: {c}\n")
        open(os.path.join(folder, c), "w").write(f"extends: .fuzz_{ident}.yaml\n")
        files += [os.path.join(folder, b), os.path.join(folder, c)]
        m["pattern_all"] = [f".fuzz_{ident}.yaml", b, c]   # the chain must be named
    elif sub == "empty_section":
        text = re.sub(r"^experiment:[^\n]*\n(?:(?:[ #][^\n]*)?\n)*", "experiment:\n\n", text,
                      flags=re.M)
    open(path, "w").write(text)
    return path, files


def message(out):
    """The error part of the output: from the first error line, else the last lines."""
    lines = [l for l in out.splitlines() if l.strip()]
    for i, l in enumerate(lines):
        if re.search(r"\berror\b|terminate called|what\(\)", l, re.I):
            return lines[i:]
    return lines[-5:]


def run_one(bin_path, ident, m):
    run_dir = f"/tmp/fuzz_runs/{ident}"
    files = []
    try:
        config, files = write_mutant(m, ident)
        speed = {**SPEED, "experiment.out_dir": run_dir}
        args = [f"{k}={v}" for k, v in speed.items() if k not in m["sets"]]
        cmd = ["timeout", "60", "prlimit", "--as=17179869184", bin_path, "train", config] + args
        start = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=120)
            rc, out = p.returncode, p.stderr + "\n" + p.stdout
        except subprocess.TimeoutExpired:
            rc, out = 124, ""
        seconds = round(time.time() - start, 1)
    finally:
        for f in files:
            if os.path.exists(f):
                os.remove(f)
        shutil.rmtree(run_dir, ignore_errors=True)
    msg = message(out) if rc != 0 else [l for l in out.splitlines() if l.strip()][-2:]
    text = "\n".join(msg)
    named = None
    if m.get("pattern"):
        ok = re.search(m["pattern"], text, re.I) and all(s in text for s in m.get("pattern_all", []))
        named = "problem" if ok else None
    for key in m["names"]:
        if key in text:
            named = "path"
            break
        if named is None and re.search(rf"\b{re.escape(key.split('.')[-1])}\b", text):
            named = "leaf"
    if rc == 124:
        cls = "timeout"
    elif BACKTRACE.search(out):
        cls = "backtrace"
    elif m.get("expect") == "run":
        cls = "ok" if rc == 0 else "refused_valid"
    elif rc == 0:
        cls = "accepted"
    elif rc > 128 or rc < 0:
        cls = "crash"
    else:
        cls = "refused_named" if named else "refused_other"
    return dict(id=ident, kind=m["kind"], mutation=m["mutation"], config=m["config"],
                sets=m["sets"], expected=m.get("expect", "refuse"), rc=rc, cls=cls, named=named,
                seconds=seconds, message=msg[:5])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--attnlab", default="build/apps/attnlab", help="the binary to test")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=200, help="mutants")
    ap.add_argument("--out", default="fuzz_config.jsonl", help="one JSON record per mutant")
    ap.add_argument("--jobs", type=int, default=1, help="mutants run at once")
    a = ap.parse_args()
    bin_path, out_path = os.path.abspath(a.attnlab), os.path.abspath(a.out)
    os.chdir(ROOT)
    rng = random.Random(a.seed)
    resolved = {c: load(c) for c in CONFIGS}
    subs = {"numeric": NUMERIC, "relation": RELATIONS, "structure": STRUCTURES}
    plan = [(k, subs[k][i % len(subs[k])]) for k, w in WEIGHTS for i in range(round(a.n * w))]
    plan = (plan + [("numeric", "nan")] * a.n)[:a.n]
    rng.shuffle(plan)
    mutants, seen = [], set()
    for kind, sub in plan:
        for _ in range(100):   # avoid repeats while the space allows
            m = draw(rng, kind, sub, resolved)
            sig = json.dumps([m["mutation"], m["config"], m["sets"]], sort_keys=True)
            if sig not in seen:
                break
        seen.add(sig)
        mutants.append({**m, "kind": kind})
    idents = [f"{a.seed}_{i:04d}" for i in range(len(mutants))]
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool, open(out_path, "w") as out:
        results = []
        for r in pool.map(lambda im: run_one(bin_path, *im), zip(idents, mutants)):
            results.append(r)
            out.write(json.dumps(r) + "\n")
            out.flush()
            print(f"{r['id']} {r['kind']:9} {r['mutation']:22} {r['cls']:13} {r['config']} "
                  f"{r['sets']} | {(r['message'] or [''])[0][:120]}", flush=True)
    classes = ["refused_named", "refused_other", "backtrace", "crash", "accepted", "timeout",
               "ok", "refused_valid"]
    rows = collections.defaultdict(collections.Counter)
    for r in results:
        rows[f"{r['kind']}:{r['mutation']}"][r["cls"]] += 1
        rows[r["kind"]][r["cls"]] += 1
        rows["TOTAL"][r["cls"]] += 1
    print(f"\n{'mutation':34}" + "".join(f"{c:>{len(c) + 1}}" for c in classes) + "      n")
    for name in sorted(rows, key=lambda n: (n == "TOTAL", n.split(":")[0], ":" in n, n)):
        print(f"{name:34}" + "".join(f"{rows[name][c]:>{len(c) + 1}}" for c in classes)
              + f"{sum(rows[name].values()):>7}")
    score = rows["TOTAL"]["refused_named"] + rows["TOTAL"]["ok"]
    leaf = sum(r["named"] == "leaf" and r["cls"] == "refused_named" for r in results)
    print(f"\nscore {score}/{len(results)} (refused_named + ok; {leaf} named by leaf only)")


if __name__ == "__main__":
    main()
