#!/usr/bin/python3
"""Self-test of the PyTorch reference on a tiny random checkpoint: `python3 tools/reference/test_ref.py`
(add `--make-checkpoint` to also load and run the tiny preset of tools/make_checkpoint.ts).

Each piece is checked against an independent, deliberately naive computation (explicit loops / index formulas
from SPEC §3-§6), then the CLI is run end to end on a tiny checkpoint written in the official layout.
"""
import os
import sys

try:
    import torch  # noqa: F401
except ImportError:
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

import json
import math
import subprocess
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from modeling import (IMG_CONTEXT_ID, Config, InternVLRef, apply_rope, load_weights, random_weights,  # noqa: E402
                      rope_cos_sin)
from safetensors_io import SafeTensorsFile, bf16_bytes_to_f32, load_file, save_file  # noqa: E402

torch.set_num_threads(2)

TINY = {
    "model_type": "internvl_chat", "downsample_ratio": 0.5, "force_image_size": 112, "ps_version": "v2",
    "select_layer": -1, "template": "Hermes-2",
    "vision_config": {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
                      "patch_size": 14, "image_size": 112, "num_channels": 3, "layer_norm_eps": 1e-6,
                      "qkv_bias": True, "qk_normalization": False, "norm_type": "layer_norm", "hidden_act": "gelu"},
    "llm_config": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                   "intermediate_size": 96, "vocab_size": 151655, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
                   "hidden_act": "silu", "tie_word_embeddings": False, "use_sliding_window": False},
}

CFG = Config(TINY)
W = random_weights(CFG, seed=3)
M = InternVLRef(CFG, W)
# "loud" weights (std 0.3) for the formula tests, so that activations are O(1) and a wrong scale, GELU variant,
# eps or head mapping shows up far above float32 rounding
WL = random_weights(CFG, seed=11, std=0.3)
ML = InternVLRef(CFG, WL)


def close(a, b, tol, what):
    """max |a-b| <= tol * max(1, max |b|)"""
    err = (a.double() - b.double()).abs().max().item()
    scale = max(1.0, b.double().abs().max().item())
    assert err <= tol * scale, f"{what}: max abs err {err} > {tol} * {scale}"


def test_safetensors_roundtrip(tmp):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, generator=g)
    t = {"a": x, "b": x.to(torch.bfloat16), "c": torch.arange(7, dtype=torch.int32), "e": torch.zeros(0, 4)}
    p = os.path.join(tmp, "rt.safetensors")
    save_file(t, p, {"format": "pt"})
    r = load_file(p)
    assert torch.equal(r["a"], x) and r["b"].dtype == torch.bfloat16 and torch.equal(r["b"], t["b"])
    assert torch.equal(r["c"], t["c"]) and r["e"].shape == (0, 4)
    f = SafeTensorsFile(p)
    assert f.metadata == {"format": "pt"} and f.data_start % 8 == 0
    b, e = f.info("b")["data_offsets"]
    raw = bytearray(open(p, "rb").read()[f.data_start + b:f.data_start + e])
    assert torch.equal(bf16_bytes_to_f32(raw).reshape(3, 5), t["b"].float())  # independent BF16 decode


def test_checkpoint_load(tmp):
    d = os.path.join(tmp, "tiny")
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(TINY, f)
    save_file(W, os.path.join(d, "model.safetensors"), {"format": "pt"}, dtype=torch.bfloat16)
    w2 = load_weights(d, CFG)
    for k, v in W.items():
        assert w2[k].dtype == torch.float32 and torch.equal(w2[k], v), k
    return d


