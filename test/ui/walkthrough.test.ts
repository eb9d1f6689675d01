// The getting-started walkthrough as a user opens it: Welcome: Open Walkthrough…, pick Agent
// Tune's, and press the first step's button, which opens the math-agent example's config, or,
// in a workspace without it, copies the bundled example into a folder the user picks and
// opens that folder.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../host/paths';
import { withWorkbench } from '../host/workbench';
import { copyWorkspace } from '../host/workspace';
import { openWalkthrough, WALKTHROUGH_ALT, WALKTHROUGH_STEPS } from './walkthroughSteps';

describe('the getting-started walkthrough', () => {
  let workspace: ReturnType<typeof copyWorkspace>;
  beforeEach(() => {
    workspace = copyWorkspace(path.join(repoRoot, 'examples'));
  });
  afterEach(() => workspace.remove());

  it('opens from the palette, lists its steps, and step 1 opens the math-agent example', async () => {
    await withWorkbench(
      workspace.folder,
      async (wb) => {
        const { page } = wb;
        const walkthrough = await openWalkthrough(wb);
        for (const title of WALKTHROUGH_STEPS) await walkthrough.getByText(title, { exact: true }).first().waitFor({ timeout: 30_000 });
        // The first step is open, its screenshot shown.
        const media = walkthrough.locator(`img[alt="${WALKTHROUGH_ALT[0]}"]`).first();
        await media.waitFor({ timeout: 30_000 });
        assert.ok(await media.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the screenshot loads');
        await walkthrough.getByRole('button', { name: 'Open Math-Agent Example' }).click();
        await page.locator('.tabs-container .tab.active', { hasText: 'math.tune.yaml' }).waitFor({ timeout: 30_000 });
        const crumbs = (await page.locator('.editor-group-container.active .breadcrumbs-control').first().textContent()) ?? '';
        assert.match(crumbs, /math-agent/);
        await wb.screenshot('walkthrough-step-1');
      },
      { label: 'walkthrough' },
    );
  });

  it('in a workspace without the example, step 1 copies it into a folder the user picks and opens it', async function () {
    // Two workbench loads: the empty folder, then the copy.
    this.timeout(5 * 60_000);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-tune-empty-'));
    const projects = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-tune-projects-'));
    try {
      await withWorkbench(
        empty,
        async (wb) => {
          const { page } = wb;
          const walkthrough = await openWalkthrough(wb);
          await walkthrough.getByRole('button', { name: 'Open Math-Agent Example' }).click();
          // The browser workbench's folder dialog: a path box, filled in once it has listed its folder.
          const dialog = page.locator('.quick-input-widget', { hasText: 'Choose a folder for a copy of the math-agent example' });
          const input = dialog.locator('.quick-input-box input');
          await input.waitFor({ state: 'visible', timeout: 30_000 });
          await dialog.locator('.monaco-list-row').first().waitFor({ timeout: 30_000 });
          await input.fill(`${projects}/`);
          await page.waitForTimeout(1_500);
          assert.equal(await input.inputValue(), `${projects}/`);
          await dialog.locator('.monaco-button', { hasText: 'OK' }).click();
          // The copy is opened as the workspace, and its config once the extension is back.
          const copy = path.join(projects, 'math-agent');
          await page.waitForURL((url) => url.searchParams.get('folder') === copy, { timeout: 60_000 });
          await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
          await page.locator('.tabs-container .tab.active', { hasText: 'math.tune.yaml' }).waitFor({ timeout: 90_000 });
          await wb.screenshot('walkthrough-step-1-copy');
        },
        { label: 'walkthrough-copy' },
      );
      assert.deepEqual(fs.readdirSync(path.join(projects, 'math-agent')).sort(), fs.readdirSync(path.join(repoRoot, 'examples', 'math-agent')).filter((f) => f !== 'runs').sort());
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
      fs.rmSync(projects, { recursive: true, force: true });
    }
  });
});
