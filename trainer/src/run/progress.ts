// The one computation of a run's progress from its events: step n/N, time per step, time
// left, rollouts per second and the last evaluation. The CLI's bar, the run viewer's header
// and the Runs view all fold events through here and print `progressText`.
import type { RunEvent } from './events';

export interface ProgressState {
  /** The step the run trains to (`run_started.steps`). */
  total?: number;
  /** The latest `step_started`, and when. */
  step?: number;
  stepT?: number;
  /** The first `step_started` seen since the run (re)started: a reader of the file's tail sees a later one. */
  first?: { step: number; t: number };
  rollouts: number;
  /** When the first counted rollout started. */
  rolloutsSince?: number;
  lastEval?: { step: number; metrics: Record<string, number> };
}

export interface Progress {
  step?: number;
  total?: number;
  msPerStep?: number;
  msLeft?: number;
  rolloutsPerS?: number;
  /** The headline metric of the last evaluation: its first `pass@` metric, else its first. */
  lastEval?: { step: number; name: string; value: number };
}

export function newProgress(): ProgressState {
  return { rollouts: 0 };
}

/** Applies one event; returns true when it changed the progress. */
export function foldProgress(p: ProgressState, e: RunEvent): boolean {
  switch (e.type) {
    case 'run_started':
      // A resumed run's pace is measured again from its own steps.
      Object.assign(p, { total: e.steps, first: undefined, rollouts: 0, rolloutsSince: undefined });
      return true;
    case 'step_started':
      p.step = e.step;
      p.stepT = e.t;
      p.first ??= { step: e.step, t: e.t };
      return true;
    case 'rollout_finished':
      p.rollouts++;
      p.rolloutsSince ??= e.t - e.duration_ms;
      return true;
    case 'eval_metrics':
      p.lastEval = { step: e.step, metrics: e.metrics };
      return true;
  }
  return false;
}

export function progressOf(p: ProgressState, now = Date.now()): Progress {
  const out: Progress = {};
  if (p.step !== undefined) out.step = p.step;
  if (p.total !== undefined) out.total = p.total;
  if (p.first && p.step !== undefined && p.stepT !== undefined && p.step > p.first.step) {
    out.msPerStep = (p.stepT - p.first.t) / (p.step - p.first.step);
    // The current step's share already spent comes off what is left.
    if (p.total !== undefined) out.msLeft = Math.max(0, out.msPerStep * (p.total - p.step + 1) - (now - p.stepT));
  }
  if (p.rollouts && p.rolloutsSince !== undefined && now > p.rolloutsSince) out.rolloutsPerS = p.rollouts / ((now - p.rolloutsSince) / 1000);
  if (p.lastEval) {
    const names = Object.keys(p.lastEval.metrics);
    const name = names.find((n) => n.startsWith('pass@')) ?? names[0];
    if (name !== undefined) out.lastEval = { step: p.lastEval.step, name, value: p.lastEval.metrics[name] };
  }
  return out;
}

/**
 * `step 5/20 · 12s/step · 3m10s left · 4.2 rollouts/s · eval pass@1 45.0% at step 4`: the parts
 * known. A run that has ended has no time left and no current rate (`live: false`).
 */
export function progressText(p: Progress, parts: { live?: boolean } = {}): string {
  const out: string[] = [];
  if (p.step !== undefined) out.push(`step ${p.step}${p.total !== undefined ? `/${p.total}` : ''}`);
  if (p.msPerStep !== undefined) out.push(`${duration(p.msPerStep / 1000)}/step`);
  if (parts.live !== false && p.msLeft !== undefined) out.push(`${duration(p.msLeft / 1000)} left`);
  if (parts.live !== false && p.rolloutsPerS !== undefined) out.push(`${p.rolloutsPerS.toFixed(p.rolloutsPerS < 10 ? 1 : 0)} rollouts/s`);
  if (p.lastEval) out.push(`eval ${p.lastEval.name} ${(100 * p.lastEval.value).toFixed(1)}% at step ${p.lastEval.step}`);
  return out.join(' · ');
}

/** Seconds as `42s`, `3m10s` or `2h05m`. */
export function duration(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
