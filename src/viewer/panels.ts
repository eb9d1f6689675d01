// Keeps one viewer panel per run directory, restores panels after a window reload, and serves
// `rollouts.jsonl` through a custom editor showing the same viewer.
import * as vscode from 'vscode';
import { basename, dirname, resolve } from 'node:path';
import { RunPanel, VIEW_TYPE, type PanelHost, type PanelOptions } from './panel';
import type { ViewState } from './protocol';

export const ROLLOUTS_EDITOR = 'agentTune.rollouts';

export class RunPanels implements vscode.Disposable {
  private panels = new Map<string, RunPanel>();
  private disposables: vscode.Disposable[] = [];

  constructor(private host: PanelHost) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: Partial<ViewState> & { dir?: string }) => {
          if (!state?.dir) {
            panel.dispose();
            return;
          }
          this.track(new RunPanel(panel, state.dir, this.host, { importedFrom: state.importedFrom }));
        },
      }),
      vscode.window.registerCustomEditorProvider(ROLLOUTS_EDITOR, new RolloutsEditor(this.host, (p) => this.track(p, false)), {
        supportsMultipleEditorsPerDocument: true,
      }),
    );
  }

  /** Shows the run's panel, creating it when there is none. */
  open(dir: string, opts: PanelOptions = {}): RunPanel {
    const key = resolve(dir);
    const existing = this.panels.get(key);
    if (existing) {
      existing.panel.reveal(undefined, opts.preserveFocus);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, `Run: ${basename(key)}`, { viewColumn: vscode.ViewColumn.Active, preserveFocus: opts.preserveFocus });
    return this.track(new RunPanel(panel, key, this.host, opts));
  }

  get(dir: string): RunPanel | undefined {
    return this.panels.get(resolve(dir));
  }

  private track(p: RunPanel, keyed = true): RunPanel {
    if (!keyed) return p;
    const key = resolve(p.dir);
    this.panels.set(key, p);
    p.onDidDispose(() => {
      if (this.panels.get(key) === p) this.panels.delete(key);
    });
    return p;
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** `rollouts.jsonl` opened in the editor area: the viewer on the run that holds it. */
class RolloutsEditor implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private host: PanelHost,
    private track: (p: RunPanel) => void,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(doc: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    this.track(new RunPanel(panel, dirname(doc.uri.fsPath), this.host));
  }
}
