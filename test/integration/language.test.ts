// The config language service inside a real VS Code: diagnostics placed on the text at
// fault, updated as the config is edited and when a file it names appears; hovers,
// completions, go to definition, code lenses and quick fixes through VS Code's own provider
// commands.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const CONFIG = [
  'name: lang-test',
  'tasks:',
  '  train:',
  '    path: builtin:arith/train',
  'algorithm:',
  '  type: grop',
  'judge:',
  '  ref: ./judge.ts#scor',
  'tools:',
  '  - ref: ./tools.ts#lookup',
  '',
].join('\n');

const JUDGE = 'export function helper(x: number): number {\n  return x;\n}\n\nexport const score = { name: "score" };\n';

describe('config language in VS Code', () => {
  let dir: vscode.Uri;
  let config: vscode.Uri;
  let doc: vscode.TextDocument;

  before(async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the runner opens a workspace folder');
    dir = vscode.Uri.joinPath(folder.uri, 'lang');
    config = vscode.Uri.joinPath(dir, 'lang.tune.yaml');
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(dir, 'judge.ts'), new TextEncoder().encode(JUDGE));
    await vscode.workspace.fs.writeFile(config, new TextEncoder().encode(CONFIG));
    doc = await vscode.workspace.openTextDocument(config);
    await vscode.window.showTextDocument(doc);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(dir, { recursive: true });
  });

  it('opens *.tune.yaml as an Agent Tune config', () => {
    assert.equal(doc.languageId, 'agent-tune-config');
  });

  it('underlines each problem where it is: an enum value, a missing export, a missing module', async () => {
    const diagnostics = await diagnosticsWhen((d) => d.length === 3);
    assert.deepEqual(
      diagnostics.map((d) => [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.severity, d.source]),
      [
        [5, 8, 5, 12, vscode.DiagnosticSeverity.Error, 'agent-tune'],
        [7, 18, 7, 22, vscode.DiagnosticSeverity.Error, 'agent-tune'],
        [9, 9, 9, 26, vscode.DiagnosticSeverity.Error, 'agent-tune'],
      ],
    );
    assert.equal(diagnostics[0].message, '"grop" is not allowed (did you mean "grpo"?); use one of: grpo, rloo');
    assert.equal(diagnostics[1].message, './judge.ts has no export "scor" (did you mean "score"?); its exports: helper, score');
    assert.match(diagnostics[2].message, /^cannot find \.\/tools\.ts: no file at .*tools\.ts$/);
  });

  it('Ctrl+. offers the "did you mean" as a quick fix', async () => {
    await diagnosticsWhen((d) => d.length === 3);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', config, new vscode.Range(5, 9, 5, 9), vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === 'Change to "grpo"');
    assert.ok(fix, `a quick fix for "grop"; offered: ${actions.map((a) => a.title).join(', ')}`);
    const edits = fix.edit!.get(config);
    assert.deepEqual(edits.map((e) => [e.range.start.line, e.range.start.character, e.range.end.character, e.newText]), [[5, 8, 12, 'grpo']]);
  });

  it('Run and Debug refuse a config with errors and start no session', async () => {
    let started = 0;
    const listener = vscode.debug.onDidStartDebugSession(() => started++);
    try {
      assert.equal(await vscode.commands.executeCommand('agentTune.debugConfig', config), false);
      assert.equal(await vscode.commands.executeCommand('agentTune.runConfig', config), false);
    } finally {
      listener.dispose();
    }
    assert.equal(started, 0);
  });

  it('hovers show the schema documentation of a key and of an enum value', async () => {
    const key = await hoverText(new vscode.Position(4, 3));
    assert.match(key, /\*\*algorithm\*\* · `mapping`/);
    assert.match(key, /The policy-gradient algorithm and its hyperparameters\./);
    const type = await hoverText(new vscode.Position(5, 4));
    assert.match(type, /Allowed values:\n- `grpo` — Group Relative Policy Optimisation/);
    assert.match(type, /Default: `grpo`/);
  });

  it('completes enum values and the exports of the judge module', async () => {
    const values = await completionLabels(new vscode.Position(5, 8));
    assert.ok(['grpo', 'rloo'].every((v) => values.includes(v)), values.join(', '));
    const exports = await completionLabels(new vscode.Position(7, 19));
    assert.ok(['helper', 'score'].every((v) => exports.includes(v)), exports.join(', '));
  });

  it('re-checks as the config is edited', async () => {
    const edit = new vscode.WorkspaceEdit();
    edit.replace(config, new vscode.Range(5, 8, 5, 12), 'grpo');
    edit.replace(config, new vscode.Range(7, 18, 7, 22), 'score');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const diagnostics = await diagnosticsWhen((d) => d.length === 1);
    assert.equal(diagnostics[0].range.start.line, 9);
  });

  it('re-checks when a file the config names is created on disk', async () => {
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(dir, 'tools.ts'), new TextEncoder().encode('export const lookup = { name: "lookup" };\n'));
    await diagnosticsWhen((d) => d.length === 0);
  });

  it('goes from a ref to the export in the module', async () => {
    const links = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', config, new vscode.Position(7, 12));
    assert.equal(links.length, 1);
    const link = links[0] as vscode.LocationLink;
    assert.equal(link.targetUri.fsPath, vscode.Uri.joinPath(dir, 'judge.ts').fsPath);
    assert.deepEqual([link.targetRange.start.line, link.targetRange.start.character], [4, 13]);
  });

  it('shows Run, Debug and Validate lenses at the top, and Open last run once a run exists', async () => {
    // The lenses on the first line; Preview Tasks sits on tasks.train, further down.
    const lenses = async () =>
      (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', config))
        .filter((l) => l.range.start.line === 0)
        .map((l) => [l.range.start.line, l.command?.command, l.command?.arguments?.[0]?.fsPath]);
    assert.deepEqual(await lenses(), [
      [0, 'agentTune.runConfig', config.fsPath],
      [0, 'agentTune.debugConfig', config.fsPath],
      [0, 'agentTune.validateConfig', config.fsPath],
    ]);
    const run = vscode.Uri.joinPath(dir, 'runs', '20260101-120000-lang-test');
    await vscode.workspace.fs.createDirectory(run);
    assert.deepEqual((await lenses())[3], [0, 'agentTune.openLastRun', run.fsPath]);
  });

  async function diagnosticsWhen(ready: (d: vscode.Diagnostic[]) => boolean, timeoutMs = 20_000): Promise<vscode.Diagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = vscode.languages.getDiagnostics(config).filter((x) => x.source === 'agent-tune');
      if (ready(d)) return d.sort((a, b) => a.range.start.compareTo(b.range.start));
      if (Date.now() > deadline) throw new Error(`diagnostics never matched; last: ${JSON.stringify(d.map((x) => [x.range.start.line, x.message]))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function hoverText(position: vscode.Position): Promise<string> {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', config, position);
    return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
  }

  async function completionLabels(position: vscode.Position): Promise<string[]> {
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', config, position);
    return list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
  }
});
