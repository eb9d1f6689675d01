// The run viewer in a real VS Code (code-server): open a run and see its rows drawn by the
// webview, follow a live run, find runs in the Runs view, open rollouts.jsonl in the custom
// editor. The debug-session part runs once an `agent-tune` debugger is contributed.
import * as assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import manifest from '../../package.json';
import { makeRun, writeRollout, type Fixture } from '../fixtures/make-run';
import type { RunPanel } from '../../src/viewer/panel';
import { RunsTree } from '../../src/runs/tree';
import { DEBUG_TYPE, RUN_EVENT } from '../../trainer/src/run/constants';

function rendered(panel: RunPanel, pred: (rows: number, shown: number) => boolean, timeoutMs = 60_000): Promise<void> {
  if (panel.lastRendered && pred(panel.lastRendered.rows, panel.lastRendered.shown)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`the webview did not draw the expected rows within ${timeoutMs / 1000} s (last: ${JSON.stringify(panel.lastRendered && { rows: panel.lastRendered.rows, shown: panel.lastRendered.shown })})`));
    }, timeoutMs);
    const sub = panel.onDidRender((m) => {
      if (!pred(m.rows, m.shown)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}

describe('run viewer in VS Code', () => {
  let runsRoot: string;
  const fixtures: Fixture[] = [];

  before(async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the runner opens a workspace folder');
    // examples/math-agent/math.tune.yaml writes its runs to ./runs.
    runsRoot = join(folder.uri.fsPath, 'math-agent', 'runs');
    await vscode.extensions.getExtension(`${manifest.publisher}.${manifest.name}`)?.activate();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const f of fixtures) f.writer.close();
    rmSync(runsRoot, { recursive: true, force: true });
  });

  it('opens a run with agentTune.openRun and the webview draws its rows', async () => {
    const f = makeRun(runsRoot, { name: 'finished', steps: 3, tasksPerStep: 2, groupSize: 4, evalEvery: 3 });
    fixtures.push(f);
    const panel = await vscode.commands.executeCommand<RunPanel>('agentTune.openRun', f.dir);
    assert.ok(panel, 'openRun returns the panel');
    assert.equal(panel.panel.title, `Run: ${f.dir.split('/').pop()}`);
    await rendered(panel, (rows, shown) => rows === 24 && shown === 24);
    // Opening the same run again reveals the same panel.
    assert.equal(await vscode.commands.executeCommand<RunPanel>('agentTune.openRun', vscode.Uri.file(f.dir)), panel);
  });

  it('follows a live run: rows written after opening appear', async () => {
    const f = makeRun(runsRoot, { name: 'live', steps: 1, tasksPerStep: 1, groupSize: 2, live: true });
    fixtures.push(f);
    const panel = await vscode.commands.executeCommand<RunPanel>('agentTune.openRun', f.dir);
    await rendered(panel, (rows) => rows === 2);
    const r = writeRollout(f.writer, f.rng, { step: 2, task: 3, sample: 0 }, { turnEvents: true });
    await rendered(panel, (rows) => rows === 3);
    f.writer.rollout(r);
    f.writer.emit({ type: 'run_finished', duration_ms: 1 });
  });

  it('lists the runs of the workspace configs in the Runs view', async () => {
    const tree = new RunsTree();
    try {
      const runs = await tree.allRuns();
      const dirs = runs.map((r) => r.dir);
      for (const f of fixtures) assert.ok(dirs.includes(f.dir), `${f.dir} is listed`);
      assert.equal(runs.find((r) => r.dir === fixtures[0].dir)?.status, 'finished');
      const items = await tree.getChildren();
      assert.ok(items.length >= fixtures.length);
    } finally {
      tree.dispose();
    }
  });

  it('the Runs view shows a running run\'s progress, and its end without a Refresh', async function () {
    this.timeout(60_000);
    const f = makeRun(runsRoot, { name: 'ends-later', steps: 1, totalSteps: 3, live: true });
    fixtures.push(f);
    const tree = new RunsTree();
    try {
      const item = async () => {
        const nodes = await tree.getChildren();
        const all = (await Promise.all(nodes.map(async (n) => (n.kind === 'root' ? tree.getChildren(n) : [n])))).flat();
        const node = all.find((n) => n.kind === 'run' && n.run.dir === f.dir);
        assert.ok(node, `${f.dir} is listed`);
        return tree.getTreeItem(node);
      };
      assert.match(String((await item()).description), /^running · train · step 1\/3 · /, 'a running run shows its progress');
      // The refresh for the new folder (a file watcher's create event) is over before the run ends.
      await new Promise((r) => setTimeout(r, 1500));
      let changes = 0;
      tree.onDidChangeTreeData(() => changes++);
      f.writer.emit({ type: 'run_finished', duration_ms: 1 });
      // Each change the view announces is read as VS Code would; the end must show within seconds.
      const deadline = Date.now() + 20_000;
      let seen = 0;
      let description = '';
      while (!/^finished/.test(description) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        if (changes === seen) continue;
        seen = changes;
        description = String((await item()).description);
      }
      assert.match(description, /^finished/, 'the view announced the run end and shows it');
    } finally {
      tree.dispose();
    }
  });

  it('opens rollouts.jsonl in the run viewer custom editor', async () => {
    const uri = vscode.Uri.file(join(fixtures[0].dir, 'rollouts.jsonl'));
    await vscode.commands.executeCommand('vscode.open', uri);
    const deadline = Date.now() + 20_000;
    let input: unknown;
    while (Date.now() < deadline) {
      input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      if (input instanceof vscode.TabInputCustom) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(input instanceof vscode.TabInputCustom, 'a custom editor tab is active');
    assert.equal(input.viewType, 'agentTune.rollouts');
  });

  describe('live opening from an agent-tune debug session', () => {
    it('opens the viewer on the run the debug adapter announces', async function () {
      const debuggers = (manifest.contributes as { debuggers?: { type: string }[] }).debuggers ?? [];
      if (!debuggers.some((d) => d.type === DEBUG_TYPE)) this.skip();
      this.timeout(300_000);
      const folder = vscode.workspace.workspaceFolders![0];
      const announced = new Promise<string>((resolve) => {
        const sub = vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
          if (e.session.type === DEBUG_TYPE && e.event === RUN_EVENT) {
            sub.dispose();
            resolve((e.body as { runDir: string }).runDir);
          }
        });
      });
      const started = await vscode.debug.startDebugging(folder, { type: DEBUG_TYPE, request: 'launch', name: 'viewer test', config: join(folder.uri.fsPath, 'math-agent', 'math.tune.yaml') });
      assert.ok(started, 'the debug session starts');
      const runDir = await announced;
      // The extension opened the panel by itself (agentTune.viewer.openOnDebugStart).
      const title = `Run: ${basename(runDir)}`;
      const deadline = Date.now() + 30_000;
      const tabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === title);
      while (!tabs().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(tabs().length, 1, `a tab "${title}" opened on its own`);
      const panel = await vscode.commands.executeCommand<RunPanel>('agentTune.openRun', runDir);
      assert.equal(tabs().length, 1, 'opening the run again reuses its panel');
      await rendered(panel, (rows) => rows > 0, 240_000);
      await vscode.debug.stopDebugging();

      // F5 again on the same config: its new run shows in the same panel, not in a new tab.
      const runTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label.startsWith('Run: '));
      const before = runTabs().length;
      const next = new Promise<string>((resolve) => {
        const sub = vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
          if (e.session.type === DEBUG_TYPE && e.event === RUN_EVENT) {
            sub.dispose();
            resolve((e.body as { runDir: string }).runDir);
          }
        });
      });
      assert.ok(await vscode.debug.startDebugging(folder, { type: DEBUG_TYPE, request: 'launch', name: 'viewer test again', config: join(folder.uri.fsPath, 'math-agent', 'math.tune.yaml') }));
      const runDir2 = await next;
      assert.notEqual(runDir2, runDir);
      const until = Date.now() + 30_000;
      while (panel.dir !== runDir2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      assert.equal(panel.dir, runDir2, 'the panel of the first run moved to the second');
      assert.equal(panel.panel.title, `Run: ${basename(runDir2)}`);
      assert.equal(runTabs().length, before, 'no new "Run: …" tab');
      await rendered(panel, (rows) => rows > 0, 240_000);
      await vscode.debug.stopDebugging();
    });
  });
});
