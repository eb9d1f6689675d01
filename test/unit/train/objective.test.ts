import { strict as assert } from 'node:assert';
import { Rng } from '../../../trainer/src/model/sampling';
import { Adam } from '../../../trainer/src/train/adam';
import { LoraHead } from '../../../trainer/src/train/lora';
import { objective, zeroGrads, type ObjectiveOptions, type TokenBatch } from '../../../trainer/src/train/objective';
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

function checkGradients(opts: ObjectiveOptions) {
  const rng = new Rng(opts.mode === 'sft' ? 3 : 1);
  const d = 6, V = 9, r = 3;
  const lora = randomLora(rng, d, V, r);
  const batch = randomBatch(rng, 5, d, V);
  const grads = zeroGrads(lora);
  objective(lora, batch, opts, grads);
  const eps = 1e-3;
  let worst = 0;
  for (const [name, param, grad] of [['A', lora.A, grads.A], ['B', lora.B, grads.B]] as const) {
    for (let i = 0; i < param.length; i++) {
      const orig = param[i];
      param[i] = orig + eps;
      const up = objective(lora, batch, opts).loss;
      param[i] = orig - eps;
      const down = objective(lora, batch, opts).loss;
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
