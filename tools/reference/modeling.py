"""PyTorch reference of InternVL2 chat models (InternViT + pixel-shuffle/mlp1 projector + a language model: Qwen2
for InternVL2-1B / InternVL2.5-1B, InternLM2 for InternVL2-2B), op for op.

Same math as the official `modeling_intern_vit.py` / `modeling_internvl_chat.py`, transformers' Qwen2 and the
InternVL2-2B repository's `modeling_internlm2.py` (see /work/shared/SPEC.md §3-§6, §10). Computes in the dtype of the loaded weights (float32 for the reference:
bf16 checkpoint values widened to f32). Every dimension comes from config.json.

Named intermediates (ARCHITECTURE.md) are written into a `dumps` dict when one is passed.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

IMG_CONTEXT_ID = 151648  # <IMG_CONTEXT>, SPEC §8
IM_END_ID = 151645  # <|im_end|>, chat() eos, SPEC §7/§10

# Checkpoint names of each language model's parts (under language_model.), by llm_config.architectures[0].
LLM_NAMES = {
    "Qwen2ForCausalLM": {
        "embed": "model.embed_tokens.weight", "head": "lm_head.weight",
        "attn_norm": "input_layernorm.weight", "mlp_norm": "post_attention_layernorm.weight",
        "o": "self_attn.o_proj.weight",
        "gate": "mlp.gate_proj.weight", "up": "mlp.up_proj.weight", "down": "mlp.down_proj.weight",
    },
    "InternLM2ForCausalLM": {
        "embed": "model.tok_embeddings.weight", "head": "output.weight",
        "attn_norm": "attention_norm.weight", "mlp_norm": "ffn_norm.weight",
        "o": "attention.wo.weight",
        "gate": "feed_forward.w1.weight", "up": "feed_forward.w3.weight", "down": "feed_forward.w2.weight",
    },
    "Phi3ForCausalLM": {  # gate and up are the two halves of mlp.gate_up_proj (see llm_layer)
        "embed": "model.embed_tokens.weight", "head": "lm_head.weight",
        "attn_norm": "input_layernorm.weight", "mlp_norm": "post_attention_layernorm.weight",
        "o": "self_attn.o_proj.weight", "gate_up": "mlp.gate_up_proj.weight", "down": "mlp.down_proj.weight",
    },
}
# The stop token of each template: its separator, stripped (upstream chat()).
STOP_TOKENS = {"Hermes-2": "<|im_end|>", "internvl2_5": "<|im_end|>", "internlm2-chat": "<|im_end|>", "phi3-chat": "<|end|>"}


class Config:
    def __init__(self, cfg):
        self.raw = cfg
        v = cfg["vision_config"]
        l = cfg["llm_config"]
        # vision (InternVisionConfig defaults where a key may be missing)
        self.v_hidden = v["hidden_size"]
        self.v_layers = v["num_hidden_layers"]
        self.v_heads = v["num_attention_heads"]
        self.v_inter = v["intermediate_size"]
        self.v_patch = v["patch_size"]
        self.v_image = v["image_size"]
        self.v_channels = v.get("num_channels", 3)
        self.v_eps = v.get("layer_norm_eps", 1e-6)
        self.v_qkv_bias = v.get("qkv_bias", True)
        if v.get("qk_normalization", False):
            raise NotImplementedError("qk_normalization")
        if v.get("norm_type", "layer_norm") != "layer_norm":
            raise NotImplementedError("vision norm_type " + str(v.get("norm_type")))
        if v.get("hidden_act", "gelu") != "gelu":
            raise NotImplementedError("vision hidden_act " + str(v.get("hidden_act")))
        assert self.v_hidden % self.v_heads == 0
        self.v_head_dim = self.v_hidden // self.v_heads
        # top level
        self.image_size = cfg.get("force_image_size") or self.v_image
        self.downsample_ratio = cfg.get("downsample_ratio", 0.5)
        self.ps_version = cfg.get("ps_version", "v1")
        self.select_layer = cfg.get("select_layer", -1)
        self.grid = self.image_size // self.v_patch
        self.num_image_token = int((self.image_size // self.v_patch) ** 2 * (self.downsample_ratio ** 2))
        self.proj_in = int(self.v_hidden * (1 / self.downsample_ratio) ** 2)
        # LLM
        self.arch = (l.get("architectures") or ["Qwen2ForCausalLM"])[0]
        if self.arch not in LLM_NAMES:
            raise NotImplementedError("llm architecture " + self.arch)
        self.names = {k: "language_model." + v for k, v in LLM_NAMES[self.arch].items()}
        self.hidden = l["hidden_size"]
        self.layers = l["num_hidden_layers"]
        self.heads = l["num_attention_heads"]
        self.kv_heads = l.get("num_key_value_heads", self.heads)
        self.head_dim = l.get("head_dim") or self.hidden // self.heads
        self.inter = l["intermediate_size"]
        self.vocab = l["vocab_size"]
        self.rms_eps = l.get("rms_norm_eps", 1e-6)
        self.rope_theta = float(l.get("rope_theta", 10000.0))
        self.max_positions = l.get("max_position_embeddings", 32768)
        scaling = l.get("rope_scaling")
        # RoPE frequency divisors and the factor on cos/sin (LongRoPE); positions must stay below max_positions.
        self.rope_factors, self.rope_mscale = None, 1.0
        self.rope_long_factors, self.rope_switch = None, None
        if scaling and self.arch == "InternLM2ForCausalLM" and scaling.get("type") == "dynamic":
            pass  # dynamic NTK changes RoPE's base only past max_position_embeddings (checked in llm())
        elif scaling and self.arch == "Phi3ForCausalLM" and scaling.get("type") in ("su", "longrope"):
            # modeling_phi3.py Phi3SuScaledRotaryEmbedding: short_factor while a forward's largest position + 1 is
            # at most original_max_position_embeddings, long_factor for every position of a forward past it
            orig = l["original_max_position_embeddings"]
            self.rope_factors, self.rope_long_factors, self.rope_switch = scaling["short_factor"], scaling["long_factor"], orig
            scale = self.max_positions / orig
            self.rope_mscale = 1.0 if scale <= 1.0 else math.sqrt(1 + math.log(scale) / math.log(orig))
        elif scaling:
            raise NotImplementedError("rope_scaling " + json.dumps(scaling))
        if self.arch == "InternLM2ForCausalLM" and l.get("bias", True):
            raise NotImplementedError("InternLM2 wqkv/wo bias")
        if l.get("hidden_act", "silu") != "silu":
            raise NotImplementedError("llm hidden_act " + str(l.get("hidden_act")))
        if l.get("use_sliding_window", False):
            raise NotImplementedError("sliding window")
        self.tie = bool(l.get("tie_word_embeddings", False))
        self.img_context_id = IMG_CONTEXT_ID
        self.stop_id = IM_END_ID
        assert self.heads % self.kv_heads == 0

    @staticmethod
    def load(model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            cfg = Config(json.load(f))
        # As upstream: img_context_token_id = tokenizer.convert_tokens_to_ids('<IMG_CONTEXT>') and the eos of chat()
        # the template's separator (ids differ between members: <IMG_CONTEXT> is 151648 in InternVL2-1B, 151667 in
        # InternVL2.5-1B, 92546 in InternVL2-2B), from added_tokens.json or tokenizer_config.json.
        added = {}
        config_path = os.path.join(model_dir, "tokenizer_config.json")
        if os.path.exists(config_path):
            with open(config_path) as f:
                decoder = json.load(f).get("added_tokens_decoder", {})
            added.update({t["content"]: int(i) for i, t in decoder.items()})
        added_path = os.path.join(model_dir, "added_tokens.json")
        if os.path.exists(added_path):
            with open(added_path) as f:
                added.update(json.load(f))
        cfg.img_context_id = added.get("<IMG_CONTEXT>", IMG_CONTEXT_ID)
        cfg.stop_id = added.get(STOP_TOKENS.get(cfg.raw.get("template"), "<|im_end|>"), IM_END_ID)
        return cfg


def weight_names(cfg):
    """All tensor names of the official checkpoint layout, with expected shapes."""
    D, Dm, P, C = cfg.v_hidden, cfg.v_inter, cfg.v_patch, cfg.v_channels
    n_pos = (cfg.v_image // P) ** 2 + 1
    s = {
        "vision_model.embeddings.class_embedding": [1, 1, D],
        "vision_model.embeddings.position_embedding": [1, n_pos, D],
        "vision_model.embeddings.patch_embedding.weight": [D, C, P, P],
        "vision_model.embeddings.patch_embedding.bias": [D],
    }
    for i in range(cfg.v_layers):
        p = f"vision_model.encoder.layers.{i}."
        s.update({p + "ls1": [D], p + "ls2": [D], p + "norm1.weight": [D], p + "norm1.bias": [D],
                  p + "norm2.weight": [D], p + "norm2.bias": [D],
                  p + "attn.qkv.weight": [3 * D, D], p + "attn.proj.weight": [D, D], p + "attn.proj.bias": [D],
                  p + "mlp.fc1.weight": [Dm, D], p + "mlp.fc1.bias": [Dm],
                  p + "mlp.fc2.weight": [D, Dm], p + "mlp.fc2.bias": [D]})
        if cfg.v_qkv_bias:
            s[p + "attn.qkv.bias"] = [3 * D]
    H, F4, I = cfg.hidden, cfg.proj_in, cfg.inter
    s.update({"mlp1.0.weight": [F4], "mlp1.0.bias": [F4], "mlp1.1.weight": [H, F4], "mlp1.1.bias": [H],
              "mlp1.3.weight": [H, H], "mlp1.3.bias": [H]})
    q, kv = cfg.heads * cfg.head_dim, cfg.kv_heads * cfg.head_dim
    n = cfg.names
    s[n["embed"]] = [cfg.vocab, H]
    if cfg.arch == "InternLM2ForCausalLM":
        for i in range(cfg.layers):
            p = f"language_model.model.layers.{i}."
            s.update({p + "attention.wqkv.weight": [q + 2 * kv, H], p + "attention.wo.weight": [H, q],
                      p + "feed_forward.w1.weight": [I, H], p + "feed_forward.w3.weight": [I, H],
                      p + "feed_forward.w2.weight": [H, I],
                      p + "attention_norm.weight": [H], p + "ffn_norm.weight": [H]})
    if cfg.arch == "Phi3ForCausalLM":
        for i in range(cfg.layers):
            p = f"language_model.model.layers.{i}."
            s.update({p + "self_attn.o_proj.weight": [H, q], p + "self_attn.qkv_proj.weight": [q + 2 * kv, H],
                      p + "mlp.gate_up_proj.weight": [2 * I, H], p + "mlp.down_proj.weight": [H, I],
                      p + "input_layernorm.weight": [H], p + "post_attention_layernorm.weight": [H]})
    for i in range(cfg.layers if cfg.arch == "Qwen2ForCausalLM" else 0):
        p = f"language_model.model.layers.{i}."
        s.update({p + "input_layernorm.weight": [H], p + "post_attention_layernorm.weight": [H],
                  p + "self_attn.q_proj.weight": [q, H], p + "self_attn.q_proj.bias": [q],
                  p + "self_attn.k_proj.weight": [kv, H], p + "self_attn.k_proj.bias": [kv],
                  p + "self_attn.v_proj.weight": [kv, H], p + "self_attn.v_proj.bias": [kv],
                  p + "self_attn.o_proj.weight": [H, q],
                  p + "mlp.gate_proj.weight": [I, H], p + "mlp.up_proj.weight": [I, H],
                  p + "mlp.down_proj.weight": [H, I]})
    s["language_model.model.norm.weight"] = [H]
    if not cfg.tie:
        s[n["head"]] = [cfg.vocab, H]
    return s


def load_weights(model_dir, cfg, dtype=torch.float32):
    """Loads every tensor (as stored, e.g. bf16) and converts to `dtype`; checks names and shapes."""
    from safetensors_io import open_checkpoint

    files = open_checkpoint(model_dir)
    expected = weight_names(cfg)
    missing = [k for k in expected if k not in files]
    if missing:
        raise KeyError(f"{len(missing)} tensors missing, e.g. {missing[:5]}")
    w = {}
    for name, shape in expected.items():
        t = files[name].get(name)
        if list(t.shape) != shape:
            raise ValueError(f"{name}: shape {list(t.shape)} != expected {shape}")
        w[name] = t.to(dtype)
    if cfg.tie:
        w[cfg.names["head"]] = w[cfg.names["embed"]]
    return w


def random_weights(cfg, seed=0, dtype=torch.float32, std=0.02):
    """Random weights with the official names (bf16-rounded, like a real checkpoint), for tests and benchmarks."""
    g = torch.Generator().manual_seed(seed)
    w = {}
    for name, shape in weight_names(cfg).items():
        if name.endswith(("ls1", "ls2")):
            t = 0.1 + 0.05 * torch.randn(shape, generator=g)
        elif name.endswith(("norm1.weight", "norm2.weight", "layernorm.weight", "norm.weight", "mlp1.0.weight")):
            t = 1.0 + 0.1 * torch.randn(shape, generator=g)
        elif name.endswith("bias"):
            t = 0.02 * torch.randn(shape, generator=g)
        elif "embed" in name or name in (cfg.names["embed"], cfg.names["head"]):
            t = torch.randn(shape, generator=g) * (1.0 if "class" in name or "position" in name else 0.5)
            if "position" in name or "class" in name:
                t = t * 0.1
        else:
            t = torch.randn(shape, generator=g) * std
        w[name] = t.to(torch.bfloat16).to(dtype)
    if cfg.tie:
        w[cfg.names["head"]] = w[cfg.names["embed"]]
    return w


# ----------------------------------------------------------------------------------------------------------
# building blocks


def linear(x, w, b=None):
    return F.linear(x, w, b)


def gelu(x):
    return F.gelu(x)  # exact erf form (approximate='none')


def rms_norm(x, w, eps):
    # transformers Qwen2RMSNorm: f32 math, cast back to the input dtype, then multiply by weight
    dt = x.dtype
    h = x.to(torch.float32)
    var = h.pow(2).mean(-1, keepdim=True)
    h = h * torch.rsqrt(var + eps)
    return w * h.to(dt)


def rope_cos_sin(positions, head_dim, theta, dtype, factors=None, mscale=1.0):
    """HF default RoPE: inv_freq = 1/theta^(2i/d) in f32, angles = p*inv_freq in f32, cat(freqs, freqs).
    LongRoPE (Phi-3): inv_freq = 1/(factors * theta^(2i/d)), cos and sin times mscale."""
    power = theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim)
    inv_freq = 1.0 / (power if factors is None else torch.tensor(factors, dtype=torch.float32) * power)
    t = positions.to(torch.float32)
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return (emb.cos() * mscale).to(dtype), (emb.sin() * mscale).to(dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def apply_rope(x, cos, sin):
    # x [heads, L, hd]; cos/sin [L, hd]
    return x * cos + rotate_half(x) * sin


# ----------------------------------------------------------------------------------------------------------


class InternVLRef:
    def __init__(self, cfg, weights):
        self.cfg = cfg
        self.w = weights
        self.dtype = weights[cfg.names["embed"]].dtype
        # an f16 KV cache: keys (after RoPE) and values rounded to f16 (nearest even) before attention reads them
        self.kv_f16 = False

    # ---------------- vision ----------------
    def vision_embeddings(self, pixel_values):
        c, w = self.cfg, self.w
        pre = "vision_model.embeddings."
        x = pixel_values.to(self.dtype)
        patch = F.conv2d(x, w[pre + "patch_embedding.weight"], w[pre + "patch_embedding.bias"], stride=c.v_patch)
        B, D, gh, gw = patch.shape
        patch = patch.flatten(2).transpose(1, 2)  # [B, gh*gw, D], token = row*gw + col
        cls = w[pre + "class_embedding"].expand(B, 1, -1).to(self.dtype)
        emb = torch.cat([cls, patch], dim=1)
        pos = w[pre + "position_embedding"]
        g0 = c.v_image // c.v_patch  # stored grid
        assert pos.shape[1] == g0 * g0 + 1
        pos_patch = pos[:, 1:, :]
        if (gh, gw) != (g0, g0):
            # official _get_pos_embed: bicubic (A=-0.75, align_corners=False) resample of the stored grid
            p = pos_patch.float().reshape(1, g0, g0, -1).permute(0, 3, 1, 2)
            p = F.interpolate(p, size=(gh, gw), mode="bicubic", align_corners=False)
            pos_patch = p.reshape(1, -1, gh * gw).permute(0, 2, 1).to(pos.dtype)
        # (gh, gw) == stored grid: the official bicubic resize is an exact identity, skipped
        pos_all = torch.cat([pos[:, :1, :], pos_patch], dim=1)
        return emb + pos_all.to(self.dtype)

    def vision_attention(self, x, i):
        c, w = self.cfg, self.w
        p = f"vision_model.encoder.layers.{i}.attn."
        B, N, C = x.shape
        nh, hd = c.v_heads, c.v_head_dim
        qkv = linear(x, w[p + "qkv.weight"], w.get(p + "qkv.bias"))
        qkv = qkv.reshape(B, N, 3, nh, hd).permute(2, 0, 3, 1, 4)  # [3, B, nh, N, hd]
        q, k, v = qkv.unbind(0)
        attn = (q * (hd ** -0.5)) @ k.transpose(-2, -1)
        attn = attn.softmax(dim=-1)
        o = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return linear(o, w[p + "proj.weight"], w[p + "proj.bias"])

    def vision_layer(self, h, i):
        c, w = self.cfg, self.w
        p = f"vision_model.encoder.layers.{i}."
        D = c.v_hidden
        x = F.layer_norm(h, (D,), w[p + "norm1.weight"], w[p + "norm1.bias"], c.v_eps).to(h.dtype)
        h = h + self.vision_attention(x, i) * w[p + "ls1"]
        x = F.layer_norm(h, (D,), w[p + "norm2.weight"], w[p + "norm2.bias"], c.v_eps).to(h.dtype)
        m = linear(gelu(linear(x, w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"])), w[p + "mlp.fc2.weight"],
                   w[p + "mlp.fc2.bias"])
        return h + m * w[p + "ls2"]

    def vision(self, pixel_values, dumps=None):
        """pixel_values [T, 3, S, S] -> features [T, grid*grid, D] (selected layer, CLS dropped)."""
        c = self.cfg
        h = self.vision_embeddings(pixel_values)
        if dumps is not None:
            dumps["vision.embeddings"] = h
        hidden = [h]
        for i in range(c.v_layers):
            h = self.vision_layer(h, i)
            hidden.append(h)
            if dumps is not None:
                dumps[f"vision.layers.{i}"] = h
        sel = h if c.select_layer == -1 else hidden[c.select_layer]
        feats = sel[:, 1:, :]
        if dumps is not None:
            dumps["vision.features"] = feats
        return feats

    # ---------------- projector ----------------
    def pixel_shuffle(self, x, scale):
        # replay of the official view/permute sequence (x [n, w, h, c] in the code's naming)
        n, w, h, c = x.size()
        x = x.view(n, w, int(h * scale), int(c / scale))
        x = x.permute(0, 2, 1, 3).contiguous()
        x = x.view(n, int(h * scale), int(w * scale), int(c / (scale * scale)))
        if self.cfg.ps_version != "v1":
            x = x.permute(0, 2, 1, 3).contiguous()
        return x

    def project(self, feats, dumps=None):
        c, w = self.cfg, self.w
        T, N, D = feats.shape
        g = int(N ** 0.5)
        assert g * g == N
        x = self.pixel_shuffle(feats.reshape(T, g, g, D), c.downsample_ratio)
        x = x.reshape(T, -1, x.shape[-1])
        if dumps is not None:
            dumps["projector.pixel_shuffle"] = x
        x = F.layer_norm(x, (x.shape[-1],), w["mlp1.0.weight"], w["mlp1.0.bias"], 1e-5)  # nn.LayerNorm default eps
        x = linear(x, w["mlp1.1.weight"], w["mlp1.1.bias"])
        x = gelu(x)
        x = linear(x, w["mlp1.3.weight"], w["mlp1.3.bias"])
        if dumps is not None:
            dumps["projector.out"] = x
        return x

    def image_features(self, pixel_values, dumps=None):
        return self.project(self.vision(pixel_values, dumps), dumps)

    # ---------------- LLM ----------------
    def embed(self, ids, image_embeds=None):
        """ids: list/1-D tensor; image rows (id == IMG_CONTEXT) overwritten in order by image_embeds [T, n, H]."""
        ids = torch.as_tensor(ids, dtype=torch.int64)
        e = self.w[self.cfg.names["embed"]][ids].clone()
        sel = ids == self.cfg.img_context_id
        n = int(sel.sum())
        if image_embeds is None:
            if n:
                raise ValueError(f"{n} IMG_CONTEXT tokens but no pixel values")
            return e
        flat = image_embeds.reshape(-1, image_embeds.shape[-1])
        if flat.shape[0] != n:
            raise ValueError(f"IMG_CONTEXT count {n} != image tokens {flat.shape[0]}")
        e[sel] = flat.to(e.dtype)
        return e

    def qkv(self, x, i):
        """q [nh, L, hd], k and v [nkv, L, hd] of layer i's projections (before RoPE)."""
        c, w = self.cfg, self.w
        L = x.shape[0]
        nh, nkv, hd = c.heads, c.kv_heads, c.head_dim
        if c.arch == "InternLM2ForCausalLM":
            # modeling_internlm2.py: rearrange(wqkv(x), 'b q (h gs d) -> b q h gs d', gs=2 + groups): per kv head h its
            # query heads, then its key, then its value; query heads flattened as (h gs) -> h * groups + j.
            qkv = linear(x, w[f"language_model.model.layers.{i}.attention.wqkv.weight"]).view(L, nkv, nh // nkv + 2, hd)
            q = qkv[:, :, :-2, :].reshape(L, nh, hd).transpose(0, 1)
            return q, qkv[:, :, -2, :].transpose(0, 1), qkv[:, :, -1, :].transpose(0, 1)
        if c.arch == "Phi3ForCausalLM":
            # modeling_phi3.py: query_pos = num_heads * head_dim; q, then k (kv_heads * head_dim), then v
            qkv = linear(x, w[f"language_model.model.layers.{i}.self_attn.qkv_proj.weight"])
            q, k, v = qkv.split([nh * hd, nkv * hd, nkv * hd], dim=-1)
            return (q.reshape(L, nh, hd).transpose(0, 1), k.reshape(L, nkv, hd).transpose(0, 1),
                    v.reshape(L, nkv, hd).transpose(0, 1))
        p = f"language_model.model.layers.{i}.self_attn."
        q = linear(x, w[p + "q_proj.weight"], w[p + "q_proj.bias"]).view(L, nh, hd).transpose(0, 1)
        k = linear(x, w[p + "k_proj.weight"], w[p + "k_proj.bias"]).view(L, nkv, hd).transpose(0, 1)
        v = linear(x, w[p + "v_proj.weight"], w[p + "v_proj.bias"]).view(L, nkv, hd).transpose(0, 1)
        return q, k, v

    def llm_attention(self, x, i, start, cache):
        c, w = self.cfg, self.w
        L = x.shape[0]
        nh, nkv, hd = c.heads, c.kv_heads, c.head_dim
        q, k, v = self.qkv(x, i)
        factors = c.rope_factors
        if c.rope_switch is not None and start + L > c.rope_switch:  # this forward reaches past the switch
            factors = c.rope_long_factors
        cos, sin = rope_cos_sin(torch.arange(start, start + L), hd, c.rope_theta, x.dtype, factors, c.rope_mscale)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        if self.kv_f16:
            k, v = k.to(torch.float16).to(x.dtype), v.to(torch.float16).to(x.dtype)
        if cache is not None:
            # per layer (k_buf, v_buf, length); buffers [nkv, capacity, hd] grow by doubling
            ent = cache[i]
            n0 = 0 if ent is None else ent[2]
            assert n0 == start, f"cache holds {n0} positions, call starts at {start}"
            need = start + L
            if ent is None or ent[0].shape[1] < need:
                cap = max(need, 2 * (ent[0].shape[1] if ent is not None else 0))
                kb, vb = k.new_empty(nkv, cap, hd), v.new_empty(nkv, cap, hd)
                if ent is not None:
                    kb[:, :n0], vb[:, :n0] = ent[0][:, :n0], ent[1][:, :n0]
            else:
                kb, vb = ent[0], ent[1]
            kb[:, start:need], vb[:, start:need] = k, v
            cache[i] = (kb, vb, need)
            k, v = kb[:, :need], vb[:, :need]
        else:
            assert start == 0
        S = k.shape[1]
        rep = nh // nkv
        # GQA = repeat_kv: query head h uses KV head h // rep. Done by grouping the rep query heads of each KV head
        # (same products as repeat_kv, without copying K/V rep times).
        qg = q.reshape(nkv, rep * L, hd)
        scores = torch.matmul(qg, k.transpose(1, 2)).view(nh, L, S) / math.sqrt(hd)  # [nh, L, S]
        if L > 1:
            qpos = torch.arange(start, start + L).unsqueeze(1)
            kpos = torch.arange(S).unsqueeze(0)
            scores = scores.masked_fill(kpos > qpos, float("-inf"))
        probs = scores.softmax(dim=-1, dtype=torch.float32).to(q.dtype)
        o = torch.matmul(probs.view(nkv, rep * L, S), v).view(nh, L, hd).transpose(0, 1).reshape(L, nh * hd)
        return linear(o, w[self.layer_name(i, "o")])

    def layer_name(self, i, part):
        return self.cfg.names[part].replace("language_model.", f"language_model.model.layers.{i}.", 1)

    def llm_layer(self, h, i, start, cache):
        c, w = self.cfg, self.w
        n = lambda part: w[self.layer_name(i, part)]  # noqa: E731
        x = rms_norm(h, n("attn_norm"), c.rms_eps)
        h = h + self.llm_attention(x, i, start, cache)
        x = rms_norm(h, n("mlp_norm"), c.rms_eps)
        if c.arch == "Phi3ForCausalLM":  # Phi3MLP: gate, up = gate_up_proj(x).chunk(2, dim=-1); down(up * silu(gate))
            gate, up = linear(x, n("gate_up")).chunk(2, dim=-1)
            return h + linear(up * F.silu(gate), n("down"))
        return h + linear(F.silu(linear(x, n("gate"))) * linear(x, n("up")), n("down"))

    def llm(self, embeds, start=0, cache=None, dumps=None):
        """embeds [L, H] at positions start..start+L-1 -> final-normed hidden [L, H]."""
        if start + embeds.shape[0] > self.cfg.max_positions:
            raise NotImplementedError("positions past max_position_embeddings (RoPE scaling)")
        h = embeds
        for i in range(self.cfg.layers):
            h = self.llm_layer(h, i, start, cache)
            if dumps is not None:
                dumps[f"llm.layers.{i}"] = h
        h = rms_norm(h, self.w["language_model.model.norm.weight"], self.cfg.rms_eps)
        if dumps is not None:
            dumps["llm.norm"] = h
        return h

    def logits(self, h_last):
        return linear(h_last, self.w[self.cfg.names["head"]]).float()

    def new_cache(self):
        return [None] * self.cfg.layers

    # ---------------- generation ----------------
    def generate(self, ids, image_embeds=None, max_new_tokens=16, eos=IM_END_ID, dumps=None, use_cache=True,
                 timings=None):
        """Greedy decoding (argmax, first index on ties); returns the new ids (eos included if produced)."""
        import time

        e = self.embed(ids, image_embeds)
        if dumps is not None:
            dumps["llm.embeddings"] = e
        L = e.shape[0]
        t0 = time.perf_counter()
        cache = self.new_cache() if use_cache else None
        h = self.llm(e, 0, cache, dumps)
        logits = self.logits(h[-1])
        if dumps is not None:
            dumps["logits"] = logits
        t1 = time.perf_counter()
        out = []
        seq = e
        for step in range(max_new_tokens):
            nxt = int(torch.argmax(logits))  # torch.argmax returns the first maximal index
            out.append(nxt)
            if nxt == eos or step == max_new_tokens - 1:
                break
            ne = self.embed([nxt])
            if use_cache:
                h = self.llm(ne, L + step, cache)
            else:
                seq = torch.cat([seq, ne], dim=0)
                h = self.llm(seq, 0, None)
            logits = self.logits(h[-1])
        t2 = time.perf_counter()
        if timings is not None:
            timings["prefill_ms"] = timings.get("prefill_ms", 0.0) + (t1 - t0) * 1e3
            timings["decode_ms"] = timings.get("decode_ms", 0.0) + (t2 - t1) * 1e3
            timings["prefill_tokens"] = timings.get("prefill_tokens", 0) + L
            timings["decode_steps"] = timings.get("decode_steps", 0) + max(0, len(out) - 1)
        return out
