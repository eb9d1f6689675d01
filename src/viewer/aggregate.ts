// Per-step figures computed from rollout rows. metrics.jsonl is authoritative; these fill the
// gaps for runs that have no metrics for a step yet (a live step, an imported dump).
import { FLAGS } from '../../trainer/src/run/events';
import type { RowSummary, StepMetrics } from './protocol';

const FORMAT_ERROR = 1 << FLAGS.indexOf('format_error');

interface Acc {
  n: number;
  sum: number;
  sq: number;
  ok: number;
  len: number;
  tool: number;
  fmt: number;
}

export class StepAggregator {
  private steps = new Map<number, Acc>();
  private seen = new Map<string, RowSummary>();

  /** Adds or replaces a row; rows without a reward (still running) are left out. */
  add(row: RowSummary): void {
    if (row.reward === null || row.phase === 'eval') return;
    const prev = this.seen.get(row.id);
    if (prev) this.apply(prev, -1);
    this.seen.set(row.id, row);
    this.apply(row, 1);
  }

  private apply(r: RowSummary, sign: 1 | -1): void {
    let a = this.steps.get(r.step);
    if (!a) this.steps.set(r.step, (a = { n: 0, sum: 0, sq: 0, ok: 0, len: 0, tool: 0, fmt: 0 }));
    const reward = r.reward ?? 0;
    a.n += sign;
    a.sum += sign * reward;
    a.sq += sign * reward * reward;
    a.ok += sign * (r.success ? 1 : 0);
    a.len += sign * r.tokens;
    a.tool += sign * (r.tools > 0 ? 1 : 0);
    a.fmt += sign * (r.flags & FORMAT_ERROR ? 1 : 0);
  }

  result(): StepMetrics[] {
    const out: StepMetrics[] = [];
    for (const [step, a] of [...this.steps].sort((x, y) => x[0] - y[0])) {
      if (a.n <= 0) continue;
      const mean = a.sum / a.n;
      out.push({
        step,
        metrics: {
          reward_mean: mean,
          reward_std: Math.sqrt(Math.max(0, a.sq / a.n - mean * mean)),
          success_rate: a.ok / a.n,
          response_len_mean: a.len / a.n,
          tool_call_rate: a.tool / a.n,
          format_error_rate: a.fmt / a.n,
        },
      });
    }
    return out;
  }
}

/** Logged metrics win over derived ones, key by key, step by step. */
export function mergeSteps(logged: Map<number, Record<string, number>>, derived: StepMetrics[]): StepMetrics[] {
  const all = new Map<number, Record<string, number>>();
  for (const d of derived) all.set(d.step, { ...d.metrics });
  for (const [step, m] of logged) all.set(step, { ...(all.get(step) ?? {}), ...m });
  return [...all].sort((a, b) => a[0] - b[0]).map(([step, metrics]) => ({ step, metrics }));
}
