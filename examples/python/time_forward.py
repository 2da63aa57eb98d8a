"""Time loading an `attnlab export` file and its first forward call, with plain PyTorch:
python3 time_forward.py FILE [INPUT...]   INPUT: long:BxT (token ids, all 5) or float:BxCxHxW (zeros)

Without INPUT, one example of the file's own kind: a max_length sequence (GPT, BERT), a
32-token source and target (translator) or one image (ViT). --spec prints that INPUT.
"""
import argparse
import json
import time

t0 = time.perf_counter()
import torch  # noqa: E402

t_import = time.perf_counter() - t0


def default_spec(path):
    files = {"attnlab.json": ""}
    torch.jit.load(path, _extra_files=files)
    meta = json.loads(files["attnlab.json"])
    if meta["model_type"] == "seq2seq":
        n = min(32, meta["max_length"])
        return [f"long:1x{n}", f"long:1x{n}"]
    if "image" in meta:
        i = meta["image"]
        return [f"float:1x{i['channels']}x{i['height']}x{i['width']}"]
    return [f"long:1x{meta['max_length']}"]


def make(spec):
    kind, dims = spec.split(":")
    sizes = [int(d) for d in dims.split("x")]
    return torch.full(sizes, 5, dtype=torch.long) if kind == "long" else torch.zeros(sizes)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file")
    p.add_argument("inputs", nargs="*")
    p.add_argument("--spec", action="store_true", help="print the default INPUT and exit")
    a = p.parse_args()
    if a.spec:
        print(" ".join(default_spec(a.file)))
        return
    inputs = [make(s) for s in (a.inputs or default_spec(a.file))]
    t1 = time.perf_counter()
    module = torch.jit.load(a.file, map_location="cpu")
    module.eval()
    t2 = time.perf_counter()
    with torch.no_grad():
        out = module(*inputs)
    t3 = time.perf_counter()
    print(f"output {list(out.shape)}  import torch {t_import * 1e3:.0f} ms  load {(t2 - t1) * 1e3:.1f} ms  "
          f"first forward {(t3 - t2) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
