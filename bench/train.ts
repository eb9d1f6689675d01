// `npm run bench:train [-- --model REF]`: the policy update's throughput, and how a training
// step's time grows with group_size and response length.
//
// 1. Update throughput: trained tokens per second of `policyUpdate` (teacher-forced forward,
//    old logprobs, PPO gradient, Adam) against its peer in the same run, the bare
//    teacher-forced forward over the same sequences — the part no trainer on onnxruntime
//    can skip. The ratio says what the gradient and optimiser cost on top.
// 2. Step time: rollouts + judging + update of real training steps on builtin:arith for
//    group_size 4, 8, 16 and max_new_tokens 32, 64, 128, as multiples of the smallest.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../trainer/src/config/load';
import { OnnxChatBackend } from '../trainer/src/model/backend';
import { Rng } from '../trainer/src/model/sampling';
import { Adam } from '../trainer/src/train/adam';
import { LoraHead } from '../trainer/src/train/lora';
import { train } from '../trainer/src/train/loop';
import { policyUpdate, type TurnSample } from '../trainer/src/train/update';

const { values: args } = parseArgs({ options: { model: { type: 'string', default: 'builtin:tiny-math' }, steps: { type: 'string', default: '2' } } });

async function updateThroughput(): Promise<void> {
  const backend = await OnnxChatBackend.open(args.model!, { maxBatch: 32 });
  const engine = backend.engine;
  const { vocab, hiddenSize } = engine.layout;
  const rng = new Rng(1);
  const samples: TurnSample[] = Array.from({ length: 64 }, (_, i) => ({
    rollout: i,
    promptIds: Array.from({ length: 120 }, () => Math.floor(rng.next() * vocab)),
    tokenIds: Array.from({ length: 64 }, () => Math.floor(rng.next() * vocab)),
    advantage: rng.next() - 0.5,
  }));
  const tokens = samples.reduce((a, s) => a + s.tokenIds.length, 0);
  const lora = new LoraHead(hiddenSize, vocab, 8, 16, 0);
  const adam = new Adam([lora.A, lora.B], 1e-3);
  const opts = { temperature: 1, clip: 0.2, klCoef: 0.01, entropyCoef: 0, epochs: 1, minibatch: 16, maxGradNorm: 1, seed: 0, step: 1 };
  await policyUpdate(engine, lora, adam, samples.slice(0, 4), opts); // warm-up
  const rounds = 3;
  let forwardS = 0;
  let updateS = 0;
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    await engine.forward(samples.map((s) => [...s.promptIds, ...s.tokenIds.slice(0, -1)]));
    forwardS += (performance.now() - t) / 1000;
    t = performance.now();
    await policyUpdate(engine, lora, adam, samples, opts);
    updateS += (performance.now() - t) / 1000;
  }
  const fwd = (rounds * tokens) / forwardS;
  const upd = (rounds * tokens) / updateS;
  console.log(`update throughput (${samples.length} turns × 64 trained tokens, prompts of 120, vocab ${vocab}, hidden ${hiddenSize}, rank 8)`);
  console.log(`  teacher-forced forward alone   ${fwd.toFixed(0).padStart(8)} tokens/s   1.00×`);
  console.log(`  policy update (forward + PPO)  ${upd.toFixed(0).padStart(8)} tokens/s   ${(upd / fwd).toFixed(2)}× of the forward`);
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
model: { path: ${JSON.stringify(args.model)}, sampling: { temperature: 1.0, max_new_tokens: ${maxNew} } }
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
  await updateThroughput();
  await stepTimes();
})();