def test_patch_embedding():
    g = torch.Generator().manual_seed(1)
    px = torch.randn(2, 3, CFG.image_size, CFG.image_size, generator=g)
    e = M.vision_embeddings(px)
    P, G = CFG.v_patch, CFG.grid
    assert e.shape == (2, G * G + 1, CFG.v_hidden)
    Wc = W["vision_model.embeddings.patch_embedding.weight"].double()
    bc = W["vision_model.embeddings.patch_embedding.bias"].double()
    pos = W["vision_model.embeddings.position_embedding"][0].double()
    cls = W["vision_model.embeddings.class_embedding"][0, 0].double()
    close(e[1, 0], cls + pos[0], 1e-6, "CLS")
    for (b, y, x) in [(0, 0, 0), (1, 3, 5), (0, G - 1, G - 1)]:
        patch = px[b, :, P * y:P * y + P, P * x:P * x + P].double()
        ref = bc + (Wc * patch).sum(dim=(1, 2, 3)) + pos[1 + G * y + x]
        close(e[b, 1 + G * y + x], ref, 1e-4, f"patch ({y},{x})")
    # the official bicubic resize of the position grid at the stored size is an exact identity
    p = pos[1:].float().reshape(1, G, G, -1).permute(0, 3, 1, 2)
    q = torch.nn.functional.interpolate(p, size=(G, G), mode="bicubic", align_corners=False)
    assert torch.equal(p, q)


def test_vision_attention_loop():
    g = torch.Generator().manual_seed(2)
    D, nh, hd = CFG.v_hidden, CFG.v_heads, CFG.v_head_dim
    N = CFG.grid ** 2 + 1
    x = torch.randn(2, N, D, generator=g)
    out = ML.vision_attention(x, 1)
    p = "vision_model.encoder.layers.1.attn."
    Wq, bq = WL[p + "qkv.weight"].double(), WL[p + "qkv.bias"].double()
    xd = x.double()
    for b, n in [(0, 0), (1, 7), (1, N - 1)]:
        heads = []
        for h in range(nh):
            rq = slice(h * hd, (h + 1) * hd)  # Q block, head h
            rk = slice(D + h * hd, D + (h + 1) * hd)
            rv = slice(2 * D + h * hd, 2 * D + (h + 1) * hd)
            q = xd[b, n] @ Wq[rq].T + bq[rq]
            k = xd[b] @ Wq[rk].T + bq[rk]
            v = xd[b] @ Wq[rv].T + bq[rv]
            s = [(q * k[m]).sum().item() / math.sqrt(hd) for m in range(N)]
            mx = max(s)
            ex = [math.exp(t - mx) for t in s]
            z = sum(ex)
            heads.append(sum(ex[m] / z * v[m] for m in range(N)))
        o = torch.cat(heads) @ WL[p + "proj.weight"].double().T + WL[p + "proj.bias"].double()
        close(out[b, n], o, 1e-5, f"vision attention ({b},{n})")


def test_vision_layer_formula():
    g = torch.Generator().manual_seed(4)
    x0 = torch.randn(1, CFG.grid ** 2 + 1, CFG.v_hidden, generator=g)
    p = "vision_model.encoder.layers.0."
    for scale in (1.0, 1e-3):  # the small scale makes LayerNorm's eps visible
        _vision_layer_case(x0 * scale, p)


def _vision_layer_case(x, p):

    def ln(t, w, b, eps):
        mu = t.mean(-1, keepdim=True)
        var = ((t - mu) ** 2).mean(-1, keepdim=True)
        return (t - mu) / torch.sqrt(var + eps) * w + b

    def gelu(t):
        return 0.5 * t * (1 + torch.erf(t / math.sqrt(2)))

    xd = x.double()
    wd = {k: v.double() for k, v in WL.items() if k.startswith(p)}
    a = ML.vision_attention(ln(xd, wd[p + "norm1.weight"], wd[p + "norm1.bias"], 1e-6).float(), 0).double()
    h = xd + wd[p + "ls1"] * a
    m = gelu(ln(h, wd[p + "norm2.weight"], wd[p + "norm2.bias"], 1e-6) @ wd[p + "mlp.fc1.weight"].T
             + wd[p + "mlp.fc1.bias"]) @ wd[p + "mlp.fc2.weight"].T + wd[p + "mlp.fc2.bias"]
    close(ML.vision_layer(x, 0), h + wd[p + "ls2"] * m, 1e-5, "vision layer")


def test_pixel_shuffle_and_mlp1():
    g = torch.Generator().manual_seed(5)
    G, D = CFG.grid, CFG.v_hidden
    feats = torch.randn(2, G * G, D, generator=g)
    for scale in (1.0, 3e-3):  # the small scale makes LayerNorm's eps (1e-5) visible
        _mlp1_case(feats * scale, G, D)


