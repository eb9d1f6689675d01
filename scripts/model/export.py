"""Exports builtin:tiny-math: onnx/model.onnx with the transformers.js / Optimum decoder interface
(KV cache in and out, plus `last_hidden_state`), config.json, generation_config.json, and the
parity fixture: PyTorch outputs on fixed inputs that the ONNX Runtime test compares against.

Usage: python3 export.py BUILD_DIR MODEL_DIR FIXTURE_JSON
"""
import base64
import json
import os
import sys

# Spinning OpenMP workers waste the shared cores while they wait; sleeping ones do not.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402  (after the OpenMP setting)
from torch import nn  # noqa: E402

from model import TinyLlama  # noqa: E402

torch.set_num_threads(2)
OPSET = 14


class Decoder(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, present, hidden = self.model(input_ids, attention_mask, position_ids, past)
        return (logits, *[t for kv in present for t in kv], hidden)


def positions(mask):
    # As transformers.js computes them: real tokens count from 0, padding gets 1.
    p = mask.cumsum(-1) - 1
    return p.masked_fill(mask == 0, 1)


def export(model, config, path):
    n = config["num_hidden_layers"]
    kv, hd = config["num_key_value_heads"], config["head_dim"]
    b, t, past = 2, 3, 4
    ids = torch.randint(0, config["vocab_size"], (b, t))
    mask = torch.ones(b, past + t, dtype=torch.long)
    pos = (torch.arange(t) + past).unsqueeze(0).expand(b, -1).contiguous()
    past_flat = [torch.randn(b, kv, past, hd) for _ in range(2 * n)]
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
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(
        Decoder(model),
        (ids, mask, pos, *past_flat),
        path,
        input_names=["input_ids", "attention_mask", "position_ids", *past_names],
        output_names=["logits", *present_names, "last_hidden_state"],
        dynamic_axes=dynamic,
        opset_version=OPSET,
        do_constant_folding=True,
    )


def hf_config(config, params):
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": config["vocab_size"],
        "hidden_size": config["hidden_size"],
        "intermediate_size": config["intermediate_size"],
        "num_hidden_layers": config["num_hidden_layers"],
        "num_attention_heads": config["num_attention_heads"],
        "num_key_value_heads": config["num_key_value_heads"],
        "head_dim": config["head_dim"],
        "hidden_act": "silu",
        "max_position_embeddings": config["max_position_embeddings"],
        "rms_norm_eps": config["rms_norm_eps"],
        "rope_theta": config["rope_theta"],
        "rope_scaling": None,
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": config["tie_word_embeddings"],
        "torch_dtype": "float32",
        "bos_token_id": None,
        "eos_token_id": config["eos_token_id"],
        "pad_token_id": config["pad_token_id"],
        "use_cache": True,
        "num_parameters": params,
    }


def parity_fixture(model, config, tokens):
    """Two left-padded prompts (prefill from an empty cache), then one decode step on that cache."""
    pad = config["pad_token_id"]
    a, b = tokens
    t = max(len(a), len(b))
    ids = torch.tensor([[pad] * (t - len(s)) + s for s in (a, b)])
    mask = torch.tensor([[0] * (t - len(s)) + [1] * len(s) for s in (a, b)])
    pos = positions(mask)
    with torch.no_grad():
        logits, present, hidden = model(ids, mask, pos, model.empty_past(2))
        step_ids = torch.tensor([[a[-1]], [b[-1]]])
        step_mask = torch.cat((mask, torch.ones(2, 1, dtype=torch.long)), dim=1)
        step_pos = pos[:, -1:] + 1
        step_logits, _, step_hidden = model(step_ids, step_mask, step_pos, present)

    def flat(x):
        # Little-endian float32, base64: exact values in a third of the space of decimal text.
        return base64.b64encode(x.detach().numpy().astype("<f4").tobytes()).decode("ascii")

    return {
        "description": "PyTorch outputs of builtin:tiny-math on fixed inputs (float32 little-endian, base64); ONNX Runtime must reproduce them.",
        "prefill": {
            "input_ids": ids.tolist(),
            "attention_mask": mask.tolist(),
            "position_ids": pos.tolist(),
            "logits_shape": list(logits.shape),
            "logits": flat(logits),
            "last_hidden_state_shape": list(hidden.shape),
            "last_hidden_state": flat(hidden),
        },
        "decode": {
            "input_ids": step_ids.tolist(),
            "attention_mask": step_mask.tolist(),
            "position_ids": step_pos.tolist(),
            "logits_shape": list(step_logits.shape),
            "logits": flat(step_logits),
            "last_hidden_state_shape": list(step_hidden.shape),
            "last_hidden_state": flat(step_hidden),
        },
    }


def main():
    build, model_dir, fixture = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(f"{build}/config.json") as f:
        config = json.load(f)
    with open(f"{model_dir}/tokenizer.json") as f:
        added = {t["content"]: t["id"] for t in json.load(f)["added_tokens"]}
    config.update(eos_token_id=added["<|im_end|>"], pad_token_id=added["<|endoftext|>"])
    model = TinyLlama(config)
    model.load_state_dict(torch.load(f"{build}/model.pt"))
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    export(model, config, f"{model_dir}/onnx/model.onnx")
    with open(f"{model_dir}/config.json", "w") as f:
        json.dump(hf_config(config, params), f, indent=2)
        f.write("\n")
    generation = {
        "bos_token_id": None,
        "eos_token_id": [added["<|im_end|>"], added["<|endoftext|>"]],
        "pad_token_id": added["<|endoftext|>"],
        "do_sample": False,
        "max_new_tokens": 256,
    }
    with open(f"{model_dir}/generation_config.json", "w") as f:
        json.dump(generation, f, indent=2)
        f.write("\n")
    with open(f"{build}/parity_tokens.json") as f:
        tokens = json.load(f)
    os.makedirs(os.path.dirname(fixture), exist_ok=True)
    with open(fixture, "w") as f:
        json.dump(parity_fixture(model, config, tokens), f)
        f.write("\n")
    size = os.path.getsize(f"{model_dir}/onnx/model.onnx")
    print(f"export: {params:,} parameters, onnx/model.onnx {size / 1e6:.1f} MB (opset {OPSET}), parity fixture {fixture}")


if __name__ == "__main__":
    main()
