import * as vscode from 'vscode';
import { validateConfigText } from '../../trainer/src/config/validate';

/** "Agent Tune: Validate Config": validates the active tune file and reports the result. */
export function registerConfigCommands(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('agentTune.validateConfig', async (uri?: vscode.Uri) => {
      const target = uri ?? vscode.window.activeTextEditor?.document.uri;
      if (!target) {
        void vscode.window.showWarningMessage('Open a *.tune.yaml file to validate it.');
        return [];
      }
      const doc = await vscode.workspace.openTextDocument(target);
      const result = validateConfigText(doc.getText(), vscode.workspace.asRelativePath(target));
      const errors = result.issues.filter((i) => i.severity === 'error');
      if (errors.length === 0) void vscode.window.showInformationMessage(`${vscode.workspace.asRelativePath(target)} is valid.`);
      else void vscode.window.showErrorMessage(`${errors.length} problem${errors.length > 1 ? 's' : ''} in ${vscode.workspace.asRelativePath(target)}: ${errors[0].message}`);
      return result.issues;
    }),
  );
}
