import * as vscode from 'vscode';
import { registerConfigLanguage } from './config/register';
import { registerDebugger } from './debug/register';
import { registerTaskPreview } from './tasks/preview';
import { registerViewer } from './viewer';

export function activate(context: vscode.ExtensionContext): void {
  registerConfigLanguage(context);
  registerViewer(context);
  registerDebugger(context);
  registerTaskPreview(context);
}

export function deactivate(): void {}
