import { strict as assert } from 'node:assert';
import { argmax, keptTokens, Rng, sampleRow, type SamplerParams } from '../../../trainer/src/model/sampling';
import { logSoftmax } from './fixtures';

function randomLogits(n: number, seed: number, scale = 3): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => (rng.next() - 0.5) * 2 * scale);
}

/** `head` random tokens over a tail of equal tokens holding `tailMass`, each below (1 - 0.8) / V. */
function headTail(V: number, head: number, tailMass: number, seed = 7): Float32Array {
  const rng = new Rng(seed);
  const w = Array.from({ length: head }, () => 0.2 + rng.next());
  const sum = w.reduce((a, b) => a + b, 0);
  const logits = new Float32Array(V).fill(Math.log(tailMass / (V - head)));
  w.forEach((x, i) => (logits[i * 7] = Math.log(((1 - tailMass) * x) / sum)));
  return logits;
}

function draw(logits: Float32Array, p: SamplerParams, n: number, seed = 1): Map<number, number> {
  const rng = new Rng(seed);
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const { id } = sampleRow(logits, 0, logits.length, p, rng);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * The nucleus by brute force, as Hugging Face's TopKLogitsWarper then TopPLogitsWarper
 * compute it: sort everything, mask beyond k, renormalise, keep the smallest head reaching p.
 */
function nucleus(logits: Float32Array, t: number, p: number, k = 0): Set<number> {
  const lp = logSoftmax(logits, t);
  const order = [...lp.keys()].sort((a, b) => lp[b] - lp[a] || a - b);
  const head = k > 0 ? order.slice(0, k) : order;
  const total = head.reduce((a, i) => a + Math.exp(lp[i]), 0);
  const keep = new Set<number>();
  let acc = 0;
  let last = -Infinity;
  for (const i of head) {
    keep.add(i);
    acc += Math.exp(lp[i]) / total;
    last = lp[i];
    if (acc >= p) break;
  }
  // Tokens tied with the last one kept stay in (HF's order among them is arbitrary).
  for (const i of head) if (lp[i] === last) keep.add(i);
  return keep;
}

describe('sampling', () => {
  it('seeds reproduce their stream and different seeds differ', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const c = new Rng(124);
    const xs = Array.from({ length: 100 }, () => a.next());
    assert.deepEqual(Array.from({ length: 100 }, () => b.next()), xs);
    assert.notDeepEqual(Array.from({ length: 100 }, () => c.next()), xs);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.1);
  });

  it('is greedy at temperature 0 with the logprob of log_softmax(logits)', () => {
    const logits = randomLogits(1000, 5);
    const s = sampleRow(logits, 0, logits.length, { temperature: 0, topP: 0.5, topK: 7 }, new Rng(1));
    assert.equal(s.id, argmax(logits, 0, logits.length));
    assert.ok(Math.abs(s.logprob - logSoftmax(logits)[s.id]) < 1e-9);
  });

  it('samples rows of a batch buffer independently of their neighbours', () => {
    const V = 50;
    const batch = new Float32Array(3 * V);
    batch.set(randomLogits(V, 1), 0);
    batch.set(randomLogits(V, 2), V);
    batch.set(randomLogits(V, 3), 2 * V);
    const p = { temperature: 0.8, topP: 1, topK: 0 };
    const fromBatch = sampleRow(batch, 1, V, p, new Rng(9));
    const alone = sampleRow(randomLogits(V, 2), 0, V, p, new Rng(9));
    assert.deepEqual(fromBatch, alone);
  });

  it('follows softmax(logits / T) and reports the logprob before truncation', () => {
    const logits = Float32Array.from([2, 1, 0, -1]);
    const t = 0.7;
    const probs = logSoftmax(logits, t).map(Math.exp);
    const n = 20000;
    const counts = draw(logits, { temperature: t, topP: 1, topK: 0 }, n);
    probs.forEach((p, i) => assert.ok(Math.abs((counts.get(i) ?? 0) / n - p) < 0.015, `token ${i}: ${counts.get(i)} of ${n}, p = ${p}`));
    const s = sampleRow(logits, 0, 4, { temperature: t, topP: 1, topK: 1 }, new Rng(3));
    assert.equal(s.id, 0);
    assert.ok(Math.abs(s.logprob - logSoftmax(logits, t)[0]) < 1e-9, 'top-k does not renormalise the reported logprob');
  });

  it('keeps only the k most likely tokens with top-k', () => {
    const logits = randomLogits(500, 11);
    const top = [...logits.keys()].sort((a, b) => logits[b] - logits[a]).slice(0, 5);
    const counts = draw(logits, { temperature: 1.5, topP: 1, topK: 5 }, 3000);
    assert.deepEqual([...counts.keys()].sort((a, b) => a - b), [...top].sort((a, b) => a - b));
  });

  it('keeps the smallest head reaching top_p, on a large vocabulary too', () => {
    const small = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
    const counts = draw(small, { temperature: 1, topP: 0.8, topK: 0 }, 20000);
    assert.deepEqual([...counts.keys()].sort(), [0, 1]);
    assert.ok(Math.abs(counts.get(0)! / 20000 - 0.625) < 0.015);

    const big = randomLogits(10000, 17, 8);
    for (const [t, p] of [[1, 0.9], [0.6, 0.5], [2, 0.95]]) {
      const want = nucleus(big, t, p);
      const got = draw(big, { temperature: t, topP: p, topK: 0 }, 200, 5);
      for (const id of got.keys()) assert.ok(want.has(id), `token ${id} lies outside the top-p ${p} nucleus at T ${t}`);
      if (want.size <= 20) assert.equal(got.size, want.size);
    }
  });

  it('measures top_p against the whole distribution when the tail is heavy', () => {
    // V = 1,000: ten head tokens hold 0.911, the other 990 share 0.089 (each below the
    // (1 - p) / V bar). The nucleus at 0.9 is all ten heads: 0.885 after nine.
    const head = [0.2, 0.15, 0.12, 0.1, 0.09, 0.08, 0.06, 0.05, 0.035, 0.026];
    const logits = new Float32Array(1000).fill(Math.log(0.089 / 990));
    head.forEach((p, i) => (logits[i] = Math.log(p)));
    const want = [...nucleus(logits, 1, 0.9)].sort((a, b) => a - b);
    assert.deepEqual(want, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const counts = draw(logits, { temperature: 1, topP: 0.9, topK: 0 }, 20000);
    assert.deepEqual([...counts.keys()].sort((a, b) => a - b), want);
  });

  it('keeps exactly the reference nucleus on heavy and light tails', function () {
    // Many full-vocabulary rows against a float64 reference: seconds here, more on a slow core.
    this.timeout(120_000);
    // Heavy tails: a head over a long tail of tokens each too small to be a candidate but
    // holding 5-15% together, or logits over a narrow range. Light tails: a wide range, so
    // a few tokens hold almost all the mass.
    const cases = [
      ['heavy', 1000, () => headTail(1000, 12, 0.089)],
      ['heavy', 151936, () => headTail(151936, 40, 0.12)],
      ['heavy', 20000, (seed: number) => randomLogits(20000, seed, 0.5)],
      ['light', 5000, (seed: number) => randomLogits(5000, seed, 12)],
      ['light', 151936, (seed: number) => randomLogits(151936, seed, 8)],
    ] as const;
    for (const [label, V, make] of cases) {
      // The reference sorts the whole vocabulary: one seed at 151,936 tokens, three below.
      for (let seed = 1; seed <= (V > 100_000 ? 1 : 3); seed++) {
        const logits = make(seed * 31 + V);
        for (const [t, p, k] of [[1, 0.9, 0], [0.7, 0.95, 0], [1.3, 0.5, 0], [1, 0.8, 50]]) {
          const want = [...nucleus(logits, t, p, k)].sort((a, b) => a - b);
          const got = keptTokens(logits, 0, V, { temperature: t, topP: p, topK: k })!.sort((a, b) => a - b);
          assert.deepEqual(got, want, `${label} tail, V ${V}, seed ${seed}, T ${t}, top_p ${p}, top_k ${k}: kept ${got.length}, reference ${want.length}`);
        }
      }
    }
  });

  it('applies top-p to the top-k distribution', () => {
    // Top-2 renormalised: 0.625 / 0.375, so top_p 0.6 keeps only the first.
    const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
    const counts = draw(logits, { temperature: 1, topP: 0.6, topK: 2 }, 2000);
    assert.deepEqual([...counts.keys()], [0]);
  });
});
