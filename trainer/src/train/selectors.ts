// Which tasks each training step rolls out. Every random choice is drawn from a generator
// seeded by (seed, step), so a resumed run chooses exactly what an uninterrupted one would.
import type { TuneConfig } from '../config/types';
import { hashSeed } from '../rollout/seed';
import { Rng } from '../model/sampling';
import type { Task } from '../sdk';

export interface SelectorState {
  type: string;
  cursor: number;
  /** difficulty_based: Beta posteriors that differ from the prior, by task id. */
  posteriors?: Record<string, [number, number]>;
  /** difficulty_based: the forgetting factor λ and implicit-evidence weight ρ they were updated with. */
  forgetting?: number;
  implicit_evidence?: number;
}

export interface Selector {
  select(step: number, count: number): Task[];
  /** Outcomes of one step's rollouts by task id (1 success, 0 failure); called once per step. */
  observe(outcomes: ReadonlyMap<string, number[]>): void;
  state(): SelectorState;
  load(state: SelectorState): void;
  /** Statistics for metrics.jsonl, without the `selector_` prefix. */
  stats(): Record<string, number>;
}

type SelectorConfig = TuneConfig['tasks']['selector'];

export function createSelector(tasks: Task[], cfg: SelectorConfig, seed: number): Selector {
  switch (cfg.type) {
    case 'sequential':
      return new Ordered(tasks, 'sequential');
    case 'offline_easy2hard': {
      const key = cfg.feature_key!;
      const missing = tasks.find((t) => !(key in t.features));
      if (missing) throw new Error(`tasks.selector.feature_key: task "${missing.id}" has no feature "${key}"; list it in tasks.train.fields.features`);
      return new Ordered([...tasks].sort((a, b) => a.features[key] - b.features[key]), 'offline_easy2hard');
    }
    case 'shuffle':
      return new Shuffled(tasks, seed);
    case 'random':
      return new Uniform(tasks, seed);
    case 'difficulty_based':
      return new DifficultyBased(tasks, cfg, seed);
  }
}

class Ordered implements Selector {
  private cursor = 0;
  constructor(private tasks: Task[], private type: string) {}
  select(_step: number, count: number): Task[] {
    const out: Task[] = [];
    for (let i = 0; i < count; i++) out.push(this.tasks[(this.cursor + i) % this.tasks.length]);
    this.cursor = (this.cursor + count) % this.tasks.length;
    return out;
  }
  observe(): void {}
  state(): SelectorState {
    return { type: this.type, cursor: this.cursor };
  }
  load(s: SelectorState): void {
    this.cursor = s.cursor;
  }
  stats(): Record<string, number> {
    return { cursor: this.cursor };
  }
}

