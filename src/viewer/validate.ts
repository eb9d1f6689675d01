// Checks one rollouts.jsonl line before the viewer trusts it. A line missing what the table
// needs is rejected with a message naming the field; optional parts may be absent.
import { PHASES as PHASE_LIST } from '../../trainer/src/run/constants';
import type { RolloutRecord } from '../../trainer/src/run/events';
import { summaryOf, type RowSummary } from './protocol';

export interface Checked {
  row: RowSummary | null;
  /** Field-level problems, each naming the field. */
  problems: string[];
}

const PHASES = new Set<string>(PHASE_LIST);

export function checkRollout(value: unknown): Checked {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { row: null, problems: [`expected a rollout object, found ${Array.isArray(value) ? 'an array' : typeof value}`] };
  }
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  const need = (key: string, type: 'string' | 'number' | 'boolean') => {
    if (typeof v[key] !== type) problems.push(`field \`${key}\` must be a ${type}${key in v ? `, found ${JSON.stringify(v[key])?.slice(0, 40)}` : ' (missing)'}`);
  };
  need('id', 'string');
  need('step', 'number');
  need('task_id', 'string');
  need('sample', 'number');
  need('reward', 'number');
  need('success', 'boolean');
  if (!Array.isArray(v.messages)) problems.push('field `messages` must be an array' + ('messages' in v ? '' : ' (missing)'));
  if (problems.length) return { row: null, problems };

  const soft: string[] = [];
  if (typeof v.group_id !== 'string') soft.push('field `group_id` must be a string; using `task_id`');
  if (typeof v.phase !== 'string' || !PHASES.has(v.phase)) soft.push('field `phase` must be train, eval or debug; using train');
  if (v.turns !== undefined && !Array.isArray(v.turns)) soft.push('field `turns` must be an array');
  if (v.flags !== undefined && !Array.isArray(v.flags)) soft.push('field `flags` must be an array');
  if (v.advantage !== undefined && v.advantage !== null && typeof v.advantage !== 'number') soft.push('field `advantage` must be a number or null');
  const r = v as unknown as RolloutRecord;
  const row = summaryOf({
    ...r,
    group_id: typeof v.group_id === 'string' ? v.group_id : r.task_id,
    phase: typeof v.phase === 'string' && PHASES.has(v.phase) ? r.phase : 'train',
    turns: Array.isArray(v.turns) ? r.turns : [],
    flags: Array.isArray(v.flags) ? r.flags : [],
    advantage: typeof v.advantage === 'number' ? v.advantage : null,
  });
  return { row, problems: soft };
}