def _mlp1_case(feats, G, D):
    dumps = {}
    out = ML.project(feats, dumps)
    ps = dumps["projector.pixel_shuffle"]
    G2 = G // 2
    assert ps.shape == (2, G2 * G2, 4 * D)
    ref = torch.empty_like(ps)
    for b in range(2):
        for i in range(G2):
            for j in range(G2):
                for dy in range(2):
                    for dx in range(2):
                        ref[b, G2 * i + j, dy * 2 * D + dx * D:dy * 2 * D + dx * D + D] = \
                            feats[b, (2 * i + dy) * G + (2 * j + dx)]
    assert torch.equal(ps, ref), "pixel shuffle v2 index formula"
    x = ps.double()
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    x = (x - mu) / torch.sqrt(var + 1e-5) * WL["mlp1.0.weight"].double() + WL["mlp1.0.bias"].double()
    x = x @ WL["mlp1.1.weight"].double().T + WL["mlp1.1.bias"].double()
    x = 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
    x = x @ WL["mlp1.3.weight"].double().T + WL["mlp1.3.bias"].double()
    close(out, x, 1e-4, "mlp1")
    assert out.shape == (2, CFG.num_image_token, CFG.hidden)


def test_rope_formula():
    hd, theta = CFG.head_dim, CFG.rope_theta
    c1, s1 = rope_cos_sin(torch.tensor([1]), 64, 1e6, torch.float32)  # position 1: angle_i = inv_freq[i]
    inv = torch.atan2(s1[0].double(), c1[0].double())
    assert abs(inv[0] - 1) < 1e-6 and abs(inv[1] - 0.64938) < 1e-5 and abs(inv[31] - 1.5399e-6) < 1e-9  # SPEC §5
    assert torch.equal(inv[:32], inv[32:])  # cat(freqs, freqs), not interleaved
    g = torch.Generator().manual_seed(6)
    x = torch.randn(3, 1, hd, generator=g)
    for p in [0, 1, 17, 1999]:
        c, s = rope_cos_sin(torch.tensor([p]), hd, theta, torch.float32)
        y = apply_rope(x, c, s)
        h = hd // 2
        for j in range(hd):
            i = j if j < h else j - h
            ang = p / theta ** (2 * i / hd)
            if j < h:
                ref = x[..., j].double() * math.cos(ang) - x[..., j + h].double() * math.sin(ang)
            else:
                ref = x[..., j].double() * math.cos(ang) + x[..., j - h].double() * math.sin(ang)
            # angles are computed in f32 like HF: error grows with p (~p * 2^-24)
            close(y[..., j], ref, 1e-5 + p * 3e-7, f"rope p={p} j={j}")


