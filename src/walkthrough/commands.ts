// The commands behind the getting-started walkthrough (package.json `contributes.walkthroughs`):
// open the math-agent example (copying the bundled one into a folder the user picks when the
// workspace has none), debug it with a breakpoint in its judge, train it, and open the newest run.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parse } from 'yaml';
import { parseRef } from '../../trainer/src/config/load';
import { requireTrust } from '../trust';
import { copyExample, EXAMPLE_CONFIG, EXAMPLE_NAME, judgeBodyLine, newestRun, pickExampleConfig } from './example';

/** globalState key: a config to open once the folder it was copied to is open. */
const OPEN_AFTER_RELOAD = 'agentTune.walkthrough.openAfterReload';
const OPEN_EXAMPLE = 'Open Math-Agent Example';

export function registerWalkthrough(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('agentTune.openExample', () => openExample(context)),
    vscode.commands.registerCommand('agentTune.debugExample', debugExample),
    vscode.commands.registerCommand('agentTune.trainExample', async () => {
      const config = await exampleOrOffer(context);
      return config ? vscode.commands.executeCommand<boolean>('agentTune.runConfig', config) : false;
    }),
    vscode.commands.registerCommand('agentTune.openLatestRun', openLatestRun),
  );
  void openPendingExample(context);

  async function debugExample(): Promise<boolean> {
    if (!requireTrust('Debugging')) return false;
    const config = await exampleOrOffer(context);
    if (!config) return false;
    await breakInJudge(config);
    const folder = vscode.workspace.getWorkspaceFolder(config);
    return vscode.debug.startDebugging(folder, { type: 'agent-tune', request: 'launch', name: `Debug ${vscode.workspace.asRelativePath(config)}`, config: config.fsPath, mode: 'debug', tasks: 1 });
  }
}

async function findExample(): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles(`**/${EXAMPLE_CONFIG}`, '**/node_modules/**', 50);
  const pick = pickExampleConfig(found.map((u) => u.fsPath));
  return pick ? vscode.Uri.file(pick) : undefined;
}

/** The workspace's example config; without one, says so and offers to open it. */
async function exampleOrOffer(context: vscode.ExtensionContext): Promise<vscode.Uri | undefined> {
  const found = await findExample();
  if (found) return found;
  const pick = await vscode.window.showInformationMessage(`This workspace has no ${EXAMPLE_NAME}/${EXAMPLE_CONFIG}: open the example first.`, OPEN_EXAMPLE);
  if (pick === OPEN_EXAMPLE) await openExample(context);
  return undefined;
}

async function showConfig(config: vscode.Uri): Promise<void> {
  await vscode.window.showTextDocument(config, { preview: false, viewColumn: vscode.ViewColumn.One });
}

/** Opens the workspace's example, or copies the bundled one into a folder the user picks and opens that. */
async function openExample(context: vscode.ExtensionContext): Promise<vscode.Uri | undefined> {
  const existing = await findExample();
  if (existing) {
    await showConfig(existing);
    return existing;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Copy Example Here',
    title: `Choose a folder for a copy of the ${EXAMPLE_NAME} example`,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir()),
  });
  const parent = picked?.[0]?.fsPath;
  if (!parent) return undefined;
  let dest: string;
  try {
    dest = copyExample(context.asAbsolutePath(path.join('examples', EXAMPLE_NAME)), parent);
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not copy the ${EXAMPLE_NAME} example into ${parent}: ${(e as Error).message}`);
    return undefined;
  }
  const config = vscode.Uri.file(path.join(dest, EXAMPLE_CONFIG));
  if (vscode.workspace.getWorkspaceFolder(config)) {
    await showConfig(config);
    return config;
  }
  // Opening a folder restarts the extension host: the config is opened when it is back.
  await context.globalState.update(OPEN_AFTER_RELOAD, config.fsPath);
  await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(dest));
  return config;
}

async function openPendingExample(context: vscode.ExtensionContext): Promise<void> {
  const pending = context.globalState.get<string>(OPEN_AFTER_RELOAD);
  if (!pending || !vscode.workspace.getWorkspaceFolder(vscode.Uri.file(pending))) return;
  await context.globalState.update(OPEN_AFTER_RELOAD, undefined);
  await showConfig(vscode.Uri.file(pending)).then(undefined, () => undefined);
}

/** Sets a breakpoint on the first line of the config's judge (unless one is there) and shows it. */
async function breakInJudge(config: vscode.Uri): Promise<void> {
  let ref: unknown;
  try {
    ref = (parse(await readFile(config.fsPath, 'utf8')) as { judge?: { ref?: unknown } } | null)?.judge?.ref;
  } catch {
    return; // The debug session reports what is wrong with the config.
  }
  if (typeof ref !== 'string') return;
  const { file, exportName } = parseRef(path.dirname(config.fsPath), ref);
  if (!file) return;
  const judge = vscode.Uri.file(file);
  const doc = await vscode.workspace.openTextDocument(judge).then(undefined, () => undefined);
  const line = doc ? judgeBodyLine(doc.getText(), exportName) : null;
  if (!doc || line === null) return;
  const has = vscode.debug.breakpoints.some((b) => b instanceof vscode.SourceBreakpoint && b.location.uri.fsPath === judge.fsPath && b.location.range.start.line === line);
  if (!has) vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(judge, new vscode.Position(line, 0)))]);
  const at = new vscode.Position(line, 0);
  await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(at, at) });
}

/** Opens the newest run of the workspace's tune configs in the run viewer. */
async function openLatestRun(): Promise<void> {
  const configs = await vscode.workspace.findFiles('**/*.tune.{yaml,yml}', '**/node_modules/**', 200);
  const run = await newestRun(configs.map((u) => u.fsPath));
  if (!run) {
    void vscode.window.showInformationMessage('No runs yet: debug (F5) or run a *.tune.yaml first.');
    return;
  }
  await vscode.commands.executeCommand('agentTune.openRun', vscode.Uri.file(run.dir));
}
