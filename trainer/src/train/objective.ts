// The policy objective over sampled tokens, and its gradient with respect to the adapter.
//
// For a token y with base logits z and hidden state h, the policy is
//   u = (z + s·B·A·h) / T,   log π(y) = u_y − logsumexp(u)
// and, with ρ = exp(log π(y) − log π_old(y)) and advantage Â (Schulman et al. 2017):
//   L_clip = −min(ρ·Â, clip(ρ, 1−ε, 1+ε_high)·Â)      (ε_high = ε unless DAPO's clip_high is set)
//   L_kl   = β·k3,  k3 = exp(δ) − δ − 1,  δ = log π_ref(y) − log π(y)   (Schulman 2020, "k3")
//   L_ent  = −c·H(π)
// Supervised fine-tuning uses L = −log π(y) with the same machinery. The minibatch loss is
// Σ w_t·L_t, the weights set by `lossWeights` from `algorithm.loss_agg`.
import type { LoraHead } from './lora';

/** Token positions to train on: each row predicts `targets[t]` from `hidden[t]`, `logits[t]`. */
export interface TokenBatch {
  rows: number;
  /** [rows, d] last_hidden_state at the predicting positions. */
  hidden: Float32Array;
  /** [rows, V] base-model logits at those positions (no adapter). */
  logits: Float32Array;
  targets: Int32Array;
  /** Per-token advantage (PPO) — unused for SFT. */
  advantages: Float32Array;
  /** log π_old(y): the policy that sampled the rollout. */
  oldLogprobs: Float32Array;
  /** Per-token weight in the aggregate loss (e.g. 1 / tokens in the minibatch). */
  weights: Float32Array;
}

export interface ObjectiveOptions {
  mode: 'ppo' | 'sft';
  temperature: number;
  clip: number;
  /** Upper clip range (DAPO's clip-higher); `clip` when absent. */
  clipHigh?: number;
  klCoef: number;
  entropyCoef: number;
  /** How token losses are weighted into the minibatch loss; token_mean when absent. */
  lossAgg?: LossAgg;
  /** dr_grpo's constant: the most tokens a turn can sample (`model.sampling.max_new_tokens`). */
  maxTokens?: number;
}

export type LossAgg = 'token_mean' | 'seq_mean_token_sum' | 'dr_grpo';

/**
 * The weight of each token of each turn in the minibatch loss, from the turns' token counts:
 * token_mean 1 / (all tokens); seq_mean_token_sum 1 / (turns); dr_grpo 1 / (turns × maxTokens),
 * a constant that does not depend on how long the answers were (Liu et al. 2025).
 */
export function lossWeights(turnTokens: number[], agg: LossAgg = 'token_mean', maxTokens = 1): number[] {
  const turns = turnTokens.length;
  const tokens = turnTokens.reduce((a, b) => a + b, 0);
  const w = agg === 'token_mean' ? 1 / Math.max(1, tokens) : agg === 'seq_mean_token_sum' ? 1 / Math.max(1, turns) : 1 / (Math.max(1, turns) * Math.max(1, maxTokens));
  return turnTokens.map(() => w);
}

/** The learning rate at a training step (1-based) of `total`: constant, or linear warm-up then cosine decay to 0. */
export function learningRate(step: number, total: number, base: number, schedule: 'constant' | 'cosine' = 'constant', warmup = 0): number {
  if (schedule === 'constant') return base;
  if (warmup > 0 && step <= warmup) return (base * step) / warmup;
  const span = Math.max(1, total - warmup);
  const progress = Math.min(1, Math.max(0, (step - warmup) / span));
  return base * 0.5 * (1 + Math.cos(Math.PI * progress));
}

export interface ObjectiveStats {
  loss: number;
  /** Weighted means over the batch. */
  kl: number;
  entropy: number;
  clipFrac: number;
  ratio: number;
  /** log π(y) under the current adapter, per row (for old logprobs). */
  logprobs: Float32Array;
}

export interface Grads {
  A: Float64Array;
  B: Float64Array;
}

export function zeroGrads(lora: LoraHead): Grads {
  return { A: new Float64Array(lora.A.length), B: new Float64Array(lora.B.length) };
}

/**
 * Adds the batch's gradient into `grads` (when given) and returns the loss and statistics.
 * With `old`, the adapter that sampled the batch, log π_old comes from the same pass over the
 * vocabulary (`old === lora` means the policy has not moved: the ratio is exactly 1); without
 * it, from `batch.oldLogprobs`. Three passes over the vocabulary a row, with the sums of the
 * current, old and reference policies taken in the same pass.
 */
