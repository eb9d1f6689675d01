// The "Agent Tune: Run" webview panel: one per run directory. The webview asks for data with
// `ready`; the panel answers by (re)reading the run's files through a RunSource, so a panel
// that was hidden, reopened or restored after a reload always rebuilds from the files.
import * as vscode from 'vscode';
import { basename, join } from 'node:path';
import { RunSource } from './runSource';
import { CompareFollower } from './compare';
import { viewerHtml } from './html';
import { toWire, type HostMessage, type MetricSeries, type WebviewMessage } from './protocol';
import { exportLine, locateJudge } from './judgeSource';
import { runRejudge } from './rejudge';
import { describeSummary, formatChanges } from '../../trainer/src/run/rejudgeDiff';
import { RUN_FILES } from '../../trainer/src/run/events';
import { requireTrust } from '../trust';

export const VIEW_TYPE = 'agentTune.run';

export interface PanelOptions {
  importedFrom?: string;
  preserveFocus?: boolean;
}

/** Everything a panel needs from the extension, kept small so panels stay testable. */
export interface PanelHost {
  extensionUri: vscode.Uri;
  output: vscode.OutputChannel;
  /** Lets the user choose another run for the comparison overlay. */
  pickRun(exclude: string): Promise<string | undefined>;
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')] };
}

