// Which viewer panel shows a run. One panel per run directory; and one per launch (the tune
// config a debug session started), so that F5 again on a config shows its new run in the panel
// of its last one instead of opening another tab each time. No vscode import: unit-tested.

export type Placement<P> =
  /** The run has a panel: show it. */
  | { kind: 'shown'; panel: P }
  /** The launch has a panel on an earlier run: move it to this run. */
  | { kind: 'reuse'; panel: P }
  | { kind: 'new' };

export class PanelRegistry<P> {
  private byDir = new Map<string, P>();
  private byLaunch = new Map<string, P>();
  private where = new Map<P, { dir: string; launch?: string }>();

  /** Where the run in `dir` goes; `launch` names the config of the debug session that started it. */
  place(dir: string, launch?: string): Placement<P> {
    const shown = this.byDir.get(dir);
    if (shown) return { kind: 'shown', panel: shown };
    const reused = launch === undefined ? undefined : this.byLaunch.get(launch);
    return reused ? { kind: 'reuse', panel: reused } : { kind: 'new' };
  }

  /** Records that `panel` shows `dir` (for `launch`), forgetting what it showed before. */
  set(panel: P, dir: string, launch?: string): void {
    const before = this.where.get(panel);
    if (before && this.byDir.get(before.dir) === panel) this.byDir.delete(before.dir);
    launch ??= before?.launch;
    this.where.set(panel, { dir, launch });
    this.byDir.set(dir, panel);
    if (launch !== undefined) this.byLaunch.set(launch, panel);
  }

  get(dir: string): P | undefined {
    return this.byDir.get(dir);
  }

  /** The panel was closed. */
  delete(panel: P): void {
    const w = this.where.get(panel);
    if (!w) return;
    this.where.delete(panel);
    if (this.byDir.get(w.dir) === panel) this.byDir.delete(w.dir);
    if (w.launch !== undefined && this.byLaunch.get(w.launch) === panel) this.byLaunch.delete(w.launch);
  }

  panels(): P[] {
    return [...this.where.keys()];
  }
}
