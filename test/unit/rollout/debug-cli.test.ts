import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readAll } from '../../../trainer/src/run/reader';
import type { RolloutRecord, RunEvent } from '../../../trainer/src/run/events';
import { ROOT, runCli, tempConfig } from '../../support/cli';

describe('agent-tune debug (real model, real processes)', function () {
  this.timeout(240_000);

  it('rolls out the example end to end and writes a valid run directory', async () => {
    const example = join(ROOT, 'examples/math-agent/math.tune.yaml');
    const out = mkdtempSync(join(tmpdir(), 'agent-tune-debug-'));
    const r = await runCli(['--json', 'debug', example, '--tasks', '8', '--output-dir', out]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const runDir: string = summary.run_dir;
    try {
      const events = (await readAll<RunEvent>(join(runDir, 'events.jsonl'))).records.map((x) => x.value);
      assert.equal(events[0].type, 'run_started');
      assert.equal(events[events.length - 1].type, 'run_finished');
      events.forEach((e, i) => assert.equal(e.seq, i));
      const rows = (await readAll<RolloutRecord>(join(runDir, 'rollouts.jsonl'))).records.map((x) => x.value);
      const group = Number(/group_size:\s*(\d+)/.exec(readFileSync(example, 'utf8'))![1]);
      assert.equal(rows.length, 8 * group);
      assert.equal(summary.rollouts, rows.length);
      assert.equal(events.filter((e) => e.type === 'rollout_finished').length, rows.length);
      // The live events carry what the transcript shows before the rollout's line is written:
      // the reference from the start, and the answer the judge received at the end.
      const byId = new Map(rows.map((x) => [x.id, x]));
      for (const e of events) {
        if (e.type === 'rollout_started') assert.equal(e.reference, byId.get(e.rollout_id)!.reference);
        if (e.type === 'rollout_finished') assert.equal(e.final_answer, byId.get(e.rollout_id)!.final_answer);
      }
      // The tiny model calls the calculator in part of its answers: tool calls, results and answers are all recorded.
      const withTool = rows.filter((x) => x.tool_calls > 0);
      assert.ok(withTool.length > 0, 'some rollouts call a tool');
      const m = withTool[0].messages;
      assert.ok(m.some((x) => x.role === 'assistant' && x.tool_calls?.[0]?.name === 'calculator'));
      assert.ok(m.some((x) => x.role === 'tool' && x.tool_call_id));
      for (const row of rows) {
        assert.equal(typeof row.reward, 'number');
        assert.ok(row.turns.length >= 1);
        assert.equal(row.turns[0].token_ids?.length, row.turns[0].completion_tokens);
        assert.equal(row.turns[0].logprobs?.length, row.turns[0].completion_tokens);
        assert.equal((row.turns[0] as { prompt_ids?: unknown }).prompt_ids, undefined, 'prompt ids stay in memory');
      }
      assert.ok(rows.some((x) => x.final_answer !== null));
      assert.ok(rows.some((x) => x.success) && rows.some((x) => !x.success), 'the tiny model is right sometimes, not always');
      const prov = JSON.parse(readFileSync(join(runDir, 'provenance.json'), 'utf8'));
      assert.equal(prov.format, 1);
      assert.ok(Object.keys(prov.files).some((f) => f.endsWith('judge.ts')));
      assert.equal(readFileSync(join(runDir, 'config.yaml'), 'utf8'), readFileSync(example, 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('records a judge that throws and a judge that loops on their rollouts, and finishes the run', async () => {
    const judge = `
      import { defineJudge } from 'agent-tune';
      export const judge = defineJudge(({ task }) => {
        const n = Number(task.id.replace(/\\D/g, '')) % 3;
        if (n === 0) throw new Error('judge exploded on ' + task.id);
        if (n === 1) for (;;) {}
        return { reward: 1, is_success: true };
      });`;
    const config = tempConfig(
      'contain',
      `name: contain
tasks:
  train: { path: builtin:arith/train, limit: 6 }
judge: { ref: ./judge.ts#judge, timeout_s: 1 }
rollout: { group_size: 2, max_turns: 2 }
model: { sampling: { max_new_tokens: 48 } }
`,
      { 'judge.ts': judge },
    );
    const r = await runCli(['--json', 'debug', config, '--tasks', '6']);
    assert.equal(r.code, 0, r.stderr);
    const runDir = JSON.parse(r.stdout.trim().split('\n').pop()!).run_dir;
    const rows = (await readAll<RolloutRecord>(join(runDir, 'rollouts.jsonl'))).records.map((x) => x.value);
    assert.equal(rows.length, 12);
    for (const row of rows) {
      const n = Number(row.task_id.replace(/\D/g, '')) % 3;
      if (n === 0) {
        assert.ok(row.flags.includes('judge_error'));
        assert.match(row.judge?.error ?? '', /judge exploded/);
        assert.match(row.judge?.stack ?? '', /judge\.ts:5/);
      } else if (n === 1) {
        assert.ok(row.flags.includes('judge_error'));
        assert.match(row.judge?.error ?? '', /timed out/);
      } else {
        assert.deepEqual(row.flags.filter((f) => f === 'judge_error'), []);
        assert.equal(row.reward, 1);
      }
    }
    rmSync(dirname(config), { recursive: true, force: true });
  });
});
