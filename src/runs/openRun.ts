// "Agent Tune: Open Run…" (`agentTune.openRun`): opens a run directory in the viewer. The
// argument may be a run folder, a file inside it, or a foreign dump (a verl rollout_data_dir,
// AgentJet trajectory JSON), which is imported into a run under the extension's storage first.
import * as vscode from 'vscode';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { detectFormat, importRun } from '../../trainer/src/run/convert';
import type { RunPanels } from '../viewer/panels';
import type { RunPanel } from '../viewer/panel';

export type RunArg = vscode.Uri | string | { runDir?: string } | undefined;

function toPath(arg: RunArg): string | undefined {
  if (!arg) return undefined;
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof (arg as { runDir?: unknown }).runDir === 'string') return (arg as { runDir: string }).runDir;
  if (typeof (arg as { fsPath?: unknown }).fsPath === 'string') return (arg as { fsPath: string }).fsPath;
  return undefined;
}

export async function openRun(panels: RunPanels, storage: vscode.Uri, arg: RunArg, opts: { preserveFocus?: boolean; launch?: string } = {}): Promise<RunPanel | undefined> {
  let path = toPath(arg);
  if (!path) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      openLabel: 'Open Run',
      title: 'Open a run folder, a verl rollout dump or AgentJet trajectory JSON',
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    path = picked?.[0]?.fsPath;
    if (!path) return undefined;
  }
  const s = await stat(path).catch(() => null);
  if (!s) {
    void vscode.window.showErrorMessage(`Agent Tune: ${path} does not exist.`);
    return undefined;
  }
  // A file of a run (rollouts.jsonl, events.jsonl, …) stands for its folder.
  if (s.isFile() && (await detectFormat(dirname(path)).catch(() => null))?.kind === 'run') path = dirname(path);
  const found = await detectFormat(path).catch(() => null);
  if (!found) {
    // Not recognisable: open it anyway, so the panel says what is wrong with it.
    return panels.open(s.isFile() ? dirname(path) : path, opts);
  }
  if (found.kind === 'run') return panels.open(path, opts);
  const source = path;
  const out = join(storage.fsPath, 'imports', `${basename(source).replace(/[^\w.-]+/g, '_')}-${createHash('sha1').update(source).digest('hex').slice(0, 8)}`);
  try {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Importing ${found.label}…` }, () => importRun(source, out));
    if (result.problems.length) void vscode.window.showWarningMessage(`Imported ${result.rollouts} rollouts from ${basename(source)}; ${result.problems.length} problem(s) are listed in the viewer's Log tab.`);
    return panels.open(result.dir, { ...opts, importedFrom: source });
  } catch (e) {
    void vscode.window.showErrorMessage(`Agent Tune: cannot import ${source}: ${(e as Error).message}`);
    return undefined;
  }
}
