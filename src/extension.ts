import * as vscode from 'vscode';
import { registerConfigCommands } from './config/commands';

export function activate(context: vscode.ExtensionContext): void {
  registerConfigCommands(context);
}

export function deactivate(): void {}
