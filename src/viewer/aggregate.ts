// Per-step figures computed from rollout rows with the trainer's one metrics function
// (trainer/src/run/metrics.ts). metrics.jsonl is authoritative; these fill the gaps for runs
// that have no metrics for a step yet (a live step, an imported dump).
import { rolloutMetrics } from '../../trainer/src/run/metrics';
import { flagNames, type RowSummary, type StepMetrics } from './protocol';

export class StepAggregator {
  private steps = new Map<number, Map<string, RowSummary>>();
  private cache = new Map<number, Record<string, number>>();

  /** Adds or replaces a row; rows without a reward (still running) and eval rows are left out. */
  add(row: RowSummary): void {
    if (row.reward === null || row.phase === 'eval') return;
    let rows = this.steps.get(row.step);
    if (!rows) this.steps.set(row.step, (rows = new Map()));
    rows.set(row.id, row);
    this.cache.delete(row.step);
  }

  result(): StepMetrics[] {
    const out: StepMetrics[] = [];
    for (const [step, rows] of [...this.steps].sort((x, y) => x[0] - y[0])) {
      let metrics = this.cache.get(step);
      if (!metrics) {
        const input = [...rows.values()].map((r) => ({ reward: r.reward ?? 0, success: !!r.success, tokens: r.tokens, tool_calls: r.tools, group: r.group, flags: flagNames(r.flags) }));
        this.cache.set(step, (metrics = rolloutMetrics(input)));
      }
      out.push({ step, metrics });
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
