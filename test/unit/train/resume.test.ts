import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readAll } from '../../../trainer/src/run/reader';
import type { MetricsRow, Provenance, RolloutRecord, RunEvent } from '../../../trainer/src/run/events';
import { TIMING_METRICS } from '../../../trainer/src/train/metrics';
import { runCli, startCli, tempConfig } from '../../support/cli';

const CONFIG = `name: resume
seed: 5
model: { sampling: { temperature: 1.0, max_new_tokens: 40 } }
tasks:
  train: { path: builtin:arith/train, limit: 64 }
rollout: { group_size: 4, max_turns: 2, parallel: 8 }
algorithm: { lr: 0.01, minibatch: 4 }
train: { steps: 4, tasks_per_step: 2, save_every: 1, eval_every: 0 }
`;

async function rows(runDir: string) {
  return (await readAll<RolloutRecord>(join(runDir, 'rollouts.jsonl'))).records.map((r) => r.value);
}

async function metrics(runDir: string) {
  return (await readAll<MetricsRow>(join(runDir, 'metrics.jsonl'))).records.map((r) => r.value);
}

/** What must not depend on the wall clock or on being interrupted. */
function comparable(rs: RolloutRecord[]) {
  return rs.map((r) => ({ id: r.id, reward: r.reward, advantage: r.advantage, tokens: r.turns.map((t) => t.token_ids) }));
}

function sameMetrics(a: MetricsRow[], b: MetricsRow[]) {
  assert.deepEqual(a.map((m) => [m.step, m.kind]), b.map((m) => [m.step, m.kind]));
  a.forEach((m, i) => {
    for (const [k, v] of Object.entries(m.metrics)) {
      if (TIMING_METRICS.has(k)) continue;
      const w = b[i].metrics[k];
      assert.ok(Math.abs(v - w) <= 1e-6 * Math.max(1, Math.abs(v)), `step ${m.step} ${k}: ${v} vs ${w}`);
    }
  });
}

function onlyRun(parent: string): string {
  const names = readdirSync(parent);
  assert.equal(names.length, 1, `one run directory in ${parent}: ${names}`);
  return join(parent, names[0]);
}

