// `agent-tune run` as a user runs it, a real process on the embedded model: Ctrl+C is recorded
// as the user's stop, and on a terminal the bar shows the run's progress.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mathWorkspace, type Workspace } from '../../dap/workspace';
import { BIN, startCli } from '../../support/cli';

function events(runsDir: string): { type: string; signal?: string }[] {
  const [run] = existsSync(runsDir) ? readdirSync(runsDir) : [];
  if (!run) return [];
  return readFileSync(join(runsDir, run, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l));
}

describe('agent-tune run (real process)', function () {
  this.timeout(240_000);
  let ws: Workspace | undefined;
  afterEach(() => ws?.remove());

  it('Ctrl+C stops the run, recorded as run_stopped', async () => {
    ws = mathWorkspace({ 'train.steps': 50, 'train.tasks_per_step': 1, 'rollout.group_size': 2, 'rollout.parallel': 2, 'tasks.test.limit': 2, 'eval.samples': 1, 'eval.k': [1] });
    const { child, done } = startCli(['run', ws.config]);
    const runs = join(ws.dir, 'runs');
    const deadline = Date.now() + 120_000;
    while (child.exitCode === null && !events(runs).some((e) => e.type === 'step_started') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const r = await done;
    // Ended by the signal itself, as a shell expects (it reports 130); an abort would be SIGABRT.
    assert.deepEqual([r.code, r.signal], [null, 'SIGINT'], r.stderr);
    const last = events(runs).at(-1)!;
    assert.deepEqual([last.type, last.signal], ['run_stopped', 'SIGINT']);
  });

  it('on a terminal, the bar shows the step, time per step, time left, rollouts per second and the last eval', function () {
    if (spawnSync('script', ['--version']).status !== 0) this.skip();
    ws = mathWorkspace({ 'train.steps': 3, 'train.tasks_per_step': 1, 'train.eval_every': 1, 'rollout.group_size': 2, 'rollout.parallel': 2, 'tasks.test.limit': 2, 'eval.samples': 1, 'eval.k': [1] });
    // `script` gives the trainer a terminal, 200 columns wide.
    const r = spawnSync('script', ['-qc', `stty cols 200; ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run ${JSON.stringify(ws.config)}`, '/dev/null'], { encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.split(/\r|\n/).filter((l) => / \d+\/3 /.test(l));
    assert.match(lines.at(-1) ?? '', /3\/3 .* \d+s\/step · \d+s left · \d+(\.\d)? rollouts\/s · eval pass@1 \d+\.\d% at step 2/, lines.join('\n'));
  });

  it('off a terminal (a log, the Debug Console), each step prints one progress line', async () => {
    ws = mathWorkspace({ 'train.steps': 2, 'train.tasks_per_step': 1, 'rollout.group_size': 2, 'rollout.parallel': 2, 'tasks.test.limit': 2, 'eval.samples': 1, 'eval.k': [1] });
    const r = await startCli(['run', ws.config]).done;
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('steps '));
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[1], /^steps 2\/2 {2}reward \S+ {2}success \S+ {2}\d+s\/step · \d+s left · \d+(\.\d)? rollouts\/s · eval pass@1 \d+\.\d% at step 0$/, 'the eval before training');
  });
});
