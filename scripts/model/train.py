"""Supervised training of builtin:tiny-math on the encoded transcripts: the loss is on the
assistant's tokens, plus a lighter language-modelling loss on the user's and the tool's text.

Usage: python3 train.py BUILD_DIR [STEPS]
Reads BUILD_DIR/sft.jsonl ({"ids": [...], "spans": [[start, end], ...]} per line), writes
BUILD_DIR/model.pt and BUILD_DIR/config.json. Deterministic for a given machine: fixed seeds,
fixed step count, two threads.

Every transcript starts with the same system prompt (the ReAct prompt and the tool list), so a
batch runs that shared prefix once and continues each transcript from its KV cache; gradients flow
through the cache, so this is the same computation as running every full sequence.
"""
import json
import os
import math
import random
import sys
import time

# Spinning OpenMP workers waste the shared cores while they wait; sleeping ones do not.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402  (after the OpenMP setting)
import torch.nn.functional as F  # noqa: E402

from model import TinyLlama, count_params  # noqa: E402

torch.set_num_threads(2)

CONFIG = {
    "hidden_size": 128,
    "intermediate_size": 384,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 32,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "max_position_embeddings": 2048,
    "tie_word_embeddings": False,
}
BATCH = 16
PEAK_LR = 3e-3
WARMUP = 100
WEIGHT_DECAY = 0.05
SEED = 1234
HELD_OUT = 512
AUX_WEIGHT = 0.3


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                rows.append((r["ids"], r["spans"]))
    return rows


def shared_prefix(rows):
    first = rows[0][0]
    n = min(min(len(ids) for ids, _ in rows), min(s for _, spans in rows for s, _ in spans) - 1)
    for ids, _ in rows:
        i = 0
        while i < n and ids[i] == first[i]:
            i += 1
        n = i
    return first[:n]


def batch_tensors(rows, idx, p):
    """Suffix ids after the shared prefix (right-padded); next-token labels (-100 on padding); and
    which labels are assistant targets."""
    t = max(len(rows[i][0]) - p for i in idx)
    x = torch.zeros(len(idx), t, dtype=torch.long)
    y = torch.full((len(idx), t), -100, dtype=torch.long)
    target = torch.zeros(len(idx), t, dtype=torch.bool)
    for b, i in enumerate(idx):
        ids, spans = rows[i]
        suffix = ids[p:]
        x[b, : len(suffix)] = torch.tensor(suffix)
        # logits at position j - 1 predict token j
        y[b, : len(suffix) - 1] = torch.tensor(suffix[1:])
        for s, e in spans:
            target[b, s - 1 - p : e - 1 - p] = True
    return x, y, target


def forward_loss(model, prefix_ids, x, y, target, norm):
    p = prefix_ids.shape[1]
    b, t = x.shape
    ones = torch.ones(1, p, dtype=torch.long)
    _, cache, _ = model(prefix_ids, ones, torch.arange(p).unsqueeze(0), model.empty_past(1), head=False)
    past = [(k.expand(b, -1, -1, -1), v.expand(b, -1, -1, -1)) for k, v in cache]
    positions = (torch.arange(t) + p).unsqueeze(0).expand(b, -1)
    # Right padding sits after every real token, so causality already hides it.
    logits, _, _ = model(x, torch.ones(b, p + t, dtype=torch.long), positions, past)
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100, reduction="none").view(b, t)
    real = y != -100
    n = target.sum()
    # A fixed divisor, not this batch's token count: length buckets make batches all-tool (long
    # answers) or all-direct (short ones), and a per-batch mean would weigh each direct answer's
    # first token several times more than a tool call's, skewing the learned tool-use rate.
    # The user's and the tool's text carry a lighter language-modelling loss: repeated names,
    # items and numbers there are what teaches attention to copy, which the answers depend on.
    target_sum = ce[target].sum()
    loss = (target_sum + AUX_WEIGHT * ce[real & ~target].sum()) / norm
    with torch.no_grad():
        hit = (logits.argmax(-1)[target] == y[target]).sum().item()
    return loss, (target_sum / n).item(), hit, n.item()


