// `agent-tune rejudge --write`, `--undo`, `--ids` and crashes, on real run folders with the real
// CLI and real processes: the run is always the old one or the new one, and can be put back.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli, startCli } from '../../support/cli';
import { RUN_FILES, type MetricsRow, type RolloutRecord } from '../../../trainer/src/run/events';
import { rolloutMetrics } from '../../../trainer/src/run/metrics';
import { WRITE_STAGES } from '../../../trainer/src/run/revision';
import { assignAdvantages } from '../../../trainer/src/rollout/runner';
import { metricInput } from '../../../trainer/src/rollout/summary';
import { validateConfigText } from '../../../trainer/src/config/validate';
import { CONFIG, editedVerdict, rejudgeRun, slowJudge } from './fixtures';

const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');
const lines = <T>(text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
const snapshot = (dir: string) => ({ rollouts: read(dir, RUN_FILES.rollouts), metrics: read(dir, RUN_FILES.metrics), events: read(dir, RUN_FILES.events) });
const jsonLines = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);

describe('agent-tune rejudge --write', function () {
  this.timeout(120_000);
  let parent: string;
  beforeEach(() => (parent = mkdtempSync(join(tmpdir(), 'rejudge-write-'))));
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('writes new rewards, group advantages and step metrics, and keeps the old files as a revision', async () => {
    const { dir } = rejudgeRun(parent);
    const before = snapshot(dir);
    const r = await runCli(['--json', 'rejudge', dir, '--write']);
    assert.equal(r.code, 0, r.stderr);
    const out = jsonLines(r.stdout);
    const progress = out.filter((l) => l.progress).map((l) => l.progress);
    assert.ok(progress.some((p) => p.stage === 'judging' && p.done === p.total && p.total === 24), JSON.stringify(progress));
    assert.ok(progress.some((p) => p.stage === 'done'));
    const summary = out[out.length - 1].summary;
    assert.equal(out[out.length - 1].written, true);

    const now = lines<RolloutRecord>(read(dir, RUN_FILES.rollouts));
    const old = lines<RolloutRecord>(before.rollouts);
    assert.equal(now.length, 24);
    for (const r of now) assert.deepEqual({ reward: r.reward, success: r.success }, editedVerdict(r), r.id);
    // Advantages: the trainer's rule over each group's new rewards.
    const algo = validateConfigText(CONFIG, 'config.yaml').config!.algorithm;
    const expected = now.map((r) => ({ ...r }));
    for (const g of new Set(expected.map((r) => r.group_id))) assignAdvantages(algo, expected.filter((r) => r.group_id === g));
    assert.deepEqual(now.map((r) => r.advantage), expected.map((r) => r.advantage));
    assert.notDeepEqual(now.map((r) => r.advantage), old.map((r) => r.advantage));
    // The summary counts what moved.
    const flipped = now.filter((r, i) => r.success !== old[i].success).map((r) => r.id);
    assert.ok(flipped.length > 0, 'the edited judge flips some verdicts');
    assert.deepEqual(summary.flipped.map((f: { id: string }) => f.id).sort(), flipped.sort());
    assert.equal(summary.rewards_changed, now.filter((r, i) => r.reward !== old[i].reward).length);

    // Metrics: the reward-dependent ones recomputed, the update's kept.
    const rows = lines<MetricsRow>(read(dir, RUN_FILES.metrics));
    const oldRows = lines<MetricsRow>(before.metrics);
    for (const [i, row] of rows.entries()) {
      const m = rolloutMetrics(now.filter((r) => r.step === row.step).map(metricInput));
      assert.equal(row.metrics.reward_mean, m.reward_mean);
      assert.equal(row.metrics.success_rate, m.success_rate);
      assert.equal(row.metrics.kl, oldRows[i].metrics.kl);
    }
    // events.jsonl is what happened during the run: untouched.
    assert.equal(read(dir, RUN_FILES.events), before.events);
    // The revision holds the files as they were, byte for byte.
    const revs = readdirSync(join(dir, RUN_FILES.rejudge));
    assert.deepEqual(revs, [summary.revision]);
    const rev = join(dir, RUN_FILES.rejudge, summary.revision);
    assert.equal(read(rev, RUN_FILES.rollouts), before.rollouts);
    assert.equal(read(rev, RUN_FILES.metrics), before.metrics);
    assert.equal(JSON.parse(read(rev, 'revision.json')).judge, './judge.ts#judge');
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('rejudge-new')), []);

    // Undo puts them back and drops the revision.
    const undo = await runCli(['--json', 'rejudge', dir, '--undo']);
    assert.equal(undo.code, 0, undo.stderr);
    assert.deepEqual(jsonLines(undo.stdout).pop(), { undone: summary.revision });
    assert.deepEqual(snapshot(dir), before);
    assert.deepEqual(readdirSync(join(dir, RUN_FILES.rejudge)), []);
    const again = await runCli(['--json', 'rejudge', dir, '--undo']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /rejudge: this run has no re-judge revision to undo/);
  });

  it('re-judges only the rollouts named with --ids, and moves their groups\' advantages', async () => {
    const { dir } = rejudgeRun(parent);
    const old = lines<RolloutRecord>(read(dir, RUN_FILES.rollouts));
    const pick = old.filter((r) => editedVerdict(r).reward !== r.reward).slice(0, 2);
    const r = await runCli(['--json', 'rejudge', dir, '--write', '--ids', pick.map((p) => p.id).join(',')]);
    assert.equal(r.code, 0, r.stderr);
    const summary = jsonLines(r.stdout).pop()!.summary;
    assert.equal(summary.rejudged, 2);
    const now = lines<RolloutRecord>(read(dir, RUN_FILES.rollouts));
    const groups = new Set(pick.map((p) => p.group_id));
    for (const [i, x] of now.entries()) {
      if (pick.some((p) => p.id === x.id)) assert.equal(x.reward, editedVerdict(x).reward, x.id);
      else assert.equal(x.reward, old[i].reward, `${x.id} was not named and keeps its reward`);
      if (!groups.has(x.group_id)) assert.equal(x.advantage, old[i].advantage, `${x.id} is in an untouched group`);
    }
    assert.ok(now.some((x, i) => groups.has(x.group_id) && !pick.some((p) => p.id === x.id) && x.advantage !== old[i].advantage), 'a group-mate\'s advantage moved');
    assert.deepEqual(JSON.parse(read(join(dir, RUN_FILES.rejudge, summary.revision), 'revision.json')).ids, pick.map((p) => p.id));

    const bad = await runCli(['--json', 'rejudge', dir, '--ids', 'no-such-id']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /rollouts\.jsonl: no rollout with id no-such-id/);
  });

  it('refuses to write into a run that is still running', async () => {
    const { dir } = rejudgeRun(parent, { live: true });
    const before = snapshot(dir);
    const r = await runCli(['--json', 'rejudge', dir, '--write']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /events\.jsonl: the run is still running \(pid \d+\)/);
    assert.deepEqual(snapshot(dir), before);
  });

  it('refuses while another live process holds the run\'s lock, and takes over a lock left by a dead one', async () => {
    const { dir } = rejudgeRun(parent);
    const before = snapshot(dir);
    const lock = join(dir, RUN_FILES.rejudge, 'lock');
    mkdirSync(dirname(lock));
    writeFileSync(lock, String(process.pid)); // this test's process: alive, and not the CLI
    const r = await runCli(['--json', 'rejudge', dir, '--write']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /rejudge\/lock: another re-judge \(pid \d+\) is changing this run; try again when it has ended/);
    assert.deepEqual(snapshot(dir), before);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(lock, gone.stdout);
    const w = await runCli(['--json', 'rejudge', dir, '--write']);
    assert.equal(w.code, 0, w.stderr);
    assert.ok(!existsSync(lock));
  });

  it('leaves the run untouched when the CLI is killed while judging (a cancel)', async () => {
    const { dir } = rejudgeRun(parent);
    writeFileSync(join(parent, 'slow.ts'), slowJudge(20_000));
    const before = snapshot(dir);
    const cli = startCli(['--json', 'rejudge', dir, '--write', '--judge', './slow.ts#judge'], { cwd: parent });
    await new Promise<void>((res) => cli.child.stdout!.on('data', (d: Buffer) => String(d).includes('"progress"') && res()));
    cli.child.kill('SIGKILL');
    assert.equal((await cli.done).signal, 'SIGKILL');
    assert.deepEqual(snapshot(dir), before);
    assert.ok(!existsSync(join(dir, RUN_FILES.rejudge)) || readdirSync(join(dir, RUN_FILES.rejudge)).length === 0);
  });

  it('a write killed at any point leaves each file whole, and the next rejudge restores the old run', async () => {
    const { dir } = rejudgeRun(parent);
    const before = snapshot(dir);
    // What a finished write produces, on a copy.
    const copy = join(parent, 'copy');
    cpSync(dir, copy, { recursive: true });
    assert.equal((await runCli(['rejudge', copy, '--write'])).code, 0);
    const after = snapshot(copy);
    assert.notEqual(after.rollouts, before.rollouts);
    assert.notEqual(after.metrics, before.metrics);

    // Every stage, and each of the two renames: the crash between them leaves a new and an old file.
    const points: [string, number][] = [...WRITE_STAGES.filter((s) => s !== 'done' && s !== 'renaming').map((s): [string, number] => [s, 1]), ['renaming', 1], ['renaming', 2]];
    for (const [stage, nth] of points) {
      const child = spawnSync(process.execPath, ['-r', require.resolve('esbuild-register'), join(__dirname, 'crash-child.ts'), dir, stage, String(nth)], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(child.signal, 'SIGKILL', `${stage} #${nth}: ${child.stdout}${child.stderr}`);
      const crashed = snapshot(dir);
      assert.ok([before.rollouts, after.rollouts].includes(crashed.rollouts), `${stage} #${nth}: rollouts.jsonl is whole`);
      assert.ok([before.metrics, after.metrics].includes(crashed.metrics), `${stage} #${nth}: metrics.jsonl is whole`);
      if (stage === 'renaming' && nth === 2) assert.equal(crashed.metrics, before.metrics, 'killed between the renames: rollouts new, metrics old');
      if (stage === 'renaming' && nth === 2) assert.equal(crashed.rollouts, after.rollouts);
      // Any rejudge first finishes what the crash left: the old run, with nothing left over.
      const rec = await runCli(['--json', 'rejudge', dir, '--recover']);
      assert.equal(rec.code, 0, rec.stderr);
      assert.deepEqual(snapshot(dir), before, `${stage} #${nth}: recovered to the old run`);
      assert.deepEqual(readdirSync(join(dir, RUN_FILES.rejudge)), [], `${stage} #${nth}: no revision or partial copy left`);
      assert.deepEqual(readdirSync(dir).filter((f) => f.includes('rejudge-new')), []);
    }
  });
});
