// `npm run bench:generate [-- --model REF | --shape qwen3-tiny|qwen3-0.6b] [--batch N --tokens N
// --threads N --rounds N]`: greedy decoding speed at batch 1 and batch N (default 16) for
// our engine (with the lanes it picks by default, and with one lane), for transformers.js
// `generate` on the same model and prompts, and for a bare onnxruntime decode loop (the floor
// of what any engine built on onnxruntime-node can reach). Every figure comes from this one run; the ratios are what
// to compare across machines.
import { availableParallelism } from 'node:os';
import { dirname, basename } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { ChatTemplate } from '../trainer/src/model/chat';
import { Engine } from '../trainer/src/model/engine';
import { openModelFolder, type ModelFolder } from '../trainer/src/model/folder';
import { argmax } from '../trainer/src/model/sampling';
import { Tokenizer } from '../trainer/src/model/tokenizer';
import { standin, type Shape } from '../scripts/standin/build';

const { values: args } = isMainThread ? parseArgs({
  options: {
    model: { type: 'string', default: 'builtin:tiny-math' },
    shape: { type: 'string' },
    batch: { type: 'string', default: '16' },
    tokens: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '10' },
    threads: { type: 'string', default: String(Math.min(4, availableParallelism())) },
    /** A subset of: engine, one-lane, main, transformers, bare, bare-worker (a large model's weights are held once per contender). */
    only: { type: 'string' },
  },
}) : workerData as { values: Record<string, string> };
const NEW = Number(args.tokens);
const BATCH = Number(args.batch);
/** A stand-in of a real model's shape (built once, cached) or the model named. */
const MODEL = args.shape ? standin(args.shape as Shape) : args.model!;
const THREADS = Number(args.threads);
const ROUNDS = Number(args.rounds);

const QUESTIONS = [
  'What is 7 + 5?', 'A farmer has 128 sheep and buys 45 more. How many sheep does he have now?', 'Compute 9 * 8.',
  'Tom had 3021 marbles and gave away 1187. How many are left?', 'A box holds 12 eggs. How many eggs are in 15 boxes?',
  'What is 100 - 37?', 'Sara reads 24 pages a day for 6 days, then 13 more pages. How many pages did she read?',
  'Divide 144 by 12.',
];

function prompts(folder: ModelFolder, n: number): number[][] {
  const tok = Tokenizer.fromDir(folder.dir);
  const tpl = ChatTemplate.fromConfig(folder.tokenizerConfig);
  return Array.from({ length: n }, (_, i) =>
    tok.encode(tpl.render([{ role: 'user', content: `${QUESTIONS[i % QUESTIONS.length]}${i >= QUESTIONS.length ? ` (${i})` : ''}` }], { addGenerationPrompt: true })));
}

type Run = (batch: number[][]) => Promise<number>;

/** Tokens per second of one pass of `run` over `batches`. */
async function rate(batches: number[][][], run: Run): Promise<number> {
  let tokens = 0;
  const t0 = performance.now();
  for (const b of batches) tokens += await run(b);
  return tokens / ((performance.now() - t0) / 1000);
}

