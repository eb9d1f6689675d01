// Registers the run viewer, the Runs view and their commands.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { RunPanels } from './panels';
import { watchDebugSessions } from './live';
import { RunsTree } from '../runs/tree';
import { openRun, type RunArg } from '../runs/openRun';

export function registerViewer(context: vscode.ExtensionContext): { panels: RunPanels; tree: RunsTree } {
  const output = vscode.window.createOutputChannel('Agent Tune: Re-judge');
  const tree = new RunsTree();
  const panels = new RunPanels({
    extensionUri: context.extensionUri,
    output,
    pickRun: async (exclude) => {
      const runs = (await tree.allRuns()).filter((r) => r.dir !== exclude);
      const browse = { label: '$(folder-opened) Browse…', dir: '' };
      const pick = await vscode.window.showQuickPick(
        [...runs.map((r) => ({ label: basename(r.dir), description: `${r.status} · ${new Date(r.started).toLocaleString()}`, detail: vscode.workspace.asRelativePath(r.dir), dir: r.dir })), browse],
        { title: 'Compare with run', placeHolder: 'Choose a run whose metrics are overlaid' },
      );
      if (!pick) return undefined;
      if (pick.dir) return pick.dir;
      const uri = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Compare' });
      return uri?.[0]?.fsPath;
    },
  });
  const open = (arg: RunArg, preserveFocus = false, launch?: string) => openRun(panels, context.globalStorageUri, arg, { preserveFocus, launch });
  context.subscriptions.push(
    output,
    tree,
    panels,
    vscode.window.registerTreeDataProvider('agentTune.runs', tree),
    vscode.commands.registerCommand('agentTune.openRun', (arg?: RunArg) => open(arg)),
    vscode.commands.registerCommand('agentTune.refreshRuns', () => tree.refresh()),
    watchDebugSessions((runDir, launch) => void open(runDir, true, launch)),
  );
  return { panels, tree };
}
