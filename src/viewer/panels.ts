// Keeps one viewer panel per run directory (and one per debugged config, see registry.ts),
// restores panels after a window reload, and serves `rollouts.jsonl` through a custom editor
// showing the same viewer.
import * as vscode from 'vscode';
import { basename, dirname, resolve } from 'node:path';
import { RunPanel, VIEW_TYPE, type PanelHost, type PanelOptions } from './panel';
import type { ViewState } from './protocol';
import { PanelRegistry } from './registry';

export const ROLLOUTS_EDITOR = 'agentTune.rollouts';

export class RunPanels implements vscode.Disposable {
  private panels = new PanelRegistry<RunPanel>();
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
      vscode.window.registerCustomEditorProvider(ROLLOUTS_EDITOR, new RolloutsEditor(this.host), {
        supportsMultipleEditorsPerDocument: true,
      }),
    );
  }

  /**
   * Shows the run's panel, creating it when there is none. With `launch` (the tune config a
   * debug session ran), the panel of that config's previous run moves to this run.
   */
  open(dir: string, opts: PanelOptions & { launch?: string } = {}): RunPanel {
    const key = resolve(dir);
    const launch = opts.launch === undefined ? undefined : resolve(opts.launch);
    const placed = this.panels.place(key, launch);
    if (placed.kind !== 'new') {
      if (placed.kind === 'reuse') {
        placed.panel.showRun(key);
        this.panels.set(placed.panel, key, launch);
      }
      placed.panel.panel.reveal(undefined, opts.preserveFocus);
      return placed.panel;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, `Run: ${basename(key)}`, { viewColumn: vscode.ViewColumn.Active, preserveFocus: opts.preserveFocus });
    return this.track(new RunPanel(panel, key, this.host, opts), launch);
  }

  get(dir: string): RunPanel | undefined {
    return this.panels.get(resolve(dir));
  }

  private track(p: RunPanel, launch?: string): RunPanel {
    this.panels.set(p, resolve(p.dir), launch);
    p.onDidDispose(() => this.panels.delete(p));
    return p;
  }

  dispose(): void {
    for (const p of this.panels.panels()) p.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** `rollouts.jsonl` opened in the editor area: the viewer on the run that holds it. */
class RolloutsEditor implements vscode.CustomReadonlyEditorProvider {
  constructor(private host: PanelHost) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(doc: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    new RunPanel(panel, dirname(doc.uri.fsPath), this.host);
  }
}
