import { strict as assert } from 'node:assert';
import { Rng } from '../../../trainer/src/model/sampling';
import { Adam } from '../../../trainer/src/train/adam';
import { LoraHead } from '../../../trainer/src/train/lora';
import { learningRate, lossWeights, objective, zeroGrads, type LossAgg, type ObjectiveOptions, type TokenBatch } from '../../../trainer/src/train/objective';
import { groupAdvantages } from '../../../trainer/src/rollout/advantage';

function randomBatch(rng: Rng, rows: number, d: number, V: number): TokenBatch {
  const g = () => 2 * rng.next() - 1;
  return {
    rows,
    hidden: Float32Array.from({ length: rows * d }, g),
    logits: Float32Array.from({ length: rows * V }, () => 2 * g()),
    targets: Int32Array.from({ length: rows }, () => Math.floor(rng.next() * V)),
    advantages: Float32Array.from({ length: rows }, g),
    oldLogprobs: Float32Array.from({ length: rows }, () => -Math.log(V) + 0.3 * g()),
    weights: new Float32Array(rows).fill(1 / rows),
  };
}

function randomLora(rng: Rng, d: number, V: number, r: number): LoraHead {
  const lora = new LoraHead(d, V, r, 2 * r, 7);
  for (let i = 0; i < lora.B.length; i++) lora.B[i] = 0.5 * (2 * rng.next() - 1);
  return lora;
}

/** Loss of several turns, weighted as the update weighs them, and its analytic gradient. */
function minibatchLoss(lora: LoraHead, batches: TokenBatch[], opts: ObjectiveOptions, grads?: ReturnType<typeof zeroGrads>): number {
  const w = lossWeights(batches.map((b) => b.rows), opts.lossAgg, opts.maxTokens);
  let loss = 0;
  batches.forEach((b, i) => {
    b.weights.fill(w[i]);
    loss += objective(lora, b, opts, grads).loss;
  });
  return loss;
}