/** Resolves once `events.jsonl` holds an event that satisfies `when`. */
async function waitForEvent(runParent: string, when: (e: RunEvent) => boolean, timeoutMs = 120_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const dirs = readdirSync(runParent);
    if (dirs.length) {
      const events = (await readAll<RunEvent>(join(runParent, dirs[0], 'events.jsonl'))).records.map((r) => r.value);
      if (events.some(when)) return;
    }
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for an event');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('training: determinism and exact resume after SIGKILL (real model, real processes)', function () {
  this.timeout(600_000);
  let config: string;
  let reference: { rows: RolloutRecord[]; metrics: MetricsRow[] };
  const parents: string[] = [];
  const parent = () => {
    const p = mkdtempSync(join(tmpdir(), 'agent-tune-resume-'));
    parents.push(p);
    return p;
  };

  before(async () => {
    config = tempConfig('resume', CONFIG);
    const out = parent();
    const r = await runCli(['run', config, '--output-dir', out]);
    assert.equal(r.code, 0, r.stderr);
    const dir = onlyRun(out);
    reference = { rows: await rows(dir), metrics: await metrics(dir) };
    assert.equal(reference.rows.length, 4 * 2 * 4);
    assert.equal(reference.metrics.length, 4);
  });

  after(() => {
    for (const p of parents) rmSync(p, { recursive: true, force: true });
    rmSync(dirname(config), { recursive: true, force: true });
  });

  it('is deterministic under a seed', async () => {
    const out = parent();
    const r = await runCli(['run', config, '--output-dir', out]);
    assert.equal(r.code, 0, r.stderr);
    const dir = onlyRun(out);
    assert.deepEqual(comparable(await rows(dir)), comparable(reference.rows));
    sameMetrics(await metrics(dir), reference.metrics);
  });

  const killPoints: [string, (e: RunEvent) => boolean][] = [
    ['right after a checkpoint', (e) => e.type === 'checkpoint_saved' && e.step === 1],
    ['in the middle of a step\'s rollouts', (e) => e.type === 'rollout_finished' && e.step === 2 && e.sample === 2],
    ['between the rollouts and the update', (e) => e.type === 'step_started' && e.step === 3],
  ];
  for (const [name, when] of killPoints) {
    it(`resumes ${name} with no lost or duplicated rows and the same metrics`, async () => {
      const out = parent();
      const first = startCli(['run', config, '--output-dir', out]);
      await waitForEvent(out, when);
      first.child.kill('SIGKILL');
      const killed = await first.done;
      assert.equal(killed.signal, 'SIGKILL');
      const dir = onlyRun(out);
      const resumed = await runCli(['run', config, '--resume', dir]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(comparable(await rows(dir)), comparable(reference.rows));
      sameMetrics(await metrics(dir), reference.metrics);
      const events = (await readAll<RunEvent>(join(dir, 'events.jsonl'))).records.map((r) => r.value);
      events.forEach((e, i) => assert.equal(e.seq, i, 'event numbers continue without gaps'));
      assert.ok(events.some((e) => e.type === 'run_started' && e.resumed_from_step !== undefined));
      assert.equal(events[events.length - 1].type, 'run_finished');
    });
  }

  it('refuses to resume when the config changed, and leaves the run untouched', async () => {
    const out = parent();
    const r = await runCli(['run', config, '--output-dir', out, '--steps', '1']);
    assert.equal(r.code, 0, r.stderr);
    const dir = onlyRun(out);
    const before = readFileSync(join(dir, 'rollouts.jsonl'));
    const changed = tempConfig('resume', CONFIG.replace('lr: 0.01', 'lr: 0.02'));
    const again = await runCli(['run', changed, '--resume', dir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /differs from the config .* was started with/);
    assert.deepEqual(readFileSync(join(dir, 'rollouts.jsonl')), before);
    rmSync(dirname(changed), { recursive: true, force: true });
  });
});

const PYTHON_CONFIG = `name: resume-sandbox
seed: 1
model: { sampling: { max_new_tokens: 16 } }
tasks:
  train: { path: builtin:arith/train, limit: 8 }
tools:
  - ref: builtin:python
    options: { sandbox: best }
rollout: { group_size: 2, max_turns: 1, parallel: 2 }
algorithm: { minibatch: 2 }
train: { steps: 2, tasks_per_step: 1, save_every: 1, eval_every: 0 }
`;

describe('resuming a run that uses builtin:python (real processes)', function () {
  this.timeout(300_000);

  it('records the sandbox in the resumed run_started and in provenance.json, as a fresh run does', async () => {
    const config = tempConfig('resume-sandbox', PYTHON_CONFIG);
    const out = mkdtempSync(join(tmpdir(), 'agent-tune-resume-'));
    try {
      const first = await runCli(['run', config, '--output-dir', out, '--steps', '1']);
      assert.equal(first.code, 0, first.stderr);
      const dir = onlyRun(out);
      const provFile = join(dir, 'provenance.json');
      const fresh = JSON.parse(readFileSync(provFile, 'utf8')) as Provenance;
      assert.ok(fresh.sandbox?.tier, 'a fresh run records its sandbox');
      // As if the run had started on another machine.
      writeFileSync(provFile, JSON.stringify({ ...fresh, sandbox: { tier: 'elsewhere', mode: 'best', blocks: [] } }));
      const resumed = await runCli(['run', config, '--resume', dir]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stderr, new RegExp(`python sandbox: ${fresh.sandbox!.tier}`));
      const starts = (await readAll<RunEvent>(join(dir, 'events.jsonl'))).records.map((r) => r.value).filter((e) => e.type === 'run_started');
      assert.equal(starts.length, 2);
      assert.equal(starts[1].type === 'run_started' && starts[1].resumed_from_step, 1);
      assert.deepEqual(starts.map((e) => e.type === 'run_started' && e.sandbox), [fresh.sandbox, fresh.sandbox]);
      const after = JSON.parse(readFileSync(provFile, 'utf8')) as Provenance;
      assert.deepEqual(after, fresh, 'the sandbox of the process that continues the run; the rest as the run started');
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(dirname(config), { recursive: true, force: true });
    }
  });
});
