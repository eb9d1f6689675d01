// The python sandbox in the status bar, as a user sees it: the tier this machine gives, a
// tooltip saying what it blocks; `sandbox: off` and weak tiers as warnings; on a machine
// without user namespaces or Landlock (code-server started under a seccomp filter that
// refuses both) a refusal under `strict` and what would enable a strong tier; and no probe
// in Restricted Mode.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { detectSandbox } from '../../trainer/src/tools/sandbox/probe';
import { STRONG_TIERS } from '../../trainer/src/tools/sandbox/tiers';
import { repoRoot } from '../host/paths';
import { withWorkbench } from '../host/workbench';
import { copyWorkspace } from '../host/workspace';

const WEAK_KERNEL = ['python3', path.join(repoRoot, 'test', 'support', 'weak-kernel.py')];

const config = (sandbox: string) => `name: sandbox-${sandbox}
tasks: { train: { path: builtin:arith/train } }
tools:
  - ref: builtin:python
    options: { sandbox: ${sandbox} }
`;

async function item(page: Page, text: string) {
  const found = page.locator('.statusbar-item', { hasText: text }).first();
  await found.waitFor({ timeout: 90_000 });
  return found;
}

/** Hovers the status bar item showing `text` and waits for its tooltip to hold each of `parts`. */
async function tooltip(page: Page, text: string, parts: string[]): Promise<void> {
  await (await item(page, text)).hover();
  let hover = page.locator('.monaco-hover:visible, .workbench-hover:visible');
  for (const p of parts) hover = hover.filter({ hasText: p });
  await hover.first().waitFor({ timeout: 30_000 });
  await page.mouse.move(700, 400);
}

describe('The python sandbox in the status bar', () => {
  let workspace: ReturnType<typeof copyWorkspace>;
  beforeEach(() => {
    workspace = copyWorkspace(path.join(repoRoot, 'examples'));
    for (const mode of ['off', 'best']) fs.writeFileSync(path.join(workspace.folder, `sandbox-${mode}.tune.yaml`), config(mode));
  });
  afterEach(() => workspace.remove());

  it('shows the tier of this machine, and sandbox: off as a warning', async () => {
    const here = detectSandbox();
    const strong = STRONG_TIERS.includes(here.tier);
    await withWorkbench(
      workspace.folder,
      async (wb) => {
        await wb.openFile('math-agent/math.tune.yaml');
        const shown = strong ? `Sandbox: ${here.tier}` : `Sandbox: refused (${here.tier})`;
        await tooltip(wb.page, shown, [strong ? `Python sandbox: ${here.tier}` : 'Python sandbox: refused', 'math.tune.yaml', 'Blocks:', 'network']);
        await wb.screenshot('sandbox-status');
        await wb.openFile('sandbox-off.tune.yaml');
        await tooltip(wb.page, 'Sandbox: OFF', ['Python sandbox: OFF', 'runs with your permissions, network and files', `this machine has ${here.tier}`]);
        await wb.screenshot('sandbox-status-off');
      },
      { label: 'sandbox-status' },
    );
  });

  it('without user namespaces or Landlock: strict is refused, best is WEAK, and both say what would enable a strong tier', async function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    await withWorkbench(
      workspace.folder,
      async (wb) => {
        await wb.openFile('math-agent/math.tune.yaml');
        await tooltip(wb.page, 'Sandbox: refused (seccomp)', ['Python sandbox: refused', 'Stronger tiers refused here', 'Operation not permitted', 'Landlock is not available', 'To get a strong tier', 'Open to model-written code']);
        await wb.screenshot('sandbox-status-refused');
        await wb.openFile('sandbox-best.tune.yaml');
        await tooltip(wb.page, 'Sandbox: seccomp (WEAK)', ['Python sandbox: seccomp, WEAK', 'host-files', 'To get a strong tier']);
      },
      { label: 'sandbox-status-weak', wrapper: WEAK_KERNEL },
    );
  });

  it('does not probe in Restricted Mode', async () => {
    await withWorkbench(
      workspace.folder,
      async (wb) => {
        await item(wb.page, 'Restricted Mode');
        await wb.openFile('math-agent/math.tune.yaml');
        await tooltip(wb.page, 'Sandbox: not checked', ['Finding the tier runs the trainer, which is off in Restricted Mode']);
        await wb.runCommand('Agent Tune: Check Python Sandbox');
        await wb.notification('Checking the python sandbox is off in Restricted Mode');
        await item(wb.page, 'Sandbox: not checked');
      },
      { label: 'sandbox-status-restricted', restricted: true },
    );
  });
});
