// The SDK's types in a workspace that never installed `agent-tune` (the runner's copy of
// examples/, outside the repository): VS Code's own TypeScript server, with the extension's
// server plugin, type-checks the math-agent judge against the SDK.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

async function waitFor<T>(what: () => string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const hoverText = (hovers: vscode.Hover[]) =>
  hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');

describe('agent-tune types in a workspace without the package', function () {
  this.timeout(180_000);
  let judge: vscode.Uri;
  let broken: vscode.Uri;

  before(async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the runner opens a workspace folder');
    judge = vscode.Uri.joinPath(folder.uri, 'math-agent', 'judge.ts');
    assert.ok(vscode.extensions.getExtension('vscode.typescript-language-features'), 'VS Code ships its TypeScript language features');
    // The same judge with a misspelt field: its error proves the server has checked the files.
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(judge));
    broken = vscode.Uri.joinPath(folder.uri, 'math-agent', 'judge-misspelt.ts');
    await vscode.workspace.fs.writeFile(broken, new TextEncoder().encode(text.replace('task.reference', 'task.referenc')));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (broken) await vscode.workspace.fs.delete(broken);
  });

  const problems = () =>
    vscode.languages.getDiagnostics(judge).map((d) => `${d.source ?? ''} ${String(typeof d.code === 'object' ? d.code.value : d.code)}: ${d.message}`);

  it('shows no agent-tune error on the math-agent judge, and defineJudge has its SDK type', async () => {
    const doc = await vscode.workspace.openTextDocument(judge);
    await vscode.window.showTextDocument(doc, { preview: false });
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(broken), { preview: false });

    const at = doc.positionAt(doc.getText().indexOf('defineJudge('));
    let last = '';
    const hover = await waitFor(() => `the TypeScript hover on defineJudge to show its signature; it shows ${JSON.stringify(last)}, and the judge's problems are ${JSON.stringify(problems())}`, async () => {
      last = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', judge, at));
      return last.includes('defineJudge(') ? last : undefined; // not "(loading...)"
    }, 120_000);
    assert.match(hover, /defineJudge\(judge: JudgeFn, options\?: \{\s*name\?: string;\s*\}\): Judge/);

    const misspelt = await waitFor(() => 'the TypeScript error in the misspelt judge', () =>
      vscode.languages.getDiagnostics(broken).find((d) => d.source === 'ts' && /referenc/.test(d.message)), 60_000);
    assert.match(misspelt.message, /does not exist on type '\w+'\. Did you mean 'reference'\?/);

    assert.deepEqual(problems(), []);
  });
});