function checkGradients(opts: ObjectiveOptions, turns = 1) {
  const rng = new Rng(opts.mode === 'sft' ? 3 : 1);
  const d = 6, V = 9, r = 3;
  const lora = randomLora(rng, d, V, r);
  // Turns of different lengths, so that the aggregations differ.
  const batches = Array.from({ length: turns }, (_, i) => randomBatch(rng, 5 + 3 * i, d, V));
  const grads = zeroGrads(lora);
  minibatchLoss(lora, batches, opts, grads);
  const eps = 1e-3;
  let worst = 0;
  for (const [name, param, grad] of [['A', lora.A, grads.A], ['B', lora.B, grads.B]] as const) {
    for (let i = 0; i < param.length; i++) {
      const orig = param[i];
      param[i] = orig + eps;
      const up = minibatchLoss(lora, batches, opts);
      param[i] = orig - eps;
      const down = minibatchLoss(lora, batches, opts);
      param[i] = orig;
      const numeric = (up - down) / (2 * eps);
      const err = Math.abs(numeric - grad[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(grad[i]));
      worst = Math.max(worst, err);
      assert.ok(err < 2e-2, `${name}[${i}]: analytic ${grad[i]} vs numeric ${numeric}`);
    }
  }
  return worst;
}

describe('policy objective', () => {
  it('PPO-clip gradients match finite differences, clipped and unclipped tokens included', () => {
    checkGradients({ mode: 'ppo', temperature: 1, clip: 0.2, klCoef: 0, entropyCoef: 0 });
  });

  it('gradients with KL (k3), entropy bonus and temperature match finite differences', () => {
    checkGradients({ mode: 'ppo', temperature: 0.7, clip: 0.2, klCoef: 0.1, entropyCoef: 0.01 });
  });

  for (const agg of ['token_mean', 'seq_mean_token_sum', 'dr_grpo'] as LossAgg[]) {
    it(`loss_agg ${agg}: gradients over turns of different lengths match finite differences`, () => {
      checkGradients({ mode: 'ppo', temperature: 1, clip: 0.2, klCoef: 0.05, entropyCoef: 0.01, lossAgg: agg, maxTokens: 16 }, 3);
    });
  }

  it('clip_high: gradients with an asymmetric trust region match finite differences', () => {
    checkGradients({ mode: 'ppo', temperature: 1, clip: 0.1, clipHigh: 0.35, klCoef: 0, entropyCoef: 0 }, 2);
  });

  it('loss_agg weighs tokens as documented', () => {
    // Turns of 2 and 6 tokens.
    assert.deepEqual(lossWeights([2, 6], 'token_mean'), [1 / 8, 1 / 8]);
    assert.deepEqual(lossWeights([2, 6], 'seq_mean_token_sum'), [1 / 2, 1 / 2]);
    assert.deepEqual(lossWeights([2, 6], 'dr_grpo', 96), [1 / 192, 1 / 192]);
    // Dr. GRPO's weight is the same however long the answers were.
    assert.deepEqual(lossWeights([50, 90], 'dr_grpo', 96), lossWeights([2, 6], 'dr_grpo', 96));
  });

  it('clip_high lets the ratio rise further than it may fall', () => {
    const lora = new LoraHead(2, 3, 1, 1);
    const base = { rows: 2, hidden: new Float32Array(4), logits: new Float32Array(6), targets: Int32Array.from([0, 0]), weights: Float32Array.from([0.5, 0.5]) };
    const logU = -Math.log(3);
    // Both ratios are e^{0.22} ≈ 1.25, one with a positive advantage, one with a negative.
    const batch = { ...base, advantages: Float32Array.from([1, -1]), oldLogprobs: Float32Array.from([logU - 0.22, logU - 0.22]) };
    const sym = objective(lora, batch, { mode: 'ppo', temperature: 1, clip: 0.2, klCoef: 0, entropyCoef: 0 });
    const high = objective(lora, batch, { mode: 'ppo', temperature: 1, clip: 0.2, clipHigh: 0.28, klCoef: 0, entropyCoef: 0 });
    assert.equal(sym.clipFrac, 0.5, 'symmetric: the positive-advantage token is clipped at 1.2');
    assert.equal(high.clipFrac, 0, 'clip_high 0.28: 1.25 is inside [0.8, 1.28]');
  });

  it('lr_schedule: constant, and linear warm-up then cosine to 0', () => {
    assert.equal(learningRate(7, 20, 0.002), 0.002);
    const lr = (step: number) => learningRate(step, 20, 0.002, 'cosine', 4);
    assert.equal(lr(1), 0.0005);
    assert.equal(lr(4), 0.002);
    assert.ok(Math.abs(lr(12) - 0.001) < 1e-12, `half-way through the decay: ${lr(12)}`);
    assert.equal(lr(20), 0);
    for (let s = 5; s < 20; s++) assert.ok(lr(s + 1) < lr(s), `decreasing after warm-up at step ${s}`);
    assert.equal(learningRate(1, 10, 0.01, 'cosine', 0), 0.01 * 0.5 * (1 + Math.cos(Math.PI / 10)));
  });

  it('SFT cross-entropy gradients match finite differences', () => {
    checkGradients({ mode: 'sft', temperature: 1, clip: 0.2, klCoef: 0, entropyCoef: 0 });
  });

  it('the clip fraction counts tokens whose ratio left the trust region in the advantage direction', () => {
    const lora = new LoraHead(2, 3, 1, 1);
    const base = { rows: 2, hidden: new Float32Array(4), logits: new Float32Array(6), targets: Int32Array.from([0, 0]), weights: Float32Array.from([0.5, 0.5]) };
    const logU = -Math.log(3);
    // ratio = e^{0.5} ≈ 1.65 > 1.2: clipped for a positive advantage, not for a negative one.
    const stats = objective(lora, { ...base, advantages: Float32Array.from([1, -1]), oldLogprobs: Float32Array.from([logU - 0.5, logU - 0.5]) }, { mode: 'ppo', temperature: 1, clip: 0.2, klCoef: 0, entropyCoef: 0 });
    assert.equal(stats.clipFrac, 0.5);
    assert.ok(Math.abs(stats.logprobs[0] - logU) < 1e-6);
  });

  it('the loss falls on a fixed batch', () => {
    const rng = new Rng(11);
    const d = 16, V = 32, r = 4;
    const lora = new LoraHead(d, V, r, 8, 5);
    const batch = randomBatch(rng, 64, d, V);
    const opts: ObjectiveOptions = { mode: 'sft', temperature: 1, clip: 0.2, klCoef: 0, entropyCoef: 0 };
    const adam = new Adam([lora.A, lora.B], 0.05);
    const first = objective(lora, batch, opts).loss;
    for (let i = 0; i < 60; i++) {
      const g = zeroGrads(lora);
      objective(lora, batch, opts, g);
      Adam.clip([g.A, g.B], 10);
      adam.step([g.A, g.B]);
    }
    const last = objective(lora, batch, opts).loss;
    assert.ok(last < 0.5 * first, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
  });

  it('GRPO learns a bandit: reward for one answer to one prompt', () => {
    const rng = new Rng(21);
    const d = 8, V = 12, r = 2, G = 8, target = 5;
    const lora = new LoraHead(d, V, r, 4, 1);
    const h = Float32Array.from({ length: d }, () => 2 * rng.next() - 1);
    const z = Float32Array.from({ length: V }, () => rng.next());
    const adam = new Adam([lora.A, lora.B], 0.05);
    const opts: ObjectiveOptions = { mode: 'ppo', temperature: 1, clip: 0.2, klCoef: 0, entropyCoef: 0 };
    const probs = () => {
      const logits = Float32Array.from(z);
      lora.hook(h, logits, 1);
      const m = Math.max(...logits);
      const e = Array.from(logits, (x) => Math.exp(x - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / s);
    };
    const before = probs()[target];
    for (let step = 0; step < 80; step++) {
      const p = probs();
      const samples = Array.from({ length: G }, () => {
        let x = rng.next();
        for (let i = 0; i < V; i++) if ((x -= p[i]) <= 0) return i;
        return V - 1;
      });
      const adv = groupAdvantages(samples.map((y) => (y === target ? 1 : 0)), { type: 'grpo', scaleByStd: true });
      const batch: TokenBatch = {
        rows: G,
        hidden: Float32Array.from({ length: G * d }, (_, i) => h[i % d]),
        logits: Float32Array.from({ length: G * V }, (_, i) => z[i % V]),
        targets: Int32Array.from(samples),
        advantages: Float32Array.from(adv),
        oldLogprobs: Float32Array.from(samples, (y) => Math.log(p[y])),
        weights: new Float32Array(G).fill(1 / G),
      };
      const g = zeroGrads(lora);
      objective(lora, batch, opts, g);
      Adam.clip([g.A, g.B], 1);
      adam.step([g.A, g.B]);
    }
    const after = probs()[target];
    assert.ok(before < 0.2 && after > 0.9, `p(target) ${before.toFixed(3)} → ${after.toFixed(3)}`);
  });
});
