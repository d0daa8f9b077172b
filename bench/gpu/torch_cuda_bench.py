#!/usr/bin/env python3
"""PyTorch CUDA side of bench/gpu/run.sh: InternVL2-1B's math (InternViT + pixel-shuffle/mlp1 + Qwen2) built
directly in torch from the checkpoint directory, bf16 weights and activations, attention through
F.scaled_dot_product_attention (SDPA; the flash/memory-efficient kernels on CUDA), a preallocated KV cache, eager
mode (what transformers' generate() with attn_implementation='sdpa' does per step, minus its Python overhead).

  python3 bench/gpu/torch_cuda_bench.py --model DIR --workload WORKLOAD.json [--dtypes bf16] [--device cuda]

WORKLOAD.json is the file `bench/model.ts --workload-out` wrote (the very token ids our side ran). Stdout, last
line: {"torch": {...}} in the format of bench/model/torch_bench.py, plus device, attention and gpu_peak_bytes.
--device cpu runs the same code on the CPU (tests; SDPA falls back to explicit softmax on torch < 2.0).
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
IMG_CONTEXT_ID = 151648


def log(*a):
    print("[torch-cuda]", *a, file=sys.stderr, flush=True)


def load_checkpoint(model_dir, device, dtype):
    path = os.path.join(model_dir, "model.safetensors")
    try:
        from safetensors.torch import load_file

        w = load_file(path, device="cpu")
    except ImportError:  # Debian's torch without the safetensors package: the reference's reader
        sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "reference"))
        from safetensors_io import open_checkpoint

        files = open_checkpoint(model_dir)
        w = {k: f.get(k) for k, f in files.items()}
    return {k: v.to(device=device, dtype=dtype) for k, v in w.items()}


def sdpa(q, k, v, causal=False):
    """q [B, H, L, d], k/v [B, H, S, d]."""
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    s = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if causal:
        L, S = q.shape[-2], k.shape[-2]
        s = s.masked_fill(torch.ones(L, S, dtype=torch.bool, device=q.device).triu(S - L + 1), float("-inf"))
    return s.softmax(-1) @ v


class Model:
    def __init__(self, cfg, w):
        self.w = w
        v, l = cfg["vision_config"], cfg["llm_config"]
        self.D, self.vh, self.vlayers, self.patch = v["hidden_size"], v["num_attention_heads"], v["num_hidden_layers"], v["patch_size"]
        self.veps = v.get("layer_norm_eps", 1e-6)
        self.H, self.nh, self.nkv, self.layers = l["hidden_size"], l["num_attention_heads"], l["num_key_value_heads"], l["num_hidden_layers"]
        self.hd = self.H // self.nh
        self.eps, self.theta = l.get("rms_norm_eps", 1e-6), float(l.get("rope_theta", 1e6))
        if l.get("tie_word_embeddings", False):
            w["language_model.lm_head.weight"] = w["language_model.model.embed_tokens.weight"]
        self.scale = cfg.get("downsample_ratio", 0.5)

    # ---- vision
    def vision(self, px):
        w, D = self.w, self.D
        e = "vision_model.embeddings."
        x = F.conv2d(px.to(w[e + "patch_embedding.weight"].dtype), w[e + "patch_embedding.weight"], w[e + "patch_embedding.bias"], stride=self.patch)
        B = x.shape[0]
        x = x.flatten(2).transpose(1, 2)
        h = torch.cat([w[e + "class_embedding"].expand(B, 1, -1), x], 1) + w[e + "position_embedding"]
        for i in range(self.vlayers):
            p = f"vision_model.encoder.layers.{i}."
            x = F.layer_norm(h, (D,), w[p + "norm1.weight"], w[p + "norm1.bias"], self.veps)
            N = x.shape[1]
            qkv = F.linear(x, w[p + "attn.qkv.weight"], w.get(p + "attn.qkv.bias")).view(B, N, 3, self.vh, D // self.vh).permute(2, 0, 3, 1, 4)
            o = sdpa(qkv[0], qkv[1], qkv[2]).transpose(1, 2).reshape(B, N, D)
            h = h + F.linear(o, w[p + "attn.proj.weight"], w[p + "attn.proj.bias"]) * w[p + "ls1"]
            x = F.layer_norm(h, (D,), w[p + "norm2.weight"], w[p + "norm2.bias"], self.veps)
            x = F.linear(F.gelu(F.linear(x, w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"])), w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"])
            h = h + x * w[p + "ls2"]
        return h[:, 1:]

    def project(self, f):
        w = self.w
        T, N, D = f.shape
        g = int(N ** 0.5)
        s = self.scale
        x = f.reshape(T, g, g, D).view(T, g, int(g * s), int(D / s)).permute(0, 2, 1, 3).contiguous()
        x = x.view(T, int(g * s), int(g * s), int(D / (s * s))).permute(0, 2, 1, 3).contiguous().reshape(T, -1, int(D / (s * s)))
        x = F.layer_norm(x, (x.shape[-1],), w["mlp1.0.weight"], w["mlp1.0.bias"], 1e-5)
        x = F.gelu(F.linear(x, w["mlp1.1.weight"], w["mlp1.1.bias"]))
        return F.linear(x, w["mlp1.3.weight"], w["mlp1.3.bias"])

    # ---- LLM
    def new_cache(self, max_len, device, dtype):
        return torch.empty(self.layers, 2, 1, self.nkv, max_len, self.hd, device=device, dtype=dtype)

    def rope(self, x, pos):
        inv = 1.0 / (self.theta ** (torch.arange(0, self.hd, 2, device=x.device, dtype=torch.float32) / self.hd))
        f = torch.outer(pos.float(), inv)
        emb = torch.cat([f, f], -1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        x1, x2 = x[..., : self.hd // 2], x[..., self.hd // 2:]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    def rms(self, x, wt):
        v = x.float().pow(2).mean(-1, keepdim=True)
        return (x.float() * torch.rsqrt(v + self.eps)).to(x.dtype) * wt

    def llm(self, e, start, cache):
        """e [L, H] at positions start.. → logits of the last position (float32)."""
        w = self.w
        L = e.shape[0]
        pos = torch.arange(start, start + L, device=e.device)
        h = e.unsqueeze(0)
        rep = self.nh // self.nkv
        for i in range(self.layers):
            p = f"language_model.model.layers.{i}."
            x = self.rms(h, w[p + "input_layernorm.weight"])
            q = F.linear(x, w[p + "self_attn.q_proj.weight"], w[p + "self_attn.q_proj.bias"]).view(1, L, self.nh, self.hd).transpose(1, 2)
            k = F.linear(x, w[p + "self_attn.k_proj.weight"], w[p + "self_attn.k_proj.bias"]).view(1, L, self.nkv, self.hd).transpose(1, 2)
            v = F.linear(x, w[p + "self_attn.v_proj.weight"], w[p + "self_attn.v_proj.bias"]).view(1, L, self.nkv, self.hd).transpose(1, 2)
            q, k = self.rope(q, pos), self.rope(k, pos)
            cache[i, 0, :, :, start:start + L] = k
            cache[i, 1, :, :, start:start + L] = v
            kk = cache[i, 0, :, :, : start + L].repeat_interleave(rep, 1)
            vv = cache[i, 1, :, :, : start + L].repeat_interleave(rep, 1)
            o = sdpa(q, kk, vv, causal=L > 1).transpose(1, 2).reshape(1, L, self.H)
            h = h + F.linear(o, w[p + "self_attn.o_proj.weight"])
            x = self.rms(h, w[p + "post_attention_layernorm.weight"])
            h = h + F.linear(F.silu(F.linear(x, w[p + "mlp.gate_proj.weight"])) * F.linear(x, w[p + "mlp.up_proj.weight"]), w[p + "mlp.down_proj.weight"])
        h = self.rms(h[:, -1], w["language_model.model.norm.weight"])
        return F.linear(h, w["language_model.lm_head.weight"]).float()

    def embed(self, ids, feats=None):
        ids_t = torch.as_tensor(ids, device=self.w["language_model.model.embed_tokens.weight"].device)
        e = self.w["language_model.model.embed_tokens.weight"][ids_t]
        if feats is not None:
            e = e.clone()
            e[ids_t == IMG_CONTEXT_ID] = feats.reshape(-1, feats.shape[-1]).to(e.dtype)
        return e


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--workload", required=True)
    ap.add_argument("--dtypes", default="bf16")
    ap.add_argument("--device", default="cuda")
    args = ap.parse_args()
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    if cuda and not torch.cuda.is_available():
        print("torch_cuda_bench.py: torch.cuda.is_available() is False (no GPU, or a CPU-only PyTorch build)", file=sys.stderr)
        sys.exit(3)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    with open(args.workload) as f:
        wl = json.load(f)
    with open(os.path.join(args.model, "config.json")) as f:
        cfg = json.load(f)
    reps, warmup, N = wl["reps"], wl.get("warmup", 1), wl["new_tokens"]

    def timed(fn, n_warm=warmup):
        out = []
        for r in range(n_warm + reps):
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            if r >= n_warm:
                out.append((time.perf_counter() - t0) * 1e3)
        return out

    name = torch.cuda.get_device_name(dev) if cuda else "cpu"
    report = {"torch": torch.__version__, "device": f"{dev.type}:{name}", "attention": "SDPA" if hasattr(F, "scaled_dot_product_attention") else "softmax",
              "threads": torch.get_num_threads(), "blas": "cuBLAS" if cuda else "", "loadavg_start": os.getloadavg()}
    S = cfg["force_image_size"]
    g = torch.Generator().manual_seed(1)
    max_tiles = max([*wl["tiles"], *wl["vit_batches"]])
    pixels = torch.randn(max_tiles, 3, S, S, generator=g).to(dev)
    longest = max([len(v) for v in wl["ttft_ids"].values()] + [len(wl["pp_ids"]), len(wl["tg_prompt_ids"]) + N]) + 1
    for dname in args.dtypes.split(","):
        dt = {"f32": torch.float32, "bf16": torch.bfloat16}[dname]
        t0 = time.perf_counter()
        m = Model(cfg, load_checkpoint(args.model, dev, dt))
        sync()
        report.setdefault("load_ms", (time.perf_counter() - t0) * 1e3)
        if cuda:
            torch.cuda.reset_peak_memory_stats(dev)
        cache = m.new_cache(longest, dev, dt)
        r = {"vit_ms_per_tile": {}, "ttft_ms": {}}
        with torch.inference_mode():
            full_layers = m.vlayers
            m.vlayers = min(wl.get("vit_layers", full_layers), full_layers)
            scale = full_layers / m.vlayers
            for B in wl["vit_batches"]:
                r["vit_ms_per_tile"][str(B)] = [x * scale / B for x in timed(lambda: m.vision(pixels[:B]))]
                log(f"{dname} vit batch {B}: {[round(x, 2) for x in r['vit_ms_per_tile'][str(B)]]} ms/tile")
            m.vlayers = full_layers
            feats = m.vision(pixels[:1])
            r["projector_ms_per_tile"] = timed(lambda: m.project(feats))

            def ttft(T):
                ids = wl["ttft_ids"][str(T)]
                logits = m.llm(m.embed(ids, m.project(m.vision(pixels[:T]))), 0, cache)
                return int(torch.argmax(logits))

            for T in wl["tiles"]:
                r["ttft_ms"][str(T)] = timed(lambda: ttft(T), 1 if T == wl["tiles"][0] else 0)
                log(f"{dname} ttft {T} tiles: {[round(x, 1) for x in r['ttft_ms'][str(T)]]} ms")
            pp = wl["pp_ids"]
            r["pp_tokens_per_s"] = [len(pp) / (x / 1e3) for x in timed(lambda: int(torch.argmax(m.llm(m.embed(pp), 0, cache))))]
            log(f"{dname} pp{len(pp)}: {[round(x) for x in r['pp_tokens_per_s']]} tok/s")
            tg = wl["tg_prompt_ids"]
            rates, steps = [], []
            for rep in range(warmup + reps):
                tok = int(torch.argmax(m.llm(m.embed(tg), 0, cache)))
                sync()
                t0 = time.perf_counter()
                for s in range(N):
                    tok = int(torch.argmax(m.llm(m.embed([tok]), len(tg) + s, cache)))  # .item(): one sync per token, as generate()
                sync()
                dt_s = time.perf_counter() - t0
                if rep >= warmup:
                    rates.append(N / dt_s)
                    steps.append(dt_s * 1e3 / N)
            r["tg_tokens_per_s"], r["decode_ms_per_step"] = rates, steps
            log(f"{dname} tg{N}: {[round(x, 1) for x in rates]} tok/s")
        if cuda:
            report["gpu_peak_bytes"] = max(report.get("gpu_peak_bytes", 0), torch.cuda.max_memory_allocated(dev))
        report[dname] = r
        del m, cache
        if cuda:
            torch.cuda.empty_cache()
    report["maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    report["loadavg_end"] = os.getloadavg()
    print(json.dumps({"torch": report}))


if __name__ == "__main__":
    main()
