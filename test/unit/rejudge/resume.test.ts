// A re-judged run cannot be resumed: the checkpoint's byte offsets into rollouts.jsonl no longer
// fall on line ends. A real training run, a real re-judge, a real --resume; undo lets it resume.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli, tempConfig } from '../../support/cli';

const CONFIG = `name: rejudged
seed: 5
model: { sampling: { temperature: 1.0, max_new_tokens: 24 } }
tasks:
  train: { path: builtin:arith/train, limit: 16 }
rollout: { group_size: 2, max_turns: 1, parallel: 4 }
algorithm: { lr: 0.01, minibatch: 4 }
train: { steps: 1, tasks_per_step: 2, save_every: 1, eval_every: 0 }
`;

describe('resume after a re-judge', function () {
  this.timeout(300_000);
  let config: string;
  let out: string;
  before(() => {
    config = tempConfig('rejudged', CONFIG, { 'half.ts': 'export function judge() { return { reward: 0.5, is_success: false }; }\n' });
    out = mkdtempSync(join(tmpdir(), 'rejudge-resume-'));
  });
  after(() => {
    rmSync(dirname(config), { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it('is refused with the undo command, and allowed again after --undo', async () => {
    const r = await runCli(['run', config, '--output-dir', out]);
    assert.equal(r.code, 0, r.stderr);
    const dir = join(out, readdirSync(out)[0]);
    const w = await runCli(['rejudge', dir, '--write', '--judge', './half.ts#judge'], { cwd: dirname(config) });
    assert.equal(w.code, 0, w.stderr);
    const rejudged = readFileSync(join(dir, 'rollouts.jsonl'), 'utf8');
    const resumed = await runCli(['run', config, '--resume', dir]);
    assert.equal(resumed.code, 1);
    assert.match(resumed.stderr, /rejudge: this run was re-judged \(\d{8}-\d{6}-\d{3}\); undo it with `agent-tune rejudge .* --undo` before resuming/);
    assert.equal(readFileSync(join(dir, 'rollouts.jsonl'), 'utf8'), rejudged);
    assert.equal((await runCli(['rejudge', dir, '--undo'])).code, 0);
    const again = await runCli(['run', config, '--resume', dir]);
    assert.doesNotMatch(again.stderr, /was re-judged/);
  });
});
