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
    process.exit(130);
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
