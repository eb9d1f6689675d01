// "Re-judge": runs `agent-tune --json rejudge RUN_DIR --write [--ids …]` with the trainer's CLI,
// follows its progress lines, and reports how it ended with the CLI's summary. A cancel kills
// the CLI and then lets it finish what the kill left (`--recover`), so the run is unchanged.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { RejudgeChange, RejudgeSummary } from '../../trainer/src/run/rejudgeDiff';

export interface RejudgeResult {
  ok: boolean;
  code: number | null;
  /** The CLI's own error line when it failed, else its last line of output. */
  message: string;
  /** What changed, from the CLI's last line, when it succeeded. */
  summary?: RejudgeSummary;
  /** The rollouts that changed, one per line of the CLI's output. */
  changes?: RejudgeChange[];
  cancelled?: boolean;
}

/** A `{"progress": …}` line of the CLI: `judging` counts rollouts; the write's stages follow. */
export interface RejudgeProgress {
  stage: string;
  done: number;
  total: number;
}

export interface RejudgeOptions {
  /** Rollouts to re-judge; all when absent. */
  ids?: string[];
  /** Change the run (the viewer's re-judge does); otherwise only report. */
  write?: boolean;
  onProgress?: (p: RejudgeProgress) => void;
  /** Aborting kills the CLI and restores the run. */
  signal?: AbortSignal;
}

/** The CLI's error from `--json` output (`{"error": …}`) or the last plain line. */
export function summarise(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const v = JSON.parse(lines[i]) as { error?: unknown; message?: unknown };
      if (typeof v.error === 'string') return v.error;
      if (typeof v.message === 'string') return v.message;
    } catch {
      // not JSON
    }
  }
  return (lines.pop() ?? '').replace(/^agent-tune:\s*/, '');
}

/** `cli` is the trainer's entry script, trainer/bin/agent-tune.js. `onOutput` gets the CLI's output but its JSON records (progress, changes, summary), which come back parsed. */
export function runRejudge(cli: string, runDir: string, onOutput: (text: string) => void, opts: RejudgeOptions = {}): Promise<RejudgeResult> {
  if (!existsSync(cli)) return Promise.resolve({ ok: false, code: null, message: `the trainer CLI is missing (${cli})` });
  const args = ['rejudge', runDir, ...(opts.write ? ['--write'] : []), ...(opts.ids?.length ? ['--ids', opts.ids.join(',')] : [])];
  return new Promise((resolveResult) => {
    const child = cliProcess(cli, args);
    let out = '';
    let partial = '';
    let summary: RejudgeSummary | undefined;
    const changes: RejudgeChange[] = [];
    const takeOut = (b: Buffer) => {
      const lines = (partial + b.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const v = parseLine(line);
        if (v?.progress) {
          opts.onProgress?.(v.progress as RejudgeProgress);
          continue;
        }
        if (v?.summary) {
          summary = v.summary as RejudgeSummary;
          continue;
        }
        if (v && typeof v.id === 'string' && Array.isArray(v.reward)) {
          changes.push(v as unknown as RejudgeChange);
          continue;
        }
        out += line + '\n';
        onOutput(line + '\n');
      }
    };
    const takeErr = (b: Buffer) => {
      const s = b.toString('utf8');
      out += s;
      onOutput(s);
    };
    child.stdout.on('data', takeOut);
    child.stderr.on('data', takeErr);
    let cancelled = false;
    const cancel = () => {
      cancelled = true;
      child.kill('SIGKILL');
    };
    opts.signal?.addEventListener('abort', cancel, { once: true });
    if (opts.signal?.aborted) cancel();
    child.on('error', (e) => resolveResult({ ok: false, code: null, message: `could not start the trainer CLI: ${e.message}` }));
    child.on('close', (code) => {
      opts.signal?.removeEventListener('abort', cancel);
      if (partial) takeOut(Buffer.from('\n'));
      if (code === 0 && summary) return resolveResult({ ok: true, code, message: 'done', summary, changes });
      if (!cancelled) return resolveResult({ ok: code === 0, code, message: summarise(out) || (code === 0 ? 'done' : `exited with code ${code}`) });
      // Killed mid-write: the CLI's recovery puts the kept files back.
      const recover = cliProcess(cli, ['rejudge', runDir, '--recover']);
      let rec = '';
      recover.stdout.on('data', (b: Buffer) => (rec += b));
      recover.stderr.on('data', (b: Buffer) => (rec += b));
      recover.on('error', (e) => resolveResult({ ok: false, code, cancelled, message: `cancelled, but could not restore the run: ${e.message}` }));
      recover.on('close', (rc) =>
        resolveResult({ ok: false, code, cancelled, message: rc === 0 ? 'cancelled; the run is unchanged' : `cancelled, but restoring the run failed: ${summarise(rec)}` }),
      );
    });
  });
}

function cliProcess(cli: string, args: string[]) {
  // The extension host's own binary runs the CLI: it is Node (code-server) or Electron in Node mode.
  return spawn(process.execPath, [cli, '--json', ...args], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function parseLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
