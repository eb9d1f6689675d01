// Judges and workflows that try to stop the run: results JSON cannot hold, results too large
// to keep, process.exit and signals to the trainer.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_FILES } from '../../../trainer/src/run/events';
import { readAll } from '../../../trainer/src/run/reader';
import { plainData, safeStringify, UNSERIALIZABLE } from '../../../trainer/src/run/safe-json';
import { RunWriter } from '../../../trainer/src/run/writer';
import { UserCodeHost } from '../../../trainer/src/user/host';
import { runCli, tempConfig } from '../../support/cli';
import { input } from './fixtures';

describe('safe serialisation of user results', () => {
  it('marks cycles, BigInts, functions, symbols and throwing getters, and keeps the rest', () => {
    const o: Record<string, unknown> = { n: 1, s: 'x', big: 10n, f: function named() {}, sym: Symbol('k'), nan: NaN, list: [1, undefined, 2] };
    o.self = o;
    Object.defineProperty(o, 'bad', { enumerable: true, get: () => { throw new Error('no'); } });
    const v = plainData(o).value as Record<string, unknown>;
    assert.equal(v.n, 1);
    assert.equal(v.s, 'x');
    assert.equal(v.big, `${UNSERIALIZABLE} BigInt: 10]`);
    assert.equal(v.f, `${UNSERIALIZABLE} function: named]`);
    assert.equal(v.sym, `${UNSERIALIZABLE} symbol: k]`);
    assert.equal(v.self, `${UNSERIALIZABLE} circular reference]`);
    assert.match(String(v.bad), /reading it threw: no/);
    assert.deepEqual(v.list, [1, null, 2]);
    assert.equal(v.nan, `${UNSERIALIZABLE} number: NaN]`);
    assert.doesNotThrow(() => JSON.parse(safeStringify(o)));
  });
  it('copies a shared, non-cyclic object each time it appears', () => {
    const shared = { a: 1 };
    assert.deepEqual(plainData({ x: shared, y: shared }).value, { x: { a: 1 }, y: { a: 1 } });
  });
  it('stops at the budget with a marker, however large or deep the value', () => {
    const huge = { rows: Array.from({ length: 20_000 }, (_, i) => ({ i, text: 'y'.repeat(100) })), tail: 'z'.repeat(1 << 20) };
    const p = plainData(huge, 64 * 1024);
    const text = JSON.stringify(p.value);
    assert.ok(p.truncated);
    assert.ok(text.length < 66 * 1024, `${text.length} bytes`);
    assert.match(text, /\$truncated/);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    assert.match(JSON.stringify(plainData(deep).value), /nested deeper than 64/);
    // Doubling a shared object 60 times would be 2^60 copies without a budget.
    let dag: unknown = { leaf: 'x' };
    for (let i = 0; i < 60; i++) dag = { a: dag, b: dag };
    assert.ok(JSON.stringify(plainData(dag, 10_000).value).length < 11_000);
  });
  it('writes judge details and workflow events within the per-rollout budget', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-tune-safe-'));
    try {
      const w = new RunWriter(join(dir, 'run'));
      w.userDataMaxBytes = 16 * 1024;
      const cyclic: Record<string, unknown> = { big: 1n };
      cyclic.me = cyclic;
      for (let i = 0; i < 50; i++) w.emit({ type: 'custom', rollout_id: 'r1', name: 'trace', data: { i, blob: 'q'.repeat(1000), cyclic } });
      w.rollout({ id: 'r1', step: 0, phase: 'train', task_id: 't', group_id: 'g', sample: 0, reward: 0, parts: {}, success: false, flags: [], turns: [], messages: [], judge: { details: { cyclic, blob: 'd'.repeat(1 << 20) } } } as never);
      w.close();
      const events = readFileSync(join(dir, 'run', RUN_FILES.events), 'utf8');
      assert.ok(events.length < 24 * 1024, `${events.length} bytes of events`);
      assert.match(events, /later ones are dropped/);
      const rollouts = readFileSync(join(dir, 'run', RUN_FILES.rollouts), 'utf8');
      assert.ok(rollouts.length < 20 * 1024, `${rollouts.length} bytes of rollouts`);
      assert.match(rollouts, /circular reference/);
      assert.equal(rollouts.trim().split('\n').length, 1);
      JSON.parse(rollouts);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('judges that try to stop the trainer (worker threads)', function () {
  this.timeout(60_000);
  let dir: string;
  let host: UserCodeHost;
  const judge = async (body: string) => {
    const f = join(dir, `j${Math.random().toString(36).slice(2)}.ts`);
    writeFileSync(f, `import { defineJudge } from 'agent-tune';\nexport const judge = defineJudge((i) => { ${body} });`);
    return host.judge({ file: f, exportName: 'judge' }, input, 5000);
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-tune-hostile-'));
    host = new UserCodeHost({ stallMs: 300 });
  });
  afterEach(async () => {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes back details that structured clone refuses (functions, symbols) and cycles, marked', async () => {
    const r = await judge(`const d: any = { f: () => 1, s: Symbol('x'), n: 5n }; d.d = d; return { reward: 1, is_success: true, details: d };`);
    assert.equal(r.reward, 1);
    assert.deepEqual(r.details, { f: `${UNSERIALIZABLE} function: f]`, s: `${UNSERIALIZABLE} symbol: x]`, n: `${UNSERIALIZABLE} BigInt: 5]`, d: `${UNSERIALIZABLE} circular reference]` });
  });
  it('contains process.exit: the job fails, the trainer and the next job go on', async () => {
    await assert.rejects(judge('process.exit(1);'));
    assert.equal((await judge('return { reward: 0.5, is_success: false };')).reward, 0.5);
  });
  it('refuses process.kill of the trainer', async () => {
    await assert.rejects(judge(`process.kill(process.pid, 'SIGKILL'); return { reward: 1, is_success: true };`), /may not signal the trainer/);
    await assert.rejects(judge(`process.kill(0, 'SIGTERM'); return { reward: 1, is_success: true };`), /may not signal the trainer/);
  });
});

describe('agent-tune debug with a hostile judge and workflow (real process)', function () {
  this.timeout(180_000);
  it('finishes the run, with details and events cut to the budget', async () => {
    const judge = `import { defineJudge } from 'agent-tune';
export const judge = defineJudge(() => { const d: any = { big: 2n, blob: 'x'.repeat(3_000_000) }; d.self = d; return { reward: 1, is_success: true, details: d }; });`;
    const workflow = `import { defineWorkflow } from 'agent-tune';
export const workflow = defineWorkflow(async (ctx) => {
  const e: any = { f: () => 0 }; e.e = e;
  for (let i = 0; i < 20; i++) ctx.emit('blob', { i, e, text: 'y'.repeat(100_000) });
  return { messages: [{ role: 'user', content: ctx.task.question }, { role: 'assistant', content: '42' }] };
});`;
    const config = tempConfig(
      'hostile',
      `name: hostile\nmodel: { path: builtin:tiny-math }\ntasks: { train: { path: builtin:arith/train, limit: 4 } }\nworkflow: { ref: ./workflow.ts#workflow }\njudge: { ref: ./judge.ts#judge }\nrollout: { user_data_max_kb: 64 }\n`,
      { 'judge.ts': judge, 'workflow.ts': workflow },
    );
    const out = join(tmpdir(), `agent-tune-hostile-run-${process.pid}`);
    try {
      const r = await runCli(['debug', config, '--tasks', '2', '--output-dir', out]);
      assert.equal(r.code, 0, r.stderr);
      const [name] = readdirSync(out);
      const { records, problems } = await readAll(join(out, name, RUN_FILES.rollouts));
      assert.deepEqual(problems, []);
      assert.equal(records.length, 16);
      const text = readFileSync(join(out, name, RUN_FILES.rollouts), 'utf8');
      assert.ok(text.length < 16 * 70 * 1024, `${text.length} bytes of rollouts`);
      assert.ok(text.includes('[unserializable BigInt: 2]') && text.includes('[truncated '), 'details are marked and cut');
      const events = readFileSync(join(out, name, RUN_FILES.events), 'utf8');
      assert.ok(events.includes('later ones are dropped') && events.includes('[unserializable circular reference]'), 'events are marked and cut');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
