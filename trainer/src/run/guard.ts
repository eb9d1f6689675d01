import { constants } from 'node:os';
import type { RunWriter } from '../run/writer';

/**
 * Runs a command's work so that the run directory always ends with run_finished, run_failed,
 * or run_stopped on Ctrl+C or SIGTERM (the user's Stop).
 */
export async function runGuarded(writer: RunWriter, work: () => Promise<void>): Promise<void> {
  const started = Date.now();
  const onSignal = (signal: NodeJS.Signals) => {
    writer.emit({ type: 'run_stopped', signal, duration_ms: Date.now() - started });
    writer.sync();
    exitBySignal(signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await work();
    writer.emit({ type: 'run_finished', duration_ms: Date.now() - started });
  } catch (e) {
    const err = e as Error;
    writer.emit({ type: 'run_failed', message: err.message, ...(err.stack ? { stack: err.stack } : {}) });
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    writer.sync();
    writer.close();
  }
}

/**
 * Ends the process by `signal` itself, as a shell expects of a program it stopped (status
 * 128 + the signal's number). It ends at once: model threads may be inside onnxruntime, and
 * `process.exit` tearing the runtime down under them can abort the process instead.
 */
export function exitBySignal(signal: NodeJS.Signals): void {
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.removeAllListeners(s);
  // Should the signal not end the process (the platform ignores it), exit as the shell would report it.
  setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 2)), 1000).unref();
  process.kill(process.pid, signal);
}
