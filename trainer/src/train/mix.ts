// `tasks.train.mix`: each slot of a step draws a source by weight, and that source's own selector
// (the configured type, over the source's tasks) picks the task. The draw is seeded by
// (seed, step), so a resumed run draws what an uninterrupted one would.
import type { TuneConfig } from '../config/types';
import { Rng } from '../model/sampling';
import { hashSeed } from '../rollout/seed';
import type { RolloutRecord } from '../run/events';
import type { Task } from '../sdk';
import { mixEntries, type SourceSpec } from '../tasks/load';
import { createSelector, type Selector, type SelectorState } from './selectors';

type SelectorConfig = TuneConfig['tasks']['selector'];

interface MixState extends SelectorState {
  sources: Record<string, SelectorState>;
}

/** The selector of `tasks.train`: over a mix when it has one. */
export function createTaskSelector(tasks: Task[], train: SourceSpec, cfg: SelectorConfig, seed: number): Selector {
  return train.mix?.length ? new MixSelector(tasks, mixEntries(train), cfg, seed) : createSelector(tasks, cfg, seed);
}

export class MixSelector implements Selector {
  private readonly names: string[];
  private readonly cumulative: number[];
  private readonly subs = new Map<string, Selector>();
  private readonly sourceOf = new Map<string, string>();
  private readonly drawn = new Map<string, number>();

  constructor(tasks: Task[], entries: { name: string; weight: number }[], cfg: SelectorConfig, private readonly seed: number) {
    const by = new Map<string, Task[]>(entries.map((e) => [e.name, []]));
    for (const t of tasks) {
      const list = by.get(t.source ?? '');
      if (!list) throw new Error(`task "${t.id}" names no source of tasks.train.mix`);
      list.push(t);
      this.sourceOf.set(t.id, t.source!);
    }
    this.names = entries.map((e) => e.name);
    const total = entries.reduce((a, e) => a + e.weight, 0);
    let acc = 0;
    this.cumulative = entries.map((e) => (acc += e.weight / total));
    for (const e of entries) {
      this.subs.set(e.name, createSelector(by.get(e.name)!, cfg, hashSeed(`${seed}:mix:${e.name}`)));
      this.drawn.set(e.name, 0);
    }
  }

  /** The source of each slot of a step. */
  draw(step: number, count: number): string[] {
    const rng = new Rng(hashSeed(`${this.seed}:mix:${step}`));
    return Array.from({ length: count }, () => {
      const u = rng.next();
      const i = this.cumulative.findIndex((c) => u < c);
      return this.names[i < 0 ? this.names.length - 1 : i];
    });
  }

  select(step: number, count: number): Task[] {
    const slots = this.draw(step, count);
    const picked = new Map<string, Task[]>();
    for (const name of this.names) {
      const k = slots.filter((s) => s === name).length;
      if (k) picked.set(name, this.subs.get(name)!.select(step, k));
      this.drawn.set(name, this.drawn.get(name)! + k);
    }
    // In slot order; a source with fewer distinct tasks than slots gives what it has.
    return slots.map((s) => picked.get(s)!.shift()).filter((t): t is Task => t !== undefined);
  }

  /** Each source's selector sees its own tasks' outcomes, once a step like any selector. */
  observe(outcomes: ReadonlyMap<string, number[]>): void {
    const by = new Map<string, Map<string, number[]>>(this.names.map((n) => [n, new Map()]));
    for (const [taskId, o] of outcomes) {
      const s = this.sourceOf.get(taskId);
      if (s) by.get(s)!.set(taskId, o);
    }
    for (const [n, sub] of this.subs) sub.observe(by.get(n)!);
  }

  state(): MixState {
    return { type: 'mix', cursor: 0, sources: Object.fromEntries([...this.subs].map(([n, s]) => [n, s.state()])) };
  }

  load(state: SelectorState): void {
    const sources = (state as Partial<MixState>).sources ?? {};
    for (const [n, s] of this.subs) if (sources[n]) s.load(sources[n]);
  }

  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [n, s] of this.subs) {
      out[`${n}/drawn`] = this.drawn.get(n)!;
      for (const [k, v] of Object.entries(s.stats())) out[`${n}/${k}`] = v;
    }
    return out;
  }
}

/** `success_rate/SOURCE` for each source among a step's rollouts; empty without a mix. */
export function successBySource(records: Pick<RolloutRecord, 'source' | 'success'>[]): Record<string, number> {
  const by = new Map<string, [number, number]>();
  for (const r of records) {
    if (!r.source) continue;
    const [ok, n] = by.get(r.source) ?? [0, 0];
    by.set(r.source, [ok + (r.success ? 1 : 0), n + 1]);
  }
  return Object.fromEntries([...by].map(([s, [ok, n]]) => [`success_rate/${s}`, ok / n]));
}
