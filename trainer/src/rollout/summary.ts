import type { RolloutRecord } from '../run/events';
import { rolloutMetrics } from '../run/metrics';

export interface RolloutSummary {
  rollouts: number;
  reward_mean: number;
  success_rate: number;
  tool_call_rate: number;
  format_error_rate: number;
  errors: number;
}

/** A rollout record as the shared metrics read it. */
export const metricInput = (r: RolloutRecord) => ({ reward: r.reward, success: r.success, tokens: r.tokens.completion, tool_calls: r.tool_calls, group: r.group_id, flags: r.flags });

export function summarize(records: RolloutRecord[]): RolloutSummary {
  const m = rolloutMetrics(records.map(metricInput));
  return {
    rollouts: records.length,
    reward_mean: m.reward_mean,
    success_rate: m.success_rate,
    tool_call_rate: m.tool_call_rate,
    format_error_rate: m.format_error_rate,
    errors: Math.round(m.error_rate * records.length),
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
