// Takes the walkthrough's screenshots (media/walkthrough/*.png) in the real workbench:
// code-server with this repository as the extension, on a copy of examples/, each step done
// for real through its walkthrough button: open the example, debug it to the judge breakpoint,
// read the debug run's transcript, train with Run, and compare two short runs that the CLI
// trains first, at two learning rates. About 10 minutes on 2 cores.
//   npm run build && node -r esbuild-register scripts/walkthrough-media.ts
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installHost } from '../test/host/install';
import { repoRoot } from '../test/host/paths';
import { withWorkbench, type Workbench } from '../test/host/workbench';
import { copyWorkspace } from '../test/host/workspace';
import { openWalkthrough, selectStep, WALKTHROUGH_MEDIA } from '../test/ui/walkthroughSteps';

const VIEWPORT = { width: 1280, height: 800 };
const LEARNING_RATES = ['0.002', '0.0005'];

async function main(): Promise<void> {
  await installHost();
  const workspace = copyWorkspace(path.join(repoRoot, 'examples'));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-tune-media-'));
  try {
    const agent = path.join(workspace.folder, 'math-agent');
    for (const lr of LEARNING_RATES) trainShortRun(agent, scratch, lr);
    await withWorkbench(workspace.folder, (wb) => takeScreenshots(wb), { label: 'walkthrough-media', viewport: VIEWPORT });
  } finally {
    workspace.remove();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** A 6-step run of the example at learning rate `lr`, evaluated on 24 tasks, into the example's runs/. */
function trainShortRun(agent: string, scratch: string, lr: string): void {
  const text = fs
    .readFileSync(path.join(agent, 'math.tune.yaml'), 'utf8')
    .replace(/^name: .*$/m, `name: lr-${lr}`)
    .replace('./judge.ts#judge', `${path.join(agent, 'judge.ts')}#judge`)
    .replace(/^    limit: 200$/m, '    limit: 24')
    .replace(/^  lr: .*$/m, `  lr: ${lr}`)
    .replace(/^  steps: .*$/m, '  steps: 6')
    .replace(/^  tasks_per_step: .*$/m, '  tasks_per_step: 4')
    .replace(/^  eval_every: .*$/m, '  eval_every: 3')
    .replace(/^  save_every: .*$/m, '  save_every: 6')
    .replace(/^  samples: .*$/m, '  samples: 2')
    .replace(/^  k: .*$/m, '  k: [1, 2]');
  const config = path.join(scratch, `lr-${lr}.tune.yaml`);
  fs.writeFileSync(config, text);
  console.log(`[media] training ${path.basename(config)}`);
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'trainer', 'bin', 'agent-tune.js'), 'run', config, '--output-dir', path.join(agent, 'runs')], { stdio: 'inherit', timeout: 15 * 60_000 });
  if (r.status !== 0) throw new Error(`training ${config} failed (${r.error?.message ?? `exit ${r.status}`})`);
}

async function takeScreenshots(wb: Workbench): Promise<void> {
  const { page } = wb;
  const shot = async (step: number) => {
    const file = path.join(repoRoot, WALKTHROUGH_MEDIA[step]);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page.screenshot({ path: file });
    console.log(`[media] ${path.relative(repoRoot, file)}`);
  };
  const button = async (step: number, name: string) => {
    const walkthrough = await openWalkthrough(wb);
    await selectStep(walkthrough, step);
    await walkthrough.getByRole('button', { name }).click();
  };

  // 1. The example's config, with its code lenses.
  await button(0, 'Open Math-Agent Example');
  await page.locator('.tabs-container .tab.active', { hasText: 'math.tune.yaml' }).waitFor({ timeout: 60_000 });
  await page.locator('.codelens-decoration').first().waitFor({ timeout: 60_000 });
  await shot(0);

  // 2. Stopped in the judge.
  await button(1, 'Debug with a Breakpoint in the Judge');
  await page.getByText(/paused on breakpoint/i).first().waitFor({ timeout: 5 * 60_000 });
  // One step, so that the Variables view shows the answer the judge read.
  await page.keyboard.press('F10');
  await page
    .locator('.debug-view-content', { hasText: /answer\W*(-?\d|null)/ })
    .first()
    .waitFor({ timeout: 60_000 })
    .catch(() => console.warn('[media] the Variables view shows no answer yet'));
  await page.waitForTimeout(1_000);
  await shot(1);
  await wb.runCommand('Remove All Breakpoints');
  // Judges already on their way may stop once more: continue until the session ends.
  const toolbar = page.locator('.debug-toolbar');
  for (const deadline = Date.now() + 5 * 60_000; await toolbar.isVisible(); ) {
    if (Date.now() > deadline) throw new Error('the debug session did not end');
    await page.keyboard.press('F5');
    await page.waitForTimeout(3_000);
  }

  // 3. The debug run's transcript: the first rollout that called the calculator, if any did.
  await button(2, 'Open Latest Run');
  await page.keyboard.press('Control+B');
  await page.keyboard.press('Control+J');
  let view = wb.webview('iframe.webview.ready >> nth=-1');
  const rows = view.locator('.tr.data');
  await rows.first().waitFor({ timeout: 60_000 });
  for (let i = 0, n = await rows.count(); i < n; i++) {
    await rows.nth(i).click();
    await page.waitForTimeout(1_000);
    if (await view.locator('.transcript .msg.role-tool').first().isVisible()) break;
  }
  await shot(2);

  // 4. Training, followed live.
  await button(3, 'Train the Example');
  const live = page.locator('.tabs-container .tab', { hasText: /Run: .*-math-agent/ }).last();
  await live.waitFor({ timeout: 2 * 60_000 });
  await live.click();
  view = wb.webview('iframe.webview.ready >> nth=-1');
  // The table draws only the rows in sight: the count above it tells how far the run is.
  const shown = view.locator('.shown');
  for (const deadline = Date.now() + 5 * 60_000; Number(/\d+/.exec((await shown.textContent().catch(() => '')) ?? '')?.[0] ?? 0) < 64; ) {
    if (Date.now() > deadline) throw new Error('the training run shows no rollouts');
    await page.waitForTimeout(2_000);
  }
  await shot(3);
  await wb.runCommand('Debug: Stop');
  await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 60_000 });

  // 5. One short run's metrics with the other's overlaid.
  await page.locator('.activitybar .action-item a[aria-label="Agent Tune"]').click();
  await page.locator('.pane-body .monaco-list-row', { hasText: `lr-${LEARNING_RATES[0]}` }).first().click({ timeout: 60_000 });
  view = wb.webview('iframe.webview.ready >> nth=-1');
  await view.locator('button.tab[data-tab="metrics"]').click({ timeout: 60_000 });
  await view.getByRole('button', { name: 'Compare with run…' }).click();
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: `lr-${LEARNING_RATES[1]}` }).first().click({ timeout: 30_000 });
  await view.getByText(/Comparing with/).first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(2_000);
  await shot(4);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
