// The getting-started walkthrough by its id, as other extensions and links open it
// (workbench.action.openWalkthrough with `publisher.name#id`), and its first step's command
// in a workspace that holds the example.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import manifest from '../../package.json';

const walkthroughId = `${manifest.publisher}.${manifest.name}#${manifest.contributes.walkthroughs[0].id}`;

async function waitFor<T>(what: () => string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the getting-started walkthrough', () => {
  afterEach(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it(`opens as ${walkthroughId}, and its first step's command opens the math-agent config`, async () => {
    const tabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs);
    const find = () => tabs().find((t) => t.label === `Walkthrough: ${manifest.displayName}`);
    // The workbench learns of the extension's walkthroughs a little after the extension host
    // starts; until then it answers "Could not find category" and opens nothing.
    for (const deadline = Date.now() + 30_000; !find() && Date.now() < deadline; ) {
      await vscode.commands.executeCommand('workbench.action.openWalkthrough', walkthroughId, false);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const tab = await waitFor(() => `the walkthrough tab; tabs: ${JSON.stringify(tabs().map((t) => t.label))}`, find, 5_000);
    assert.ok(tab.isActive);

    const step = manifest.contributes.walkthroughs[0].steps[0];
    const command = /\(command:([\w.]+)\)/.exec(step.description)?.[1];
    assert.equal(command, 'agentTune.openExample');
    const config = await vscode.commands.executeCommand<vscode.Uri | undefined>(command);
    const folder = vscode.workspace.workspaceFolders![0].uri;
    assert.equal(config?.fsPath, vscode.Uri.joinPath(folder, 'math-agent', 'math.tune.yaml').fsPath);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, config?.fsPath);
  });
});
