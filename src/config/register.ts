// Registers everything the editor does for `*.tune.yaml`: diagnostics, hover, completion,
// go to definition, code lenses, quick fixes and the config commands.
import * as vscode from 'vscode';
import { registerConfigCommands } from './commands';
import { ConfigDiagnostics } from './diagnostics';
import { CONFIG_SELECTOR, isConfig } from './host';
import { codeLensProvider, completionProvider, completionTriggers, definitionProvider, hoverProvider, quickFixProvider } from './providers';

export function registerConfigLanguage(context: vscode.ExtensionContext): ConfigDiagnostics {
  const diagnostics = new ConfigDiagnostics();
  context.subscriptions.push(
    diagnostics,
    vscode.languages.registerHoverProvider(CONFIG_SELECTOR, hoverProvider),
    vscode.languages.registerCompletionItemProvider(CONFIG_SELECTOR, completionProvider, ...completionTriggers),
    vscode.languages.registerDefinitionProvider(CONFIG_SELECTOR, definitionProvider),
    vscode.languages.registerCodeLensProvider(CONFIG_SELECTOR, codeLensProvider),
    vscode.languages.registerCodeActionsProvider(CONFIG_SELECTOR, quickFixProvider, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
  );
  // Checks made in Restricted Mode only lexed user modules: check again with esbuild's messages.
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => vscode.workspace.textDocuments.filter(isConfig).forEach((d) => void diagnostics.check(d).catch(() => undefined))));
  registerConfigCommands(context, diagnostics);
  return diagnostics;
}
