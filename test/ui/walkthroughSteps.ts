// The getting-started walkthrough in the workbench: its titles from package.json, and opening
// it as a user does. Shared by the walkthrough's UI test and scripts/walkthrough-media.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import { repoRoot } from '../host/paths';
import type { Workbench } from '../host/workbench';

interface Manifest {
  contributes: { walkthroughs: { id: string; title: string; steps: { id: string; title: string; media: { image: string; altText: string } }[] }[] };
}

const walkthrough = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Manifest).contributes.walkthroughs[0];
export const WALKTHROUGH_TITLE = walkthrough.title;
export const WALKTHROUGH_STEPS = walkthrough.steps.map((s) => s.title);
/** Where each step's screenshot lives, relative to the repository. */
export const WALKTHROUGH_MEDIA = walkthrough.steps.map((s) => s.media.image);
export const WALKTHROUGH_ALT = walkthrough.steps.map((s) => s.media.altText);

/** Welcome: Open Walkthrough…, then Agent Tune's; resolves with the walkthrough page. */
export async function openWalkthrough(wb: Workbench): Promise<Locator> {
  await wb.runCommand('Open Walkthrough...');
  const row = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: WALKTHROUGH_TITLE }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
  const page = wb.page.locator('.gettingStartedContainer').first();
  await page.getByText(WALKTHROUGH_STEPS[0]).first().waitFor({ timeout: 30_000 });
  return page;
}

/** Expands a step (its title is a button) and resolves with the page. */
export async function selectStep(page: Locator, index: number): Promise<void> {
  await page.getByText(WALKTHROUGH_STEPS[index], { exact: true }).first().click();
}
