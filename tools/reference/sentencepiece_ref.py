#!/usr/bin/env python3
"""SentencePiece reference for test/sentencepiece.test.ts (Debian's python3-sentencepiece).

Reads one JSON request from the file named on the command line, prints one JSON answer on stdout:

  {"train":  [{"model": path, "corpus": path, "vocab_size": n, "add_dummy_prefix": b,
               "remove_extra_whitespaces": b, "byte_fallback": b, "user_defined_symbols": [...],
               "normalization_rule_name": "identity"}],            -> trains each model (BPE) first
   "encode": [{"model": path, "texts": [...], "decode": [[id, ...], ...]}],
   "internlm2": [{"dir": path, "prompts": [...], "decode": [[id, ...], ...]}]}

  answer: {"encode": [{"ids": [[...]], "pieces": [[...]], "decoded": [...], "decode": [...],
                       "piece_size": n}],
           "internlm2": [{"input_ids": [[...]], "decode": [...], "piece_size": n}]}

"encode" is plain SentencePiece: sp.encode(text, out_type=int / str) and sp.decode(ids).
"internlm2" emulates InternLM2Tokenizer (tokenization_internlm2.py) as transformers' slow PreTrainedTokenizer
runs it, written out here without transformers: split the text on the added tokens of tokenizer_config.json
(leftmost, longest; no lstrip/rstrip in these files), sp.encode(segment, out_type=str) for each non-empty text
segment, each token to an id through the added tokens first and sp.piece_to_id otherwise, then [sp.bos_id()]
in front when add_bos_token (default true) and [sp.eos_id()] at the end when add_eos_token (default false).
Its "decode" is decode(ids, skip_special_tokens=True): special added tokens dropped, added tokens kept as their
text, and each run of model pieces between them through sp.decode.
"""
import json
import os
import sys

import sentencepiece as spm


def train(spec):
    spm.SentencePieceTrainer.train(
        input=spec["corpus"],
        model_prefix=spec["model"][: -len(".model")],
        vocab_size=spec["vocab_size"],
        model_type="bpe",
        byte_fallback=spec.get("byte_fallback", True),
        normalization_rule_name=spec.get("normalization_rule_name", "identity"),
        add_dummy_prefix=spec.get("add_dummy_prefix", True),
        remove_extra_whitespaces=spec.get("remove_extra_whitespaces", True),
        user_defined_symbols=spec.get("user_defined_symbols", []),
        hard_vocab_limit=False,
        num_threads=1,
        minloglevel=2,
    )


def encode(spec):
    sp = spm.SentencePieceProcessor(model_file=spec["model"])
    texts = spec.get("texts", [])
    ids = [sp.encode(t, out_type=int) for t in texts]
    return {
        "ids": ids,
        "pieces": [sp.encode(t, out_type=str) for t in texts],
        "decoded": [sp.decode(i) for i in ids],
        "decode": [sp.decode(i) for i in spec.get("decode", [])],
        "piece_size": sp.get_piece_size(),
    }


class InternLM2Emulation:
    def __init__(self, directory):
        self.sp = spm.SentencePieceProcessor(model_file=os.path.join(directory, "tokenizer.model"))
        with open(os.path.join(directory, "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)
        self.added = {int(k): v for k, v in config.get("added_tokens_decoder", {}).items()}
        for v in self.added.values():
            assert not (v.get("lstrip") or v.get("rstrip") or v.get("single_word")), "flags not emulated"
        self.encoder = {v["content"]: k for k, v in self.added.items()}
        self.contents = sorted(self.encoder, key=len, reverse=True)
        self.add_bos = config.get("add_bos_token", True)
        self.add_eos = config.get("add_eos_token", False)

    def split(self, text):
        """[(is_added_token, string)], leftmost-longest matches of the added tokens."""
        out, start, pos = [], 0, 0
        while pos < len(text):
            match = next((c for c in self.contents if text.startswith(c, pos)), None)
            if match is None:
                pos += 1
                continue
            out.append((False, text[start:pos]))
            out.append((True, match))
            pos += len(match)
            start = pos
        out.append((False, text[start:]))
        return [(added, s) for added, s in out if s]

    def input_ids(self, text):
        tokens = []
        for added, s in self.split(text):
            tokens.extend([s] if added else self.sp.encode(s, out_type=str))
        ids = [self.encoder[t] if t in self.encoder else self.sp.piece_to_id(t) for t in tokens]
        return ([self.sp.bos_id()] if self.add_bos else []) + ids + ([self.sp.eos_id()] if self.add_eos else [])

    def decode(self, ids):
        out, run = "", []
        for i in ids:
            if i in self.added:
                if self.added[i].get("special"):
                    continue
                out += self.sp.decode(run) + self.added[i]["content"]
                run = []
            else:
                run.append(i)
        return out + self.sp.decode(run)


def internlm2(spec):
    tok = InternLM2Emulation(spec["dir"])
    return {
        "input_ids": [tok.input_ids(p) for p in spec.get("prompts", [])],
        "decode": [tok.decode(ids) for ids in spec.get("decode", [])],
        "piece_size": tok.sp.get_piece_size(),
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    for spec in request.get("train", []):
        train(spec)
    answer = {
        "encode": [encode(s) for s in request.get("encode", [])],
        "internlm2": [internlm2(s) for s in request.get("internlm2", [])],
    }
    json.dump(answer, sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
