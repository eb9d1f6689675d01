// The viewer as a person reaches it in VS Code: the Agent Tune activity-bar view lists the
// workspace's runs; clicking one opens the panel, whose webview shows the run's rows.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { repoRoot } from '../host/paths';
import { withWorkbench } from '../host/workbench';
import { copyWorkspace } from '../host/workspace';
import { makeRun } from '../fixtures/make-run';

describe('run viewer in the workbench', () => {
  let workspace: ReturnType<typeof copyWorkspace>;
  beforeEach(() => {
    workspace = copyWorkspace(path.join(repoRoot, 'examples'));
  });
  afterEach(() => workspace.remove());

  it('opens a run from the Runs view and shows its rollouts', async () => {
    const f = makeRun(path.join(workspace.folder, 'math-agent', 'runs'), { name: 'workbench', steps: 2, tasksPerStep: 2, groupSize: 4, evalEvery: 2 });
    f.writer.close();
    const runName = path.basename(f.dir);
    await withWorkbench(
      workspace.folder,
      async (wb) => {
        const { page } = wb;
        await page.locator('.activitybar .action-item a[aria-label="Agent Tune"]').click();
        const item = page.locator('.pane-body .monaco-list-row', { hasText: runName }).first();
        await item.waitFor({ timeout: 60_000 });
        assert.match((await item.textContent()) ?? '', /finished/);
        await item.click();
        await page.locator('.tabs-container .tab', { hasText: `Run: ${runName}` }).waitFor({ timeout: 30_000 });
        const view = wb.webview();
        await view.locator('.shown', { hasText: '16 of 16 rollouts' }).waitFor({ timeout: 60_000 });
        await view.locator('.tr.data').first().click();
        await view.locator('.transcript .msg.role-tool').first().waitFor({ timeout: 30_000 });
        await wb.screenshot('viewer-in-workbench');
        // With VS Code's own fonts and webview styles, the filters' placeholders fit beside the spin buttons.
        const cut = await view.locator('.num-input').evaluateAll((inputs) =>
          (inputs as HTMLInputElement[]).flatMap((i) => {
            const cs = getComputedStyle(i);
            const ctx = document.createElement('canvas').getContext('2d')!;
            ctx.font = `${cs.fontSize} ${cs.fontFamily}`;
            const room = i.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 15;
            const text = ctx.measureText(i.placeholder).width;
            return text > room ? [`"${i.placeholder}" needs ${text.toFixed(0)} px, has ${room.toFixed(0)} (${cs.fontSize} ${cs.fontFamily})`] : [];
          }),
        );
        assert.deepEqual(cut, []);
      },
      { label: 'viewer-in-workbench' },
    );
  });
});
