// What two runs of one model may be asked to share, whatever the CPU, its kernels and the
// batch shapes: greedy tokens up to a near-tie, and the policy's logprobs within a tolerance.
// A batch's padding, the thread count and the CPU's vector width move logits in their last
// bits, so bit-exact equality across those is luck; these checks assert what the engine
// promises instead, and name every near-tie they skip.
import { strict as assert } from 'node:assert';
import type { Engine } from '../../../trainer/src/model/engine';
import { logSoftmax } from './fixtures';

/** Logits this close are a coin toss across kernels (observed noise is about 2e-5). */
export const TIE = 2e-3;
/** Logprobs of one token under two batchings or kernels differ by less than this. */
export const LOGPROB_TOL = 1e-3;

/** Index of the first token where two continuations part; undefined when one extends the other. */
export function firstSplit(a: readonly number[], b: readonly number[]): number | undefined {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return undefined;
}

/** Logits of the row that predicts token `k` of a continuation (teacher-forced). */
async function rowBefore(engine: Engine, prompt: readonly number[], continuation: readonly number[], k: number): Promise<Float32Array> {
  const V = engine.layout.vocab;
  const [f] = await engine.forward([[...prompt, ...continuation.slice(0, k)]]);
  const at = prompt.length + k - 1;
  return f.logits.slice(at * V, (at + 1) * V);
}

/**
 * Asserts that two greedy continuations of `prompt` are equal up to their common length,
 * or part only after a near-tie: where they part, both tokens are the top two logits of
 * `engine`'s teacher-forced pass, closer than TIE. Returns a note naming the near-tie, which
 * the caller reports; a real difference fails.
 */
export async function assertGreedyAgrees(engine: Engine, prompt: readonly number[], got: readonly number[], want: readonly number[], label: string): Promise<string | undefined> {
  const k = firstSplit(got, want);
  if (k === undefined) return undefined;
  const row = await rowBefore(engine, prompt, want, k);
  let top = -Infinity;
  for (const v of row) top = Math.max(top, v);
  const [a, b] = [row[got[k]], row[want[k]]];
  const gap = Math.abs(a - b);
  assert.ok(
    gap < TIE && top - Math.max(a, b) < TIE,
    `${label}: greedy tokens part at ${k} (${got[k]} vs ${want[k]}) with a logit gap of ${gap.toExponential(2)}, not a near-tie`,
  );
  return `${label}: near-tie at token ${k} (${got[k]} vs ${want[k]}, logit gap ${gap.toExponential(2)}); compared up to it`;
}

/** Asserts two logprob lists equal within LOGPROB_TOL over their first `n` entries. */
export function assertLogprobsClose(got: readonly number[], want: readonly number[], n: number, label: string): void {
  for (let i = 0; i < n; i++) {
    assert.ok(Math.abs(got[i] - want[i]) < LOGPROB_TOL, `${label}: logprob ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

/**
 * Asserts that a sampled continuation's logprobs are those of `engine`'s policy: each is
 * log_softmax(logits / temperature) at the sampled token, from a teacher-forced pass.
 */
export async function assertSamePolicy(engine: Engine, prompt: readonly number[], tokenIds: readonly number[], logprobs: readonly number[], temperature: number, label: string): Promise<void> {
  const V = engine.layout.vocab;
  const [f] = await engine.forward([[...prompt, ...tokenIds.slice(0, -1)]]);
  tokenIds.forEach((id, k) => {
    const at = prompt.length - 1 + k;
    const lp = logSoftmax(f.logits.subarray(at * V, (at + 1) * V), temperature)[id];
    assert.ok(Math.abs(logprobs[k] - lp) < LOGPROB_TOL, `${label}: token ${k} (${id}) has logprob ${logprobs[k]}, the policy gives ${lp}`);
  });
}

/** Prints the near-ties a test skipped, so a run shows what it did not compare. */
export function reportTies(notes: (string | undefined)[]): void {
  for (const n of notes) if (n) console.log(`      near-tie skipped: ${n}`);
}
