// Per-step training metrics, as metrics.jsonl and the viewer's charts name them.
import { mean, std, zeroVariance } from '../rollout/advantage';
import type { RolloutRecord } from '../run/events';
import type { UpdateStats } from './update';

export function stepMetrics(records: RolloutRecord[], update: UpdateStats | undefined, seconds: number, rolloutSeconds: number): Record<string, number> {
  const rewards = records.map((r) => r.reward);
  const lengths = records.map((r) => r.tokens.completion);
  const groups = new Map<string, number[]>();
  for (const r of records) groups.set(r.group_id, [...(groups.get(r.group_id) ?? []), r.reward]);
  const frac = (f: (r: RolloutRecord) => boolean) => records.filter(f).length / Math.max(1, records.length);
  const generated = lengths.reduce((a, b) => a + b, 0);
  return {
    reward_mean: mean(rewards),
    reward_std: std(rewards),
    success_rate: frac((r) => r.success),
    zero_std_frac: [...groups.values()].filter(zeroVariance).length / Math.max(1, groups.size),
    response_len_mean: mean(lengths),
    response_len_max: Math.max(0, ...lengths),
    tool_call_rate: frac((r) => r.tool_calls > 0),
    format_error_rate: frac((r) => r.flags.includes('format_error')),
    error_rate: frac((r) => r.flags.some((f) => f === 'workflow_error' || f === 'judge_error' || f === 'timeout')),
    entropy: update?.entropy ?? 0,
    kl: update?.kl ?? 0,
    clip_frac: update?.clip_frac ?? 0,
    grad_norm: update?.grad_norm ?? 0,
    loss: update?.loss ?? 0,
    trained_tokens: update?.tokens ?? 0,
    tokens_per_s: rolloutSeconds > 0 ? generated / rolloutSeconds : 0,
    update_tokens_per_s: update?.update_tokens_per_s ?? 0,
    step_time_s: seconds,
  };
}

/** Metrics that depend on the wall clock, and so differ between identical runs. */
export const TIMING_METRICS = new Set(['tokens_per_s', 'update_tokens_per_s', 'step_time_s']);
