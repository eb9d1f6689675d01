// Per-step training metrics: the rollouts' (run/metrics.ts), the update's and the timings.
import { metricInput } from '../rollout/summary';
import type { RolloutRecord } from '../run/events';
import { rolloutMetrics } from '../run/metrics';
import type { UpdateStats } from './update';

export function stepMetrics(records: RolloutRecord[], update: UpdateStats | undefined, seconds: number, rolloutSeconds: number): Record<string, number> {
  const generated = records.reduce((a, r) => a + r.tokens.completion, 0);
  return {
    ...rolloutMetrics(records.map(metricInput)),
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
