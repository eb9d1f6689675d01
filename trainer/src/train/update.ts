// One policy update from a step's rollouts: every sampled assistant token is a training
// position (prompts and tool results are never trained on: each turn's prompt is context).
import type { Engine } from '../model/engine';
import { Rng } from '../model/sampling';
import { hashSeed } from '../rollout/seed';
import { turnAdvantage, type RolloutRecord } from '../run/events';
import { Adam } from './adam';
import type { LoraHead } from './lora';
import { lossWeights, objective, zeroGrads, type ObjectiveOptions, type TokenBatch } from './objective';

/** One assistant turn to train on. */
export interface TurnSample {
  rollout: number;
  promptIds: number[];
  tokenIds: number[];
  advantage: number;
}

export interface UpdateOptions extends Omit<ObjectiveOptions, 'mode'> {
  mode?: ObjectiveOptions['mode'];
  epochs: number;
  /** Rollouts per optimiser step. */
  minibatch: number;
  maxGradNorm: number;
  seed: number;
  step: number;
}

export interface UpdateStats {
  loss: number;
  kl: number;
  entropy: number;
  clip_frac: number;
  grad_norm: number;
  tokens: number;
  /** Trained tokens per second of update time (forward passes included). */
  update_tokens_per_s: number;
}

/** Turns of rollouts that carry an advantage (dropped groups have none). */
export function turnSamples(records: RolloutRecord[]): TurnSample[] {
  const out: TurnSample[] = [];
  records.forEach((r, i) => {
    if (r.advantage === null) return;
    for (const t of r.turns) {
      if (!t.prompt_ids || !t.token_ids || t.token_ids.length === 0) continue;
      out.push({ rollout: i, promptIds: t.prompt_ids, tokenIds: t.token_ids, advantage: turnAdvantage(r, t.role)! });
    }
  });
  return out;
}

/** Rows of the teacher-forced pass that predict each sampled token. */
async function tokenRows(engine: Engine, samples: TurnSample[]): Promise<TokenBatch[]> {
  const V = engine.layout.vocab;
  const H = engine.layout.hiddenSize;
  const forwards = await engine.forward(samples.map((s) => [...s.promptIds, ...s.tokenIds.slice(0, -1)]));
  return samples.map((s, i) => {
    const n = s.tokenIds.length;
    const from = s.promptIds.length - 1;
    const f = forwards[i];
    return {
      rows: n,
      hidden: f.hidden.slice(from * H, (from + n) * H),
      logits: f.logits.slice(from * V, (from + n) * V),
      targets: Int32Array.from(s.tokenIds),
      advantages: new Float32Array(n).fill(s.advantage),
      oldLogprobs: new Float32Array(n),
      weights: new Float32Array(n),
    };
  });
}

export async function policyUpdate(engine: Engine, lora: LoraHead, adam: Adam, samples: TurnSample[], opts: UpdateOptions): Promise<UpdateStats> {
  const started = performance.now();
  const objOpts: ObjectiveOptions = { ...opts, mode: opts.mode ?? 'ppo' };
  const batches = await tokenRows(engine, samples);
  // Old logprobs: the adapter as it was when these rollouts were sampled, i.e. before this update.
  for (const b of batches) b.oldLogprobs.set(objective(lora, b, objOpts).logprobs);

  const rollouts = [...new Set(samples.map((s) => s.rollout))];
  const totals = { loss: 0, kl: 0, entropy: 0, clip: 0, norm: 0, steps: 0, tokens: 0 };
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = shuffled(rollouts, new Rng(hashSeed(`${opts.seed}:update:${opts.step}:${epoch}`)));
    for (let at = 0; at < order.length; at += opts.minibatch) {
      const chosen = new Set(order.slice(at, at + opts.minibatch));
      const mb = batches.filter((_, i) => chosen.has(samples[i].rollout));
      const tokens = mb.reduce((a, b) => a + b.rows, 0);
      if (tokens === 0) continue;
      const grads = zeroGrads(lora);
      let loss = 0, kl = 0, entropy = 0, clip = 0;
      const weights = lossWeights(mb.map((b) => b.rows), opts.lossAgg, opts.maxTokens);
      for (const [i, b] of mb.entries()) {
        b.weights.fill(weights[i]);
        const s = objective(lora, b, objOpts, grads);
        const share = b.rows / tokens;
        loss += s.loss;
        kl += s.kl * share;
        entropy += s.entropy * share;
        clip += s.clipFrac * share;
      }
      const norm = Adam.clip([grads.A, grads.B], opts.maxGradNorm);
      adam.step([grads.A, grads.B]);
      totals.loss += loss;
      totals.kl += kl;
      totals.entropy += entropy;
      totals.clip += clip;
      totals.norm += norm;
      totals.steps++;
      totals.tokens += tokens;
    }
  }
  const n = Math.max(1, totals.steps);
  const seconds = (performance.now() - started) / 1000;
  return {
    loss: totals.loss / n,
    kl: totals.kl / n,
    entropy: totals.entropy / n,
    clip_frac: totals.clip / n,
    grad_norm: totals.norm / n,
    tokens: totals.tokens,
    update_tokens_per_s: seconds > 0 ? totals.tokens / seconds : 0,
  };
}

function shuffled<T>(xs: T[], rng: Rng): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
