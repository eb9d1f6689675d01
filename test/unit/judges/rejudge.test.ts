// rejudge on runs recorded before tool messages carried the tool's error report: it says so once
// and scores tool errors from the rollout's flag.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rejudge } from '../../../trainer/src/commands/rejudge';
import { RUN_FILES, type RolloutRecord } from '../../../trainer/src/run/events';
import { makeRun } from '../../fixtures/make-run';

describe('rejudge and tool error reports', function () {
  this.timeout(60_000);
  let parent: string;
  before(() => {
    parent = mkdtempSync(join(tmpdir(), 'rejudge-'));
  });
  after(() => rmSync(parent, { recursive: true, force: true }));

  it('says once that an older run lacks them, and not for a run that has them', async () => {
    const { dir } = makeRun(join(parent, 'old'), { steps: 1, tasksPerStep: 2, groupSize: 2, turnEvents: false });
    writeFileSync(join(dir, RUN_FILES.config), 'name: fixture\nmodel:\n  path: builtin:tiny-math\ntasks:\n  train:\n    path: builtin:arith/train\nworkflow:\n  ref: builtin:react\njudge:\n  ref: builtin:math\n');
    const old = await rejudge(dir, { judge: 'builtin:math' });
    assert.equal(old.notes.length, 1);
    assert.match(old.notes[0], /recorded without the tools' own error reports; their tool_error part and partial credit fall back to each rollout's tool_error flag/);

    const file = join(dir, RUN_FILES.rollouts);
    const upgraded = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const r = JSON.parse(line) as RolloutRecord;
        r.messages = r.messages.map((m) => (m.role === 'tool' ? { ...m, error: false } : m));
        return JSON.stringify(r);
      });
    writeFileSync(file, upgraded.join('\n') + '\n');
    assert.deepEqual((await rejudge(dir, { judge: 'builtin:math' })).notes, []);
  });
});
