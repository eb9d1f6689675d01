import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserCodeHost, UserCodeFailure } from '../../../trainer/src/user/host';
import type { RolloutInit } from '../../../trainer/src/user/protocol';
import { input } from './fixtures';

const init: RolloutInit = {
  task: input.task,
  rolloutId: 'r1',
  sample: 0,
  systemPrompt: undefined,
  tools: [],
  maxTurns: 3,
  options: {},
  formatErrorMessage: 'Error: {error}',
};

describe('user code host (worker threads)', function () {
  this.timeout(30_000);
  let dir: string;
  let host: UserCodeHost;
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-tune-user-'));
    host = new UserCodeHost({ stallMs: 300 });
  });
  afterEach(async () => {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a TypeScript judge that imports the SDK and runs it', async () => {
    const f = file(
      'judge.ts',
      `import { defineJudge, type JudgeInput } from 'agent-tune';
       const n = (s: string | null): number => Number((s ?? '').match(/-?\\d+/g)?.pop());
       export const judge = defineJudge((i: JudgeInput) => ({ reward: n(i.final_answer) === Number(i.task.reference) ? 1 : 0, is_success: true, details: { file: __filename } }));`,
    );
    const info = await host.inspect({ file: f, exportName: 'judge' }, 'judge');
    assert.equal(info.kind, 'judge');
    const r = await host.judge({ file: f, exportName: 'judge' }, input, 5000);
    assert.equal(r.reward, 1);
    assert.deepEqual(r.details, { file: f });
  });

  it('names the file and line of a syntax error, a missing export and a wrong shape', async () => {
    const bad = file('bad.ts', 'export const judge = defineJudge((i) => {\n  return {;\n});\n');
    await assert.rejects(host.inspect({ file: bad, exportName: 'judge' }, 'judge'), (e: Error) => e.message.startsWith(`${bad}:2:`) && /syntax error/.test(e.message));
    const ok = file('ok.ts', 'export const judge = () => ({ reward: 1, is_success: true });\nexport const other = 1;\n');
    await assert.rejects(host.inspect({ file: ok, exportName: 'judg' }, 'judge'), /has no export "judg" \(it exports: judge, other\)/);
    await assert.rejects(host.inspect({ file: ok, exportName: 'other' }, 'workflow'), /is not a workflow: export defineWorkflow/);
    await assert.rejects(host.inspect({ file: join(dir, 'missing.ts'), exportName: 'judge' }, 'judge'), /missing\.ts: no such file/);
  });

  it('records a judge that throws, with the stack pointing into the user file', async () => {
    const f = file('throws.ts', 'export function judge(i: unknown) {\n  const x: any = undefined;\n  return x.reward;\n}\n');
    const err = await host.judge({ file: f, exportName: 'judge' }, input, 5000).then(
      () => assert.fail('should throw'),
      (e: UserCodeFailure) => e,
    );
    assert.ok(err instanceof UserCodeFailure);
    assert.equal(err.reason, 'error');
    assert.match(err.userStack ?? '', new RegExp(`throws\\.ts:3`));
  });

  it('stops a judge in an endless loop, and the other judgments in flight finish', async () => {
    const loop = file('loop.ts', 'export const judge = () => { for (;;) {} };\n');
    const slow = file('slow.ts', 'export const judge = async () => { await new Promise((r) => setTimeout(r, 200)); return { reward: 0.5, is_success: false }; };\n');
    const heapBefore = process.memoryUsage().heapUsed;
    const others = Array.from({ length: 4 }, () => host.judge({ file: slow, exportName: 'judge' }, input, 10_000));
    const looping = host.judge({ file: loop, exportName: 'judge' }, input, 500);
    const failure = await looping.then(() => assert.fail('should time out'), (e: UserCodeFailure) => e);
    assert.equal(failure.reason, 'timeout');
    const results = await Promise.all(others);
    assert.deepEqual(results.map((r) => r.reward), [0.5, 0.5, 0.5, 0.5]);
    // The host goes on working after replacing its worker.
    assert.equal((await host.judge({ file: slow, exportName: 'judge' }, input, 5000)).reward, 0.5);
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 50e6);
  });

  it('blames each stall on the job that caused it, across several looping, throwing and good judges at once', async () => {
    const f = file(
      'mixed.ts',
      `export const judge = (i: { task: { id: string } }) => {
         const kind = i.task.id.split('-')[0];
         if (kind === 'loop') for (;;) {}
         if (kind === 'throw') throw new Error('exploded on ' + i.task.id);
         return { reward: 1, is_success: true };
       };`,
    );
    const kinds = ['loop', 'throw', 'good', 'loop', 'throw', 'good', 'loop', 'good'];
    const results = await Promise.all(
      kinds.map((k, i) =>
        // A deadline well above the stall limit: on a loaded machine a judge that throws may
        // be slow to start, and only a job past its deadline can be blamed for a stall.
        host.judge({ file: f, exportName: 'judge' }, { ...input, task: { ...input.task, id: `${k}-${i}` } }, 2000).then(
          (r) => `ok ${r.reward}`,
          (e: UserCodeFailure) => `${e.reason}: ${e.message}`,
        ),
      ),
    );
    kinds.forEach((k, i) => {
      if (k === 'loop') assert.match(results[i], /^timeout: timed out in synchronous code/);
      if (k === 'throw') assert.match(results[i], new RegExp(`^error: .*exploded on throw-${i}`));
      if (k === 'good') assert.equal(results[i], 'ok 1');
    });
  });

  it('abandons a judge that never settles without stopping the worker', async () => {
    const hang = file('hang.ts', 'export const judge = () => new Promise(() => {});\n');
    await host.inspect({ file: hang, exportName: 'judge' }, 'judge');
    const e = await host.judge({ file: hang, exportName: 'judge' }, input, 300).then(() => assert.fail('should time out'), (x: UserCodeFailure) => x);
    assert.equal(e.reason, 'timeout');
    assert.match(e.message, /timed out after 0.3s/);
  });

  it('survives a judge that exhausts its memory', async () => {
    const small = new UserCodeHost({ memoryMb: 64 });
    try {
      const hog = file('hog.ts', 'export const judge = () => { const a: number[][] = []; for (;;) a.push(new Array(1e6).fill(1)); };\n');
      const ok = file('ok2.ts', 'export const judge = () => ({ reward: 1, is_success: true });\n');
      const e = await small.judge({ file: hog, exportName: 'judge' }, input, 20_000).then(() => assert.fail('should fail'), (x: UserCodeFailure) => x);
      assert.equal(e.reason, 'crash');
      assert.equal((await small.judge({ file: ok, exportName: 'judge' }, input, 5000)).reward, 1);
    } finally {
      await small.close();
    }
  });

  it('runs a workflow whose model calls are answered by the trainer, and records one that throws mid-rollout', async () => {
    const f = file(
      'wf.ts',
      `import { defineWorkflow } from 'agent-tune';
       export const good = defineWorkflow(async (ctx) => {
         const m = [{ role: 'user' as const, content: ctx.task.question }];
         const t = await ctx.chat(m, { role: 'solver' });
         ctx.emit('seen', { turns: ctx.turns });
         return { messages: [...m, { role: 'assistant' as const, content: t.content }] };
       });
       export const bad = defineWorkflow(async (ctx) => {
         await ctx.chat([{ role: 'user', content: 'hi' }]);
         throw new Error('broken after the first turn');
       });`,
    );
    const calls: string[] = [];
    const handlers = {
      chat: async (messages: { content: string }[], options: { role?: string }) => {
        calls.push(`${options.role ?? 'agent'}:${messages[0].content}`);
        return { role: 'assistant' as const, content: 'The answer is 5.', tool_calls: [], truncated: false };
      },
      callTool: async () => ({ role: 'tool' as const, content: '' }),
      emit: (name: string, data: unknown) => calls.push(`emit:${name}:${JSON.stringify(data)}`),
      restart: () => calls.push('restart'),
    };
    const r = await host.runWorkflow({ file: f, exportName: 'good' }, init, handlers, 5000);
    assert.equal(r.messages[1].content, 'The answer is 5.');
    assert.deepEqual(calls, ['solver:What is 2 + 3?', 'emit:seen:{"turns":1}']);
    await assert.rejects(host.runWorkflow({ file: f, exportName: 'bad' }, init, handlers, 5000), /broken after the first turn/);
  });

  it('refuses a user workflow a chat past max_turns without asking the trainer', async () => {
    const f = file(
      'greedy.ts',
      `import { defineWorkflow } from 'agent-tune';
       export const greedy = defineWorkflow(async (ctx) => {
         for (;;) await ctx.chat([{ role: 'user', content: String(ctx.turns) }]);
       });`,
    );
    let chats = 0;
    const handlers = {
      chat: async () => (chats++, { role: 'assistant' as const, content: '', tool_calls: [], truncated: false }),
      callTool: async () => ({ role: 'tool' as const, content: '' }),
      emit: () => {},
      restart: () => {},
    };
    await assert.rejects(host.runWorkflow({ file: f, exportName: 'greedy' }, init, handlers, 5000), /the rollout reached max_turns = 3/);
    assert.equal(chats, 3);
  });
});
