import * as vscode from 'vscode';
import { registerConfigLanguage } from './config/register';
import { registerDebugger } from './debug/register';
import { registerSandboxStatus } from './sandbox/status';
import { registerTaskPreview } from './tasks/preview';
import { registerViewer } from './viewer';
import { registerWalkthrough } from './walkthrough/commands';

export function activate(context: vscode.ExtensionContext): void {
  registerConfigLanguage(context);
  registerViewer(context);
  registerDebugger(context);
  registerWalkthrough(context);
  registerTaskPreview(context);
  registerSandboxStatus(context);
}

export function deactivate(): void {}
