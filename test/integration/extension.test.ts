// The extension in a real VS Code: activation, command registration and the validate command,
// against a throw-away copy of examples/ that the runner opens as the workspace.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import manifest from '../../package.json';
import type { ConfigIssue } from '../../trainer/src/config/validate';

const extensionId = `${manifest.publisher}.${manifest.name}`;

const BROKEN = [
  'name: broken',
  'tasks:',
  '  train:',
  '    path: builtin:arith/train',
  'rollout:',
  '  group_size: many',
  'algoritm:',
  '  type: grpo',
  '',
].join('\n');

describe('extension in VS Code', () => {
  let folder: vscode.Uri;
  const created: vscode.Uri[] = [];

  before(() => {
    const first = vscode.workspace.workspaceFolders?.[0];
    assert.ok(first, 'the runner opens a workspace folder');
    folder = first.uri;
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const uri of created.splice(0)) await vscode.workspace.fs.delete(uri);
  });

  async function writeConfig(name: string, text: string): Promise<vscode.Uri> {
    const uri = vscode.Uri.joinPath(folder, name);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    created.push(uri);
    return uri;
  }

  it('activates on its own in a workspace holding a *.tune.yaml', async () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension, `${extensionId} is loaded from the development path`);
    // No explicit activate(): the workspaceContains activation events must do it.
    await waitFor(() => extension.isActive, 30_000, `${extensionId} to activate`);
  });

  it('registers agentTune.validateConfig', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('agentTune.validateConfig'));
  });

  it('validateConfig returns every problem of a broken config, placed on its key', async () => {
    const uri = await writeConfig('broken.tune.yaml', BROKEN);
    const issues = await vscode.commands.executeCommand<ConfigIssue[]>('agentTune.validateConfig', uri);
    const errors = issues.filter((i) => i.severity === 'error').map((i) => ({ file: i.file, line: i.line, column: i.column, path: i.path }));
    assert.deepEqual(errors, [
      { file: 'broken.tune.yaml', line: 6, column: 15, path: ['rollout', 'group_size'] },
      { file: 'broken.tune.yaml', line: 7, column: 1, path: ['algoritm'] },
    ]);
    assert.match(issues.find((i) => i.path[0] === 'algoritm')!.message, /did you mean "algorithm"/);
  });

  it('validateConfig checks the active editor when given no file', async () => {
    const uri = await writeConfig('active.tune.yaml', BROKEN);
    const document = await vscode.workspace.openTextDocument(uri);
    assert.equal(document.languageId, 'agent-tune-config');
    await vscode.window.showTextDocument(document);
    const issues = await vscode.commands.executeCommand<ConfigIssue[]>('agentTune.validateConfig');
    assert.deepEqual(
      issues.filter((i) => i.severity === 'error').map((i) => i.path.join('.')),
      ['rollout.group_size', 'algoritm'],
    );
  });

  it('validateConfig finds no error in the shipped example', async () => {
    const uri = vscode.Uri.joinPath(folder, 'math-agent', 'math.tune.yaml');
    const issues = await vscode.commands.executeCommand<ConfigIssue[]>('agentTune.validateConfig', uri);
    assert.deepEqual(issues.filter((i) => i.severity === 'error'), []);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