/** A fresh permutation each epoch: every task once before any task twice. */
class Shuffled implements Selector {
  private cursor = 0;
  constructor(private tasks: Task[], private seed: number) {}
  private order(epoch: number): number[] {
    const rng = new Rng(hashSeed(`${this.seed}:shuffle:${epoch}`));
    const idx = this.tasks.map((_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx;
  }
  select(_step: number, count: number): Task[] {
    const n = this.tasks.length;
    const out: Task[] = [];
    let epoch = -1;
    let order: number[] = [];
    for (let i = 0; i < count; i++) {
      const at = this.cursor + i;
      if (Math.floor(at / n) !== epoch) {
        epoch = Math.floor(at / n);
        order = this.order(epoch);
      }
      out.push(this.tasks[order[at % n]]);
    }
    this.cursor += count;
    return out;
  }
  observe(): void {}
  state(): SelectorState {
    return { type: 'shuffle', cursor: this.cursor };
  }
  load(s: SelectorState): void {
    this.cursor = s.cursor;
  }
  stats(): Record<string, number> {
    return { epoch: Math.floor(this.cursor / this.tasks.length) };
  }
}

/** Uniformly at random each step, distinct within a step. */
class Uniform implements Selector {
  constructor(private tasks: Task[], private seed: number) {}
  select(step: number, count: number): Task[] {
    return sampleDistinct(this.tasks.length, Math.min(count, this.tasks.length), new Rng(hashSeed(`${this.seed}:random:${step}`))).map((i) => this.tasks[i]);
  }
  observe(): void {}
  state(): SelectorState {
    return { type: 'random', cursor: 0 };
  }
  load(): void {}
  stats(): Record<string, number> {
    return {};
  }
}

/**
 * Online difficulty-based selection as in BOTS (Bayesian online task selection, Shen et al.
 * 2025, arXiv 2510.26374): each task's pass rate has a Beta posterior; a prior comes from a
 * difficulty feature when one is given. Each step draws a pass rate per task (Thompson
 * sampling) and prefers tasks whose draw is near `target`, where groups are most informative.
 * After the step every posterior is updated by the generalised rule
 *   α ← (1 − λ)·α + λ·α₀ + (1 − ρ)·s + ρ·p̃·m,   β ← (1 − λ)·β + λ·β₀ + (1 − ρ)·f + ρ·(1 − p̃)·m
 * with s, f the step's successes and failures of the task (0 when not rolled out), m its
 * group size, and p̃ the implicit pass rate: the observed rate for rolled-out tasks, else the
 * task's own estimate shifted by how far the rolled-out tasks beat or missed theirs, an
 * interpolation that weighs each rolled-out task by how close its prior pass rate is (tasks of
 * like difficulty move together; without a difficulty feature every task weighs the same).
 */
const IMPLICIT_WIDTH = 0.1;

class DifficultyBased implements Selector {
  private alpha: Float64Array;
  private beta: Float64Array;
  private alpha0: Float64Array;
  private beta0: Float64Array;
  private prior: Float64Array;
  private index = new Map<string, number>();
  private lastPredicted = 0;
  private observed = new Set<number>();
  private readonly lambda: number;
  private readonly rho: number;

  constructor(private tasks: Task[], private cfg: SelectorConfig, private seed: number) {
    const n = tasks.length;
    tasks.forEach((t, i) => this.index.set(t.id, i));
    this.prior = new Float64Array(n).fill(0.5);
    const key = cfg.feature_key;
    if (key) {
      // Harder tasks get lower prior pass rates: rank by difficulty into [0.1, 0.9].
      const order = tasks.map((t, i) => [t.features[key] ?? 0, i] as const).sort((a, b) => a[0] - b[0]);
      order.forEach(([, i], rank) => (this.prior[i] = 0.9 - (0.8 * rank) / Math.max(1, n - 1)));
    }
    const k = key ? cfg.prior_strength : 2;
    this.alpha0 = this.prior.map((p) => p * k);
    this.beta0 = this.prior.map((p) => (1 - p) * k);
    this.alpha = this.alpha0.slice();
    this.beta = this.beta0.slice();
    this.lambda = cfg.forgetting ?? 0;
    this.rho = cfg.implicit_evidence ?? 0;
  }

  select(step: number, count: number): Task[] {
    const rng = new Rng(hashSeed(`${this.seed}:bots:${step}`));
    const n = this.tasks.length;
    const scores = new Float64Array(n);
    const draws = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      draws[i] = sampleBeta(rng, this.alpha[i], this.beta[i]);
      scores[i] = -Math.abs(draws[i] - this.cfg.target) / this.cfg.temperature;
    }
    // Gumbel-top-k: sampling without replacement proportional to exp(score).
    const keyed = Array.from(scores, (s, i) => [s - Math.log(-Math.log(rng.next() || Number.MIN_VALUE)), i] as const);
    keyed.sort((a, b) => b[0] - a[0]);
    const chosen = keyed.slice(0, Math.min(count, n)).map(([, i]) => i);
    this.lastPredicted = chosen.reduce((a, i) => a + this.alpha[i] / (this.alpha[i] + this.beta[i]), 0) / Math.max(1, chosen.length);
    return chosen.map((i) => this.tasks[i]);
  }

  observe(outcomes: ReadonlyMap<string, number[]>): void {
    const seen = new Map<number, { s: number; m: number }>();
    let groupSize = 0;
    const before = Float64Array.from(this.alpha, (a, i) => a / (a + this.beta[i]));
    for (const [id, os] of outcomes) {
      const i = this.index.get(id);
      if (i === undefined || os.length === 0) continue;
      const s = os.reduce((a, o) => a + o, 0);
      seen.set(i, { s, m: os.length });
      groupSize = Math.max(groupSize, os.length);
      this.observed.add(i);
    }
    if (seen.size === 0) return;
    const { lambda, rho } = this;
    // How far this step's tasks beat or missed their estimates, interpolated to task i from the
    // tasks whose prior pass rates lie near its own.
    const shiftOf = (i: number) => {
      let num = 0;
      let den = 0;
      for (const [j, o] of seen) {
        const k = Math.exp(-((this.prior[i] - this.prior[j]) ** 2) / (2 * IMPLICIT_WIDTH ** 2)) + 1e-9;
        num += k * (o.s / o.m - before[j]);
        den += k;
      }
      return num / den;
    };
    for (let i = 0; i < this.tasks.length; i++) {
      const o = seen.get(i);
      if (!o && lambda === 0 && rho === 0) continue;
      const m = o ? o.m : groupSize;
      const s = o ? o.s : 0;
      const f = o ? o.m - o.s : 0;
      const implicit = o ? o.s / o.m : Math.min(1, Math.max(0, before[i] + shiftOf(i)));
      this.alpha[i] = (1 - lambda) * this.alpha[i] + lambda * this.alpha0[i] + (1 - rho) * s + rho * implicit * m;
      this.beta[i] = (1 - lambda) * this.beta[i] + lambda * this.beta0[i] + (1 - rho) * f + rho * (1 - implicit) * m;
    }
  }

  state(): SelectorState {
    const posteriors: Record<string, [number, number]> = {};
    this.tasks.forEach((t, i) => {
      if (this.alpha[i] !== this.alpha0[i] || this.beta[i] !== this.beta0[i]) posteriors[t.id] = [this.alpha[i], this.beta[i]];
    });
    return { type: 'difficulty_based', cursor: 0, posteriors, forgetting: this.lambda, implicit_evidence: this.rho };
  }

  load(s: SelectorState): void {
    // Checkpoints from before λ and ρ existed carry neither; their posteriors load as they are.
    if ((s.forgetting !== undefined && s.forgetting !== this.lambda) || (s.implicit_evidence !== undefined && s.implicit_evidence !== this.rho)) {
      throw new Error(
        `the checkpoint's task selector was updated with forgetting ${s.forgetting ?? 0} and implicit_evidence ${s.implicit_evidence ?? 0}, ` +
          `the config sets ${this.lambda} and ${this.rho}; resume with the same tasks.selector settings`,
      );
    }
    for (const [id, [a, b]] of Object.entries(s.posteriors ?? {})) {
      const i = this.index.get(id);
      if (i === undefined) continue;
      this.alpha[i] = a;
      this.beta[i] = b;
      this.observed.add(i);
    }
  }

  /** The posterior mean pass rate of a task, for tests and the viewer. */
  predicted(taskId: string): number {
    const i = this.index.get(taskId)!;
    return this.alpha[i] / (this.alpha[i] + this.beta[i]);
  }

  stats(): Record<string, number> {
    return { predicted_pass_rate: this.lastPredicted, tasks_observed: this.observed.size };
  }
}

function sampleDistinct(n: number, k: number, rng: Rng): number[] {
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(Math.floor(rng.next() * n));
  return [...chosen];
}

/** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x + y > 0 ? x / (x + y) : 0.5;
}

/** Marsaglia & Tsang (2000); shape < 1 through the boost Gamma(a) = Gamma(a + 1) · U^(1/a). */
function sampleGamma(rng: Rng, a: number): number {
  if (a < 1) return sampleGamma(rng, a + 1) * Math.pow(rng.next() || Number.MIN_VALUE, 1 / a);
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u || Number.MIN_VALUE) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function normal(rng: Rng): number {
  const u = rng.next() || Number.MIN_VALUE;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}
