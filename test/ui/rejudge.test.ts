// Re-judge as a user does it: a finished run, an edited judge, the viewer's "Re-judge with the
// current judge". The table shows the new rewards, rollouts.jsonl holds them, the panel says
// what changed, and a flipped rollout is one click away.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../host/paths';
import { withWorkbench } from '../host/workbench';
import { copyWorkspace } from '../host/workspace';
import { RUN_FILES, type RolloutRecord } from '../../trainer/src/run/events';
import { editedVerdict, rejudgeRun } from '../unit/rejudge/fixtures';

describe('re-judge in the workbench', () => {
  let workspace: ReturnType<typeof copyWorkspace>;
  beforeEach(() => {
    workspace = copyWorkspace(path.join(repoRoot, 'examples'));
  });
  afterEach(() => workspace.remove());

  it('re-judges a finished run with the edited judge: new rewards in the table and in rollouts.jsonl, and a summary of what changed', async () => {
    // The run's judge is runs/judge.ts, already edited to score near misses and pay 1 or 0.25.
    const { dir } = rejudgeRun(path.join(workspace.folder, 'math-agent', 'runs'));
    const runName = path.basename(dir);
    const file = path.join(dir, RUN_FILES.rollouts);
    const records = () => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RolloutRecord);
    assert.ok(records().some((r) => r.reward === 1.1), 'the recorded rewards are the old judge\'s');
    await withWorkbench(
      workspace.folder,
      async (wb) => {
        const { page } = wb;
        await page.locator('.activitybar .action-item a[aria-label="Agent Tune"]').click();
        const item = page.locator('.pane-body .monaco-list-row', { hasText: runName }).first();
        await item.waitFor({ timeout: 60_000 });
        await item.click();
        const view = wb.webview();
        await view.locator('.shown', { hasText: '24 of 24 rollouts' }).waitFor({ timeout: 60_000 });
        await view.locator('.td.c-reward', { hasText: '1.100' }).first().waitFor({ timeout: 30_000 });
        await view.locator('.tr.data').first().click();
        await view.locator('.transcript .msg.role-tool').first().waitFor({ timeout: 30_000 });

        await view.getByRole('button', { name: 'Re-judge with the current judge' }).click();
        const banner = view.locator('.action-status.rejudged');
        await banner.waitFor({ timeout: 90_000 });
        const text = (await banner.textContent()) ?? '';
        assert.match(text, /Re-judged: \d+ of 24 rewards changed; \d+ rollouts? flipped success \(\d+ now correct, \d+ now wrong\); group advantages moved in \d+ rollouts?/);
        assert.ok(!text.includes('{'), `no raw JSON in the banner: ${text}`);

        // On disk: every reward is the edited judge's, and the old files are kept as a revision.
        const now = records();
        for (const r of now) assert.equal(r.reward, editedVerdict(r).reward, r.id);
        assert.equal(fs.readdirSync(path.join(dir, RUN_FILES.rejudge)).length, 1);

        // In the table: the new values, none of the old.
        await view.locator('.td.c-reward', { hasText: '0.250' }).first().waitFor({ timeout: 30_000 });
        const shownRewards = await view.locator('.tr.data .td.c-reward').allTextContents();
        assert.ok(shownRewards.length > 0);
        for (const t of shownRewards) assert.ok(['1', '0.250'].includes(t), `a reward cell shows ${t}`);
        await wb.screenshot('rejudge-summary');

        // A flipped rollout is a link to its row; "Show only these" filters the table to them.
        const flipped = now.filter((r) => r.success && r.final_answer !== r.reference);
        assert.ok(flipped.length > 1);
        const target = flipped[flipped.length - 1];
        assert.notEqual(target.id, now[0].id, 'not the row selected before');
        await banner.getByRole('button', { name: new RegExp(`^${target.id} → correct$`) }).click();
        await view.locator(`.transcript[data-id="${target.id}"]`).waitFor({ timeout: 30_000 });
        await banner.getByRole('button', { name: 'Show only these' }).click();
        await view.locator('.shown', { hasText: `${flipped.length} of 24 rollouts` }).waitFor({ timeout: 30_000 });
        await wb.screenshot('rejudge-flipped');
      },
      { label: 'rejudge' },
    );
  });
});
