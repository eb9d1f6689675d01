// The "Runs" view: run folders of the workspace's tune configs, newest run first.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { listRuns, runRootsFor, type RunEntry } from './discover';
import { RunWatch } from './watch';

type Node = { kind: 'root'; dir: string } | { kind: 'run'; run: RunEntry };

const STATUS_ICON: Record<RunEntry['status'], vscode.ThemeIcon> = {
  loading: new vscode.ThemeIcon('loading~spin'),
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  finished: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  stopped: new vscode.ThemeIcon('debug-stop'),
  unknown: new vscode.ThemeIcon('circle-outline'),
};

export class RunsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private watchers: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Running runs are polled, so that one that ends shows it without a Refresh. */
  private watch = new RunWatch(() => this.refresh());

  constructor() {
    const configs = vscode.workspace.createFileSystemWatcher('**/*.tune.{yaml,yml}');
    const runs = vscode.workspace.createFileSystemWatcher('**/events.jsonl', false, true, false);
    for (const w of [configs, runs]) {
      w.onDidCreate(() => this.refreshSoon());
      w.onDidDelete(() => this.refreshSoon());
      this.watchers.push(w);
    }
    configs.onDidChange(() => this.refreshSoon());
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  private refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 300);
  }

  /** Every run folder root of the workspace, from its tune configs. */
  async roots(): Promise<string[]> {
    const configs = await vscode.workspace.findFiles('**/*.tune.{yaml,yml}', '**/node_modules/**', 200);
    const roots = new Set<string>();
    for (const c of configs) for (const r of await runRootsFor(c.fsPath)) roots.add(r);
    return [...roots].sort();
  }

  async allRuns(): Promise<RunEntry[]> {
    const lists = await Promise.all((await this.roots()).map(listRuns));
    return lists.flat().sort((a, b) => b.started - a.started);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      const roots = await this.roots();
      const withRuns: string[] = [];
      for (const r of roots) if ((await listRuns(r)).length) withRuns.push(r);
      if (withRuns.length === 1) return this.runNodes(withRuns[0]);
      return withRuns.map((dir) => ({ kind: 'root', dir }));
    }
    if (node.kind === 'root') return this.runNodes(node.dir);
    return [];
  }

  private async runNodes(root: string): Promise<Node[]> {
    const runs = await listRuns(root);
    this.watch.track(runs);
    return runs.map((run) => ({ kind: 'run', run }));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'root') {
      const item = new vscode.TreeItem(vscode.workspace.asRelativePath(node.dir), vscode.TreeItemCollapsibleState.Expanded);
      item.iconPath = vscode.ThemeIcon.Folder;
      item.resourceUri = vscode.Uri.file(node.dir);
      return item;
    }
    const r = node.run;
    const item = new vscode.TreeItem(basename(r.dir), vscode.TreeItemCollapsibleState.None);
    item.id = r.dir;
    item.description = `${r.status}${r.mode ? ` · ${r.mode}` : ''}${r.progress ? ` · ${r.progress}` : ''} · ${new Date(r.started).toLocaleString()}`;
    item.tooltip = new vscode.MarkdownString();
    item.tooltip.appendText(`${r.dir}\n${r.status}${r.message ? `: ${r.message}` : ''}`);
    item.iconPath = STATUS_ICON[r.status];
    item.contextValue = 'agentTune.run';
    item.resourceUri = vscode.Uri.file(r.dir);
    item.command = { command: 'agentTune.openRun', title: 'Open Run', arguments: [vscode.Uri.file(r.dir)] };
    return item;
  }

  dispose(): void {
    for (const w of this.watchers) w.dispose();
    this.watch.dispose();
    this.changed.dispose();
    if (this.timer) clearTimeout(this.timer);
  }
}
