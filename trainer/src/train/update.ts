// One policy update from a step's rollouts: every sampled assistant token is a training
// position (prompts and tool results are never trained on: each turn's prompt is context).
import type { Engine } from '../model/engine';
import { Rng } from '../model/sampling';
import { hashSeed } from '../rollout/seed';
import { turnAdvantage, type RolloutRecord } from '../run/events';
import { Adam } from './adam';
import { LoraHead } from './lora';
import { lossWeights, objective, zeroGrads, type ObjectiveOptions, type TokenBatch } from './objective';

/** One assistant turn to train on. */
export interface TurnSample {
  rollout: number;
  promptIds: number[];
  tokenIds: number[];
  advantage: number;
  /** The temperature the turn was sampled at; the update's own when the record has none. */
  temperature?: number;
}

export interface UpdateOptions extends Omit<ObjectiveOptions, 'mode'> {
  mode?: ObjectiveOptions['mode'];
  epochs: number;
  /** Rollouts per optimiser step. */
  minibatch: number;
  maxGradNorm: number;
  seed: number;
  step: number;
  /**
   * Most logits floats one teacher-forced group holds (default 2^26, 256 MiB). With the
   * vocabulary this bounds the update's memory: a sample's rows are trained on and dropped
   * before the next group is computed.
   */
  forwardFloats?: number;
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
      const temperature = t.sampling?.temperature;
      out.push({ rollout: i, promptIds: t.prompt_ids, tokenIds: t.token_ids, advantage: turnAdvantage(r, t.role)!, ...(temperature !== undefined ? { temperature } : {}) });
    }
  });
  return out;
}

/**
 * Teacher-forces the samples in groups of at most `budget` logits floats and hands each
 * sample's trained rows to `each` (views into the group's output, valid during the call).
 */
async function forEachRows(engine: Engine, samples: TurnSample[], budget: number, each: (s: TurnSample, b: TokenBatch) => void): Promise<void> {
  const V = engine.layout.vocab;
  const H = engine.layout.hiddenSize;
  for (let at = 0; at < samples.length; ) {
    let n = 0;
    let floats = 0;
    while (at + n < samples.length) {
      const s = samples[at + n];
      const f = (s.promptIds.length + s.tokenIds.length) * (V + H);
      if (n && floats + f > budget) break;
      floats += f;
      n++;
    }
    const group = samples.slice(at, at + n);
    const forwards = await engine.forward(group.map((s) => [...s.promptIds, ...s.tokenIds.slice(0, -1)]));
    group.forEach((s, i) => {
      const rows = s.tokenIds.length;
      const from = s.promptIds.length - 1;
      const f = forwards[i];
      each(s, {
        rows,
        hidden: f.hidden.subarray(from * H, (from + rows) * H),
        logits: f.logits.subarray(from * V, (from + rows) * V),
        targets: Int32Array.from(s.tokenIds),
        advantages: new Float32Array(rows).fill(s.advantage),
        oldLogprobs: new Float32Array(rows),
        weights: new Float32Array(rows),
      });
    });
    at += n;
  }
}

/**
 * The update, one minibatch at a time: each is teacher-forced again, so memory is bounded by
 * a forward group, not by the step. Old logprobs come from the same pass, under a copy of the
 * adapter as it was before this update (the policy that sampled the rollouts); the base
 * model is frozen, so its logits are the same whichever pass computes them.
 */
export async function policyUpdate(engine: Engine, lora: LoraHead, adam: Adam, samples: TurnSample[], opts: UpdateOptions): Promise<UpdateStats> {
  const started = performance.now();
  const mode = opts.mode ?? 'ppo';
  const objOpts = (s: TurnSample): ObjectiveOptions => ({ ...opts, mode, temperature: s.temperature ?? opts.temperature });
  const old = new LoraHead(lora.hidden, lora.vocab, lora.rank, lora.alpha);
  old.copyFrom(lora.A, lora.B);
  const budget = opts.forwardFloats ?? 1 << 26;

  const rollouts = [...new Set(samples.map((s) => s.rollout))];
  let stepped = false;
  const totals = { loss: 0, kl: 0, entropy: 0, clip: 0, norm: 0, steps: 0, tokens: 0 };
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = shuffled(rollouts, new Rng(hashSeed(`${opts.seed}:update:${opts.step}:${epoch}`)));
    for (let at = 0; at < order.length; at += opts.minibatch) {
      const chosen = new Set(order.slice(at, at + opts.minibatch));
      const mb = samples.filter((s) => chosen.has(s.rollout));
      const tokens = mb.reduce((a, s) => a + s.tokenIds.length, 0);
      if (tokens === 0) continue;
      const grads = zeroGrads(lora);
      let loss = 0, kl = 0, entropy = 0, clip = 0;
      const weights = lossWeights(mb.map((s) => s.tokenIds.length), opts.lossAgg, opts.maxTokens);
      const weightOf = new Map(mb.map((s, i) => [s, weights[i]]));
      await forEachRows(engine, mb, budget, (sample, b) => {
        b.weights.fill(weightOf.get(sample)!);
        // Until the first optimiser step the adapter is the one that sampled.
        const s = objective(lora, b, objOpts(sample), grads, stepped ? old : lora);
        const share = b.rows / tokens;
        loss += s.loss;
        kl += s.kl * share;
        entropy += s.entropy * share;
        clip += s.clipFrac * share;
      });
      const norm = Adam.clip([grads.A, grads.B], opts.maxGradNorm);
      adam.step([grads.A, grads.B]);
      stepped = true;
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
