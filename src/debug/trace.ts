// `trace` in a launch configuration: the session's DAP messages go to a file (the adapter
// library's logger), for "Agent Tune: Report a Problem".
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Logger, logger } from '@vscode/debugadapter';

/** Where `trace: true` writes DAP traces; "Agent Tune: Report a Problem" reads the newest from here. */
export function traceDir(): string {
  return join(tmpdir(), 'agent-tune');
}

/**
 * Every DAP message from here on goes to a file; the Debug Console shows only the adapter's
 * errors. Without `trace` nothing is kept. Returns the file, if any.
 */
export function startTrace(trace: unknown, cwd: string): string | undefined {
  if ((typeof trace !== 'boolean' && typeof trace !== 'string') || !trace) {
    logger.setup(Logger.LogLevel.Stop, false);
    return undefined;
  }
  const file = typeof trace === 'string' ? (isAbsolute(trace) ? trace : resolve(cwd, trace)) : join(traceDir(), `dap-${new Date().toISOString().replace(/[-:.]/g, '')}-${process.pid}.log`);
  logger.setup(Logger.LogLevel.Error, file, true);
  return file;
}
