import * as vscode from 'vscode';
import { registerConfigLanguage } from './config/register';
import { registerDebugger } from './debug/register';
import { registerTaskPreview } from './tasks/preview';
import { registerViewer } from './viewer';
import { registerWalkthrough } from './walkthrough/commands';

export function activate(context: vscode.ExtensionContext): void {
  registerConfigLanguage(context);
  registerViewer(context);
  registerDebugger(context);
  registerWalkthrough(context);
  registerTaskPreview(context);
}

export function deactivate(): void {}