/** The floor: one onnxruntime session, left-padded batch, argmax, presents fed straight back. */
async function bareLoop(folder: ModelFolder): Promise<(batch: number[][]) => Promise<number>> {
  const session = await ort.InferenceSession.create(folder.onnxFile, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', executionMode: 'sequential', interOpNumThreads: 1, intraOpNumThreads: THREADS,
  });
  const past = session.inputNames.filter((n) => n.startsWith('past_key_values.'));
  const cfg = folder.config;
  const kvHeads = cfg.num_key_value_heads ?? cfg.num_attention_heads!;
  const headDim = cfg.head_dim ?? cfg.hidden_size! / cfg.num_attention_heads!;
  const V = cfg.vocab_size!;
  return async (batch) => {
    const B = batch.length;
    const P = Math.max(...batch.map((p) => p.length));
    const ids = new BigInt64Array(B * P);
    const mask = new BigInt64Array(B * P);
    const pos = new BigInt64Array(B * P);
    batch.forEach((p, r) => p.forEach((t, j) => {
      const at = r * P + P - p.length + j;
      ids[at] = BigInt(t);
      mask[at] = 1n;
      pos[at] = BigInt(j);
    }));
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [B, P]),
      attention_mask: new ort.Tensor('int64', mask, [B, P]),
      position_ids: new ort.Tensor('int64', pos, [B, P]),
    };
    for (const n of past) feeds[n] = new ort.Tensor('float32', new Float32Array(0), [B, kvHeads, 0, headDim]);
    let out = await session.run(feeds);
    let T = P;
    const next = new BigInt64Array(B);
    const lens = batch.map((p) => p.length);
    for (let step = 0; step < NEW; step++) {
      const logits = out.logits.data as Float32Array;
      const rowLen = (logits.length / B) | 0;
      for (let r = 0; r < B; r++) next[r] = BigInt(argmax(logits, r * rowLen + rowLen - V, V));
      if (step === NEW - 1) break;
      T++;
      const m = new BigInt64Array(B * T);
      const ps = new BigInt64Array(B);
      for (let r = 0; r < B; r++) {
        m.fill(1n, r * T + (P - lens[r]), (r + 1) * T);
        ps[r] = BigInt(lens[r] + step);
      }
      const f: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', next.slice(), [B, 1]),
        attention_mask: new ort.Tensor('int64', m, [B, T]),
        position_ids: new ort.Tensor('int64', ps, [B, 1]),
      };
      for (const n of past) f[n] = out[n.replace('past_key_values.', 'present.')];
      out = await session.run(f);
    }
    return B * NEW;
  };
}

/** The bare loop on a worker thread, where our engine runs its model: one message a batch. */
async function bareLoopOnWorker(): Promise<{ run: Run; close: () => Promise<number> }> {
  const worker = new Worker(`require('esbuild-register/dist/node').register({}); require(${JSON.stringify(__filename)});`, {
    eval: true, workerData: { values: args },
  });
  const replies: ((n: number) => void)[] = [];
  worker.on('message', (n: number) => replies.shift()!(n));
  await new Promise<number>((r) => replies.push(r));
  return {
    run: (batch) => new Promise<number>((r) => {
      replies.push(r);
      worker.postMessage(batch);
    }),
    close: () => worker.terminate(),
  };
}