def test_rms_norm_and_llm_attention_loop():
    g = torch.Generator().manual_seed(7)
    H, nh, nkv, hd = CFG.hidden, CFG.heads, CFG.kv_heads, CFG.head_dim
    L = 9
    x = torch.randn(L, H, generator=g)
    p = "language_model.model.layers.1."
    w = WL[p + "input_layernorm.weight"]
    from modeling import rms_norm
    xd = x.double()
    for sc in (1.0, 1e-3):
        close(rms_norm(x * sc, w, 1e-6),
              sc * xd / torch.sqrt(((sc * xd) ** 2).mean(-1, keepdim=True) + 1e-6) * w.double(), 1e-5, "rms")
    out = ML.llm_attention(x, 1, 0, None)
    a = p + "self_attn."
    Wq, bq = WL[a + "q_proj.weight"].double(), WL[a + "q_proj.bias"].double()
    Wk, bk = WL[a + "k_proj.weight"].double(), WL[a + "k_proj.bias"].double()
    Wv, bv = WL[a + "v_proj.weight"].double(), WL[a + "v_proj.bias"].double()
    rep = nh // nkv

    def rope(v, pos):
        h = hd // 2
        r = torch.empty_like(v)
        for j in range(h):
            ang = pos / CFG.rope_theta ** (2 * j / hd)
            r[j] = v[j] * math.cos(ang) - v[j + h] * math.sin(ang)
            r[j + h] = v[j + h] * math.cos(ang) + v[j] * math.sin(ang)
        return r

    for n in [0, 4, L - 1]:
        heads = []
        for h in range(nh):
            kvh = h // rep  # GQA mapping
            q = rope(xd[n] @ Wq[h * hd:(h + 1) * hd].T + bq[h * hd:(h + 1) * hd], n)
            s, vs = [], []
            for m in range(n + 1):  # causal
                k = rope(xd[m] @ Wk[kvh * hd:(kvh + 1) * hd].T + bk[kvh * hd:(kvh + 1) * hd], m)
                s.append((q * k).sum().item() / math.sqrt(hd))
                vs.append(xd[m] @ Wv[kvh * hd:(kvh + 1) * hd].T + bv[kvh * hd:(kvh + 1) * hd])
            mx = max(s)
            ex = [math.exp(t - mx) for t in s]
            z = sum(ex)
            heads.append(sum(ex[m] / z * vs[m] for m in range(n + 1)))
        o = torch.cat(heads) @ WL[a + "o_proj.weight"].double().T
        close(out[n], o, 1e-5, f"llm attention pos {n}")
    # the cache path gives the same rows
    cache = ML.new_cache()
    o1 = ML.llm_attention(x[:5], 1, 0, cache)
    o2 = ML.llm_attention(x[5:], 1, 5, cache)
    close(torch.cat([o1, o2]), out, 1e-5, "llm attention with cache")


def test_internlm2_wqkv_grouping():
    """InternLM2's packed wqkv, split per kv group as upstream's rearrange does, equals Qwen2-style separate q/k/v
    projections built from it by explicit loops over (kv head h, slot j): query head h * groups + j."""
    cfg = json.loads(json.dumps(TINY))
    cfg["llm_config"].update({"architectures": ["InternLM2ForCausalLM"], "bias": False, "vocab_size": 92553,
                              "rope_scaling": {"type": "dynamic", "factor": 2.0}, "max_position_embeddings": 64})
    c2 = Config(cfg)
    w2 = random_weights(c2, seed=5, std=0.3)
    c1 = Config(json.loads(json.dumps({**TINY, "llm_config": {**TINY["llm_config"], "vocab_size": 92553}})))
    nkv, hd, groups = c2.kv_heads, c2.head_dim, c2.heads // c2.kv_heads
    w1 = {k: v for k, v in w2.items() if not k.startswith("language_model.")}
    for i in range(c2.layers):
        wqkv = w2[f"language_model.model.layers.{i}.attention.wqkv.weight"]
        rows = lambda h, slot: wqkv[(h * (groups + 2) + slot) * hd:(h * (groups + 2) + slot + 1) * hd]  # noqa: E731
        p1, p2 = f"language_model.model.layers.{i}.", f"language_model.model.layers.{i}."
        q = torch.cat([rows(h, j) for h in range(nkv) for j in range(groups)])
        k = torch.cat([rows(h, groups) for h in range(nkv)])
        v = torch.cat([rows(h, groups + 1) for h in range(nkv)])
        w1.update({p1 + "self_attn.q_proj.weight": q, p1 + "self_attn.k_proj.weight": k, p1 + "self_attn.v_proj.weight": v,
                   p1 + "self_attn.q_proj.bias": torch.zeros(q.shape[0]), p1 + "self_attn.k_proj.bias": torch.zeros(k.shape[0]),
                   p1 + "self_attn.v_proj.bias": torch.zeros(v.shape[0]),
                   p1 + "self_attn.o_proj.weight": w2[p2 + "attention.wo.weight"],
                   p1 + "mlp.gate_proj.weight": w2[p2 + "feed_forward.w1.weight"],
                   p1 + "mlp.up_proj.weight": w2[p2 + "feed_forward.w3.weight"],
                   p1 + "mlp.down_proj.weight": w2[p2 + "feed_forward.w2.weight"],
                   p1 + "input_layernorm.weight": w2[p2 + "attention_norm.weight"],
                   p1 + "post_attention_layernorm.weight": w2[p2 + "ffn_norm.weight"]})
    w1["language_model.model.embed_tokens.weight"] = w2["language_model.model.tok_embeddings.weight"]
    w1["language_model.model.norm.weight"] = w2["language_model.model.norm.weight"]
    w1["language_model.lm_head.weight"] = w2["language_model.output.weight"]
    c1.rms_eps = c2.rms_eps
    ids = [5, 17, 92000, 3, 44, 1000, 7]
    h1 = InternVLRef(c1, w1).llm(InternVLRef(c1, w1).embed(ids))
    h2 = InternVLRef(c2, w2).llm(InternVLRef(c2, w2).embed(ids))
    close(h2, h1, 1e-5, "InternLM2 vs the same weights as Qwen2 q/k/v")
    try:
        InternVLRef(c2, w2).llm(torch.zeros(65, c2.hidden))
        raise AssertionError("positions past max_position_embeddings must be refused")
    except NotImplementedError:
        pass