def batches(rows, order, rnd):
    # Length buckets keep padding low; buckets and batches are shuffled with the seeded generator.
    out = []
    for i in range(0, len(order), BATCH * 32):
        chunk = sorted(order[i : i + BATCH * 32], key=lambda j: len(rows[j][0]))
        out += [chunk[k : k + BATCH] for k in range(0, len(chunk), BATCH)]
    rnd.shuffle(out)
    return out


def main():
    build = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 6000
    random.seed(SEED)
    torch.manual_seed(SEED)
    rows = load(f"{build}/sft.jsonl")
    with open(f"{build}/vocab_size") as f:
        vocab = int(f.read())
    config = dict(CONFIG, vocab_size=vocab)
    prefix = shared_prefix(rows)
    prefix_ids = torch.tensor(prefix).unsqueeze(0)
    held, train = rows[:HELD_OUT], rows[HELD_OUT:]
    norm = BATCH * sum(e - s for _, spans in train for s, e in spans) / len(train)
    model = TinyLlama(config)
    print(f"train: {count_params(model):,} parameters, {len(train)} transcripts, shared prefix {len(prefix)} tokens, {steps} steps of {BATCH}", flush=True)

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or "embed" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}], lr=PEAK_LR, betas=(0.9, 0.95))
    rnd = random.Random(SEED)
    queue = []
    start = time.time()
    seen_tokens = 0
    loss_sum = hit_sum = tgt_sum = 0.0
    for step in range(1, steps + 1):
        if not queue:
            queue = batches(train, list(range(len(train))), rnd)
        idx = queue.pop()
        lr = PEAK_LR * (step / WARMUP if step <= WARMUP else 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - WARMUP) / max(1, steps - WARMUP))))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y, target = batch_tensors(train, idx, len(prefix))
        loss, target_loss, hit, tgt = forward_loss(model, prefix_ids, x, y, target, norm)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        seen_tokens += x.numel()
        loss_sum += target_loss
        hit_sum += hit
        tgt_sum += tgt
        if step % 50 == 0 or step == steps:
            el = time.time() - start
            print(f"step {step}/{steps} target loss {loss_sum / 50:.4f} target-token acc {hit_sum / max(1, tgt_sum):.3f} lr {lr:.2e} {seen_tokens / el:.0f} tok/s {el:.0f}s", flush=True)
            loss_sum = hit_sum = tgt_sum = 0.0
        if step % 250 == 0:
            save(model, config, build)
    model.eval()
    with torch.no_grad():
        tl = th = tt = 0.0
        for k in range(0, len(held), BATCH):
            idx = list(range(k, min(k + BATCH, len(held))))
            x, y, target = batch_tensors(held, idx, len(prefix))
            _, target_loss, hit, tgt = forward_loss(model, prefix_ids, x, y, target, norm)
            tl += target_loss * tgt
            th += hit
            tt += tgt
    seconds = time.time() - start
    print(f"held-out: loss {tl / tt:.4f}, target-token accuracy {th / tt:.4f} (teacher forced), {seconds:.0f}s training", flush=True)
    save(model, config, build)
    stats = {
        "parameters": count_params(model),
        "steps": steps,
        "batch": BATCH,
        "transcripts": len(train),
        "epochs": round(steps * BATCH / len(train), 2),
        "shared_prefix_tokens": len(prefix),
        "held_out_loss": round(tl / tt, 4),
        "held_out_target_token_accuracy": round(th / tt, 4),
        "seconds": round(seconds),
        "peak_lr": PEAK_LR,
        "aux_weight": AUX_WEIGHT,
    }
    with open(f"{build}/train_stats.json", "w") as f:
        json.dump(stats, f, indent=2)


def save(model, config, build):
    torch.save(model.state_dict(), f"{build}/model.pt")
    with open(f"{build}/config.json", "w") as f:
        json.dump(config, f, indent=2)


if __name__ == "__main__":
    main()