async function transformersJs(folder: ModelFolder) {
  const { AutoModelForCausalLM, Tensor, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = dirname(folder.dir) + '/';
  const model = await AutoModelForCausalLM.from_pretrained(basename(folder.dir), {
    dtype: 'fp32', device: 'cpu', session_options: { intraOpNumThreads: THREADS, interOpNumThreads: 1 },
  });
  const run = async (batch: number[][]) => {
    const B = batch.length;
    const P = Math.max(...batch.map((p) => p.length));
    const ids = new BigInt64Array(B * P);
    const mask = new BigInt64Array(B * P);
    batch.forEach((p, r) => p.forEach((t, j) => {
      ids[r * P + P - p.length + j] = BigInt(t);
      mask[r * P + P - p.length + j] = 1n;
    }));
    await model.generate({
      input_ids: new Tensor('int64', ids, [B, P]), attention_mask: new Tensor('int64', mask, [B, P]),
      max_new_tokens: NEW, min_new_tokens: NEW, do_sample: false,
    });
    return B * NEW;
  };
  return { run, close: () => model.dispose() };
}

async function main(): Promise<void> {
  const folder = openModelFolder(MODEL);
  const all = prompts(folder, BATCH);
  const singles = all.slice(0, 4).map((p) => [p]);
  const sixteen = [all];
  const greedy = { temperature: 0, topP: 1, topK: 0, maxNewTokens: NEW, seed: 0, stopTokenIds: [] };

  const engineRun = (engine: Engine): Run => async (batch) =>
    (await Promise.all(batch.map((p) => engine.generate(p, greedy)))).reduce((n, g) => n + g.tokenIds.length, 0);
  const want = (k: string) => !args.only || args.only.split(',').includes(k);
  const worker = await Engine.open(folder, { threads: THREADS, thread: 'worker', maxBatch: BATCH });
  const ours = `agent-tune engine (default: ${worker.laneCount} lane${worker.laneCount > 1 ? 's' : ''})`;
  const oneLane = want('one-lane') ? await Engine.open(folder, { threads: THREADS, lanes: 1, thread: 'worker', maxBatch: BATCH }) : undefined;
  const main = want('main') ? await Engine.open(folder, { threads: THREADS, thread: 'main', maxBatch: BATCH }) : undefined;
  const tjs = await transformersJs(folder);
  const bare = want('bare-worker') ? await bareLoopOnWorker() : undefined;
  const runs: Record<string, Run> = { [ours]: engineRun(worker) };
  if (oneLane) runs['agent-tune engine, 1 lane'] = engineRun(oneLane);
  if (main) runs['agent-tune engine, model on the main thread'] = engineRun(main);
  runs['transformers.js generate'] = tjs.run;
  if (want('bare')) runs['bare onnxruntime loop'] = await bareLoop(folder);
  if (bare) runs['bare onnxruntime loop on a worker thread'] = bare.run;
  // Rounds interleave the contenders so that a busy moment of the machine hits them alike.
  // Each round gives every contender's rate at batch 1 and N; a ratio is the median over
  // rounds of the two rates measured in the same round, which a slow phase of a shared
  // machine moves far less than it moves the rates themselves.
  const rounds: Record<string, [number, number][]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (const run of Object.values(runs)) await run(singles[0]);
  const entries = Object.entries(runs);
  for (let round = 0; round < ROUNDS; round++) {
    // A different contender leads each round.
    for (const [name, run] of [...entries.slice(round % entries.length), ...entries.slice(0, round % entries.length)]) {
      rounds[name].push([await rate(singles, run), await rate(sixteen, run)]);
    }
  }
  await Promise.all([worker.close(), oneLane?.close(), main?.close(), tjs.close(), bare?.close()]);

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  console.log(`model ${folder.ref}, ${NEW} new tokens a sequence, greedy, ${THREADS} intra-op thread(s) in all, ${ROUNDS} rounds\n`);
  console.log(`${'tokens/s, median of rounds'.padEnd(46)}${'batch 1'.padStart(10)}${`batch ${BATCH}`.padStart(10)}`);
  for (const [name, r] of Object.entries(rounds)) {
    console.log(`${name.padEnd(46)}${median(r.map((x) => x[0])).toFixed(0).padStart(10)}${median(r.map((x) => x[1])).toFixed(0).padStart(10)}`);
  }
  if ('bare onnxruntime loop' in rounds && 'transformers.js generate' in rounds) {
    // Both run the same graph a token; this is how far any engine's decoding can get ahead of
    // transformers.js by its own work alone, before what it saves at prefill.
    const bare = rounds['bare onnxruntime loop'];
    const tjs = rounds['transformers.js generate'];
    const r = (i: 0 | 1) => `${median(bare.map((x, k) => x[i] / tjs[k][i])).toFixed(2)}x`.padStart(7);
    console.log(`\nbare onnxruntime loop / transformers.js generate, median of rounds: ${r(0)} at batch 1, ${r(1)} at batch ${BATCH}`);
  }
  for (const name of [ours, 'agent-tune engine, 1 lane'].filter((n) => n in rounds)) {
    const mine = rounds[name];
    const ratio = (peer: string, i: 0 | 1) => `${median(mine.map((x, k) => x[i] / rounds[peer][k][i])).toFixed(2)}x`.padStart(7);
    console.log(`\nratios: ${name} / peer, median of rounds`);
    console.log(`${''.padEnd(50)}batch 1  batch ${BATCH}`);
    for (const [peer, target] of [
      ['transformers.js generate', 'target: >= 1.2x at batch 1 and 8; >= 1.5x at batch 16'],
      ['bare onnxruntime loop', 'target: >= 0.80x'],
      ['bare onnxruntime loop on a worker thread', 'target: >= 0.80x'],
    ].filter(([peer]) => peer in rounds)) console.log(`  vs ${peer.padEnd(46)}${ratio(peer, 0)}  ${ratio(peer, 1)}   (${target})`);
  }
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  void bareLoop(openModelFolder(MODEL)).then((run) => {
    parentPort!.on('message', (batch: number[][]) => void run(batch).then((n) => parentPort!.postMessage(n)));
    parentPort!.postMessage(0);
  });
}
