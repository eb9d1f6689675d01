// `isolation: process`: judges in a child process, against judges that try to stop the trainer.
// Run with the PID namespace this machine gives (where user namespaces work) and without one
// (a refusing `unshare` first on the search path, as on a machine that denies them); and end
// to end, a judge that finds the trainer in /proc and `kill -9`s it, under both isolations.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutInit } from '../../../trainer/src/user/protocol';
import { RUN_FILES, type RolloutRecord } from '../../../trainer/src/run/events';
import { readAll } from '../../../trainer/src/run/reader';
import { UNSERIALIZABLE } from '../../../trainer/src/run/safe-json';
import { UserCodeHost } from '../../../trainer/src/user/host';
import { processBoundary } from '../../../trainer/src/user/process';
import { runCli, tempConfig } from '../../support/cli';
import { input } from './fixtures';

const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';
const OK = 'return { reward: 0.5, is_success: false };';
const init: RolloutInit = { task: input.task, rolloutId: 'r1', sample: 0, systemPrompt: undefined, tools: [], maxTurns: 3, options: {}, formatErrorMessage: 'Error: {error}' };

describe('judges in a child process (isolation: process)', function () {
  this.timeout(120_000);
  if (process.platform !== 'linux') return;
  const root = mkdtempSync(join(tmpdir(), 'agent-tune-isolation-'));
  const stub = join(root, 'stub');
  mkdirSync(stub);
  writeFileSync(join(stub, 'unshare'), '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n', { mode: 0o755 });
  after(() => rmSync(root, { recursive: true, force: true }));

  const machines: [string, string | undefined][] = [
    ['this machine', undefined],
    ['a machine without user namespaces', `${stub}:${SYSTEM_PATH}`],
  ];
  for (const [name, path] of machines) {
    describe(name, () => {
      let host: UserCodeHost;
      let n = 0;
      const judge = (body: string, imports = '') => {
        const f = join(root, `j${n++}.ts`);
        writeFileSync(f, `import { defineJudge } from 'agent-tune';\n${imports}\nexport const judge = defineJudge((i) => { ${body} });`);
        return host.judge({ file: f, exportName: 'judge' }, input, 5000);
      };
      beforeEach(() => {
        host = new UserCodeHost({ stallMs: 300, isolation: 'process', path });
      });
      afterEach(() => host.close());

      it('says what the boundary holds here', function () {
        const b = host.boundary!;
        console.log(`      ${b.description}`);
        if (path) assert.match(b.description, /WITHOUT a PID namespace \(unshare: unshare failed: Operation not permitted\): a `kill` that user code starts can still signal the trainer/);
        else assert.equal(Boolean(b.unshare), /own PID namespace/.test(b.description));
      });

      it('passes results back through the same protocol, details marked', async () => {
        const r = await judge(`const d: any = { f: () => 1, n: 5n }; d.d = d; return { reward: 1, is_success: true, details: d };`);
        assert.deepEqual(r.details, { f: `${UNSERIALIZABLE} function: f]`, n: `${UNSERIALIZABLE} BigInt: 5]`, d: `${UNSERIALIZABLE} circular reference]` });
      });

      it('contains process.exit: the job fails, the next job goes on', async () => {
        await assert.rejects(judge('process.exit(3);'), /exited/);
        assert.equal((await judge(OK)).reward, 0.5);
      });

      it('refuses process.kill of the trainer, by its pid or its group', async () => {
        await assert.rejects(judge(`process.kill(process.ppid, 'SIGKILL'); ${OK}`), /may not signal the trainer/);
        await assert.rejects(judge(`process.kill(${process.pid}, 'SIGKILL'); ${OK}`), /may not signal the trainer/);
        await assert.rejects(judge(`process.kill(0, 'SIGKILL'); ${OK}`), /may not signal the trainer/);
        assert.equal((await judge(OK)).reward, 0.5);
      });

      it('contains a `kill -9` of its own process: the trainer and the next job go on', async () => {
        // In a PID namespace the child is its init, which a signal from inside cannot end; elsewhere it dies.
        const r = await judge(`execSync('kill -9 ' + process.pid + ' || kill -9 $PPID'); ${OK}`, "import { execSync } from 'node:child_process';").then(
          (v) => v,
          (e: Error) => e,
        );
        if (host.boundary!.unshare) assert.equal((r as { reward: number }).reward, 0.5);
        else assert.match((r as Error).message, /the worker running user code exited \(code SIGKILL\)/);
        assert.equal((await judge(OK)).reward, 0.5);
      });

      it('runs workflows too: model calls answered by the trainer, process.exit contained', async () => {
        const f = join(root, `wf${n++}.ts`);
        writeFileSync(
          f,
          `import { defineWorkflow } from 'agent-tune';
export const good = defineWorkflow(async (ctx) => {
  const t = await ctx.chat([{ role: 'user', content: ctx.task.question }]);
  ctx.emit('seen', { turns: ctx.turns });
  return { messages: [{ role: 'assistant', content: t.content }] };
});
export const quit = defineWorkflow(async (ctx) => { await ctx.chat([{ role: 'user', content: 'hi' }]); process.exit(0); });`,
        );
        const calls: string[] = [];
        const handlers = {
          chat: async (messages: { content: string }[]) => (calls.push(messages[0].content), { role: 'assistant' as const, content: '5', tool_calls: [], truncated: false }),
          callTool: async () => ({ role: 'tool' as const, content: '' }),
          emit: (name: string, data: unknown) => calls.push(`${name}:${JSON.stringify(data)}`),
          restart: () => calls.push('restart'),
        };
        await assert.rejects(host.runWorkflow({ file: f, exportName: 'quit' }, init, handlers, 5000), /exited/);
        const r = await host.runWorkflow({ file: f, exportName: 'good' }, init, handlers, 5000);
        assert.equal(r.messages[0].content, '5');
        assert.deepEqual(calls, ['hi', 'What is 2 + 3?', 'seen:{"turns":1}']);
      });

      it('replaces a child stuck in synchronous code past its deadline', async () => {
        const f = join(root, `spin${n++}.ts`);
        writeFileSync(f, `import { defineJudge } from 'agent-tune';\nexport const judge = defineJudge(() => { for (;;) {} });`);
        await assert.rejects(host.judge({ file: f, exportName: 'judge' }, input, 500), /timed out in synchronous code/);
        assert.equal((await judge(OK)).reward, 0.5);
      });

      if (!path) {
        it('keeps a `kill -9` of the trainer from reaching it (PID namespace only)', async function () {
          if (!host.boundary!.unshare) this.skip();
          await assert.rejects(judge(`execSync('kill -9 ${process.pid}', { stdio: 'pipe' }); ${OK}`, "import { execSync } from 'node:child_process';"), /No such process/);
          assert.equal((await judge(OK)).reward, 0.5);
        });
      }
    });
  }
});

