import * as vscode from 'vscode';
import { registerConfigCommands } from './config/commands';
import { registerViewer } from './viewer';

export function activate(context: vscode.ExtensionContext): void {
  registerConfigCommands(context);
  registerViewer(context);
}

export function deactivate(): void {}