export class RunPanel implements vscode.Disposable {
  private _source: RunSource;
  private _dir: string;
  private readonly compare: CompareFollower;
  private disposables: vscode.Disposable[] = [];
  private renderedEmitter = new vscode.EventEmitter<Extract<WebviewMessage, { type: 'rendered' }>>();
  /** Fires after the webview redraws its table; tests wait on it to see rows appear. */
  readonly onDidRender = this.renderedEmitter.event;
  lastRendered: Extract<WebviewMessage, { type: 'rendered' }> | null = null;
  private onDisposeCallbacks: (() => void)[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    dir: string,
    private host: PanelHost,
    opts: PanelOptions = {},
  ) {
    const webview = panel.webview;
    webview.options = webviewOptions(host.extensionUri);
    panel.iconPath = vscode.Uri.joinPath(host.extensionUri, 'media', 'runs.svg');
    this._dir = dir;
    this._source = new RunSource(dir, (m) => void this.post(m), { importedFrom: opts.importedFrom });
    this.compare = new CompareFollower((m) => void this.post(m));
    webview.html = viewerHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(host.extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(host.extensionUri, 'dist', 'webview.css')).toString(),
      title: panel.title,
    });
    this.disposables.push(
      webview.onDidReceiveMessage((m: WebviewMessage) => void this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** The run shown; it changes when F5 on the same config moves this panel to the new run. */
  get dir(): string {
    return this._dir;
  }

  get source(): RunSource {
    return this._source;
  }

  /** Shows another run in this panel: the webview keeps its filters and rebuilds from the files. */
  showRun(dir: string): void {
    if (dir === this._dir) return;
    this._source.dispose();
    this._dir = dir;
    this._source = new RunSource(dir, (m) => void this.post(m));
    this.panel.title = `Run: ${basename(dir)}`;
    this.lastRendered = null;
    void this._source.start();
  }

  onDidDispose(cb: () => void): void {
    this.onDisposeCallbacks.push(cb);
  }

  private post(m: HostMessage): Thenable<boolean> {
    return this.panel.webview.postMessage(toWire(m));
  }

  private async receive(m: WebviewMessage): Promise<void> {
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'ready':
      case 'open':
      case 'search':
        await this.source.handle(m);
        break;
      case 'judgeSource':
        await this.openJudgeSource();
        break;
      case 'rejudge':
        await this.rejudge(Array.isArray(m.ids) ? m.ids.filter((x): x is string => typeof x === 'string') : undefined);
        break;
      case 'compare': {
        const other = await this.host.pickRun(this.dir);
        if (other) await this.compareWith(other);
        break;
      }
      case 'clearCompare':
        this.compare.clear();
        void this.post({ type: 'compare', series: null });
        break;
      case 'rendered':
        this.lastRendered = m;
        this.renderedEmitter.fire(m);
        break;
    }
  }

  /** Overlays `other`'s metrics on this run's charts, following that run as it writes them. */
  async compareWith(other: string): Promise<void> {
    void this.post({ type: 'action', action: 'compare', state: 'running', message: `Reading ${basename(other)}…` });
    try {
      const series = await this.compare.follow(other);
      void this.post({ type: 'action', action: 'compare', state: 'done', message: `Comparing with ${series.name}; the overlay follows that run as it writes metrics` });
    } catch (e) {
      void this.post({ type: 'action', action: 'compare', state: 'failed', message: `Could not read ${other}: ${(e as Error).message}` });
    }
  }

  /** The overlay's metrics as last sent to the charts. */
  get compared(): MetricSeries | undefined {
    return this.compare.series();
  }

  async openJudgeSource(): Promise<void> {
    const where = await locateJudge(this.dir);
    if (where.kind === 'builtin') {
      void vscode.window.showInformationMessage(`This run uses the built-in judge ${where.ref}; it is part of the trainer, with no source file in the workspace.`);
      return;
    }
    if (where.kind === 'unknown') {
      void vscode.window.showWarningMessage(`Cannot find this run's judge: ${where.reason}.`);
      return;
    }
    try {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(where.file));
      const line = where.symbol ? exportLine(doc.getText(), where.symbol) : null;
      const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
      if (line !== null) {
        const pos = new vscode.Position(line, 0);
        editor.selection = new vscode.Selection(pos, pos);
        editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      }
    } catch (e) {
      void vscode.window.showErrorMessage(`Cannot open the judge ${where.ref} (${where.file}): ${(e as Error).message}`);
    }
  }

  /**
   * Re-judges `ids` (the whole run without them) into the run, under a cancellable progress
   * notification; then re-reads the files in place and shows what changed.
   */
  async rejudge(ids?: string[]): Promise<void> {
    if (!requireTrust('Re-judge')) {
      void this.post({ type: 'action', action: 'rejudge', state: 'failed', message: 'Re-judge is off in Restricted Mode' });
      return;
    }
    if (this.rejudging) {
      void vscode.window.showInformationMessage('A re-judge of this run is already running; wait for it, or cancel it in its notification.');
      return;
    }
    this.rejudging = true;
    try {
      await this.rejudgeNow(ids);
    } finally {
      this.rejudging = false;
    }
  }

  private rejudging = false;

  private async rejudgeNow(ids?: string[]): Promise<void> {
    const cli = join(this.host.extensionUri.fsPath, 'trainer', 'bin', 'agent-tune.js');
    const out = this.host.output;
    const what = ids?.length ? (ids.length === 1 ? `rollout ${ids[0]}` : `${ids.length} rollouts`) : 'the whole run';
    out.appendLine(`$ agent-tune rejudge ${this.dir} --write${ids?.length ? ` --ids ${ids.join(',')}` : ''}`);
    out.show(true);
    void this.post({ type: 'action', action: 'rejudge', state: 'running', message: `Re-judging ${what} with the current judge…` });
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Re-judging ${what}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        let shown = 0;
        try {
          return await runRejudge(cli, this.dir, (text) => out.append(text), {
            ids,
            write: true,
            signal: abort.signal,
            onProgress: (p) => {
              if (p.stage !== 'judging') return progress.report({ message: 'writing the run…' });
              const pct = p.total ? (100 * p.done) / p.total : 0;
              progress.report({ message: `${p.done}/${p.total} rollouts`, increment: pct - shown });
              shown = pct;
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
    if (r.ok && r.summary) out.appendLine(formatChanges(r.changes ?? [], r.summary));
    out.appendLine(r.ok ? '[done]' : r.cancelled ? '[cancelled]' : `[failed${r.code !== null ? `: exit ${r.code}` : ''}]`);
    if (!r.ok || !r.summary) {
      void this.post({ type: 'action', action: 'rejudge', state: 'failed', message: r.cancelled ? `Re-judge ${r.message}` : `Re-judge failed: ${r.message}` });
      return;
    }
    // The CLI replaced the files: read them again, keeping filters, selection and scroll.
    if (r.summary.revision) await this.source.start();
    const text = describeSummary(r.summary) + (r.summary.revision ? `. The run as it was is kept as ${RUN_FILES.rejudge}/${r.summary.revision}; undo: agent-tune rejudge "${this.dir}" --undo` : '');
    void this.post({ type: 'action', action: 'rejudge', state: 'done', message: `Re-judged ${what}: ${text}` });
    void this.post({ type: 'rejudged', text, summary: r.summary });
  }

  dispose(): void {
    this.source.dispose();
    this.compare.dispose();
    this.renderedEmitter.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    for (const cb of this.onDisposeCallbacks.splice(0)) cb();
  }
}
