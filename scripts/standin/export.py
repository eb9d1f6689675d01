"""A Qwen3 causal LM with random weights and a real model's exact shape, exported to ONNX the way
Optimum exports decoders for transformers.js: inputs input_ids, attention_mask, position_ids and
past_key_values.N.key|value; outputs logits, present.N.key|value and last_hidden_state (the LM
head's input, where the trainer's adapter sits). Weights over 2 GB go to onnx/model.onnx_data.

Usage: python3 export.py CONFIG_JSON OUT_DIR SEED
"""
import json
import math
import os
import sys

# Spinning OpenMP workers waste the shared cores while they wait; sleeping ones do not.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

OPSET = 14


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


def repeat_kv(x, rep):
    """[b, kv_heads, t, d] -> [b, kv_heads * rep, t, d], each kv head shared by `rep` query heads."""
    if rep == 1:
        return x
    b, h, t, d = x.shape
    return x.unsqueeze(2).expand(b, h, rep, t, d).reshape(b, h * rep, t, d)


class Attention(nn.Module):
    """Grouped-query attention with Qwen3's per-head RMSNorm on queries and keys, before RoPE."""

    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        d = c["hidden_size"]
        self.q_proj = nn.Linear(d, self.heads * self.head_dim, bias=c["attention_bias"])
        self.k_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=c["attention_bias"])
        self.v_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=c["attention_bias"])
        self.o_proj = nn.Linear(self.heads * self.head_dim, d, bias=False)
        self.q_norm = RMSNorm(self.head_dim, c["rms_norm_eps"])
        self.k_norm = RMSNorm(self.head_dim, c["rms_norm_eps"])

    def forward(self, x, cos, sin, mask, past_k, past_v):
        b, t, _ = x.shape
        q = self.q_norm(self.q_proj(x).view(b, t, self.heads, self.head_dim)).transpose(1, 2)
        k = self.k_norm(self.k_proj(x).view(b, t, self.kv_heads, self.head_dim)).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = torch.cat((past_k, k), dim=2)
        v = torch.cat((past_v, v), dim=2)
        rep = self.heads // self.kv_heads
        kr, vr = repeat_kv(k, rep), repeat_kv(v, rep)
        scores = torch.matmul(q, kr.transpose(-1, -2)) / math.sqrt(self.head_dim)
        scores = scores.masked_fill(mask, torch.finfo(scores.dtype).min)
        out = torch.matmul(torch.softmax(scores, dim=-1), vr)
        return self.o_proj(out.transpose(1, 2).reshape(b, t, self.heads * self.head_dim)), k, v


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, f = c["hidden_size"], c["intermediate_size"]
        self.input_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x, cos, sin, mask, past_k, past_v):
        h, k, v = self.self_attn(self.input_layernorm(x), cos, sin, mask, past_k, past_v)
        x = x + h
        y = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y)), k, v


class Qwen3(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.lm_head = None if c["tie_word_embeddings"] else nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        hd = c["head_dim"]
        self.register_buffer("inv_freq", 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd)), persistent=False)
        with torch.no_grad():
            for p in self.parameters():
                if p.dim() >= 2:
                    p.normal_(std=c["initializer_range"])

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        t = input_ids.shape[1]
        past_len = past_flat[0].shape[2]
        x = self.embed_tokens(input_ids)
        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1).unsqueeze(1)
        cos, sin = emb.cos(), emb.sin()
        keys = torch.arange(past_len + t)
        queries = torch.arange(t) + past_len
        blocked = (keys.unsqueeze(0) > queries.unsqueeze(1)).unsqueeze(0).unsqueeze(0)
        blocked = blocked | (attention_mask == 0).unsqueeze(1).unsqueeze(1)
        present = []
        for i, layer in enumerate(self.layers):
            x, k, v = layer(x, cos, sin, blocked, past_flat[2 * i], past_flat[2 * i + 1])
            present += [k, v]
        hidden = self.norm(x)
        weight = self.embed_tokens.weight if self.lm_head is None else self.lm_head.weight
        return (F.linear(hidden, weight), *present, hidden)


def main():
    config_file, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(config_file) as f:
        c = json.load(f)
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    model = Qwen3(c).eval()
    n, kv, hd = c["num_hidden_layers"], c["num_key_value_heads"], c["head_dim"]
    b, t, past = 1, 2, 1
    ids = torch.randint(0, c["vocab_size"], (b, t))
    mask = torch.ones(b, past + t, dtype=torch.long)
    pos = (torch.arange(t) + past).unsqueeze(0)
    past_flat = [torch.zeros(b, kv, past, hd) for _ in range(2 * n)]
    past_names = [f"past_key_values.{i}.{kind}" for i in range(n) for kind in ("key", "value")]
    present_names = [f"present.{i}.{kind}" for i in range(n) for kind in ("key", "value")]
    dynamic = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
        "last_hidden_state": {0: "batch_size", 1: "sequence_length"},
    }
    for name in past_names:
        dynamic[name] = {0: "batch_size", 2: "past_sequence_length"}
    for name in present_names:
        dynamic[name] = {0: "batch_size", 2: "total_sequence_length"}
    os.makedirs(f"{out}/onnx", exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            model,
            (ids, mask, pos, *past_flat),
            f"{out}/onnx/model.onnx",
            input_names=["input_ids", "attention_mask", "position_ids", *past_names],
            output_names=["logits", *present_names, "last_hidden_state"],
            dynamic_axes=dynamic,
            opset_version=OPSET,
            do_constant_folding=True,
        )
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"parameters": params}))


if __name__ == "__main__":
    main()
