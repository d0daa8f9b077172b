#!/usr/bin/python3
"""PyTorch float32 reference for InternVL2 chat models (InternVL2-1B, InternVL2.5-1B, InternVL2-2B): named intermediates + greedy generation, and a CPU benchmark.

Run:
  python3 tools/reference/internvl_ref.py --model DIR --input-ids IDS.json \
      [--pixel-values PIX.f32 --num-tiles T] [--max-new-tokens N] --out OUT.safetensors \
      [--dump all|none|NAME,PREFIX,...] [--threads 2] [--batch BATCH.json] [--no-cache] [--pixels-bf16]
      [--quant q4|q8] [--quant-vision q8] [--kv-cache f16]
  python3 tools/reference/internvl_ref.py --bench [--model DIR | --config internvl2-1b|CONFIG.json] \
      [--bench-dtypes f32,bf16] [--bench-tiles 1] [--bench-prompt-tokens L] [--bench-decode 16] [--bench-reps 3]

IDS.json: a JSON list of token ids, or {"input_ids": [...]}.
PIX.f32: raw little-endian float32 [T, 3, S, S] (S = config force_image_size), already normalized.
BATCH.json: [{"input_ids": [...], "tile_start": 0, "num_tiles": 7}, ...] (or {"samples": [...]}); tiles index
  into --pixel-values; every sample is run independently (= HF left-padded batch_chat up to numerics).
--quant: the language model's matrices quantized by the rules of runtime/quant.ts and dequantized
  (quant_ref.py: an independent numpy implementation), the model then run in float32 as usual; --quant-vision q8
  the same for the vision tower's and mlp1's matrices.
--kv-cache f16: keys (after RoPE) and values rounded to float16 (nearest even) before attention, as an f16 KV
  cache stores them; everything else stays float32.
Stdout: one JSON line {"generated_ids": [...] (or one list per batch sample), "timings": {...}}.
OUT.safetensors: F32 tensors named as ARCHITECTURE.md "Named intermediates"; in batch mode the LLM-side names
  (llm.*, logits) get a "sample{k}." prefix; vision/projector tensors cover all tiles of the pixel file.
"""
import os
import sys

try:
    import torch  # noqa: F401
except ImportError:  # the pyenv python3 on PATH has no torch; the Debian one does
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

import argparse
import json
import statistics
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from modeling import IMG_CONTEXT_ID, Config, InternVLRef, load_weights, random_weights  # noqa: E402
from safetensors_io import save_file  # noqa: E402
import quant_ref  # noqa: E402

# Official InternVL2-1B config (SPEC §1), used only by --bench --config internvl2-1b (random weights).
INTERNVL2_1B_CONFIG = {
    "model_type": "internvl_chat", "downsample_ratio": 0.5, "force_image_size": 448, "ps_version": "v2",
    "select_layer": -1, "template": "Hermes-2",
    "vision_config": {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
                      "intermediate_size": 4096, "patch_size": 14, "image_size": 448, "num_channels": 3,
                      "layer_norm_eps": 1e-6, "qkv_bias": True, "qk_normalization": False,
                      "norm_type": "layer_norm", "hidden_act": "gelu"},
    "llm_config": {"hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
                   "intermediate_size": 4864, "vocab_size": 151655, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
                   "hidden_act": "silu", "tie_word_embeddings": False, "use_sliding_window": False},
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def read_ids(path):
    with open(path) as f:
        d = json.load(f)
    if isinstance(d, dict):
        d = d["input_ids"]
    return [int(x) for x in d]


def read_pixels(path, num_tiles, size):
    raw = bytearray(open(path, "rb").read())
    n = len(raw) // 4
    if num_tiles is None:
        num_tiles = n // (3 * size * size)
    if n != num_tiles * 3 * size * size or len(raw) % 4:
        raise ValueError(f"{path}: {len(raw)} bytes != {num_tiles}*3*{size}*{size}*4")
    return torch.frombuffer(raw, dtype=torch.float32).reshape(num_tiles, 3, size, size).clone()


def quantize_weights(weights, cfg, fmt, vision_fmt=None):
    """Replaces every quantizable matrix by dequantize(quantize(W)) of its bf16 values (a tied lm_head with it):
    the language model's in `fmt`, the vision tower's and mlp1's in `vision_fmt` (None: that side stays)."""
    import numpy as np

    for name, t in list(weights.items()):
        if name == cfg.names["head"] and cfg.tie:
            continue
        shape = list(t.shape)
        to = fmt if quant_ref.is_quantizable(name, shape) else vision_fmt if quant_ref.is_vision_quantizable(name, shape) else None
        if to is None:
            continue
        rows, cols = t.shape
        bits = t.to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16).reshape(-1)
        words, scales = quant_ref.quantize(to, bits, rows, cols)
        weights[name] = torch.from_numpy(quant_ref.dequantize(to, words, scales, rows, cols))
    if cfg.tie:
        weights[cfg.names["head"]] = weights[cfg.names["embed"]]


