// Workspace trust. In Restricted Mode the run viewer, the Runs view and the config language
// features work: they read files and never load, transpile or run the workspace's code.
// Whatever runs a workflow, judge or tool (TypeScript the trainer loads) or the python a
// model writes is refused, saying why and offering to manage trust.
import * as vscode from 'vscode';

export const MANAGE_TRUST = 'Manage Workspace Trust';

/** Why `action` is refused in Restricted Mode (also the text tests look for). */
export function restrictedMessage(action: string): string {
  return `${action} is off in Restricted Mode: it runs this workspace's workflows, judges and tools, and python the model writes. Trust the workspace to use it.`;
}

/**
 * True in a trusted workspace. Otherwise shows why `action` is off, with a button that opens
 * VS Code's trust editor, and returns false.
 */
export function requireTrust(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showWarningMessage(restrictedMessage(action), MANAGE_TRUST)
    .then((pick) => (pick === MANAGE_TRUST ? vscode.commands.executeCommand('workbench.trust.manage') : undefined));
  return false;
}