def test_phi3_fused_projections_and_longrope():
    """Phi-3's qkv_proj / gate_up_proj equal Qwen2-style separate projections cut from them by rows (with LongRoPE
    factors of 1 and no cos/sin factor), and LongRoPE's rotation matches its formula computed here in float64."""
    cfg = json.loads(json.dumps(TINY))
    half = CFG.head_dim // 2
    ones = {"type": "su", "short_factor": [1.0] * half, "long_factor": [1.0] * half}
    cfg["llm_config"].update({"architectures": ["Phi3ForCausalLM"], "vocab_size": 32020, "rope_scaling": ones,
                              "max_position_embeddings": 4096, "original_max_position_embeddings": 4096})
    c3 = Config(cfg)
    assert c3.rope_mscale == 1.0 and c3.max_positions == 4096
    w3 = random_weights(c3, seed=6, std=0.3)
    c1 = Config(json.loads(json.dumps({**TINY, "llm_config": {**TINY["llm_config"], "vocab_size": 32020}})))
    q_w, kv_w, I = c3.heads * c3.head_dim, c3.kv_heads * c3.head_dim, c3.inter
    w1 = {k: v for k, v in w3.items() if "self_attn.qkv_proj" not in k and "gate_up_proj" not in k}
    for i in range(c3.layers):
        p = f"language_model.model.layers.{i}."
        qkv, gu = w3[p + "self_attn.qkv_proj.weight"], w3[p + "mlp.gate_up_proj.weight"]
        w1.update({p + "self_attn.q_proj.weight": qkv[:q_w], p + "self_attn.k_proj.weight": qkv[q_w:q_w + kv_w],
                   p + "self_attn.v_proj.weight": qkv[q_w + kv_w:], p + "self_attn.q_proj.bias": torch.zeros(q_w),
                   p + "self_attn.k_proj.bias": torch.zeros(kv_w), p + "self_attn.v_proj.bias": torch.zeros(kv_w),
                   p + "mlp.gate_proj.weight": gu[:I], p + "mlp.up_proj.weight": gu[I:]})
    ids = [5, 17, 32000, 3, 44, 1000, 7]
    h1 = InternVLRef(c1, w1).llm(InternVLRef(c1, w1).embed(ids))
    h3 = InternVLRef(c3, w3).llm(InternVLRef(c3, w3).embed(ids))
    close(h3, h1, 1e-5, "Phi-3 vs the same weights as Qwen2 q/k/v, gate/up")
    # LongRoPE: angle p / (f_i · θ^(2i/d)), cos/sin times √(1 + ln(max/orig)/ln(orig))
    factors = [1.0 + 0.5 * j for j in range(half)]
    cos, sin = rope_cos_sin(torch.tensor([0, 7, 300]), CFG.head_dim, 10000.0, torch.float32, factors,
                            math.sqrt(1 + math.log(32) / math.log(4096)))
    m = math.sqrt(1 + math.log(32) / math.log(4096))
    for r, pos in enumerate([0, 7, 300]):
        for j in range(half):
            a = pos / (factors[j] * 10000.0 ** (2 * j / CFG.head_dim))
            assert abs(cos[r, j].item() - m * math.cos(a)) < 1e-4 and abs(sin[r, j + half].item() - m * math.sin(a)) < 1e-4