def want_dump(spec, name):
    if spec == "all":
        return True
    if spec in ("none", ""):
        return False
    return any(name == p or name.startswith(p) for p in spec.split(","))


def run(args):
    t0 = time.perf_counter()
    cfg = Config.load(args.model)
    weights = load_weights(args.model, cfg, torch.float32)
    if args.quant or args.quant_vision:
        quantize_weights(weights, cfg, args.quant, args.quant_vision)
    model = InternVLRef(cfg, weights)
    model.kv_f16 = args.kv_cache == "f16"
    timings = {"threads": torch.get_num_threads(), "load_ms": (time.perf_counter() - t0) * 1e3}

    if args.batch:
        with open(args.batch) as f:
            b = json.load(f)
        samples = b["samples"] if isinstance(b, dict) else b
    else:
        samples = [{"input_ids": read_ids(args.input_ids), "tile_start": 0, "num_tiles": None}]

    pixels = None
    if args.pixel_values:
        pixels = read_pixels(args.pixel_values, args.num_tiles, cfg.image_size)
        if args.pixels_bf16:  # the model card casts pixel_values to bfloat16 before the vision tower
            pixels = pixels.to(torch.bfloat16).float()
    dumps = {} if args.dump != "none" else None
    feats = None
    with torch.no_grad():
        if pixels is not None:
            t1 = time.perf_counter()
            feats = model.image_features(pixels, dumps)
            dt = time.perf_counter() - t1
            timings["vision_ms"] = dt * 1e3
            timings["vision_tiles"] = pixels.shape[0]
            timings["vision_ms_per_tile"] = dt * 1e3 / pixels.shape[0]
        results = []
        for k, s in enumerate(samples):
            ids = [int(x) for x in s["input_ids"]]
            n_tiles = s.get("num_tiles")
            start = s.get("tile_start", 0)
            img = None
            if feats is not None and (n_tiles is None or n_tiles > 0):
                img = feats[start:] if n_tiles is None else feats[start:start + n_tiles]
                if n_tiles is not None and img.shape[0] != n_tiles:
                    raise ValueError(f"sample {k}: tiles {start}..{start + n_tiles} outside the pixel file")
            elif cfg.img_context_id in ids:
                raise ValueError(f"sample {k}: IMG_CONTEXT tokens but no tiles")
            sd = {} if dumps is not None else None
            out = model.generate(ids, img, args.max_new_tokens, cfg.stop_id, sd, not args.no_cache, timings)
            results.append(out)
            if sd is not None:
                pre = f"sample{k}." if args.batch else ""
                for name, t in sd.items():
                    dumps[pre + name] = t
    if timings.get("prefill_ms"):
        timings["prefill_tokens_per_s"] = timings["prefill_tokens"] / (timings["prefill_ms"] / 1e3)
    if timings.get("decode_steps"):
        timings["decode_tokens_per_s"] = timings["decode_steps"] / (timings["decode_ms"] / 1e3)
    if args.out:
        sel = {}
        for k, v in (dumps or {}).items():
            base = k.split(".", 1)[1] if args.batch and k.startswith("sample") else k  # "sample{k}.llm..." -> "llm..."
            if want_dump(args.dump, base):
                sel[k] = v.float().contiguous()
        meta = {"format": "pt", "generated_ids": json.dumps(results if args.batch else results[0])}
        save_file(sel, args.out, meta)
    timings["total_ms"] = (time.perf_counter() - t0) * 1e3
    print(json.dumps({"generated_ids": results if args.batch else results[0],
                      "timings": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in timings.items()}}))


# ------------------------------------------------------------------------------------------------------------
# benchmark


def _stats(xs):
    m = statistics.mean(xs)
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return {"mean": round(m, 3), "sd": round(sd, 3), "n": len(xs)}


