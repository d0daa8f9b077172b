#!/usr/bin/env python3
"""SentencePiece reference for test/sentencepiece.test.ts (Debian's python3-sentencepiece).

Reads one JSON request from the file named on the command line, prints one JSON answer on stdout:

  {"train":  [{"model": path, "corpus": path, "vocab_size": n, "add_dummy_prefix": b,
               "remove_extra_whitespaces": b, "byte_fallback": b, "user_defined_symbols": [...],
               "normalization_rule_name": "identity", "split_digits": b,
               "allow_whitespace_only_pieces": b}],                 -> trains each model (BPE) first
   "encode": [{"model": path, "texts": [...], "decode": [[id, ...], ...]}],
   "internlm2": [{"dir": path, "prompts": [...], "decode": [[id, ...], ...]}],
   "llama": [{"dir": path, "prompts": [...], "decode": [[id, ...], ...], "decode_keep": [[id, ...], ...]}]}

  answer: {"encode": [{"ids": [[...]], "pieces": [[...]], "decoded": [...], "decode": [...],
                       "piece_size": n}],
           "internlm2": [{"input_ids": [[...]], "decode": [...], "piece_size": n}],
           "llama": [{"input_ids": [[...]], "tokens": [[...]], "decode": [...], "decode_keep": [...],
                      "piece_size": n, "all_special_tokens": [...]}]}

"encode" is plain SentencePiece: sp.encode(text, out_type=int / str) and sp.decode(ids).
"internlm2" emulates InternLM2Tokenizer (tokenization_internlm2.py) as transformers' slow PreTrainedTokenizer
runs it, written out here without transformers: split the text on the added tokens of tokenizer_config.json
(leftmost, longest; no lstrip/rstrip in these files), sp.encode(segment, out_type=str) for each non-empty text
segment, each token to an id through the added tokens first and sp.piece_to_id otherwise, then [sp.bos_id()]
in front when add_bos_token (default true) and [sp.eos_id()] at the end when add_eos_token (default false).
Its "decode" is decode(ids, skip_special_tokens=True): special added tokens dropped, added tokens kept as their
text, and each run of model pieces between them through sp.decode.

"llama" emulates transformers' slow LlamaTokenizer (models/llama/tokenization_llama.py on PreTrainedTokenizer,
tokenization_utils.py), written out here from those rules without transformers; see LlamaEmulation. "decode" is
decode(ids, skip_special_tokens=True), "decode_keep" the same with skip_special_tokens=False.
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
        split_digits=spec.get("split_digits", False),
        allow_whitespace_only_pieces=spec.get("allow_whitespace_only_pieces", False),
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


SPIECE_UNDERLINE = "\u2581"
SPECIAL_TOKENS_ATTRIBUTES = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]


def without_dummy_prefix(proto):
    """The serialized ModelProto after model.normalizer_spec.MergeFrom(NormalizerSpec(add_dummy_prefix=False)).

    There is no protobuf runtime here, so the merge is done on the wire: a second normalizer_spec (field 3)
    holding only add_dummy_prefix (field 3) = 0 is appended; a protobuf parser merges repeated occurrences of a
    message field and keeps the last value of a scalar, which is exactly MergeFrom.
    """
    return proto + bytes([0x1A, 0x02, 0x18, 0x00])


def token_content(value):
    """A special token as tokenizer_config.json / special_tokens_map.json store it: a string or an AddedToken dict."""
    if value is None or isinstance(value, str):
        return value
    return value["content"]


class LlamaEmulation:
    """transformers' slow LlamaTokenizer, loaded as from_pretrained(dir, use_fast=False) loads it."""

    def __init__(self, directory):
        def read_json(name):
            path = os.path.join(directory, name)
            if not os.path.exists(path):
                return None
            with open(path, encoding="utf-8") as f:
                return json.load(f)

        config = read_json("tokenizer_config.json") or {}
        assert config.get("tokenizer_class") == "LlamaTokenizer"
        # from_pretrained: special_tokens_map.json sets the special token attributes over the config's; its
        # additional_special_tokens are appended to the config's (each once).
        kwargs = dict(config)
        for key, value in (read_json("special_tokens_map.json") or {}).items():
            if key == "additional_special_tokens":
                merged = [token_content(t) for t in kwargs.get("additional_special_tokens") or []]
                for t in value:
                    if token_content(t) not in merged:
                        merged.append(token_content(t))
                kwargs[key] = merged
            else:
                kwargs[key] = token_content(value)
        # LlamaTokenizer.__init__ defaults.
        self.legacy = kwargs.get("legacy")
        if self.legacy is None:
            self.legacy = True
        self.add_prefix_space = kwargs.get("add_prefix_space", True)
        self.add_bos_token = kwargs.get("add_bos_token", True)
        self.add_eos_token = kwargs.get("add_eos_token", False)
        attrs = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
        for key in SPECIAL_TOKENS_ATTRIBUTES:
            if key in kwargs:
                attrs[key] = token_content(kwargs[key])
        self.attrs = attrs
        self.additional = [token_content(t) for t in kwargs.get("additional_special_tokens") or []]
        self.unk_token = attrs["unk_token"]

        # get_spm_processor: with legacy false (and not from_slow) the model loses its dummy prefix.
        with open(os.path.join(directory, "tokenizer.model"), "rb") as f:
            proto = f.read()
        if not self.legacy and not kwargs.get("from_slow", False):
            proto = without_dummy_prefix(proto)
        self.sp = spm.SentencePieceProcessor()
        self.sp.LoadFromSerializedProto(proto)

        # Added tokens: added_tokens_decoder, or (older files) added_tokens.json.
        self.added = {}
        if "added_tokens_decoder" in config:
            for k, v in config["added_tokens_decoder"].items():
                self.added[int(k)] = dict(v)
        else:
            specials = {t for t in list(attrs.values()) + self.additional if t}
            for content, idx in (read_json("added_tokens.json") or {}).items():
                self.added[idx] = {"content": content, "lstrip": False, "rstrip": False, "single_word": False,
                                   "special": content in specials}
        for v in self.added.values():
            assert not v.get("single_word"), "single_word not emulated"
        self.encoder = {v["content"]: k for k, v in self.added.items()}

        # all_special_tokens: the attributes in SPECIAL_TOKENS_ATTRIBUTES order, then additional_special_tokens.
        self.all_special_tokens = []
        for t in [attrs.get(k) for k in SPECIAL_TOKENS_ATTRIBUTES] + self.additional:
            if t and t not in self.all_special_tokens:
                self.all_special_tokens.append(t)
        # PreTrainedTokenizer.__init__: a special token that is not an added token becomes one, at its id in
        # get_vocab() (the pieces, then the added tokens) or after the vocabulary.
        vocab = {self.sp.id_to_piece(i): i for i in range(self.sp.get_piece_size())}
        vocab.update(self.encoder)
        for t in self.all_special_tokens:
            if t in self.encoder:
                continue
            idx = vocab.get(t, len(vocab))
            self.added[idx] = {"content": t, "lstrip": False, "rstrip": False, "single_word": False, "special": True}
            self.encoder[t] = idx
            vocab[t] = idx
        self.contents = sorted(self.encoder, key=len, reverse=True)
        self.unk_token_length = len(self.sp.encode(str(self.unk_token)))

    # --- encoding ---

    def convert_token_to_id(self, token):
        if token in self.encoder:
            return self.encoder[token]
        return self.sp.piece_to_id(token)

    def trie_split(self, text):
        """Trie.split: the text cut before and after every added token (leftmost, longest), no empty pieces."""
        out, start, pos = [], 0, 0
        while pos < len(text):
            match = next((c for c in self.contents if text.startswith(c, pos)), None)
            if match is None:
                pos += 1
                continue
            out.append(text[start:pos])
            out.append(match)
            pos += len(match)
            start = pos
        out.append(text[start:])
        return [s for s in out if s]

    def base_tokenize(self, text):
        """PreTrainedTokenizer.tokenize."""
        tokens = self.trie_split(text)
        no_split = set(self.encoder)
        for i, token in enumerate(tokens):
            if token in no_split:
                tok = self.added[self.encoder[token]]
                left = tokens[i - 1] if i > 0 else None
                right = tokens[i + 1] if i < len(tokens) - 1 else None
                if tok.get("rstrip") and right:
                    tokens[i + 1] = right.lstrip()
                if tok.get("lstrip") and left:
                    tokens[i - 1] = left.rstrip()
        out = []
        for token in tokens:
            if not token:
                continue
            if token in no_split:
                out.append(token)
            else:
                out.extend(self._tokenize(token))
        return out

    def _tokenize(self, text):
        if self.legacy or not text.startswith((SPIECE_UNDERLINE, " ")):
            return self.sp.encode(text, out_type=str)
        tokens = self.sp.encode(self.unk_token + text, out_type=str)
        return tokens[self.unk_token_length:] if len(tokens) >= self.unk_token_length else tokens

    def tokenize(self, text):
        if self.legacy or len(text) == 0:
            return self.base_tokenize(text)
        text = text.replace(SPIECE_UNDERLINE, " ")
        if self.add_prefix_space:
            text = SPIECE_UNDERLINE + text
        tokens = self.base_tokenize(text)
        if len(tokens) > 1 and tokens[0] == SPIECE_UNDERLINE and tokens[1] in self.all_special_tokens:
            tokens = tokens[1:]
        return tokens

    def input_ids(self, text):
        ids = [self.convert_token_to_id(t) for t in self.tokenize(text)]
        bos = [self.convert_token_to_id(self.attrs["bos_token"])] if self.add_bos_token else []
        eos = [self.convert_token_to_id(self.attrs["eos_token"])] if self.add_eos_token else []
        return bos + ids + eos

    # --- decoding ---

    def convert_tokens_to_string(self, tokens):
        if tokens[0].startswith(SPIECE_UNDERLINE) and self.add_prefix_space:
            tokens[0] = tokens[0][1:]
        current, out, prev_is_special = [], "", False
        for i, token in enumerate(tokens):
            if token in self.all_special_tokens:
                if not prev_is_special and i != 0 and self.legacy:
                    out += " "
                out += self.sp.decode(current) + token
                prev_is_special = True
                current = []
            else:
                if prev_is_special and i == 1 and self.add_prefix_space and not token.startswith(SPIECE_UNDERLINE):
                    out += " "
                current.append(token)
                prev_is_special = False
        return out + self.sp.decode(current)

    def decode(self, ids, skip_special_tokens):
        """_decode with spaces_between_special_tokens=True (its default) and no clean-up."""
        all_special_ids = {self.convert_token_to_id(t) for t in self.all_special_tokens}
        tokens = []
        for i in ids:
            if skip_special_tokens and i in all_special_ids:
                continue
            tokens.append(self.added[i]["content"] if i in self.added else self.sp.id_to_piece(i))
        legacy_added = set(self.encoder) - set(self.all_special_tokens) | {
            t for t in self.additional if self.convert_token_to_id(t) >= self.sp.get_piece_size()
        }
        sub_texts, current = [], []
        for token in tokens:
            if token in legacy_added:
                if current:
                    string = self.convert_tokens_to_string(current)
                    if len(string) > 0:
                        sub_texts.append(string)
                    current = []
                sub_texts.append(token)
            else:
                current.append(token)
        if current:
            sub_texts.append(self.convert_tokens_to_string(current))
        return " ".join(sub_texts)


def llama(spec):
    tok = LlamaEmulation(spec["dir"])
    prompts = spec.get("prompts", [])
    return {
        "input_ids": [tok.input_ids(p) for p in prompts],
        "tokens": [tok.tokenize(p) for p in prompts],
        "decode": [tok.decode(ids, True) for ids in spec.get("decode", [])],
        "decode_keep": [tok.decode(ids, False) for ids in spec.get("decode_keep", [])],
        "piece_size": tok.sp.get_piece_size(),
        "all_special_tokens": tok.all_special_tokens,
    }


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
        "llama": [llama(s) for s in request.get("llama", [])],
    }
    json.dump(answer, sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
