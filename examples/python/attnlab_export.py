"""Open a file written by `attnlab export` with plain PyTorch (no attnlab needed).

The file is a TorchScript module; its extra files say what it is and carry the tokenizer:
  attnlab.json    model type, methods and their signatures, max_length, special token ids,
                  class names, image size and normalisation
  config.json     the run's resolved experiment config
  tokenizer.json  the tokenizer (char: its characters; sentencepiece: names tokenizer.model)
  tokenizer.model the SentencePiece model (sentencepiece tokenizers only)
"""
import json

import torch

EXTRA_FILES = ("attnlab.json", "config.json", "tokenizer.json", "tokenizer.model")


class CharTokenizer:
    """attnlab's char tokenizer: one id per Unicode character, after any special tokens."""

    def __init__(self, spec):
        specials = spec.get("specials", [])
        self.pieces = specials + spec["chars"]
        self.unk = 1 if specials else None  # [PAD] [UNK] [CLS] [SEP] [MASK] at ids 0..4
        self.ids = {p: i for i, p in enumerate(self.pieces) if i >= len(specials)}

    def encode(self, text):
        if self.unk is None:
            missing = [c for c in text if c not in self.ids]
            if missing:
                raise ValueError(f"character {missing[0]!r} is not in the tokenizer's vocabulary")
        return [self.ids.get(c, self.unk) for c in text]

    def decode(self, ids):
        return "".join(self.pieces[i] for i in ids)


class SentencePieceTokenizer:
    """attnlab's sentencepiece tokenizer: the SentencePiece model itself (Debian: python3-sentencepiece).

    Lossless (a GPT's text, tokenizer.json "lossless": true), encoding follows attnlab's: line
    by line with "\n" as id 5, and SentencePiece's space marker U+2581 written in the text as
    its three byte pieces, so that decode(encode(text)) == text for any text; decoding writes
    the special tokens (ids 0..4, such as the documents' separator [SEP]) as their pieces.
    """

    SPECIALS = 5

    NEWLINE = 5

    def __init__(self, model_bytes, lossless=False):
        import sentencepiece

        self.sp = sentencepiece.SentencePieceProcessor()
        self.sp.LoadFromSerializedProto(model_bytes)
        self.lossless = lossless
        self.marker = [self.sp.PieceToId(f"<0x{b:02X}>") for b in "\u2581".encode()]

    def encode(self, text):
        if not self.lossless:
            return self.sp.EncodeAsIds(text)
        ids = []
        lines = text.split("\n")
        for i, line in enumerate(lines):
            for j, part in enumerate(line.split("\u2581")):
                if j:
                    ids += self.marker
                if part:
                    ids += self.sp.EncodeAsIds(part)
            if i < len(lines) - 1:
                ids.append(self.NEWLINE)
        return ids

    def decode(self, ids):
        if not self.lossless:
            return self.sp.DecodeIds(list(ids))
        out, run = "", []
        for i in ids:
            if i < self.SPECIALS:
                out += self.sp.DecodeIds(run) + self.sp.IdToPiece(i)
                run = []
            else:
                run.append(i)
        return out + self.sp.DecodeIds(run)


class Export:
    """An exported model: .module (torch.jit.ScriptModule), .meta (attnlab.json), .config, .tokenizer."""

    def __init__(self, path, map_location="cpu"):
        files = {name: "" for name in EXTRA_FILES}
        self.module = torch.jit.load(path, map_location=map_location, _extra_files=files)
        self.module.eval()
        if not files["attnlab.json"]:
            raise ValueError(f"{path} was not written by `attnlab export` (no attnlab.json inside)")
        self.meta = json.loads(files["attnlab.json"])
        self.config = json.loads(files["config.json"])
        self.tokenizer = None
        if files["tokenizer.json"]:
            spec = json.loads(files["tokenizer.json"])
            if spec["type"] == "char":
                self.tokenizer = CharTokenizer(spec)
            elif spec["type"] == "sentencepiece":
                self.tokenizer = SentencePieceTokenizer(files["tokenizer.model"], spec.get("lossless", False))
            else:
                raise ValueError(f"unknown tokenizer type {spec['type']!r}")

    def require(self, model_type, objective=None):
        if self.meta["model_type"] != model_type or (objective and self.meta["objective"] != objective):
            raise SystemExit(f"this example needs a {model_type} export"
                             f"{' trained for ' + objective if objective else ''}; the file holds a "
                             f"{self.meta['model_type']} ({self.meta['objective']})")