def test_image_token_replacement():
    g = torch.Generator().manual_seed(8)
    img = torch.randn(2, 3, CFG.hidden, generator=g)
    ids = [5, IMG_CONTEXT_ID, IMG_CONTEXT_ID, 9, IMG_CONTEXT_ID, IMG_CONTEXT_ID, IMG_CONTEXT_ID, IMG_CONTEXT_ID, 7]
    e = M.embed(ids, img)
    flat = img.reshape(-1, CFG.hidden)
    k = 0
    for n, t in enumerate(ids):
        if t == IMG_CONTEXT_ID:
            assert torch.equal(e[n], flat[k])
            k += 1
        else:
            assert torch.equal(e[n], W["language_model.model.embed_tokens.weight"][t])
    try:
        M.embed(ids[:-2], img)
        raise AssertionError("count mismatch not detected")
    except ValueError:
        pass


def test_generation_cache_equals_recompute():
    g = torch.Generator().manual_seed(9)
    px = torch.randn(1, 3, CFG.image_size, CFG.image_size, generator=g)
    feats = M.image_features(px)
    ids = [151644, 872, 198, 151646] + [IMG_CONTEXT_ID] * CFG.num_image_token + [151647, 198, 100, 151645, 151644,
                                                                                 77091, 198]
    a = M.generate(ids, feats, 12, eos=-1)
    b = M.generate(ids, feats, 12, eos=-1, use_cache=False)
    assert a == b and len(a) == 12, (a, b)
    # logits of the last generated position agree between the two paths
    e = torch.cat([M.embed(ids, feats), M.embed(a[:-1])])
    full = M.logits(M.llm(e)[-1])
    cache = M.new_cache()
    M.llm(M.embed(ids, feats), 0, cache)
    h = None
    for s, t in enumerate(a[:-1]):
        h = M.llm(M.embed([t]), len(ids) + s, cache)
    close(M.logits(h[-1]), full, 1e-4, "cached vs recomputed logits")
    assert int(torch.argmax(full)) == a[-1]
    # eos stops generation, eos included
    stop = a[3]
    c = M.generate(ids, feats, 12, eos=stop)
    assert c == a[:a.index(stop) + 1]


def test_cli(tmp, model_dir):
    T = 2
    g = torch.Generator().manual_seed(10)
    px = torch.randn(T, 3, CFG.image_size, CFG.image_size, generator=g)
    pix = os.path.join(tmp, "pix.f32")
    with open(pix, "wb") as f:
        f.write(px.numpy().tobytes())
    n = CFG.num_image_token
    ids = [151644, 872, 198, 151646] + [IMG_CONTEXT_ID] * (T * n) + [151647, 198, 42, 151645, 151644, 77091, 198]
    idp = os.path.join(tmp, "ids.json")
    json.dump(ids, open(idp, "w"))
    out = os.path.join(tmp, "out.safetensors")
    script = os.path.join(HERE, "internvl_ref.py")
    r = subprocess.run([sys.executable, script, "--model", model_dir, "--input-ids", idp, "--pixel-values", pix,
                        "--num-tiles", str(T), "--max-new-tokens", "5", "--out", out, "--threads", "2"],
                       capture_output=True, text=True, check=True)
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1, r.stdout
    res = json.loads(lines[0])
    L, D, H = len(ids), CFG.v_hidden, CFG.hidden
    G2 = CFG.grid ** 2
    shapes = {"vision.embeddings": [T, G2 + 1, D], "vision.features": [T, G2, D],
              "projector.pixel_shuffle": [T, n, 4 * D], "projector.out": [T, n, H], "llm.embeddings": [L, H],
              "llm.norm": [L, H], "logits": [CFG.vocab]}
    shapes.update({f"vision.layers.{i}": [T, G2 + 1, D] for i in range(CFG.v_layers)})
    shapes.update({f"llm.layers.{i}": [L, H] for i in range(CFG.layers)})
    f = SafeTensorsFile(out)
    got = {k: f.info(k)["shape"] for k in f.keys()}
    assert got == shapes, got
    assert all(f.info(k)["dtype"] == "F32" for k in f.keys())
    feats = M.image_features(px)
    gen = M.generate(ids, feats, 5)
    assert res["generated_ids"] == gen, (res["generated_ids"], gen)
    close(f.get("logits"), M.logits(M.llm(M.embed(ids, feats))[-1]), 1e-5, "CLI logits")
    # batch: two samples (tile 1 alone, then both tiles) = independent single runs
    ids1 = [151644, 872, 198, 151646] + [IMG_CONTEXT_ID] * n + [151647, 198, 43, 151645, 151644, 77091, 198]
    bp = os.path.join(tmp, "batch.json")
    json.dump([{"input_ids": ids1, "tile_start": 1, "num_tiles": 1},
               {"input_ids": ids, "tile_start": 0, "num_tiles": 2}], open(bp, "w"))
    r = subprocess.run([sys.executable, script, "--model", model_dir, "--batch", bp, "--pixel-values", pix,
                        "--max-new-tokens", "5", "--out", out, "--dump", "logits,vision.features"],
                       capture_output=True, text=True, check=True)
    res = json.loads(r.stdout)
    assert res["generated_ids"] == [M.generate(ids1, feats[1:2], 5), gen], res
    f = SafeTensorsFile(out)
    assert sorted(f.keys()) == ["sample0.logits", "sample1.logits", "vision.features"], f.keys()


