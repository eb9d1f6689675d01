// What the viewer's Log tab shows of a run event.
import type { RunEvent } from '../../trainer/src/run/events';
import { runEnd } from '../../trainer/src/run/fold';
import type { LogEntry } from './protocol';

/** The Log-tab entry of an event, if it has one. */
export function logEntryOf(e: RunEvent): LogEntry | undefined {
  switch (e.type) {
    case 'judge_error':
    case 'workflow_error':
      return { t: e.t, level: 'error', message: `${e.type === 'judge_error' ? 'judge' : 'workflow'} error: ${e.message}`, rollout: e.rollout_id };
    case 'log':
      return e.level === 'debug' ? undefined : { t: e.t, level: e.level, message: e.message };
    case 'checkpoint_saved':
      return { t: e.t, level: 'info', message: `checkpoint saved at step ${e.step}: ${e.path}` };
  }
  const end = runEnd(e);
  if (end?.status === 'failed') return { t: e.t, level: 'error', message: `run failed: ${end.message}` };
  if (end?.status === 'stopped') return { t: e.t, level: 'info', message: `run ${end.message}` };
  return undefined;
}
