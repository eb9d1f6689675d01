// Notices when a listed run changes state (finished, failed, stopped, or its trainer gone)
// without a Refresh: each running run's events.jsonl is looked at with one stat a poll, and
// read again (head and tail only, describeRun) only when it grew. No vscode import, so
// tests drive it against real files.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILES } from '../../trainer/src/run/events';
import { describeRun, type RunEntry } from './discover';

/** Polls between looks at a run whose events did not grow. */
const IDLE_LOOK = 5;

export class RunWatch {
  /** The running runs: events.jsonl size and the entry as last described. */
  private watched = new Map<string, { size: number; entry: RunEntry; idle: number }>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  /** `changed` gets the runs whose entry differs from the one shown. */
  constructor(
    private readonly changed: (runs: RunEntry[]) => void,
    private readonly pollMs = 2000,
  ) {}

  /** The runs the view shows now; the running ones are watched until they end. */
  track(runs: readonly RunEntry[]): void {
    for (const r of runs) {
      if (r.status === 'running') {
        if (!this.watched.has(r.dir)) this.watched.set(r.dir, { size: -1, entry: r, idle: 0 });
        else this.watched.get(r.dir)!.entry = r;
      } else this.watched.delete(r.dir);
    }
    if (this.watched.size && !this.timer) this.timer = setInterval(() => void this.check(), this.pollMs);
    if (!this.watched.size) this.stopTimer();
  }

  /** One poll: the watched runs whose entry changed, also passed to `changed`. */
  async check(): Promise<RunEntry[]> {
    if (this.checking) return [];
    this.checking = true;
    const out: RunEntry[] = [];
    try {
      for (const [dir, w] of this.watched) {
        const size = await stat(join(dir, RUN_FILES.events)).then((s) => s.size, () => 0);
        // An unchanged file still gets a look every few polls: a trainer that died writes nothing.
        if (size === w.size && ++w.idle < IDLE_LOOK) continue;
        w.idle = 0;
        const entry = await describeRun(dir);
        const before = w.entry;
        w.size = size;
        w.entry = entry;
        if (entry.status !== 'running') this.watched.delete(dir);
        if (JSON.stringify(entry) !== JSON.stringify(before)) out.push(entry);
      }
    } finally {
      this.checking = false;
    }
    if (!this.watched.size) this.stopTimer();
    if (out.length) this.changed(out);
    return out;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.stopTimer();
    this.watched.clear();
  }
}