describe('agent-tune debug with a judge that kills the trainer (real processes)', function () {
  this.timeout(240_000);
  const killer = (marker: string) => `import { defineJudge } from 'agent-tune';
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
// Finds the trainer by its command line and kills it, as an attacker in the judge would.
export const judge = defineJudge(() => {
  for (const pid of readdirSync('/proc').filter((d) => /^\\d+$/.test(d))) {
    let cmd = '';
    try { cmd = readFileSync('/proc/' + pid + '/cmdline', 'utf8'); } catch {}
    if (cmd.includes('${marker}') && cmd.includes('agent-tune')) execSync('kill -9 ' + pid, { stdio: 'pipe' });
  }
  return { reward: 1, is_success: true };
});`;

  for (const isolation of ['thread', 'process'] as const) {
    it(`${isolation}: ${isolation === 'thread' ? 'the trainer is killed (what a worker thread cannot contain)' : 'the trainer finishes the run; the judge fails on every rollout'}`, async function () {
      if (process.platform !== 'linux') this.skip();
      if (isolation === 'process' && !processBoundary().unshare) this.skip();
      const marker = `agent-tune-killer-${process.pid}-${isolation}`;
      const out = join(tmpdir(), marker);
      const config = tempConfig(
        'killer',
        `name: killer\nmodel: { path: builtin:tiny-math, sampling: { max_new_tokens: 8 } }\ntasks: { train: { path: builtin:arith/train, limit: 2 } }\njudge: { ref: ./judge.ts#judge, isolation: ${isolation}, error_reward: -1 }\nrollout: { group_size: 2, max_turns: 1 }\n`,
        { 'judge.ts': killer(marker) },
      );
      try {
        const r = await runCli(['debug', config, '--tasks', '2', '--output-dir', out]);
        if (isolation === 'thread') {
          assert.equal(r.signal, 'SIGKILL');
          return;
        }
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /user code isolation: process, in its own PID namespace/);
        const [name] = readdirSync(out);
        const rows = (await readAll<RolloutRecord>(join(out, name, RUN_FILES.rollouts))).records.map((x) => x.value);
        assert.equal(rows.length, 4);
        for (const row of rows) {
          assert.equal(row.reward, -1);
          assert.match(JSON.stringify(row.judge), /No such process/);
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
        rmSync(join(config, '..'), { recursive: true, force: true });
      }
    });
  }
});
