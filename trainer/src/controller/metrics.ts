// Per-step figures of a controller's rollouts, written to metrics.jsonl as they accrue: a
// step's row is rewritten with the running totals (readers keep the last row of a step), so
// a cluster run's charts move while its step is still being collected.
import type { RolloutRecord } from '../run/events';
import type { RunWriter } from '../run/writer';

interface Totals {
  rollouts: number;
  reward: number;
  success: number;
  toolCalls: number;
  formatErrors: number;
  failed: number;
  turns: number;
  durationMs: number;
}

/** Rows are written at most this often per step, and whenever a step is left behind. */
const EVERY_MS = 5_000;

export class StepMetrics {
  private readonly steps = new Map<number, Totals>();
  private readonly written = new Map<number, number>();

  constructor(private readonly writer: RunWriter) {}

  add(r: RolloutRecord, failed: boolean): void {
    let t = this.steps.get(r.step);
    if (!t) {
      t = { rollouts: 0, reward: 0, success: 0, toolCalls: 0, formatErrors: 0, failed: 0, turns: 0, durationMs: 0 };
      this.steps.set(r.step, t);
      this.writer.emit({ type: 'step_started', step: r.step, task_ids: [] });
      // Older steps get their last row now; only the two newest stay open (asynchronous training overlaps them).
      for (const s of [...this.steps.keys()].sort((a, b) => a - b).slice(0, -2)) {
        this.write(s);
        this.steps.delete(s);
        this.written.delete(s);
      }
    }
    t.rollouts++;
    t.reward += r.reward;
    t.success += r.success ? 1 : 0;
    t.toolCalls += r.tool_calls > 0 ? 1 : 0;
    t.formatErrors += r.flags.includes('format_error') ? 1 : 0;
    t.failed += failed ? 1 : 0;
    t.turns += r.turns.length;
    t.durationMs += r.timings.duration_ms;
    if (Date.now() - (this.written.get(r.step) ?? 0) >= EVERY_MS) this.write(r.step);
  }

  /** Writes every open step's row. */
  flush(): void {
    for (const s of this.steps.keys()) this.write(s);
  }

  private write(step: number): void {
    const t = this.steps.get(step);
    if (!t || t.rollouts === 0) return;
    const n = t.rollouts;
    this.writer.metric({
      step,
      kind: 'train',
      metrics: {
        rollouts: n,
        reward_mean: t.reward / n,
        success_rate: t.success / n,
        tool_call_rate: t.toolCalls / n,
        format_error_rate: t.formatErrors / n,
        failed_rate: t.failed / n,
        turns_mean: t.turns / n,
        rollout_s_mean: t.durationMs / n / 1000,
      },
    });
    this.written.set(step, Date.now());
  }
}
