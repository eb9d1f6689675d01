// Preview Tasks as a person uses it: open a config, click the code lens on `tasks.train`, read
// the tasks with the data checks' findings, search, and show only the records with findings.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../host/paths';
import { withWorkbench } from '../host/workbench';
import { copyWorkspace } from '../host/workspace';

const CONFIG = 'name: preview\ntasks:\n  train:\n    path: ./tasks.jsonl\njudge:\n  ref: builtin:math\n';

/** 30 tasks; task-7 repeats task-3's id and task-12 has an empty reference. */
function tasksJsonl(): string {
  const lines: string[] = [];
  for (let i = 0; i < 30; i++) {
    const id = i === 7 ? 'task-3' : `task-${i}`;
    lines.push(JSON.stringify({ id, question: `What is ${i} + ${i * 3}?`, answer: i === 12 ? '' : String(i * 4) }));
  }
  return lines.join('\n') + '\n';
}

describe('Preview Tasks in the workbench', () => {
  let workspace: ReturnType<typeof copyWorkspace>;
  beforeEach(() => {
    workspace = copyWorkspace(path.join(repoRoot, 'examples'));
  });
  afterEach(() => workspace.remove());

  it('opens from the code lens on tasks.train with the findings, and filters', async () => {
    fs.writeFileSync(path.join(workspace.folder, 'preview.tune.yaml'), CONFIG);
    fs.writeFileSync(path.join(workspace.folder, 'tasks.jsonl'), tasksJsonl());
    await withWorkbench(
      workspace.folder,
      async (wb) => {
        const { page } = wb;
        await wb.openFile('preview.tune.yaml');
        const lens = page.locator('.codelens-decoration a', { hasText: 'Preview Tasks' }).first();
        await lens.waitFor({ timeout: 60_000 });
        await lens.click();
        await page.locator('.tabs-container .tab', { hasText: 'Tasks: preview.tune.yaml' }).waitFor({ timeout: 30_000 });
        const view = wb.webview();
        await view.locator('#status', { hasText: '30 shown' }).waitFor({ timeout: 60_000 });
        assert.equal(await view.locator('#rows tr').count(), 30);
        assert.equal(await view.locator('#rows tr').nth(5).locator('td').nth(1).textContent(), 'task-5');
        // The two broken records carry their findings, with the line they are on.
        const duplicate = view.locator('#rows tr').nth(7);
        assert.match((await duplicate.locator('td.problems').textContent()) ?? '', /duplicate id/i);
        assert.match((await duplicate.textContent()) ?? '', /line 8 of tasks\.jsonl/);
        assert.match((await view.locator('#rows tr').nth(12).locator('td.problems').textContent()) ?? '', /reference|answer/i);
        await wb.screenshot('task-preview');

        await view.locator('#search').fill('7 + 21');
        await view.locator('#status', { hasText: /^1 matching/ }).waitFor({ timeout: 30_000 });
        assert.equal(await view.locator('#rows tr td:nth-child(2)').textContent(), 'task-3');
        await view.locator('#search').fill('');
        await view.locator('#problems').check();
        await view.locator('#status', { hasText: /^2 matching/ }).waitFor({ timeout: 30_000 });
        assert.deepEqual(await view.locator('#rows tr td:nth-child(2)').allTextContents(), ['task-3', 'task-12']);
      },
      { label: 'task-preview' },
    );
  });
});
