// "Re-judge with the current judge": runs `agent-tune rejudge RUN_DIR` with the trainer's CLI
// and reports how it ended. The run's files change when it succeeds, and the panel follows them.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface RejudgeResult {
  ok: boolean;
  code: number | null;
  /** The CLI's own error line when it failed, else its last line of output. */
  message: string;
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

/** `cli` is the trainer's entry script, trainer/bin/agent-tune.js. */
export function runRejudge(cli: string, runDir: string, onOutput: (text: string) => void): Promise<RejudgeResult> {
  if (!existsSync(cli)) return Promise.resolve({ ok: false, code: null, message: `the trainer CLI is missing (${cli})` });
  return new Promise((resolveResult) => {
    // The extension host's own binary runs the CLI: it is Node (code-server) or Electron in Node mode.
    const child = spawn(process.execPath, [cli, '--json', 'rejudge', runDir], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const take = (b: Buffer) => {
      const s = b.toString('utf8');
      out += s;
      onOutput(s);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) => resolveResult({ ok: false, code: null, message: `could not start the trainer CLI: ${e.message}` }));
    child.on('close', (code) => resolveResult({ ok: code === 0, code, message: summarise(out) || (code === 0 ? 'done' : `exited with code ${code}`) }));
  });
}
