// Validate Config as a person runs it: open the file, run the command from the palette, read
// the notification. Runs outside VS Code, driving the workbench in Chromium.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../host/paths';
import { withWorkbench } from '../host/workbench';
import { copyWorkspace } from '../host/workspace';

const BROKEN = 'name: broken\ntasks:\n  train:\n    path: builtin:arith/train\nrollout:\n  group_size: many\nalgoritm:\n  type: grpo\n';

describe('Validate Config in the workbench', () => {
  let workspace: ReturnType<typeof copyWorkspace>;
  beforeEach(() => {
    workspace = copyWorkspace(path.join(repoRoot, 'examples'));
  });
  afterEach(() => workspace.remove());

  it('reports the problems of a broken config in a notification', async () => {
    fs.writeFileSync(path.join(workspace.folder, 'broken.tune.yaml'), BROKEN);
    await withWorkbench(
      workspace.folder,
      async (workbench) => {
        await workbench.openFile('broken.tune.yaml');
        await workbench.runCommand('Agent Tune: Validate Config');
        await workbench.notification('2 problems in broken.tune.yaml');
        await workbench.screenshot('validate-config-broken');
      },
      { label: 'validate-config-broken' },
    );
  });

  it('F5 on a broken config names the file, line and field, with no launch.json modal', async () => {
    fs.writeFileSync(path.join(workspace.folder, 'broken.tune.yaml'), BROKEN);
    await withWorkbench(
      workspace.folder,
      async (workbench) => {
        await workbench.openFile('broken.tune.yaml');
        await workbench.page.keyboard.press('F5');
        await workbench.notification('Cannot start debugging: broken.tune.yaml:6 rollout.group_size');
        await workbench.screenshot('debug-broken-config');
        // VS Code's failed-launch modal would offer "Open 'launch.json'".
        if (await workbench.page.locator('.monaco-dialog-box').isVisible()) throw new Error(`a modal opened: ${await workbench.page.locator('.monaco-dialog-box').textContent()}`);
        await workbench.page.locator('.notification-toast', { hasText: 'Cannot start debugging' }).getByRole('button', { name: 'Open the Config' }).click();
        await workbench.page.locator('.editor-group-container.active .monaco-editor .selected-text').first().waitFor({ timeout: 20_000 });
      },
      { label: 'debug-broken-config' },
    );
  });

  it('says a valid config is valid', async () => {
    await withWorkbench(
      workspace.folder,
      async (workbench) => {
        await workbench.openFile('math-agent/math.tune.yaml');
        await workbench.runCommand('Agent Tune: Validate Config');
        await workbench.notification('math-agent/math.tune.yaml is valid');
        await workbench.screenshot('validate-config-valid');
      },
      { label: 'validate-config-valid' },
    );
  });
});
