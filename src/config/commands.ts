// Commands on tune configs: Validate, Run and Debug (as `agent-tune` debug sessions), and
// Open last run (handed to the run viewer's `agentTune.openRun`).
import * as vscode from 'vscode';
import type { ConfigIssue } from '../../trainer/src/config/validate';
import type { ConfigDiagnostics } from './diagnostics';
import { requireTrust } from '../trust';
import { isConfig } from './host';

async function targetDocument(uri: unknown): Promise<vscode.TextDocument | undefined> {
  const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
  if (!target) {
    void vscode.window.showWarningMessage('Open a *.tune.yaml file first.');
    return undefined;
  }
  return vscode.workspace.openTextDocument(target);
}

async function start(uri: unknown, mode: 'train' | 'debug', diagnostics: ConfigDiagnostics): Promise<boolean> {
  if (!requireTrust(mode === 'train' ? 'Run' : 'Debugging')) return false;
  const doc = await targetDocument(uri);
  if (!doc) return false;
  // The trainer reads the file from disk.
  if (doc.isDirty && !(await doc.save())) return false;
  const errors = (await diagnostics.check(doc)).filter((i) => i.severity === 'error');
  if (errors.length) {
    const show = 'Show Problems';
    // Not awaited: the command answers at once, the notification stays until dismissed.
    void vscode.window
      .showErrorMessage(
        `${vscode.workspace.asRelativePath(doc.uri)} has ${errors.length} problem${errors.length > 1 ? 's' : ''}; fix ${errors.length > 1 ? 'them' : 'it'} first. ${errors[0].line}:${errors[0].column} ${errors[0].message}`,
        show,
      )
      .then((pick) => (pick === show ? vscode.commands.executeCommand('workbench.actions.view.problems') : undefined));
    return false;
  }
  const name = `${mode === 'train' ? 'Run' : 'Debug'} ${vscode.workspace.asRelativePath(doc.uri)}`;
  // Run is not Debug: no breakpoint, exception filter or entry stop holds a training run.
  return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(doc.uri), { type: 'agent-tune', request: 'launch', name, config: doc.uri.fsPath, mode }, { noDebug: mode === 'train' });
}

export function registerConfigCommands(context: vscode.ExtensionContext, diagnostics: ConfigDiagnostics): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('agentTune.validateConfig', async (uri?: vscode.Uri): Promise<ConfigIssue[]> => {
      const doc = await targetDocument(uri);
      if (!doc) return [];
      if (!isConfig(doc)) {
        void vscode.window.showWarningMessage(`${vscode.workspace.asRelativePath(doc.uri)} is not a tune config (*.tune.yaml).`);
        return [];
      }
      const issues = await diagnostics.check(doc);
      const errors = issues.filter((i) => i.severity === 'error');
      const warnings = issues.length - errors.length;
      const name = vscode.workspace.asRelativePath(doc.uri);
      if (errors.length === 0) void vscode.window.showInformationMessage(`${name} is valid${warnings ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}.`);
      else void vscode.window.showErrorMessage(`${errors.length} problem${errors.length > 1 ? 's' : ''} in ${name}: ${errors[0].line}:${errors[0].column} ${errors[0].message}`);
      return issues;
    }),
    vscode.commands.registerCommand('agentTune.runConfig', (uri?: vscode.Uri) => start(uri, 'train', diagnostics)),
    vscode.commands.registerCommand('agentTune.debugConfig', (uri?: vscode.Uri) => start(uri, 'debug', diagnostics)),
    vscode.commands.registerCommand('agentTune.openLastRun', async (runDir?: vscode.Uri) => {
      if (!runDir) return;
      if (!(await vscode.commands.getCommands(true)).includes('agentTune.openRun')) {
        void vscode.window.showErrorMessage(`The run viewer is not available, so ${runDir.fsPath} cannot be opened here; open its events.jsonl instead.`);
        return;
      }
      await vscode.commands.executeCommand('agentTune.openRun', runDir);
    }),
  );
}
