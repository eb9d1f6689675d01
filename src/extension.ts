import * as vscode from 'vscode';
import { registerConfigLanguage } from './config/register';
import { registerViewer } from './viewer';

export function activate(context: vscode.ExtensionContext): void {
  registerConfigLanguage(context);
  registerViewer(context);
}

export function deactivate(): void {}
