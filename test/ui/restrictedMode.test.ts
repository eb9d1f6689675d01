// Restricted Mode as a user meets it: workspace trust on and the folder not trusted. The run
// viewer, the Runs view and the config language features work; Run, Debug, F5 and Re-judge
// are refused with the reason and a way to manage trust; and none of it runs, imports or
// transpiles the workspace's code (a judge that would leave a mark if loaded stays unloaded;
// a module with a syntax error is explained by the lexer, not esbuild).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { makeRun } from '../fixtures/make-run';
import { repoRoot } from '../host/paths';
import { withWorkbench, type Workbench } from '../host/workbench';
import { copyWorkspace } from '../host/workspace';

const MANAGE = 'Manage Workspace Trust';

describe('Restricted Mode (workspace trust on, folder untrusted)', () => {
  let workspace: ReturnType<typeof copyWorkspace>;
  let marker: string;
  let runs: string;
  beforeEach(() => {
    workspace = copyWorkspace(path.join(repoRoot, 'examples'));
    const agent = path.join(workspace.folder, 'math-agent');
    // Beside the workspace, so that nothing the test opens lists it.
    marker = path.join(path.dirname(workspace.folder), 'judge-was-loaded');
    const judge = path.join(agent, 'judge.ts');
    fs.writeFileSync(judge, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'loaded');\n${fs.readFileSync(judge, 'utf8')}`);
    fs.writeFileSync(path.join(agent, 'broken.ts'), 'export const judge = {;\n');
    fs.writeFileSync(path.join(agent, 'broken.tune.yaml'), fs.readFileSync(path.join(agent, 'math.tune.yaml'), 'utf8').replace('./judge.ts#judge', './broken.ts#judge'));
    runs = path.join(agent, 'runs');
    makeRun(runs, { name: 'restricted', steps: 2, tasksPerStep: 2, groupSize: 4 }).writer.close();
  });
  afterEach(() => workspace.remove());

  it('keeps the viewer, the Runs view and language features, and refuses Run, Debug, F5 and Re-judge', async () => {
    const runName = fs.readdirSync(runs)[0];
    await withWorkbench(
      workspace.folder,
      async (wb) => {
        const { page } = wb;
        await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 60_000 });

        // Language features: diagnostics (lexer only), hover, Validate Config.
        await wb.openFile('math-agent/broken.tune.yaml');
        await page.keyboard.press('Control+Shift+M');
        await page.locator('.markers-panel', { hasText: 'only lexed while the workspace is untrusted' }).first().waitFor({ timeout: 60_000 });
        await wb.openFile('math-agent/math.tune.yaml');
        await goTo(page, '38:5');
        await page.keyboard.press('Control+K');
        await page.keyboard.press('Control+I');
        await page.locator('.monaco-hover:visible', { hasText: 'Samples per task' }).first().waitFor({ timeout: 30_000 });
        await page.keyboard.press('Escape');
        await wb.runCommand('Agent Tune: Validate Config');
        await wb.notification('math-agent/math.tune.yaml is valid');

        // The Runs view lists the run; the viewer shows it.
        await page.locator('.activitybar .action-item a[aria-label="Agent Tune"]').click();
        const item = page.locator('.pane-body .monaco-list-row', { hasText: runName }).first();
        await item.waitFor({ timeout: 60_000 });
        await item.click();
        const view = wb.webview();
        await view.locator('.shown', { hasText: '16 of 16 rollouts' }).waitFor({ timeout: 60_000 });
        await view.locator('.tr.data').first().click();
        await view.locator('.transcript .msg.role-tool').first().waitFor({ timeout: 30_000 });

        // Re-judge: refused, in a notification and in the viewer.
        await view.getByRole('button', { name: 'Re-judge with the current judge' }).click();
        await refusal(wb, 'Re-judge is off in Restricted Mode');
        await view.getByText('Re-judge is off in Restricted Mode').first().waitFor({ timeout: 30_000 });
        await wb.screenshot('restricted-rejudge');

        // Run and Debug from the palette: refused; the button opens VS Code's trust editor.
        await wb.openFile('math-agent/math.tune.yaml');
        await wb.runCommand('Agent Tune: Debug Config');
        await refusal(wb, 'Debugging is off in Restricted Mode');
        await wb.runCommand('Agent Tune: Run Config');
        const run = await refusal(wb, 'Run is off in Restricted Mode');
        await wb.screenshot('restricted-run');
        await run.locator('.monaco-button', { hasText: MANAGE }).click();
        await page.locator('.tabs-container .tab', { hasText: 'Workspace Trust' }).waitFor({ timeout: 30_000 });

        // F5: VS Code asks for trust before any debugger is consulted; cancelling starts nothing.
        await wb.openFile('math-agent/math.tune.yaml');
        await page.keyboard.press('F5');
        const dialog = page.locator('.monaco-dialog-box', { hasText: 'Debugging executes build tasks and program code from your workspace' });
        await dialog.waitFor({ timeout: 30_000 });
        await dialog.locator('.monaco-button', { hasText: 'Manage' }).first().waitFor();
        await wb.screenshot('restricted-f5');
        await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
        await dialog.waitFor({ state: 'hidden', timeout: 10_000 });

        // Nothing ran: no trainer wrote a run, and the judge module was never loaded.
        await page.waitForTimeout(3_000);
        assert.deepEqual(fs.readdirSync(runs), [runName]);
        assert.equal(fs.existsSync(marker), false, 'the judge module was loaded');
        assert.equal(await page.locator('.debug-toolbar:visible').count(), 0, 'no debug session');
      },
      { label: 'restricted-mode', restricted: true },
    );
  });
});

/** The refusal toast for `text`, offering to manage trust. */
async function refusal(wb: Workbench, text: string) {
  const toast = await wb.notification(text);
  assert.match((await toast.textContent()) ?? '', /runs this workspace's workflows, judges and tools, and python the model writes/);
  await toast.locator('.monaco-button', { hasText: MANAGE }).waitFor();
  return toast;
}

async function goTo(page: Page, where: string): Promise<void> {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${where}`);
  await page.keyboard.press('Enter');
}