def test_make_checkpoint_tiny(tmp):
    """The TS synthetic checkpoint generator's tiny preset loads and runs (skipped when tsx is not installed)."""
    root = os.path.dirname(os.path.dirname(HERE))
    tsx = os.path.join(root, "node_modules", ".bin", "tsx")
    script = os.path.join(root, "tools", "make_checkpoint.ts")
    if not (os.path.exists(tsx) and os.path.exists(script)):
        return "skipped (no tsx or tools/make_checkpoint.ts)"
    d = os.path.join(tmp, "mc_tiny")
    subprocess.run([tsx, script, "--preset", "tiny", "--seed", "1", "--out", d], cwd=root, check=True,
                   capture_output=True, text=True)
    cfg = Config.load(d)
    m = InternVLRef(cfg, load_weights(d, cfg))
    g = torch.Generator().manual_seed(12)
    feats = m.image_features(torch.randn(1, 3, cfg.image_size, cfg.image_size, generator=g))
    assert feats.shape == (1, cfg.num_image_token, cfg.hidden) and torch.isfinite(feats).all()
    ids = [151644, 872, 198, 151646] + [IMG_CONTEXT_ID] * cfg.num_image_token + [151647, 151645, 151644, 77091, 198]
    a = m.generate(ids, feats, 4, eos=-1)
    assert a == m.generate(ids, feats, 4, eos=-1, use_cache=False), a


def main():
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        tests = [("safetensors_roundtrip", lambda: test_safetensors_roundtrip(tmp))]
        model_dir = []
        tests.append(("checkpoint_load", lambda: model_dir.append(test_checkpoint_load(tmp))))
        tests += [(n[5:], fn) for n, fn in globals().items()
                  if n.startswith("test_") and n not in ("test_safetensors_roundtrip", "test_checkpoint_load",
                                                        "test_cli", "test_make_checkpoint_tiny")]
        tests.append(("cli", lambda: test_cli(tmp, model_dir[0])))
        if "--make-checkpoint" in sys.argv:  # opt-in: needs node + tsx, ~5-15 s more
            tests.append(("make_checkpoint_tiny", lambda: test_make_checkpoint_tiny(tmp)))
        failed = 0
        for name, fn in tests:
            t = time.time()
            try:
                note = fn()
                print(f"ok   {name} ({time.time() - t:.2f}s){' ' + note if isinstance(note, str) else ''}")
            except Exception as e:  # report all failures
                failed += 1
                import traceback
                traceback.print_exc()
                print(f"FAIL {name}: {e}")
    print(f"{len(tests) - failed}/{len(tests)} passed in {time.time() - t0:.1f}s")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