export function objective(lora: LoraHead, batch: TokenBatch, opts: ObjectiveOptions, grads?: Grads, old?: LoraHead): ObjectiveStats {
  const { rank: r, hidden: d, vocab: V, scale: s, B } = lora;
  const T = opts.temperature > 0 ? opts.temperature : 1;
  const invT = 1 / T;
  const v = lora.project(batch.hidden, batch.rows);
  const separateOld = old !== undefined && old !== lora && opts.mode === 'ppo';
  const vOld = separateOld ? old.project(batch.hidden, batch.rows) : v;
  const Bo = separateOld ? old.B : B;
  const sOld = separateOld ? old.scale : s;
  const withRef = opts.mode === 'ppo' && opts.klCoef > 0;
  const u = new Float64Array(V);
  const p = new Float64Array(V);
  const uOld = separateOld ? new Float64Array(V) : u;
  const q = new Float64Array(r);
  const logprobs = new Float32Array(batch.rows);
  let loss = 0;
  let kl = 0;
  let entropy = 0;
  let clipped = 0;
  let ratioSum = 0;
  let weightSum = 0;

  for (let t = 0; t < batch.rows; t++) {
    const w = batch.weights[t];
    const y = batch.targets[t];
    const zo = t * V;
    const vo = t * r;
    // Pass 1: u = (z + s B v) / T (and the old adapter's), with the maxima of u, u_old and z / T.
    let umax = -Infinity;
    let oMax = -Infinity;
    let zmax = -Infinity;
    for (let i = 0; i < V; i++) {
      const bo = i * r;
      let delta = 0;
      for (let k = 0; k < r; k++) delta += B[bo + k] * v[vo + k];
      const z = batch.logits[zo + i] * invT;
      const ui = z + s * delta * invT;
      u[i] = ui;
      if (ui > umax) umax = ui;
      if (z > zmax) zmax = z;
      if (separateOld) {
        let dOld = 0;
        for (let k = 0; k < r; k++) dOld += Bo[bo + k] * vOld[vo + k];
        const uo = z + sOld * dOld * invT;
        uOld[i] = uo;
        if (uo > oMax) oMax = uo;
      }
    }
    // Pass 2: the normalisers, and Σ e^(u_i − max) u_i for the entropy.
    let sum = 0;
    let su = 0;
    let zsum = 0;
    let oSum = 0;
    for (let i = 0; i < V; i++) {
      const e = (p[i] = Math.exp(u[i] - umax));
      sum += e;
      su += e * u[i];
      if (withRef) zsum += Math.exp(batch.logits[zo + i] * invT - zmax);
      if (separateOld) oSum += Math.exp(uOld[i] - oMax);
    }
    const lse = umax + Math.log(sum);
    const lp = u[y] - lse;
    logprobs[t] = lp;
    // H = lse − Σ p_i u_i
    const H = lse - su / sum;

    let gl: number; // ∂L/∂ log π(y)
    let lt: number;
    if (opts.mode === 'sft') {
      lt = -lp;
      gl = -1;
    } else {
      const adv = batch.advantages[t];
      const oldLp = old === undefined ? batch.oldLogprobs[t] : separateOld ? uOld[y] - (oMax + Math.log(oSum)) : lp;
      if (old !== undefined) batch.oldLogprobs[t] = oldLp;
      const ratio = Math.exp(lp - oldLp);
      const rc = Math.min(Math.max(ratio, 1 - opts.clip), 1 + (opts.clipHigh ?? opts.clip));
      const unclippedWins = ratio * adv <= rc * adv;
      lt = -Math.min(ratio * adv, rc * adv);
      gl = unclippedWins ? -ratio * adv : 0;
      if (!unclippedWins) clipped += w;
      ratioSum += w * ratio;
      if (withRef) {
        const refLp = batch.logits[zo + y] * invT - (zmax + Math.log(zsum));
        const delta = refLp - lp;
        const k3 = Math.exp(delta) - delta - 1;
        lt += opts.klCoef * k3;
        gl += opts.klCoef * (1 - Math.exp(delta));
        kl += w * k3;
      }
    }
    if (opts.entropyCoef > 0) lt -= opts.entropyCoef * H;
    loss += w * lt;
    entropy += w * H;
    weightSum += w;
    if (!grads) continue;

    // Pass 3: ∂L/∂u_i = gl (1[i=y] − p_i) + c p_i (u_i − lse + H);  ∂L/∂Δz = ∂L/∂u / T;
    // ∂L/∂B = s g vᵀ;  ∂L/∂A = s (Bᵀ g) hᵀ.
    const c = opts.entropyCoef;
    const wT = w * invT;
    const invSum = 1 / sum;
    q.fill(0);
    for (let i = 0; i < V; i++) {
      const pi = p[i] * invSum;
      const gi = wT * (gl * ((i === y ? 1 : 0) - pi) + c * pi * (u[i] - lse + H));
      if (gi === 0) continue;
      const bo = i * r;
      const sg = s * gi;
      for (let k = 0; k < r; k++) {
        grads.B[bo + k] += sg * v[vo + k];
        q[k] += B[bo + k] * gi;
      }
    }
    const ho = t * d;
    for (let k = 0; k < r; k++) {
      const qk = s * q[k];
      if (qk === 0) continue;
      const ao = k * d;
      for (let j = 0; j < d; j++) grads.A[ao + j] += qk * batch.hidden[ho + j];
    }
  }
  const norm = weightSum > 0 ? weightSum : 1;
  return { loss, kl: kl / norm, entropy: entropy / norm, clipFrac: clipped / norm, ratio: ratioSum / norm, logprobs };
}
