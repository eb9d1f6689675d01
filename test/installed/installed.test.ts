// The VSIX as a user gets it: installed with --install-extension into an empty extensions
// folder (not loaded as a development path), in a workspace that is a copy of examples/ outside
// the repository. It activates, validates, debugs the math agent to a judge breakpoint, fills
// the viewer, and the workflow's `agent-tune` import type-checks.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import manifest from '../../package.json';
import type { ConfigIssue } from '../../trainer/src/config/validate';
import type { RunPanel } from '../../src/viewer/panel';

const extensionId = `${manifest.publisher}.${manifest.name}`;
const repoRoot = process.env.AGENT_TUNE_REPO_ROOT ?? '';

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

describe('the installed VSIX', function () {
  this.timeout(300_000);
  let folder: vscode.WorkspaceFolder;
  let extension: vscode.Extension<unknown>;

  before(() => {
    folder = vscode.workspace.workspaceFolders![0];
    assert.ok(folder, 'a workspace is open');
    assert.ok(repoRoot, 'the runner names the repository');
    assert.ok(!inside(folder.uri.fsPath, repoRoot), 'the workspace lies outside the repository');
  });

  it('is installed in the extensions folder, not loaded from the repository, and activates on its own', async () => {
    extension = await waitFor(`${extensionId} to be installed`, () => vscode.extensions.getExtension(extensionId), 60_000);
    assert.ok(!inside(extension.extensionPath, repoRoot), `installed at ${extension.extensionPath}`);
    assert.equal(extension.extensionKind, vscode.ExtensionKind.Workspace);
    await waitFor(`${extensionId} to activate`, () => (extension.isActive ? true : undefined), 60_000);
  });

  it('validates the example config with the trainer it carries', async () => {
    const uri = vscode.Uri.joinPath(folder.uri, 'math-agent', 'math.tune.yaml');
    const issues = await vscode.commands.executeCommand<ConfigIssue[]>('agentTune.validateConfig', uri);
    assert.deepEqual(issues.filter((i) => i.severity === 'error'), []);
    const broken = vscode.Uri.joinPath(folder.uri, 'broken.tune.yaml');
    await vscode.workspace.fs.writeFile(broken, new TextEncoder().encode('name: broken\nalgoritm:\n  type: grpo\n'));
    try {
      const found = await vscode.commands.executeCommand<ConfigIssue[]>('agentTune.validateConfig', broken);
      assert.ok(found.some((i) => i.path[0] === 'algoritm' && /did you mean "algorithm"/.test(i.message)), JSON.stringify(found));
    } finally {
      await vscode.workspace.fs.delete(broken);
    }
  });

  it('debugs the math agent with F5 to a breakpoint in the judge, and the viewer fills with its rollouts', async () => {
    const judge = vscode.Uri.joinPath(folder.uri, 'math-agent', 'judge.ts');
    const config = vscode.Uri.joinPath(folder.uri, 'math-agent', 'math.tune.yaml');
    const line = (await vscode.workspace.fs.readFile(judge)).toString().split('\n').findIndex((l) => l.includes('const answer = lastNumber('));
    const bp = new vscode.SourceBreakpoint(new vscode.Location(judge, new vscode.Position(line, 0)));
    vscode.debug.addBreakpoints([bp]);
    const stops: { session: vscode.DebugSession; threadId: number }[] = [];
    const started: vscode.DebugSession[] = [];
    const ended = new Set<string>();
    let runDir: string | undefined;
    let going = false;
    const subs = [
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: { type: string; event?: string; body?: Record<string, unknown> }) => {
            if (m.type === 'event' && m.event === 'stopped') {
              stops.push({ session, threadId: m.body!.threadId as number });
              if (going && session.type !== 'agent-tune') void session.customRequest('continue', { threadId: m.body!.threadId }).then(undefined, () => undefined);
            }
            if (m.type === 'event' && m.event === 'agentTune.run') runDir = m.body!.runDir as string;
          },
        }),
      }),
      vscode.debug.onDidStartDebugSession((s) => started.push(s)),
      vscode.debug.onDidTerminateDebugSession((s) => ended.add(s.id)),
    ];
    try {
      assert.ok(await vscode.debug.startDebugging(folder, { type: 'agent-tune', request: 'launch', name: 'Debug math-agent', config: config.fsPath, mode: 'debug', tasks: 1 }));
      const stop = await waitFor('a stop in the judge', () => stops.find((s) => s.session.type !== 'agent-tune'), 180_000);
      const top = (await stop.session.customRequest('stackTrace', { threadId: stop.threadId, levels: 1 })).stackFrames[0];
      const where = /^[a-z-]+:\/\//.test(top.source.path) ? vscode.Uri.parse(top.source.path).path : top.source.path;
      assert.equal(path.resolve(where), judge.fsPath);
      assert.equal(top.line, line + 1);
      assert.ok(runDir && !inside(runDir, repoRoot), `the run is written in the workspace: ${runDir}`);
      const pid = JSON.parse(readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').split('\n')[0]).pid as number;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.ok(cmdline.some((a) => inside(a, extension.extensionPath) && a.endsWith('agent-tune.js')), `the trainer runs from the install folder: ${cmdline.join(' ')}`);

      vscode.debug.removeBreakpoints([bp]);
      going = true;
      await stop.session.customRequest('continue', { threadId: stop.threadId });
      await waitFor('the debug sessions to end', () => (started.length > 1 && started.every((s) => ended.has(s.id)) ? true : undefined), 120_000);

      const panel = await vscode.commands.executeCommand<RunPanel>('agentTune.openRun', runDir);
      await waitFor('the viewer to draw the 8 rollouts', () => (panel.lastRendered?.rows === 8 ? true : undefined), 60_000);
    } finally {
      vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
      for (const s of subs) s.dispose();
    }
  });

  it('type-checks a workflow\'s import of agent-tune in this workspace', async () => {
    const probe = vscode.Uri.joinPath(folder.uri, 'math-agent', 'probe.ts');
    const text = [
      "import { defineJudge } from 'agent-tune';",
      '// A wrong reward type: the SDK\'s real types must flag it.',
      "export const judge = defineJudge(() => ({ reward: 'high', is_success: true }));",
      '',
    ].join('\n');
    await vscode.workspace.fs.writeFile(probe, new TextEncoder().encode(text));
    try {
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(probe));
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'math-agent', 'judge.ts')));
      const found = await waitFor('the TypeScript server to check the probe', () => {
        const d = vscode.languages.getDiagnostics(probe).filter((x) => x.source === 'ts');
        return d.length > 0 ? d : undefined;
      }, 120_000);
      const messages = found.map((d) => `${d.code}: ${d.message}`);
      assert.ok(!messages.some((m) => /agent-tune/.test(m) && /^2307/.test(m)), messages.join('\n'));
      assert.ok(found.some((d) => /string/.test(d.message) && /number/.test(d.message)), `the wrong reward type is flagged: ${messages.join('\n')}`);
      const judgeErrors = vscode.languages.getDiagnostics(vscode.Uri.joinPath(folder.uri, 'math-agent', 'judge.ts')).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
      assert.deepEqual(judgeErrors.map((d) => d.message), []);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(probe);
    }
  });
});
