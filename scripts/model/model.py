"""The tiny Llama of builtin:tiny-math (RMSNorm, RoPE, SwiGLU, grouped-query attention), written
so that one forward serves training, greedy decoding and the ONNX export: it takes a KV cache and
an attention mask like the transformers.js / Optimum decoder exports, and also returns the final
normed hidden state (the LM head's input, where the trainer's LoRA adapter sits)."""
import math

import torch
from torch import nn
import torch.nn.functional as F


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
    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        d = c["hidden_size"]
        self.q_proj = nn.Linear(d, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, d, bias=False)

    def forward(self, x, cos, sin, mask, past_k, past_v):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
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


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, f = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, mask, past_k, past_v):
        h, k, v = self.self_attn(self.input_layernorm(x), cos, sin, mask, past_k, past_v)
        x = x + h
        return x + self.mlp(self.post_attention_layernorm(x)), k, v


class TinyLlama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        hd = c["head_dim"]
        self.register_buffer("inv_freq", 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd)), persistent=False)
        # Weights at 1/sqrt(width): at this width GPT-2's fixed 0.02 leaves attention nearly uniform,
        # and the copying heads this task needs (numbers from the question, the calculator's result)
        # then take far longer to form. Residual projections are scaled down by depth, as in GPT-2.
        std = c["hidden_size"] ** -0.5
        for name, p in self.named_parameters():
            if p.dim() < 2:
                continue
            scale = 1 / math.sqrt(2 * c["num_hidden_layers"]) if name.endswith(("o_proj.weight", "down_proj.weight")) else 1.0
            nn.init.normal_(p, std=std * scale)

    def forward(self, input_ids, attention_mask, position_ids, past, head=True):
        """past: [(key, value)] per layer, each [batch, kv_heads, past_len, head_dim] (past_len may be 0).
        Returns logits [b, t, vocab], the new cache (past + this step), and the final normed hidden state."""
        t = input_ids.shape[1]
        past_len = past[0][0].shape[2]
        x = self.embed_tokens(input_ids)
        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1).unsqueeze(1)
        cos, sin = emb.cos(), emb.sin()
        # Query i sits at cache index past_len + i; it may see keys up to there that are not padding.
        keys = torch.arange(past_len + t, device=input_ids.device)
        queries = torch.arange(t, device=input_ids.device) + past_len
        blocked = (keys.unsqueeze(0) > queries.unsqueeze(1)).unsqueeze(0).unsqueeze(0)
        blocked = blocked | (attention_mask == 0).unsqueeze(1).unsqueeze(1)
        present = []
        for layer, (pk, pv) in zip(self.layers, past):
            x, k, v = layer(x, cos, sin, blocked, pk, pv)
            present.append((k, v))
        hidden = self.norm(x)
        return (self.lm_head(hidden) if head else None), present, hidden

    def empty_past(self, batch):
        c = self.config
        z = torch.zeros(batch, c["num_key_value_heads"], 0, c["head_dim"])
        return [(z, z) for _ in range(c["num_hidden_layers"])]


def count_params(model):
    return sum(p.numel() for p in model.parameters())
