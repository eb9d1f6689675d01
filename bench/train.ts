// `npm run bench:train [-- --model REF | --shape qwen3-tiny|qwen3-0.6b] [--rollouts N --tokens N
// --prompt N --rank N --only throughput|update|steps]`: the policy update's throughput, and how
// a training step's time grows with group_size and response length. `--only update` runs one
// update and nothing else, for its peak memory.
//
// 1. Update throughput: trained tokens per second of `policyUpdate` (teacher-forced forward,
//    old logprobs, PPO gradient, Adam) against its peer in the same run, the bare
//    teacher-forced forward over the same sequences in the same groups — the part no trainer
//    on onnxruntime can skip. The ratio says what the gradient and optimiser cost on top.
//    `--shape` builds (once) and uses a stand-in of a real model's shape and vocabulary; run
//    under `/usr/bin/time -v` with `--only update` for the peak memory of an update.
// 2. Step time: rollouts + judging + update of real training steps on builtin:arith for
//    group_size 4, 8, 16 and max_new_tokens 32, 64, 128, as multiples of the smallest.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { standin, type Shape } from '../scripts/standin/build';
import { loadConfig } from '../trainer/src/config/load';
import { OnnxChatBackend } from '../trainer/src/model/backend';
import { Rng } from '../trainer/src/model/sampling';
import { Adam } from '../trainer/src/train/adam';
import { LoraHead } from '../trainer/src/train/lora';
import { train } from '../trainer/src/train/loop';
import { policyUpdate, type TurnSample } from '../trainer/src/train/update';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'builtin:tiny-math' },
    shape: { type: 'string' },
    steps: { type: 'string', default: '2' },
    rollouts: { type: 'string', default: '64' },
    tokens: { type: 'string', default: '64' },
    prompt: { type: 'string', default: '120' },
    rank: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const MODEL = args.shape ? standin(args.shape as Shape, undefined, (s) => console.log(s)) : args.model!;
/** Logits floats per forward group, as the update uses by default. */
const GROUP_FLOATS = 1 << 26;

async function updateThroughput(): Promise<void> {
  const backend = await OnnxChatBackend.open(MODEL, { maxBatch: 32 });
  const engine = backend.engine;
  const { vocab, hiddenSize } = engine.layout;
  const rng = new Rng(1);
  const [n, len, promptLen, rank] = [args.rollouts, args.tokens, args.prompt, args.rank].map(Number);
  const samples: TurnSample[] = Array.from({ length: n }, (_, i) => ({
    rollout: i,
    promptIds: Array.from({ length: promptLen }, () => Math.floor(rng.next() * vocab)),
    tokenIds: Array.from({ length: len }, () => Math.floor(rng.next() * vocab)),
    advantage: rng.next() - 0.5,
  }));
  const tokens = samples.reduce((a, s) => a + s.tokenIds.length, 0);
  const lora = new LoraHead(hiddenSize, vocab, rank, 2 * rank, 0);
  const adam = new Adam([lora.A, lora.B], 1e-3);
  const opts = { temperature: 1, clip: 0.2, klCoef: 0.01, entropyCoef: 0, epochs: 1, minibatch: 16, maxGradNorm: 1, seed: 0, step: 1, forwardFloats: GROUP_FLOATS };
  await policyUpdate(engine, lora, adam, samples.slice(0, 2), opts); // warm-up
  const rounds = args.only === 'update' ? 1 : Number(args.rounds);
  const perGroup = Math.max(1, Math.floor(GROUP_FLOATS / ((promptLen + len) * (vocab + hiddenSize))));
  let forwardS = 0;
  let updateS = 0;
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    if (args.only !== 'update') {
      for (let at = 0; at < samples.length; at += perGroup) await engine.forward(samples.slice(at, at + perGroup).map((s) => [...s.promptIds, ...s.tokenIds.slice(0, -1)]));
      forwardS += (performance.now() - t) / 1000;
    }
    t = performance.now();
    await policyUpdate(engine, lora, adam, samples, opts);
    updateS += (performance.now() - t) / 1000;
  }
  const fwd = (rounds * tokens) / forwardS;
  const upd = (rounds * tokens) / updateS;
  console.log(`update throughput (${n} turns × ${len} trained tokens, prompts of ${promptLen}, vocab ${vocab}, hidden ${hiddenSize}, rank ${rank}, ${rounds} rounds)`);
  if (args.only !== 'update') console.log(`  teacher-forced forward alone   ${fwd.toFixed(1).padStart(8)} tokens/s   1.00×`);
  console.log(`  policy update (forward + PPO)  ${upd.toFixed(1).padStart(8)} tokens/s${args.only !== 'update' ? `   ${(upd / fwd).toFixed(2)}× of the forward` : ''}`);
  await backend.close();
}

async function stepTimes(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-tune-bench-train-'));
  const steps = Number(args.steps);
  const time = async (group: number, maxNew: number) => {
    const file = join(dir, `g${group}-t${maxNew}.tune.yaml`);
    writeFileSync(
      file,
      `name: bench
model: { path: ${JSON.stringify(MODEL)}, sampling: { temperature: 1.0, max_new_tokens: ${maxNew} } }
tasks: { train: { path: builtin:arith/train } }
rollout: { group_size: ${group}, parallel: 32, max_turns: 3 }
algorithm: { drop_zero_variance: false }
train: { steps: ${steps}, tasks_per_step: 4, save_every: 0, eval_every: 0 }
`,
    );
    const { runDir } = await train(loadConfig(file), { outputDir: dir });
    const rows = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { metrics: { step_time_s: number } });
    return rows.reduce((a, r) => a + r.metrics.step_time_s, 0) / rows.length;
  };
  const base = await time(4, 32);
  console.log(`\nstep time (4 tasks per step; mean of ${steps} steps; relative to group_size 4, max_new_tokens 32 = ${base.toFixed(2)} s)`);
  for (const g of [4, 8, 16]) {
    const cells: string[] = [];
    for (const n of [32, 64, 128]) cells.push(`${(g === 4 && n === 32 ? base : await time(g, n)) / base}`.slice(0, 4) + '×');
    console.log(`  group_size ${String(g).padStart(2)}   max_new_tokens 32 / 64 / 128:   ${cells.join('   ')}`);
  }
  rmSync(dir, { recursive: true, force: true });
}

void (async () => {
  if (args.only !== 'steps') await updateThroughput();
  // `--only throughput` and `--only update` stop here.
  if (!args.only || args.only === 'steps') await stepTimes();
})();
