// The one definition of the per-step rollout metrics (metrics.jsonl's `reward_mean`,
// `success_rate`, …): the trainer writes them once per step, `debug` prints them, and the run
// viewer computes the same figures for steps that have no metrics line yet.
import type { Flag } from './events';

/** What the metrics need of a rollout; a RolloutRecord and the viewer's row both map to it. */
export interface MetricRollout {
  reward: number;
  success: boolean;
  /** Sampled (completion) tokens. */
  tokens: number;
  tool_calls: number;
  group: string;
  flags: readonly Flag[];
}

const ERROR_FLAGS: readonly Flag[] = ['workflow_error', 'judge_error', 'timeout'];

export function rolloutMetrics(rs: readonly MetricRollout[]): Record<string, number> {
  const n = Math.max(1, rs.length);
  const rewards = rs.map((r) => r.reward);
  const mean = rewards.reduce((a, b) => a + b, 0) / n;
  const groups = new Map<string, number[]>();
  for (const r of rs) groups.set(r.group, [...(groups.get(r.group) ?? []), r.reward]);
  const flat = [...groups.values()].filter((g) => g.every((x) => Math.abs(x - g[0]) < 1e-12)).length;
  const rate = (f: (r: MetricRollout) => boolean) => rs.filter(f).length / n;
  return {
    reward_mean: mean,
    reward_std: Math.sqrt(rewards.reduce((a, x) => a + (x - mean) ** 2, 0) / n),
    success_rate: rate((r) => r.success),
    zero_std_frac: flat / Math.max(1, groups.size),
    response_len_mean: rs.reduce((a, r) => a + r.tokens, 0) / n,
    response_len_max: Math.max(0, ...rs.map((r) => r.tokens)),
    tool_call_rate: rate((r) => r.tool_calls > 0),
    format_error_rate: rate((r) => r.flags.includes('format_error')),
    error_rate: rate((r) => r.flags.some((f) => ERROR_FLAGS.includes(f))),
  };
}
