#!/usr/bin/python3
"""The PyTorch side of `npm run bench` (bench/model.ts): the same workloads through the float32 reference model
(tools/reference/modeling.py), in float32 and bfloat16, with the thread count stated.

  /usr/bin/python3 bench/model/torch_bench.py --model DIR --workload WORKLOAD.json [--dtypes f32,bf16] [--threads 2]

WORKLOAD.json (written by bench/model/torch.ts): {"tiles": [1, 7, 13], "vit_batches": [1, 13],
  "ttft_ids": {"1": [...], ...}, "pp_ids": [...], "tg_prompt_ids": [...], "new_tokens": N, "reps": R,
  "warmup": 1}
Stdout, last line: {"torch": {...}} with per-dtype lists of milliseconds / rates (the caller computes the stats).
Progress goes to stderr.
"""
import os
import sys

try:
    import torch  # noqa: F401
except ImportError:  # a python3 without torch on PATH; the Debian one has it
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

import argparse
import json
import resource
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "reference"))
from modeling import Config, InternVLRef, load_weights  # noqa: E402


def log(*a):
    print("[torch]", *a, file=sys.stderr, flush=True)


def timed(fn, reps, warmup):
    out = []
    for r in range(warmup + reps):
        t0 = time.perf_counter()
        fn()
        ms = (time.perf_counter() - t0) * 1e3
        if r >= warmup:
            out.append(ms)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--workload", required=True)
    ap.add_argument("--dtypes", default="f32,bf16")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with open(args.workload) as f:
        wl = json.load(f)
    reps, warmup, N = wl["reps"], wl.get("warmup", 1), wl["new_tokens"]
    cfg = Config.load(args.model)
    t0 = time.perf_counter()
    base = load_weights(args.model, cfg, torch.float32)
    load_ms = (time.perf_counter() - t0) * 1e3
    log(f"loaded {args.model} in {load_ms:.0f} ms (float32)")
    report = {"torch": torch.__version__, "threads": torch.get_num_threads(), "load_ms": load_ms,
              "blas": _blas(), "loadavg_start": os.getloadavg()}
    g = torch.Generator().manual_seed(1)
    S = cfg.image_size
    max_tiles = max([*wl["tiles"], *wl["vit_batches"]])
    pixels = torch.randn(max_tiles, 3, S, S, generator=g)
    for dname in args.dtypes.split(","):
        dt = {"f32": torch.float32, "bf16": torch.bfloat16}[dname]
        w = base if dt == torch.float32 else {k: v.to(dt) for k, v in base.items()}
        m = InternVLRef(cfg, w)
        r = {"vit_ms_per_tile": {}, "ttft_ms": {}}
        with torch.no_grad():
            # per-tile figures from vit_layers of the layers, the layers scaled and the embeddings (conv, CLS,
            # positions) timed on their own and counted once (as our side does on a software adapter)
            run_layers = min(wl.get("vit_layers", cfg.v_layers), cfg.v_layers)
            full_layers, scale = cfg.v_layers, cfg.v_layers / run_layers
            cfg.v_layers = run_layers
            try:
                for B in wl["vit_batches"]:
                    ms = timed(lambda: m.vision(pixels[:B]), reps, warmup)
                    emb = timed(lambda: m.vision_embeddings(pixels[:B]), reps, warmup) if scale > 1 else [0.0] * len(ms)
                    per_tile = [(e + max(0.0, x - e) * scale) / B for x, e in zip(ms, emb)]
                    r["vit_ms_per_tile"][str(B)] = per_tile
                    log(f"{dname} vit batch {B} ({run_layers} of {full_layers} layers, scaled; embeddings once): {[round(x) for x in per_tile]} ms/tile")
            finally:
                cfg.v_layers = full_layers
            feats = m.vision(pixels[:1])
            r["projector_ms_per_tile"] = timed(lambda: m.project(feats), reps, warmup)

            def ttft(T):
                ids = wl["ttft_ids"][str(T)]
                f = m.image_features(pixels[:T])
                e = m.embed(ids, f)
                h = m.llm(e, 0, m.new_cache())
                return int(torch.argmax(m.logits(h[-1])))

            for T in wl["tiles"]:
                r["ttft_ms"][str(T)] = timed(lambda: ttft(T), reps, 0)  # pipelines: nothing to warm beyond vit
                log(f"{dname} ttft {T} tiles: {[round(x) for x in r['ttft_ms'][str(T)]]} ms")

            pp = wl["pp_ids"]

            def prefill():
                h = m.llm(m.embed(pp), 0, m.new_cache())
                return int(torch.argmax(m.logits(h[-1])))

            r["pp_tokens_per_s"] = [len(pp) / (x / 1e3) for x in timed(prefill, reps, warmup)]
            log(f"{dname} pp{len(pp)}: {[round(x, 1) for x in r['pp_tokens_per_s']]} tok/s")

            tg = wl["tg_prompt_ids"]
            tg_rates, step_ms = [], []
            for rep in range(warmup + reps):
                cache = m.new_cache()
                tok = int(torch.argmax(m.logits(m.llm(m.embed(tg), 0, cache)[-1])))
                t0 = time.perf_counter()
                for s in range(N):
                    tok = int(torch.argmax(m.logits(m.llm(m.embed([tok]), len(tg) + s, cache)[-1])))
                dt_s = time.perf_counter() - t0
                if rep >= warmup:
                    tg_rates.append(N / dt_s)
                    step_ms.append(dt_s * 1e3 / N)
            r["tg_tokens_per_s"] = tg_rates
            r["decode_ms_per_step"] = step_ms
            log(f"{dname} tg{N}: {[round(x, 1) for x in tg_rates]} tok/s")
        report[dname] = r
        del m, w
    report["maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    report["loadavg_end"] = os.getloadavg()
    print(json.dumps({"torch": report}))


def _blas():
    try:
        cfg = torch.__config__.show()
    except Exception:  # noqa: BLE001
        return "unknown"
    real = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    lib = "openblas" if "openblas" in real else ("reference netlib" if os.path.exists(real) else "")
    return (lib + " via libblas.so.3; " if lib else "") + ("oneDNN for bf16" if "mkldnn" in cfg.lower() or "onednn" in cfg.lower() else "")


if __name__ == "__main__":
    main()
