// The editor's side of re-judge on real files with the real CLI: the runner the panel uses
// (src/viewer/rejudge.ts) writes the run, reports progress and a summary, cancels cleanly; the
// viewer's RunSource, following the run, re-reads it and its rows carry the new rewards.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunSource } from '../../../src/viewer/runSource';
import { runRejudge, type RejudgeProgress } from '../../../src/viewer/rejudge';
import type { HostMessage, RowSummary } from '../../../src/viewer/protocol';
import { RUN_FILES, type RolloutRecord } from '../../../trainer/src/run/events';
import { BIN } from '../../support/cli';
import { editedVerdict, rejudgeRun, slowJudge } from './fixtures';

const records = (dir: string) => readFileSync(join(dir, RUN_FILES.rollouts), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RolloutRecord);

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
}

describe('re-judge from the viewer', function () {
  this.timeout(120_000);
  let parent: string;
  let src: RunSource | undefined;
  beforeEach(() => (parent = mkdtempSync(join(tmpdir(), 'rejudge-viewer-'))));
  afterEach(() => {
    src?.dispose();
    src = undefined;
    rmSync(parent, { recursive: true, force: true });
  });

  it('writes the run, and the open viewer\'s rows carry the new rewards and advantages', async () => {
    const { dir } = rejudgeRun(parent);
    const msgs: HostMessage[] = [];
    src = new RunSource(dir, (m) => msgs.push(m), { pollMs: 50 });
    await src.handle({ type: 'ready' });
    const firstLoad = msgs.length;
    const progress: RejudgeProgress[] = [];
    const r = await runRejudge(BIN, dir, () => undefined, { write: true, onProgress: (p) => progress.push(p) });
    assert.equal(r.ok, true, r.message);
    assert.ok(r.summary?.revision, 'written as a revision');
    assert.ok(progress.some((p) => p.stage === 'judging' && p.done === p.total && p.total === 24));
    assert.ok(r.summary!.flipped.length > 0);

    // The tail sees the files renamed over the old ones and rebuilds, without being asked.
    const after = () => msgs.slice(firstLoad);
    await until(() => after().some((m) => m.type === 'loaded'), 'the viewer re-read the run');
    const rows = new Map<string, RowSummary>();
    for (const m of after()) if (m.type === 'rows') for (const row of m.rows) rows.set(row.id, row);
    const now = records(dir);
    assert.equal(rows.size, now.length);
    for (const x of now) {
      const row = rows.get(x.id)!;
      assert.deepEqual({ reward: row.reward, success: row.success }, editedVerdict(x), x.id);
      assert.equal(row.adv, x.advantage, x.id);
    }
    const series = [...after()].reverse().find((m): m is Extract<HostMessage, { type: 'metrics' }> => m.type === 'metrics')!.series;
    const step1 = now.filter((x) => x.step === 1);
    assert.equal(series.train.find((s) => s.step === 1)!.metrics.reward_mean, step1.reduce((a, x) => a + x.reward, 0) / step1.length);
  });

  it('re-judges the rollouts it names, and a cancel kills the CLI and leaves the run as it was', async () => {
    const { dir } = rejudgeRun(parent);
    const old = records(dir);
    const one = old.find((x) => editedVerdict(x).reward !== x.reward)!;
    const r = await runRejudge(BIN, dir, () => undefined, { write: true, ids: [one.id] });
    assert.equal(r.ok, true, r.message);
    assert.equal(r.summary!.rejudged, 1);
    const now = records(dir);
    assert.equal(now.find((x) => x.id === one.id)!.reward, editedVerdict(one).reward);
    assert.equal(now.filter((x) => x.reward !== old.find((o) => o.id === x.id)!.reward).length, 1);

    // A judge that takes 20 s a rollout, cancelled at its first progress line.
    const before = readFileSync(join(dir, RUN_FILES.rollouts), 'utf8');
    writeFileSync(join(parent, 'judge.ts'), slowJudge(20_000));
    const abort = new AbortController();
    const t0 = Date.now();
    const c = await runRejudge(BIN, dir, () => undefined, { write: true, signal: abort.signal, onProgress: () => abort.abort() });
    assert.equal(c.ok, false);
    assert.equal(c.cancelled, true);
    assert.equal(c.message, 'cancelled; the run is unchanged');
    assert.ok(Date.now() - t0 < 15_000, 'the CLI was killed, not waited for');
    assert.equal(readFileSync(join(dir, RUN_FILES.rollouts), 'utf8'), before);
  });
});
