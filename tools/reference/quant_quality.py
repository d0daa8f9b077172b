#!/usr/bin/python3
"""What q8 and q4 (runtime/quant.ts, numpy in quant_ref.py) do to one checkpoint's language model, in the float32
PyTorch reference: the bf16 model generates STEPS greedy tokens after the prompt; each quantized model then reads the
same prompt + tokens in one teacher-forced pass. Reported per format: the relative error ||l_q - l|| / ||l|| of the
last prompt position's logits, the largest absolute logit difference there, and top-1 agreement (the quantized
model's argmax equals the bf16 model's greedy token) over the STEPS positions.

usage: quant_quality.py --model DIR --ids IDS.json [--steps 64] [--formats q8,q4] [--threads 2]
Stdout: one JSON line {"steps": N, "formats": {"q8": {"logits_rel_err": …, "logits_max_abs": …, "top1": …}, …}}
"""
import os
import sys

try:
    import torch  # noqa: F401
except ImportError:
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

import argparse
import json

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from internvl_ref import quantize_weights  # noqa: E402
from modeling import Config, InternVLRef, load_weights  # noqa: E402


def all_logits(model, ids):
    return model.logits(model.llm(model.embed(ids)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--formats", default="q8,q4")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = Config.load(a.model)
    with open(a.ids) as f:
        prompt = [int(x) for x in json.load(f)]
    with torch.no_grad():
        base = load_weights(a.model, cfg, torch.float32)
        ref = InternVLRef(cfg, base)
        tokens = ref.generate(prompt, max_new_tokens=a.steps, eos=-1)
        seq = prompt + tokens[:-1]  # position len(prompt) - 1 + i predicts tokens[i]
        want = all_logits(ref, seq)
        out = {}
        for fmt in a.formats.split(","):
            w = dict(base)
            quantize_weights(w, cfg, fmt)
            got = all_logits(InternVLRef(cfg, w), seq)
            last = len(prompt) - 1
            d = got[last] - want[last]
            picks = got[last:].argmax(dim=-1).tolist()
            out[fmt] = {
                "logits_rel_err": float(d.norm() / want[last].norm()),
                "logits_max_abs": float(d.abs().max()),
                "top1": sum(int(p == t) for p, t in zip(picks, tokens)) / len(tokens),
            }
    print(json.dumps({"steps": len(tokens), "formats": out}))


if __name__ == "__main__":
    main()
