// Keeps the Problems view in step with every open config: re-checked shortly after each
// edit, and whenever a file it refers to (module, task file, model folder) changes on disk
// or in an editor.
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { ConfigIssue } from '../../trainer/src/config/validate';
import { referenceCheck } from '../../trainer/src/judges/reference';
import { diagnose } from '../../trainer/src/language/diagnostics';
import { configPath, editorHost, isConfig } from './host';

/** The task data checks: how long a check waits for them, and how long they may run in all. */
const DATA_CHECKS = { waitMs: 300, budgetMs: 20_000, references: referenceCheck };

export class ConfigDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('agent-tune');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Config document URI → files its checks read. */
  private readonly deps = new Map<string, Set<string>>();
  /** Folder → watcher of the files directly in it. */
  private readonly watchers = new Map<string, vscode.Disposable>();
  private readonly runs = new Map<string, number>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly delayMs = 250) {
    this.subscriptions.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (isConfig(e.document)) this.schedule(e.document, this.delayMs);
        else if (e.document.uri.scheme === 'file') this.dependencyChanged(e.document.uri.fsPath);
      }),
      vscode.workspace.onDidSaveTextDocument((d) => (isConfig(d) ? this.schedule(d, 0) : this.dependencyChanged(d.uri.fsPath))),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d)),
    );
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  /** Checks now and returns the issues (the Validate command and tests use it). */
  async check(doc: vscode.TextDocument): Promise<ConfigIssue[]> {
    const key = doc.uri.toString();
    const run = (this.runs.get(key) ?? 0) + 1;
    this.runs.set(key, run);
    const version = doc.version;
    const { issues, dependencies, pending } = await diagnose(doc.getText(), { file: configPath(doc), display: vscode.workspace.asRelativePath(doc.uri), host: editorHost, data: DATA_CHECKS });
    // Data checks that outlast the wait finish in the background; their findings come with the next check.
    void pending?.then(() => this.schedule(doc, 0));
    // A newer check started while this one read files: its answer wins.
    if (this.runs.get(key) !== run || doc.version !== version || doc.isClosed) return issues;
    this.collection.set(doc.uri, issues.map((i) => toDiagnostic(doc, i)));
    this.deps.set(key, new Set(dependencies));
    this.syncWatchers();
    return issues;
  }

  private schedule(doc: vscode.TextDocument, delay: number): void {
    if (!isConfig(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.check(doc).catch((e) => console.error(`agent-tune: checking ${key} failed`, e));
      }, delay),
    );
  }

  private dependencyChanged(path: string): void {
    for (const [key, files] of this.deps) {
      if (!files.has(path)) continue;
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
      if (doc) this.schedule(doc, this.delayMs);
    }
  }

  private forget(doc: vscode.TextDocument): void {
    if (!isConfig(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.collection.delete(doc.uri);
    this.deps.delete(key);
    this.syncWatchers();
  }

  /** One watcher per folder that holds a dependency; folders no config needs are dropped. */
  private syncWatchers(): void {
    const wanted = new Set<string>();
    for (const files of this.deps.values()) for (const f of files) wanted.add(dirname(f));
    for (const [dir, w] of this.watchers) {
      if (!wanted.has(dir)) {
        w.dispose();
        this.watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '*'));
      const changed = (uri: vscode.Uri) => this.dependencyChanged(uri.fsPath);
      this.watchers.set(dir, vscode.Disposable.from(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), watcher.onDidDelete(changed)));
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const w of this.watchers.values()) w.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}

export function toDiagnostic(doc: vscode.TextDocument, i: ConfigIssue): vscode.Diagnostic {
  const start = doc.positionAt(i.start);
  let end = doc.positionAt(i.end);
  // A zero-width mark is easy to miss: underline the rest of the line instead.
  if (i.end <= i.start) end = doc.lineAt(start.line).range.end;
  const d = new vscode.Diagnostic(new vscode.Range(start, end), i.message, i.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error);
  d.source = 'agent-tune';
  return d;
}
