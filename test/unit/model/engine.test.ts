import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { Engine, type GenerateOptions, type Generation } from '../../../trainer/src/model/engine';
import { openModelFolder } from '../../../trainer/src/model/folder';
import { assertGreedyAgrees, assertLogprobsClose, assertSamePolicy, firstSplit, reportTies } from './agreement';
import { chatPrompts, logSoftmax, prompts as randomPrompts, removeDir, THREADS, TINY, TINY_DIR } from './fixtures';

const GREEDY: GenerateOptions = { temperature: 0, topP: 1, topK: 0, maxNewTokens: 24, seed: 0 };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('generation engine (onnxruntime, builtin:tiny-math)', function () {
  // Limits against hangs, for one slow core too; the speed is the benchmark's business.
  this.timeout(240_000);
  let engine: Engine;
  const prompts = chatPrompts(16);

  before(async () => {
    engine = await Engine.open(openModelFolder(TINY), { threads: THREADS, maxBatch: 16 });
  });
  after(async () => {
    await engine?.close();
  });

  it('batch-16 greedy equals batch-1 greedy, with sequences leaving and joining', async () => {
    const single: Generation[] = [];
    for (const p of prompts) single.push(await engine.generate(p, GREEDY));
    // Different lengths make sequences leave at different steps; the second half joins late.
    const lengths = prompts.map((_, i) => 4 + ((i * 5) % 21));
    const first = prompts.slice(0, 8).map((p, i) => engine.generate(p, { ...GREEDY, maxNewTokens: lengths[i] }));
    await new Promise((r) => setTimeout(r, 5));
    const second = prompts.slice(8).map((p, i) => engine.generate(p, { ...GREEDY, maxNewTokens: lengths[8 + i] }));
    const batched = await Promise.all([...first, ...second]);
    const ties: (string | undefined)[] = [];
    for (const [i, g] of batched.entries()) {
      const want = single[i].tokenIds.slice(0, lengths[i]);
      const tie = await assertGreedyAgrees(engine, prompts[i], g.tokenIds, want, `prompt ${i}`);
      ties.push(tie);
      const same = firstSplit(g.tokenIds, want) ?? want.length;
      assertLogprobsClose(g.logprobs, single[i].logprobs, same, `prompt ${i}`);
      if (tie) continue;
      assert.equal(g.tokenIds.length, want.length, `prompt ${i}`);
      const stopped = single[i].finishReason === 'stop' && single[i].tokenIds.length <= lengths[i];
      assert.equal(g.finishReason, stopped ? 'stop' : 'length');
    }
    reportTies(ties);
  });

  it('two lanes share the work and give what one lane gives: greedy tokens, the sampling policy, forward', async () => {
    const two = await Engine.open(openModelFolder(TINY), { threads: 2 * THREADS, lanes: 2, maxBatch: 16 });
    try {
      assert.equal(two.laneCount, 2);
      const sampled = { temperature: 1, topP: 0.95, topK: 40, maxNewTokens: 16 };
      const run = (e: Engine) => Promise.all(prompts.map((p, i) => e.generate(p, i % 2 ? { ...sampled, seed: i } : GREEDY)));
      const [one, both] = [await run(engine), await run(two)];
      // Other lanes mean other batches: greedy tokens agree up to a near-tie, and sampled
      // tokens, which another batch may turn at a rare draw, carry the same policy's logprobs.
      const ties: (string | undefined)[] = [];
      for (const [i, g] of both.entries()) {
        if (i % 2) {
          await assertSamePolicy(engine, prompts[i], g.tokenIds, g.logprobs, sampled.temperature, `prompt ${i}`);
          continue;
        }
        ties.push(await assertGreedyAgrees(engine, prompts[i], g.tokenIds, one[i].tokenIds, `prompt ${i}`));
        assertLogprobsClose(g.logprobs, one[i].logprobs, firstSplit(g.tokenIds, one[i].tokenIds) ?? g.tokenIds.length, `prompt ${i}`);
      }
      reportTies(ties);
      // Under equal lanes and threads a seeded run replays exactly.
      const again = await run(two);
      again.forEach((g, i) => {
        assert.deepEqual(g.tokenIds, both[i].tokenIds, `replay of prompt ${i}`);
        assert.deepEqual(g.logprobs, both[i].logprobs, `replay of prompt ${i}`);
      });
      const seqs = prompts.slice(0, 12);
      const [f1, f2] = [await engine.forward(seqs), await two.forward(seqs)];
      f2.forEach((f, i) => assert.ok(maxAbsDiff(f.logits, f1[i].logits) < 1e-3, `forward ${i}`));
    } finally {
      await two.close();
    }
  });

  it('with lanes, what shares a batch follows from the requests, not from timing: logprobs replay bit for bit', async () => {
    // Padding moves logits in their last bits, so equal logprobs mean equal batches.
    const two = await Engine.open(openModelFolder(TINY), { threads: 2 * THREADS, lanes: 2, maxBatch: 8 });
    try {
      const stall = (ms: number) => {
        const end = performance.now() + ms;
        while (performance.now() < end);
      };
      // Agents of three turns each; the next turn is asked for after a different number of awaits.
      const agents = (slow: (agent: number) => number) => Promise.all(prompts.slice(0, 12).map(async (prompt, agent) => {
        let ids = prompt;
        const logprobs: number[] = [];
        for (let turn = 0; turn < 3; turn++) {
          const g = await two.generate(ids, {
            temperature: 1, topP: 1, topK: 0, maxNewTokens: 4 + ((agent * 3 + turn) % 9), seed: agent * 10 + turn,
            onToken: () => stall(slow(agent)),
          });
          logprobs.push(...g.logprobs);
          for (let k = 0; k < agent % 4; k++) await Promise.resolve();
          ids = [...ids, ...g.tokenIds];
        }
        return logprobs;
      }));
      const steady = await agents(() => 0);
      // Stalls on the main thread let the other lane's step come back before its turn.
      for (const stalls of [(a: number) => (a % 3 === 0 ? 1 : 0), (a: number) => (a % 2 ? 0.5 : 0)]) {
        const shaken = await agents(stalls);
        shaken.forEach((lp, a) => assert.deepEqual(lp, steady[a], `agent ${a}`));
      }
    } finally {
      await two.close();
    }
  });

  it('seeded sampling replays exactly, and keeps its policy whatever shares the batch', async () => {
    const opts = { temperature: 1, topP: 0.95, topK: 40, maxNewTokens: 24 };
    const alone = await engine.generate(prompts[0], { ...opts, seed: 11 });
    const replay = await engine.generate(prompts[0], { ...opts, seed: 11 });
    assert.deepEqual(replay.tokenIds, alone.tokenIds);
    assert.deepEqual(replay.logprobs, alone.logprobs);
    const crowd = await Promise.all([
      engine.generate(prompts[1], { ...opts, seed: 3 }),
      engine.generate(prompts[0], { ...opts, seed: 11 }),
      engine.generate(prompts[2], { ...opts, seed: 5 }),
    ]);
    // Padding moves logits in their last bits: a draw that lands on a boundary may turn, so
    // in a crowd the seeded tokens must agree up to such a turn and keep the policy's logprobs.
    const same = firstSplit(crowd[1].tokenIds, alone.tokenIds) ?? alone.tokenIds.length;
    assertLogprobsClose(crowd[1].logprobs, alone.logprobs, same, 'in a crowd');
    if (same < alone.tokenIds.length) console.log(`      seeded draw turned at token ${same} in a crowd; compared up to it`);
    await assertSamePolicy(engine, prompts[0], crowd[1].tokenIds, crowd[1].logprobs, opts.temperature, 'in a crowd');
    // A prompt of random tokens leaves the model unsure, so different seeds must part ways.
    const [noise] = randomPrompts(1, engine.layout.vocab);
    const seeds = await Promise.all([1, 2, 3, 4, 5, 6].map((seed) => engine.generate(noise, { ...opts, temperature: 1.5, topK: 0, seed })));
    const distinct = new Set(seeds.map((g) => g.tokenIds.join(',')));
    assert.ok(distinct.size > 1, 'different seeds give different samples');
  });

  it('KV-cache decoding equals a full-sequence forward, and logprobs are the log-softmax of the logits', async () => {
    const V = engine.layout.vocab;
    for (const temperature of [0, 0.7]) {
      const steps: Float32Array[] = [];
      engine.logitHook = (_hidden, logits, rows) => {
        assert.equal(rows, 1);
        steps.push(logits.slice(0, V));
      };
      const prompt = prompts[3];
      const g = await engine.generate(prompt, { ...GREEDY, temperature, seed: 7 });
      engine.logitHook = undefined;
      assert.equal(steps.length, g.tokenIds.length);
      const [full] = await engine.forward([[...prompt, ...g.tokenIds]]);
      assert.equal(full.logits.length, (prompt.length + g.tokenIds.length) * V);
      g.tokenIds.forEach((id, k) => {
        const row = full.logits.subarray((prompt.length - 1 + k) * V, (prompt.length + k) * V);
        assert.ok(maxAbsDiff(steps[k], row) < 1e-3, `step ${k}: cached decode logits equal the forward's`);
        const lp = logSoftmax(steps[k], temperature || 1);
        assert.ok(Math.abs(g.logprobs[k] - lp[id]) < 1e-5, `step ${k}: logprob is log_softmax(logits / T) at the sampled id`);
      });
    }
  });

  it('prefill logits equal the forward\'s at the last prompt position, one-token prompts in the batch or not', async () => {
    const V = engine.layout.vocab;
    const runner = (engine as unknown as { lanes: { runner: import('../../../trainer/src/model/runner').RunnerApi }[] }).lanes[0].runner;
    for (const batch of [[prompts[1], prompts[2].slice(0, 2)], [prompts[1], prompts[2].slice(0, 1), prompts[4]]]) {
      const out = await runner.prefill(batch.map((p) => Int32Array.from(p)), false);
      await runner.clear();
      const full = await engine.forward(batch);
      batch.forEach((p, r) => {
        const last = full[r].logits.subarray((p.length - 1) * V, p.length * V);
        assert.ok(maxAbsDiff(out.logits.subarray(r * V, (r + 1) * V), last) < 1e-3, `prompt of ${p.length} tokens`);
      });
    }
  });

  it('gives the logit hook the LM head input and lets it steer sampling', async () => {
    const H = engine.layout.hiddenSize;
    const V = engine.layout.vocab;
    const [plain] = await engine.forward([prompts[0]]);
    const forced = prompts[0][prompts[0].length - 2];
    let firstHidden: Float32Array | undefined;
    engine.logitHook = (hidden, logits, rows) => {
      assert.equal(hidden.length, rows * H);
      assert.equal(logits.length, rows * V);
      firstHidden ??= hidden.slice(0, H);
      for (let r = 0; r < rows; r++) logits[r * V + forced] += 1e4;
    };
    const g = await engine.generate(prompts[0], { ...GREEDY, maxNewTokens: 5, stopTokenIds: [] });
    engine.logitHook = undefined;
    assert.deepEqual(g.tokenIds, [forced, forced, forced, forced, forced]);
    const last = plain.hidden.subarray((prompts[0].length - 1) * H, prompts[0].length * H);
    assert.ok(maxAbsDiff(firstHidden!, last) < 1e-4, 'hidden rows are last_hidden_state at the last prompt position');
  });

  it('decodes at once only the sequences whose KV cache fits kvCacheBytes; the rest wait for room', async () => {
    const L = engine.layout;
    const N = 12;
    const P = prompts[0].length;
    const perToken = 2 * L.layers * L.kvHeads * L.headDim * (L.kvType === 'float16' ? 2 : 4);
    // One lane, so that each model call shows the whole batch (admission over lanes: admission.test.ts).
    const bounded = await Engine.open(openModelFolder(TINY), { threads: THREADS, lanes: 1, maxBatch: 16, kvCacheBytes: 3 * (P + N) * perToken });
    try {
      const rows: number[] = [];
      bounded.logitHook = (_h, _l, n) => void rows.push(n);
      const out = await Promise.all(Array.from({ length: 8 }, () => bounded.generate(prompts[0], { ...GREEDY, maxNewTokens: N, stopTokenIds: [] })));
      assert.ok(out.every((g) => g.tokenIds.length === N && g.finishReason === 'length'));
      assert.equal(Math.max(...rows), 3, `rows of each model call: ${rows.join(' ')}`);
    } finally {
      await bounded.close();
    }
  });

  it('prefills waiting prompts in batches of at most prefillFloats prompt tokens × hidden size', async () => {
    const P = Math.max(...prompts.slice(0, 8).map((p) => p.length));
    const bounded = await Engine.open(openModelFolder(TINY), { threads: THREADS, lanes: 1, maxBatch: 16, prefillFloats: 2 * P * engine.layout.hiddenSize });
    try {
      const rows: number[] = [];
      bounded.logitHook = (_h, _l, n) => void rows.push(n);
      const out = await Promise.all(prompts.slice(0, 8).map((p) => bounded.generate(p, { ...GREEDY, maxNewTokens: 16, stopTokenIds: [] })));
      assert.ok(out.every((g) => g.tokenIds.length === 16));
      // The first call is a prefill of two of the eight prompts; all eight then decode together.
      assert.equal(rows[0], 2, `rows of each model call: ${rows.join(' ')}`);
      assert.equal(Math.max(...rows), 8, `rows of each model call: ${rows.join(' ')}`);
    } finally {
      await bounded.close();
    }
  });

  it('ends on stop tokens, on request of onToken, at max_new_tokens and on abort', async () => {
    const ref = await engine.generate(prompts[4], { ...GREEDY, stopTokenIds: [] });
    const stopAt = ref.tokenIds[3];
    const stopped = await engine.generate(prompts[4], { ...GREEDY, stopTokenIds: [stopAt] });
    assert.equal(stopped.finishReason, 'stop');
    assert.deepEqual(stopped.tokenIds, ref.tokenIds.slice(0, ref.tokenIds.indexOf(stopAt) + 1));
    const seen: number[] = [];
    const byCaller = await engine.generate(prompts[4], { ...GREEDY, stopTokenIds: [], onToken: (id) => seen.push(id) >= 2 });
    assert.deepEqual(byCaller.tokenIds, ref.tokenIds.slice(0, 2));
    assert.deepEqual(seen, byCaller.tokenIds);
    assert.equal(byCaller.finishReason, 'stop');
    const short = await engine.generate(prompts[4], { ...GREEDY, maxNewTokens: 3, stopTokenIds: [] });
    assert.equal(short.finishReason, 'length');
    assert.equal(short.tokenIds.length, 3);
    const ac = new AbortController();
    let n = 0;
    const a = await engine.generate(prompts[4], { ...GREEDY, maxNewTokens: 200, stopTokenIds: [], signal: ac.signal, onToken: () => void (++n === 3 && ac.abort()) });
    assert.equal(a.finishReason, 'abort');
    assert.equal(a.tokenIds.length, 3);
  });

  it('keeps the event loop free while the model runs', async () => {
    // onnxruntime-node's run() blocks its thread; on the worker thread it must not block ours.
    const long = prompts.map((p) => [...p, ...p, ...p, ...p].slice(0, 256));
    let spins = 0;
    let running = true;
    const spin = () => {
      spins++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    const out = await engine.forward(long);
    running = false;
    assert.equal(out.length, long.length);
    assert.ok(spins > 10, `the event loop turned ${spins} times during one forward pass`);
  });

  it('forward returns per-sequence rows, batched with padding', async () => {
    const seqs = [prompts[0], prompts[5].slice(0, 4), prompts[2]];
    const together = await engine.forward(seqs);
    for (let i = 0; i < seqs.length; i++) {
      const [alone] = await engine.forward([seqs[i]]);
      assert.equal(together[i].logits.length, seqs[i].length * engine.layout.vocab);
      assert.equal(together[i].hidden.length, seqs[i].length * engine.layout.hiddenSize);
      assert.ok(maxAbsDiff(together[i].logits, alone.logits) < 1e-3);
    }
  });

  it('runs from bundles, with the model runner bundled beside them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-tune-bundle-'));
    try {
      const src = join(__dirname, '../../../trainer/src/model');
      writeFileSync(join(dir, 'entry.ts'), `
        import { Engine } from ${JSON.stringify(join(src, 'engine'))};
        import { openModelFolder } from ${JSON.stringify(join(src, 'folder'))};
        (async () => {
          const engine = await Engine.open(openModelFolder(${JSON.stringify(TINY_DIR)}), { threads: ${THREADS} });
          const g = await engine.generate(${JSON.stringify(prompts[0])}, ${JSON.stringify({ ...GREEDY, maxNewTokens: 8 })});
          await engine.close();
          console.log(JSON.stringify(g.tokenIds));
        })();`);
      await esbuild.build({
        entryPoints: { cli: join(dir, 'entry.ts'), 'model-runner': join(src, 'runner-thread.ts') },
        outdir: join(dir, 'dist'), bundle: true, platform: 'node', format: 'cjs', external: ['onnxruntime-node'], logLevel: 'silent',
      });
      const out = execFileSync(process.execPath, [join(dir, 'dist', 'cli.js')], {
        encoding: 'utf8', env: { ...process.env, NODE_PATH: join(__dirname, '../../../node_modules') },
      });
      const inProcess = await engine.generate(prompts[0], { ...GREEDY, maxNewTokens: 8 });
      assert.deepEqual(JSON.parse(out), inProcess.tokenIds);
    } finally {
      removeDir(dir);
    }
  });
});
