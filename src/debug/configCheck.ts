// F5 on a tune config with errors: say which file, line and field, in a notification that
// opens the YAML there. Left to the debug adapter, the error would come back as a failed
// launch, in VS Code's modal that offers to open launch.json, where nothing needs fixing.
import * as vscode from 'vscode';
import { ConfigError, loadConfig } from '../../trainer/src/config/load';
import { keyPathString } from '../../trainer/src/config/validate';

/** Whether the config loads; when it does not, shows why and returns false. */
export function checkTuneConfig(file: string, action: string): boolean {
  let errors;
  try {
    loadConfig(file);
    return true;
  } catch (e) {
    // Anything else (a missing file, a bad runtime) the adapter reports with its own words.
    if (!(e instanceof ConfigError)) return true;
    errors = e.issues.filter((i) => i.severity === 'error');
  }
  const first = errors[0];
  if (!first) return true;
  const field = keyPathString(first.path);
  const more = errors.length > 1 ? ` (${errors.length - 1} more problem${errors.length === 2 ? '' : 's'} in the Problems view)` : '';
  const text = `Cannot start ${action}: ${vscode.workspace.asRelativePath(first.file)}:${first.line}${field ? ` ${field}` : ''}: ${first.message}${more}`;
  void vscode.window.showErrorMessage(text, 'Open the Config').then(async (choice) => {
    if (!choice) return;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(first.file));
    const at = doc.positionAt(first.start);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(at, doc.positionAt(Math.max(first.start, first.end))) });
  });
  return false;
}
