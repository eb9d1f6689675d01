// The host-side pipeline against real run files written by the trainer's RunWriter.
import * as assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { RunSource } from '../../../src/viewer/runSource';
import { CompareFollower } from '../../../src/viewer/compare';
import type { HostMessage, RowSummary } from '../../../src/viewer/protocol';
import { makeRun, writeRollout } from '../../fixtures/make-run';

type Of<T extends HostMessage['type']> = Extract<HostMessage, { type: T }>;

class Recorder {
  msgs: HostMessage[] = [];
  post = (m: HostMessage) => void this.msgs.push(m);
  of<T extends HostMessage['type']>(t: T): Of<T>[] {
    return this.msgs.filter((m) => m.type === t) as Of<T>[];
  }
  rows(): Map<string, RowSummary> {
    const all = new Map<string, RowSummary>();
    for (const m of this.of('rows')) for (const r of m.rows) all.set(r.id, r);
    return all;
  }
  async until<T extends HostMessage['type']>(t: T, pred: (m: Of<T>) => boolean = () => true, ms = 5000): Promise<Of<T>> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.of(t).find(pred);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`no ${t} message within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

describe('viewer RunSource', () => {
  let tmp: string;
  let src: RunSource | undefined;
  beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'runsource-'))));
  afterEach(() => {
    src?.dispose();
    src = undefined;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('rebuilds a finished run from its files: reset, rows, metrics, eval, loaded', async () => {
    const f = makeRun(tmp, { steps: 4, tasksPerStep: 3, groupSize: 4, evalEvery: 2 });
    f.writer.close();
    const rec = new Recorder();
    src = new RunSource(f.dir, rec.post);
    await src.handle({ type: 'ready' });
    assert.equal(rec.msgs[0].type, 'reset');
    const loaded = rec.of('loaded')[0];
    assert.equal(loaded.rows, 48);
    const rows = rec.rows();
    assert.deepEqual([...rows.keys()].sort(), [...f.ids].sort());
    assert.ok([...rows.values()].every((r) => r.state === 'complete'));
    assert.equal(rec.of('run').at(-1)!.run.status, 'finished');
    const series = rec.of('metrics').at(-1)!.series;
    assert.deepEqual(series.train.map((s) => s.step), [1, 2, 3, 4]);
    assert.deepEqual(series.eval.map((s) => s.step), [2, 4]);
    assert.ok(typeof series.eval[0].metrics['pass@1'] === 'number');
    assert.deepEqual(rec.of('eval').map((e) => [e.step, e.tasks.length]), [[2, 12], [4, 12]]);
    assert.deepEqual(rec.of('problems'), []);
    // The first rows go out before the run is fully read (first paint), the rest in few batches.
    assert.ok(rec.msgs.findIndex((m) => m.type === 'rows') < rec.msgs.findIndex((m) => m.type === 'loaded'));
  });

  it('sends a transcript read from its line, and an error for an unknown id', async () => {
    const f = makeRun(tmp, { steps: 1 });
    f.writer.close();
    const rec = new Recorder();
    src = new RunSource(f.dir, rec.post);
    await src.handle({ type: 'ready' });
    await src.handle({ type: 'open', id: f.ids[5] });
    const t = rec.of('transcript')[0];
    assert.equal(t.record?.id, f.ids[5]);
    assert.equal(t.live, false);
    assert.ok(t.record!.messages.length >= 4);
    await src.handle({ type: 'open', id: 'nope' });
    assert.match(rec.of('transcript')[1].error ?? '', /not in this run/);
  });

  it('searches inside transcripts and returns matching ids only', async () => {
    const f = makeRun(tmp, { steps: 2 });
    f.writer.close();
    const rec = new Recorder();
    src = new RunSource(f.dir, rec.post);
    await src.handle({ type: 'ready' });
    // "68 boxes of 47" is in one task's question (task 4 of step 1).
    await src.handle({ type: 'search', query: 'crate holds 68 BOXES' });
    const ids = rec.of('search').flatMap((m) => m.ids);
    assert.ok(rec.of('search').at(-1)!.done);
    assert.deepEqual(ids.sort(), f.ids.filter((id) => id.includes('-t4-')).sort());
    // Key names are not transcript text.
    await src.handle({ type: 'search', query: 'task_id' });
    assert.deepEqual(rec.of('search').filter((m) => m.query === 'task_id').flatMap((m) => m.ids), []);
  });

  it('follows a live run: started, turns, finished and the rollout line update one row', async () => {
    const f = makeRun(tmp, { steps: 1, tasksPerStep: 1, groupSize: 2, live: true });
    const rec = new Recorder();
    src = new RunSource(f.dir, rec.post, { pollMs: 50, batchMs: 5 });
    await src.handle({ type: 'ready' });
    assert.equal(rec.of('run').at(-1)!.run.status, 'running');
    const t0 = Date.now();
    const r = writeRollout(f.writer, f.rng, { step: 2, task: 7, sample: 0 }, { turnEvents: true });
    const seen = await rec.until('rows', (m) => m.rows.some((x) => x.id === r.id));
    const latency = Date.now() - t0;
    assert.ok(latency < 2000, `row arrived after ${latency} ms`);
    const finished = await rec.until('rows', (m) => m.rows.some((x) => x.id === r.id && x.state === 'finished'));
    assert.ok(finished && seen);
    await src.handle({ type: 'open', id: r.id });
    const live = await rec.until('transcript', (m) => m.id === r.id);
    assert.equal(live.live, true);
    assert.deepEqual(live.record!.messages.map((m) => m.role), ['user', 'assistant', 'tool', 'assistant']);
    // The finished rollout's answer and reference agree with its line before the line exists.
    assert.equal(live.record!.reference, r.reference);
    assert.equal(live.record!.final_answer, r.final_answer);
    f.writer.rollout({ ...r, advantage: 0.5 });
    const complete = await rec.until('rows', (m) => m.rows.some((x) => x.id === r.id && x.state === 'complete'));
    assert.equal(complete.rows.find((x) => x.id === r.id)!.adv, 0.5);
    // The open transcript is replaced by the complete record.
    await rec.until('transcript', (m) => m.id === r.id && !m.live);
    f.writer.emit({ type: 'run_finished', duration_ms: 1 });
    await rec.until('run', (m) => m.run.status === 'finished');
    f.writer.close();
  });

  it('carries each rollout\'s task source, from the live events and from the rollout line', async () => {
    const done = makeRun(join(tmp, 'done'), { steps: 2, tasksPerStep: 2, groupSize: 2, sources: ['gsm8k', 'math'] });
    done.writer.close();
    const rec = new Recorder();
    src = new RunSource(done.dir, rec.post);
    await src.handle({ type: 'ready' });
    await rec.until('loaded');
    const sources = [...rec.rows().values()].map((r) => r.source);
    assert.equal(sources.length, 8);
    assert.deepEqual([...new Set(sources)].sort(), ['gsm8k', 'math']);
    src.dispose();

    const live = makeRun(join(tmp, 'live'), { steps: 1, tasksPerStep: 1, groupSize: 1, live: true });
    const rec2 = new Recorder();
    src = new RunSource(live.dir, rec2.post, { pollMs: 50, batchMs: 5 });
    await src.handle({ type: 'ready' });
    const r = writeRollout(live.writer, live.rng, { step: 2, task: 3, sample: 0, source: 'aime24' }, { turnEvents: true });
    const running = await rec2.until('rows', (m) => m.rows.some((x) => x.id === r.id));
    assert.equal(running.rows.find((x) => x.id === r.id)!.source, 'aime24');
    live.writer.close();
  });

  it('a stopped run: the header says stopped, the log says so, unfinished rows are cut off', async () => {
    const f = makeRun(tmp, { steps: 1, tasksPerStep: 1, groupSize: 2, live: true });
    const rec = new Recorder();
    src = new RunSource(f.dir, rec.post, { pollMs: 50, batchMs: 5 });
    await src.handle({ type: 'ready' });
    for (const sample of [0, 1]) f.writer.emit({ type: 'rollout_started', rollout_id: `open-${sample}`, step: 2, phase: 'train', task_id: 't', group_id: 'g', sample, question: 'q' });
    await rec.until('rows', (m) => m.rows.some((x) => x.id === 'open-1' && x.state === 'running'));
    f.writer.emit({ type: 'run_stopped', signal: 'SIGTERM', duration_ms: 5 });
    const run = await rec.until('run', (m) => m.run.status !== 'running');
    assert.equal(run.run.status, 'stopped');
    await rec.until('rows', (m) => m.rows.filter((x) => x.id.startsWith('open-') && x.state === 'stopped').length === 2);
    const log = await rec.until('logs', (m) => m.entries.some((x) => x.message.startsWith('run stopped')));
    assert.deepEqual(log.entries.at(-1), { t: log.entries.at(-1)!.t, level: 'info', message: 'run stopped by the user (SIGTERM)' });
    await src.handle({ type: 'open', id: 'open-0' });
    const tx = await rec.until('transcript', (m) => m.id === 'open-0');
    assert.deepEqual([tx.live, tx.record?.cut_off], [false, 'stopped']);
    f.writer.close();
    // Read again from the files: the same states.
    const again = new Recorder();
    src.dispose();
    src = new RunSource(f.dir, again.post);
    await src.handle({ type: 'ready' });
    assert.equal(again.of('run').at(-1)!.run.status, 'stopped');
    assert.deepEqual([again.rows().get('open-0')!.state, again.rows().get('open-1')!.state], ['stopped', 'stopped']);
  });

  it('the header shows step n/N, time per step and time left while the run runs', async () => {
    const f = makeRun(tmp, { steps: 1, tasksPerStep: 1, groupSize: 2, totalSteps: 3, live: true });
    const rec = new Recorder();
    src = new RunSource(f.dir, rec.post, { pollMs: 50, batchMs: 5 });
    await src.handle({ type: 'ready' });
    assert.match(rec.of('run').at(-1)!.run.progress ?? '', /^step 1\/3 · \d+(\.\d)? rollouts\/s$/);
    f.writer.emit({ type: 'step_started', step: 2, task_ids: [] });
    const next = await rec.until('run', (m) => /^step 2\/3/.test(m.run.progress ?? ''));
    assert.match(next.run.progress!, /^step 2\/3 · \d+s\/step · \d+s left · /);
    f.writer.emit({ type: 'run_finished', duration_ms: 1 });
    const ended = await rec.until('run', (m) => m.run.status === 'finished');
    assert.match(ended.run.progress!, /^step 2\/3 · \d+s\/step$/, 'no time left once it ended');
    f.writer.close();
  });

  it('shows what it can of corrupt and truncated files, with file, line and field', async () => {
    const f = makeRun(tmp, { steps: 1, tasksPerStep: 1, groupSize: 3 });
    f.writer.close();
    const file = join(f.dir, 'rollouts.jsonl');
    appendFileSync(file, '{"id": "broken", "step": 1\n');
    appendFileSync(file, JSON.stringify({ id: 'x1', step: 'one', task_id: 't', sample: 0, reward: 1, success: true, messages: [] }) + '\n');
    appendFileSync(file, '{"id": "torn", "st');
    const rec = new Recorder();
    src = new RunSource(f.dir, rec.post);
    await src.handle({ type: 'ready' });
    assert.equal(rec.rows().size, 3);
    const problems = rec.of('problems').at(-1)!.problems;
    const text = problems.map((p) => `${p.file}:${p.line ?? ''} ${p.message}`).join('\n');
    assert.match(text, /rollouts\.jsonl:4 line 4 is not valid JSON/);
    assert.match(text, /rollouts\.jsonl:5 field `step` must be a number, found "one"; line skipped/);
    assert.match(text, /the last line is incomplete \(\d+ bytes, cut off when the run stopped\)/);
  });

  it('explains a foreign file and a folder that is not a run', async () => {
    writeFileSync(join(tmp, 'rollouts.jsonl'), JSON.stringify({ input: 'q', output: 'a', score: 1, step: 1 }) + '\n');
    const rec = new Recorder();
    src = new RunSource(tmp, rec.post);
    await src.handle({ type: 'ready' });
    assert.match(rec.of('problems').at(-1)!.problems.map((p) => p.message).join('\n'), /no line of this file is an Agent Tune rollout \(the first has input, output, score, step\); it looks like a verl rollout dump/);
    const empty = mkdtempSync(join(tmpdir(), 'notarun-'));
    const rec2 = new Recorder();
    const src2 = new RunSource(empty, rec2.post);
    await src2.handle({ type: 'ready' });
    assert.match(rec2.of('problems')[0].problems[0].message, /not an Agent Tune run/);
    src2.dispose();
    rmSync(empty, { recursive: true });
  });

  it('rebuilds when rollouts.jsonl is rewritten shorter', async () => {
    const f = makeRun(tmp, { steps: 2, tasksPerStep: 1, groupSize: 2, live: true });
    const rec = new Recorder();
    src = new RunSource(f.dir, rec.post, { pollMs: 50, batchMs: 5 });
    await src.handle({ type: 'ready' });
    const lines = (await import('node:fs')).readFileSync(join(f.dir, 'rollouts.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(f.dir, 'rollouts.jsonl'), lines[0] + '\n');
    const changed = JSON.parse(lines[0]);
    changed.id = 'rewritten';
    appendFileSync(join(f.dir, 'rollouts.jsonl'), JSON.stringify(changed) + '\n');
    await rec.until('rows', (m) => m.rows.some((r) => r.id === 'rewritten'), 5000);
    assert.ok(rec.of('reset').length >= 2);
    f.writer.close();
  });

  for (const regrow of [false, true]) {
    it(`shows each log line once after a resume rewinds events.jsonl (${regrow ? 'longer' : 'shorter'} than before)`, async () => {
      const f = makeRun(tmp, { steps: 1, tasksPerStep: 1, groupSize: 2, live: true });
      f.writer.emit({ type: 'log', level: 'info', message: 'kept' });
      const checkpoint = f.writer.offsets();
      for (let i = 0; i < 3; i++) f.writer.emit({ type: 'log', level: 'info', message: `rewound ${i}` });
      const rec = new Recorder();
      src = new RunSource(f.dir, rec.post, { pollMs: 50, batchMs: 5 });
      await src.handle({ type: 'ready' });
      await src.idle();
      // What --resume does: cut the files back to the checkpoint, then write on.
      f.writer.rewind(checkpoint);
      f.writer.emit({ type: 'run_started', format: 1, run_id: 'r', name: 'r', mode: 'train', config_file: 'c', pid: process.pid, resumed_from_step: 1 });
      f.writer.emit({ type: 'log', level: 'info', message: regrow ? `resumed ${'x'.repeat(400)}` : 'resumed' });
      await rec.until('logs', (m) => m.entries.some((e) => e.message.startsWith('resumed')));
      await src.idle();
      // The webview clears its log on `reset`; what it shows is every entry posted since.
      const lastReset = rec.msgs.map((m) => m.type).lastIndexOf('reset');
      const shown = rec.msgs.slice(lastReset).flatMap((m) => (m.type === 'logs' ? m.entries.map((e) => e.message.slice(0, 7)) : []));
      assert.deepEqual(shown.filter((m) => m !== 'resumed'), ['kept']);
      assert.equal(shown.filter((m) => m === 'resumed').length, 1);
      assert.deepEqual(rec.of('problems').flatMap((m) => m.problems), []);
      f.writer.close();
    });
  }

  it('follows another run\'s metrics for comparison, labelled by its folder', async () => {
    const f = makeRun(tmp, { steps: 3, evalEvery: 3, live: true });
    const sent: HostMessage[] = [];
    const cmp = new CompareFollower((m) => sent.push(m), { pollMs: 50, batchMs: 5 });
    try {
      const s = await cmp.follow(f.dir);
      assert.deepEqual(s.train.map((x) => x.step), [1, 2, 3]);
      assert.deepEqual(s.eval.map((x) => x.step), [3]);
      assert.equal(s.name, basename(f.dir));
      f.writer.metric({ step: 4, kind: 'train', metrics: { reward_mean: 0.5 } });
      const grown = () => sent.some((m) => m.type === 'compare' && m.series?.train.some((x) => x.step === 4));
      for (let i = 0; i < 100 && !grown(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(grown(), 'the overlay did not take the new step');
    } finally {
      cmp.dispose();
      f.writer.close();
    }
  });
});
