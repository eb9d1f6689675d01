import { strict as assert } from 'node:assert';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Engine, type ForwardResult } from '../../../trainer/src/model/engine';
import { openModelFolder } from '../../../trainer/src/model/folder';
import type { RolloutRecord, RunEvent } from '../../../trainer/src/run/events';
import { readAll } from '../../../trainer/src/run/reader';
import { Adam } from '../../../trainer/src/train/adam';
import { LoraHead } from '../../../trainer/src/train/lora';
import { policyUpdate, turnSamples, type TurnSample, type UpdateOptions } from '../../../trainer/src/train/update';
import { runCli, tempConfig } from '../../support/cli';
import { prompts, TINY } from '../model/fixtures';

/** The engine, with every teacher-forced batch it is asked for counted. */
function counting(engine: Engine, calls: number[][]): Engine {
  const spy = Object.create(engine) as Engine;
  spy.forward = (seqs: readonly (readonly number[])[]): Promise<ForwardResult[]> => {
    calls.push(seqs.map((s) => s.length));
    return engine.forward(seqs);
  };
  return spy;
}

function samples(vocab: number, n: number, temperature?: number): TurnSample[] {
  const ps = prompts(n, vocab, 3);
  const ts = prompts(n, vocab, 4);
  return ps.map((p, i) => ({ rollout: i, promptIds: p, tokenIds: ts[i], advantage: i % 2 ? 1 : -1, ...(temperature ? { temperature } : {}) }));
}

const base: UpdateOptions = { temperature: 1, clip: 0.2, klCoef: 0, entropyCoef: 0, epochs: 2, minibatch: 4, maxGradNorm: 1, seed: 1, step: 1 };

describe('policy update', function () {
  this.timeout(120_000);
  let engine: Engine;
  before(async () => {
    engine = await Engine.open(openModelFolder(TINY), { threads: 1, lanes: 1 });
  });
  after(() => engine?.close());

  const fresh = () => {
    const { hiddenSize, vocab } = engine.layout;
    const lora = new LoraHead(hiddenSize, vocab, 4, 8, 3);
    return { lora, adam: new Adam([lora.A, lora.B], 1e-2) };
  };

  it('holds the logits of one minibatch at a time, never the whole step', async () => {
    const calls: number[][] = [];
    const { lora, adam } = fresh();
    const xs = samples(engine.layout.vocab, 12);
    const stats = await policyUpdate(counting(engine, calls), lora, adam, xs, base);
    assert.equal(stats.tokens, 2 * xs.reduce((a, s) => a + s.tokenIds.length, 0), 'every token is trained on once an epoch');
    assert.ok(calls.length > 0);
    for (const c of calls) assert.ok(c.length <= base.minibatch, `a forward of ${c.length} sequences, more than the minibatch of ${base.minibatch} rollouts`);
    // Each epoch forwards every sample once; old logprobs come from the same passes.
    assert.equal(calls.flat().length, base.epochs * xs.length);
  });

  it('trains each turn at the temperature it was sampled at', async () => {
    const V = engine.layout.vocab;
    const run = async (xs: TurnSample[], temperature: number) => {
      const { lora, adam } = fresh();
      await policyUpdate(engine, lora, adam, xs, { ...base, temperature });
      return Array.from(lora.B);
    };
    const atHalf = await run(samples(V, 8, 0.5), 1);
    assert.deepEqual(atHalf, await run(samples(V, 8), 0.5), "the turn's temperature, not the configured one");
    assert.notDeepEqual(atHalf, await run(samples(V, 8), 1));
  });

  it('reads each turn\'s sampling parameters from its record', () => {
    const turn = (temperature?: number) => ({
      index: 0,
      role: 'agent',
      message_index: 1,
      prompt_tokens: 2,
      completion_tokens: 2,
      prompt_ids: [1, 2],
      token_ids: [3, 4],
      flags: [],
      duration_ms: 1,
      ...(temperature === undefined ? {} : { sampling: { temperature, top_p: 1, top_k: 0 } }),
    });
    const record = { advantage: 0.5, turns: [turn(0.7), turn()] } as unknown as RolloutRecord;
    const xs = turnSamples([record]);
    assert.deepEqual(xs.map((s) => s.temperature), [0.7, undefined]);
  });
});

const WORKFLOW = `import { defineWorkflow } from 'agent-tune';
export const workflow = defineWorkflow(async (ctx) => {
  const messages = [{ role: 'user' as const, content: ctx.task.question }];
  const first = await ctx.chat(messages, { sampling: { temperature: 0.6 } });
  const second = await ctx.chat([...messages, { role: 'assistant' as const, content: first.content }, { role: 'user' as const, content: 'Again.' }]);
  return { messages: [...messages, { role: 'assistant' as const, content: second.content }], final_answer: second.content };
});
`;

describe('sampling set by a training workflow', function () {
  this.timeout(180_000);
  it('is recorded on each turn, trained with, and warned about once', async () => {
    const config = tempConfig(
      'per-turn',
      `name: per-turn
seed: 3
model: { sampling: { temperature: 1.0, max_new_tokens: 12 } }
tasks:
  train: { path: builtin:arith/train, limit: 8 }
workflow: { ref: ./workflow.ts#workflow }
rollout: { group_size: 4, max_turns: 2, parallel: 8 }
algorithm: { lr: 0.01, minibatch: 4 }
train: { steps: 1, tasks_per_step: 2, save_every: 0, eval_every: 0, output_dir: ./runs }
`,
      { 'workflow.ts': WORKFLOW },
    );
    const out = await runCli(['run', config]);
    assert.equal(out.code, 0, out.stderr);
    const runs = join(dirname(config), 'runs');
    const runDir = join(runs, readdirSync(runs)[0]);
    const records = (await readAll<RolloutRecord>(join(runDir, 'rollouts.jsonl'))).records.map((r) => r.value);
    assert.equal(records.length, 8);
    for (const r of records) {
      assert.deepEqual(r.turns.map((t) => t.sampling?.temperature), [0.6, 1]);
      assert.ok(r.turns.every((t) => t.sampling?.top_p === 1 && t.sampling.top_k === 0));
    }
    const events = (await readAll<RunEvent>(join(runDir, 'events.jsonl'))).records.map((r) => r.value);
    const warnings = events.filter((e) => e.type === 'log' && e.level === 'warn' && e.message.includes('temperature 0.6'));
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    rmSync(dirname(config), { recursive: true, force: true });
  });
});
