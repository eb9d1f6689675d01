// Human output by default, JSON lines with --json; progress bars only on a terminal. Off a
// terminal (a log, the Debug Console) a run's progress is one line per update that carries it.
import { duration, progressText, type Progress as RunProgress } from '../run/progress';

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, invalid: 2 } as const;

export interface Output {
  json: boolean;
  /** A result record: printed as JSON with --json, through `human` otherwise. */
  result(value: unknown, human: () => string): void;
  info(message: string): void;
  error(message: string): void;
  progress(total: number, label: string): Progress;
}

export interface Progress {
  /** `run`: a run's progress (trainer/src/run/progress.ts), shown in place of the bar's own estimate. */
  update(done: number, fields?: Record<string, string | number>, run?: RunProgress): void;
  done(): void;
}

/** `notes`: where info lines and progress go; stderr, so that stdout carries only results. */
export function createOutput(json: boolean, stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr, notes: NodeJS.WriteStream = stderr): Output {
  return {
    json,
    result(value, human) {
      stdout.write(json ? JSON.stringify(value) + '\n' : human() + '\n');
    },
    info(message) {
      if (!json) notes.write(message + '\n');
    },
    error(message) {
      stderr.write(json ? JSON.stringify({ error: message }) + '\n' : `agent-tune: ${message}\n`);
    },
    progress(total, label) {
      return json ? silent : notes.isTTY ? new Bar(notes, total, label) : new Lines(notes, total, label);
    },
  };
}

/**
 * Under the debugger (`--debug-bridge`) info and progress go to stdout: the Debug Console
 * shows stderr in red, as errors, and the debugger reads no results from stdout.
 */
export function debuggerOutput(o: Output): Output {
  return createOutput(o.json, process.stdout, process.stderr, process.stdout);
}

const silent: Progress = { update() {}, done() {} };

class Lines implements Progress {
  constructor(private out: NodeJS.WritableStream, private total: number, private label: string) {}
  update(done: number, fields: Record<string, string | number> = {}, run?: RunProgress): void {
    if (!run) return;
    const extra = Object.entries(fields).map(([k, v]) => `  ${k} ${typeof v === 'number' ? fmt(v) : v}`).join('');
    const tail = progressText({ ...run, step: undefined });
    this.out.write(`${this.label} ${done}/${this.total}${extra}${tail ? `  ${tail}` : ''}\n`);
  }
  done(): void {}
}

class Bar implements Progress {
  private started = Date.now();
  private last = 0;
  constructor(private out: NodeJS.WriteStream, private total: number, private label: string) {}
  update(done: number, fields: Record<string, string | number> = {}, run?: RunProgress): void {
    const now = Date.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    const width = 24;
    const frac = this.total ? Math.min(1, done / this.total) : 0;
    const fill = Math.round(frac * width);
    const elapsed = (now - this.started) / 1000;
    const eta = done > 0 ? (elapsed / done) * (this.total - done) : NaN;
    const extra = Object.entries(fields).map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`).join('  ');
    const tail = run ? progressText({ ...run, step: undefined }) : `eta ${isFinite(eta) ? duration(eta) : '--'}`;
    const line = `${this.label} [${'█'.repeat(fill)}${'░'.repeat(width - fill)}] ${done}/${this.total}  ${extra}  ${tail}`;
    this.out.write(`\r\x1b[2K${line.slice(0, (this.out.columns ?? 120) - 1)}`);
  }
  done(): void {
    this.out.write('\r\x1b[2K');
  }
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3);
}
