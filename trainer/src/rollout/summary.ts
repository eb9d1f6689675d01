import type { RolloutRecord } from '../run/events';

export interface RolloutSummary {
  rollouts: number;
  reward_mean: number;
  success_rate: number;
  tool_call_rate: number;
  format_error_rate: number;
  errors: number;
}

export function summarize(records: RolloutRecord[]): RolloutSummary {
  const n = Math.max(1, records.length);
  const count = (f: (r: RolloutRecord) => boolean) => records.filter(f).length;
  return {
    rollouts: records.length,
    reward_mean: records.reduce((a, r) => a + r.reward, 0) / n,
    success_rate: count((r) => r.success) / n,
    tool_call_rate: count((r) => r.tool_calls > 0) / n,
    format_error_rate: count((r) => r.flags.includes('format_error')) / n,
    errors: count((r) => r.flags.some((f) => f === 'workflow_error' || f === 'judge_error' || f === 'timeout')),
  };
}

export function formatSummary(s: RolloutSummary): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `rollouts ${s.rollouts}`,
    `reward ${s.reward_mean.toFixed(3)}`,
    `success ${pct(s.success_rate)}`,
    `tool calls ${pct(s.tool_call_rate)}`,
    `format errors ${pct(s.format_error_rate)}`,
    ...(s.errors ? [`errors ${s.errors}`] : []),
  ].join('  ');
}