def bench(args):
    if args.model and os.path.exists(os.path.join(args.model, "config.json")) and not args.random_weights:
        cfg = Config.load(args.model)
        base = load_weights(args.model, cfg, torch.float32)
        source = args.model
    else:
        if args.config in (None, "internvl2-1b"):
            raw = INTERNVL2_1B_CONFIG
        else:
            with open(args.config if args.config.endswith(".json") else os.path.join(args.config, "config.json")) as f:
                raw = json.load(f)
        cfg = Config(raw)
        log("generating random weights ...")
        base = random_weights(cfg, seed=0, dtype=torch.float32)
        source = f"random weights, config {args.config or 'internvl2-1b'}"
    T = args.bench_tiles
    n_img = cfg.num_image_token * T
    L = args.bench_prompt_tokens or (n_img + 32)
    assert L >= n_img + 2
    g = torch.Generator().manual_seed(1)
    text = torch.randint(0, 151643, (L - n_img,), generator=g).tolist()
    ids = text[:L - n_img - 16] + [IMG_CONTEXT_ID] * n_img + text[L - n_img - 16:]
    pixels = torch.randn(T, 3, cfg.image_size, cfg.image_size, generator=g)
    report = {"source": source, "threads": torch.get_num_threads(), "tiles": T, "prompt_tokens": L,
              "decode_tokens": args.bench_decode, "reps": args.bench_reps, "warmup": 1,
              "torch": torch.__version__, "loadavg_start": os.getloadavg(), "cpus": os.cpu_count()}
    for dname in args.bench_dtypes.split(","):
        dt = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[dname]
        w = {k: v.to(dt) for k, v in base.items()}
        model = InternVLRef(cfg, w)
        vis, pre, dec, cpu = [], [], [], {"vision": [], "prefill": [], "decode": []}
        with torch.no_grad():
            for rep in range(args.bench_reps + 1):
                t0, c0 = time.perf_counter(), time.process_time()
                feats = model.image_features(pixels)
                t1, c1 = time.perf_counter(), time.process_time()
                e = model.embed(ids, feats)
                cache = model.new_cache()
                h = model.llm(e, 0, cache)
                logits = model.logits(h[-1])
                t2, c2 = time.perf_counter(), time.process_time()
                tok = int(torch.argmax(logits))
                for s in range(args.bench_decode):
                    h = model.llm(model.embed([tok]), L + s, cache)
                    tok = int(torch.argmax(model.logits(h[-1])))
                t3, c3 = time.perf_counter(), time.process_time()
                log(f"{dname} rep {rep}{' (warm-up)' if rep == 0 else ''}: vision {(t1 - t0) * 1e3:.0f} ms "
                    f"(cpu {(c1 - c0):.1f} s), prefill {(t2 - t1) * 1e3:.0f} ms (cpu {(c2 - c1):.1f} s), "
                    f"decode {(t3 - t2) * 1e3:.0f} ms (cpu {(c3 - c2):.1f} s), load {os.getloadavg()[0]:.1f}")
                if rep == 0:
                    continue
                vis.append((t1 - t0) * 1e3 / T)
                pre.append(L / (t2 - t1))
                dec.append(args.bench_decode / (t3 - t2))
                cpu["vision"].append((c1 - c0) / T)
                cpu["prefill"].append(c2 - c1)
                cpu["decode"].append((c3 - c2) / args.bench_decode)
        # cpu_s: process CPU seconds (all threads) per tile / per prefill / per decoded token; with N threads
        # uncontended, wall ~= cpu_s / N. Compare wall and cpu_s to see whether the cores were shared.
        report[dname] = {"vision_ms_per_tile": _stats(vis), "prefill_tokens_per_s": _stats(pre),
                         "decode_tokens_per_s": _stats(dec),
                         "cpu_s": {k: _stats(v) for k, v in cpu.items()}}
        del w, model
    print(json.dumps({"bench": report}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model")
    ap.add_argument("--input-ids")
    ap.add_argument("--pixel-values")
    ap.add_argument("--num-tiles", type=int)
    ap.add_argument("--max-new-tokens", type=int, default=16)
    ap.add_argument("--out")
    ap.add_argument("--dump", default="all", help="all | none | comma list of names or name prefixes")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch")
    ap.add_argument("--pixels-bf16", action="store_true", help="round pixel values to bf16 first (as the card does)")
    ap.add_argument("--no-cache", action="store_true", help="recompute the full sequence each step (no KV cache)")
    ap.add_argument("--quant", choices=["q4", "q8"], help="run on the dequantized q4/q8 language-model matrices")
    ap.add_argument("--quant-vision", choices=["q8"], help="run on the dequantized q8 vision-tower and mlp1 matrices")
    ap.add_argument("--kv-cache", choices=["f32", "f16"], default="f32", help="f16: round keys and values as an f16 KV cache")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--config", help="bench: 'internvl2-1b' (built-in official dims) or a config.json path")
    ap.add_argument("--random-weights", action="store_true", help="bench: random weights even if --model is given")
    ap.add_argument("--bench-dtypes", default="f32,bf16")
    ap.add_argument("--bench-tiles", type=int, default=1)
    ap.add_argument("--bench-prompt-tokens", type=int, default=0)
    ap.add_argument("--bench-decode", type=int, default=16)
    ap.add_argument("--bench-reps", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.bench:
        bench(args)
        return
    if not args.model or not (args.input_ids or args.batch):
        ap.error("--model and --input-ids (or --batch) are required")
    if args.dump != "none" and not args.out:
        args.dump = "none"
    run(args)


if __name__ == "__main__":
    main()
