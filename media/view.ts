// The table's view of the rows: filter, group by step and task group (or by task source), sort,
// flatten into the display list the virtual table draws. Pure functions over RowSummary, tested
// in isolation.
import type { Filter, GroupBy, RowSummary, SortKey } from '../src/viewer/protocol';

export interface Stats {
  n: number;
  /** Rows with a reward (finished or complete). */
  scored: number;
  /** Rows still running (not finished, not cut off by the end of the run). */
  running: number;
  rewardMean: number | null;
  ok: number;
}

export type DisplayRow =
  | { kind: 'step'; key: string; step: number; stats: Stats; collapsed: boolean }
  | { kind: 'group'; key: string; step: number; group: string; task: string; stats: Stats; collapsed: boolean }
  | { kind: 'source'; key: string; source: string; stats: Stats; collapsed: boolean }
  | { kind: 'row'; key: string; row: RowSummary };

export interface ViewOptions {
  filter: Filter;
  /** Ids matching the transcript text search; null when no search is active. */
  searchIds: ReadonlySet<string> | null;
  sort: { key: SortKey; dir: 1 | -1 };
  group: GroupBy;
  collapsed: ReadonlySet<string>;
}

export function matchesFilter(r: RowSummary, f: Filter, searchIds: ReadonlySet<string> | null): boolean {
  if (f.failedOnly && r.success !== false) return false;
  if (f.flags && !(r.flags & f.flags)) return false;
  if (f.phase !== 'all' && r.phase !== f.phase) return false;
  if (f.stepMin !== null && r.step < f.stepMin) return false;
  if (f.stepMax !== null && r.step > f.stepMax) return false;
  if (f.rewardMin !== null && (r.reward === null || r.reward < f.rewardMin)) return false;
  if (f.rewardMax !== null && (r.reward === null || r.reward > f.rewardMax)) return false;
  if (searchIds && !searchIds.has(r.id)) return false;
  return true;
}

/** Dense ranks of strings in natural order, so sorting compares numbers, not strings. */
export function rankOf(values: Iterable<string>): Map<string, number> {
  const unique = [...new Set(values)].sort(natural);
  return new Map(unique.map((v, i) => [v, i]));
}

interface Ranks {
  group: Map<string, number>;
  task: Map<string, number>;
}

/** Sort value of a row; null sorts after every number in either direction. */
function value(r: RowSummary, key: SortKey, ranks: Ranks): number | null {
  switch (key) {
    case 'task':
      return ranks.task.get(r.task) ?? null;
    case 'success':
      return r.success === null ? null : r.success ? 1 : 0;
    case 'flags':
      return popcount(r.flags);
    default:
      return r[key];
  }
}

function popcount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

/** Natural order for ids ("task-2" before "task-10"); one collator, as localeCompare with options is slow. */
const natural = new Intl.Collator(undefined, { numeric: true }).compare;

function cmpValues(a: number | null, b: number | null, dir: 1 | -1): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return dir * (a - b);
}

export function compareRows(key: SortKey, dir: 1 | -1, ranks?: Ranks): (a: RowSummary, b: RowSummary) => number {
  if (!ranks) return (a, b) => compareRows(key, dir, { group: rankOf([a.group, b.group]), task: rankOf([a.task, b.task]) })(a, b);
  const r = ranks;
  return (a, b) =>
    cmpValues(value(a, key, r), value(b, key, r), dir) ||
    a.step - b.step ||
    r.group.get(a.group)! - r.group.get(b.group)! ||
    a.sample - b.sample ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function stats(rows: readonly RowSummary[]): Stats {
  let scored = 0;
  let sum = 0;
  let ok = 0;
  let running = 0;
  for (const r of rows) {
    if (r.state === 'running') running++;
    if (r.reward !== null) {
      scored++;
      sum += r.reward;
    }
    if (r.success) ok++;
  }
  return { n: rows.length, scored, running, rewardMean: scored ? sum / scored : null, ok };
}

function merged(parts: Stats[]): Stats {
  let n = 0;
  let scored = 0;
  let sum = 0;
  let ok = 0;
  let running = 0;
  for (const p of parts) {
    n += p.n;
    running += p.running;
    scored += p.scored;
    sum += (p.rewardMean ?? 0) * p.scored;
    ok += p.ok;
  }
  return { n, scored, running, rewardMean: scored ? sum / scored : null, ok };
}

/** Mean of the sort key over a group, to order groups within a step. */
function groupValue(rows: readonly RowSummary[], key: SortKey, ranks: Ranks): number | null {
  if (key === 'task') return ranks.task.get(rows[0]?.task) ?? null;
  if (key === 'step' || key === 'sample') return null;
  let sum = 0;
  let n = 0;
  for (const r of rows) {
    const v = value(r, key, ranks);
    if (v !== null) {
      sum += v;
      n++;
    }
  }
  return n ? sum / n : null;
}

export const stepKey = (step: number) => `s:${step}`;
export const sourceKey = (source: string) => `src:${source}`;
/** The header of rows drawn from no named source (a run without `tasks.train.mix`). */
export const NO_SOURCE = '(no source)';
export const groupKey = (step: number, group: string) => `g:${step}:${group}`;

/** The display rows of one step (its header, its groups, their rows), or none when all are filtered out. */
export function stepSegment(step: number, stepRows: Iterable<RowSummary>, o: ViewOptions): DisplayRow[] {
  const rows: RowSummary[] = [];
  for (const r of stepRows) if (matchesFilter(r, o.filter, o.searchIds)) rows.push(r);
  if (!rows.length) return [];
  const ranks: Ranks = { group: rankOf(rows.map((r) => r.group)), task: o.sort.key === 'task' ? rankOf(rows.map((r) => r.task)) : new Map() };
  const cmp = compareRows(o.sort.key, o.sort.dir, ranks);
  const byGroup = new Map<string, RowSummary[]>();
  for (const r of rows) {
    const g = byGroup.get(r.group);
    if (g) g.push(r);
    else byGroup.set(r.group, [r]);
  }
  const groups = [...byGroup.entries()];
  const sKey = stepKey(step);
  const sCollapsed = o.collapsed.has(sKey);
  const out: DisplayRow[] = [{ kind: 'step', key: sKey, step, stats: merged(groups.map(([, g]) => stats(g))), collapsed: sCollapsed }];
  if (sCollapsed) return out;
  const ordered = groups
    .map(([group, g]) => ({ group, g, v: groupValue(g, o.sort.key, ranks) }))
    .sort((a, b) => cmpValues(a.v, b.v, o.sort.dir) || ranks.group.get(a.group)! - ranks.group.get(b.group)!);
  for (const { group, g } of ordered) {
    const gKey = groupKey(step, group);
    const gCollapsed = o.collapsed.has(gKey);
    out.push({ kind: 'group', key: gKey, step, group, task: g[0].task, stats: stats(g), collapsed: gCollapsed });
    if (gCollapsed) continue;
    g.sort(cmp);
    for (const row of g) out.push({ kind: 'row', key: row.id, row });
  }
  return out;
}

const stepOrder = (o: ViewOptions) => (o.sort.key === 'step' ? o.sort.dir : 1);

function sortedRows(rows: RowSummary[], o: ViewOptions): RowSummary[] {
  const ranks: Ranks = { group: rankOf(rows.map((r) => r.group)), task: o.sort.key === 'task' ? rankOf(rows.map((r) => r.task)) : new Map() };
  return rows.sort(compareRows(o.sort.key, o.sort.dir, ranks));
}

/** One header per source, sources in natural order, each with its rows sorted by the sort key. */
function bySource(rows: RowSummary[], o: ViewOptions): DisplayRow[] {
  const groups = new Map<string, RowSummary[]>();
  for (const r of rows) {
    const s = r.source ?? NO_SOURCE;
    const g = groups.get(s);
    if (g) g.push(r);
    else groups.set(s, [r]);
  }
  const out: DisplayRow[] = [];
  for (const source of [...groups.keys()].sort(natural)) {
    const g = groups.get(source)!;
    const key = sourceKey(source);
    const collapsed = o.collapsed.has(key);
    out.push({ kind: 'source', key, source, stats: stats(g), collapsed });
    if (!collapsed) for (const row of sortedRows(g, o)) out.push({ kind: 'row', key: row.id, row });
  }
  return out;
}

export function buildView(all: Iterable<RowSummary>, o: ViewOptions): DisplayRow[] {
  if (o.group !== 'step') {
    const rows: RowSummary[] = [];
    for (const r of all) if (matchesFilter(r, o.filter, o.searchIds)) rows.push(r);
    if (o.group === 'source') return bySource(rows, o);
    return sortedRows(rows, o).map((row) => ({ kind: 'row', key: row.id, row }));
  }
  const steps = new Map<number, RowSummary[]>();
  for (const r of all) {
    const list = steps.get(r.step);
    if (list) list.push(r);
    else steps.set(r.step, [r]);
  }
  const out: DisplayRow[] = [];
  const dir = stepOrder(o);
  for (const step of [...steps.keys()].sort((a, b) => dir * (a - b))) for (const d of stepSegment(step, steps.get(step)!, o)) out.push(d);
  return out;
}

/**
 * The client's rows, bucketed by step, with each step's display rows kept until a row of that
 * step changes or the view options do: live updates touch one step, so a redraw of a
 * 100k-row run rebuilds one step's segment instead of all of them.
 */
export class ViewBuilder {
  private byStep = new Map<number, Map<string, RowSummary>>();
  private stepOf = new Map<string, number>();
  private segments = new Map<number, DisplayRow[]>();
  private dirty = new Set<number>();
  private key = '';

  get size(): number {
    return this.stepOf.size;
  }

  has(id: string): boolean {
    return this.stepOf.has(id);
  }

  *values(): IterableIterator<RowSummary> {
    for (const m of this.byStep.values()) yield* m.values();
  }

  upsert(row: RowSummary): void {
    const prev = this.stepOf.get(row.id);
    if (prev !== undefined && prev !== row.step) {
      this.byStep.get(prev)?.delete(row.id);
      this.dirty.add(prev);
    }
    let m = this.byStep.get(row.step);
    if (!m) this.byStep.set(row.step, (m = new Map()));
    m.set(row.id, row);
    this.stepOf.set(row.id, row.step);
    this.dirty.add(row.step);
  }

  clear(): void {
    this.byStep.clear();
    this.stepOf.clear();
    this.segments.clear();
    this.dirty.clear();
  }

  /** `optionsKey` must change whenever `o` does (the search ids included). */
  build(o: ViewOptions, optionsKey: string): DisplayRow[] {
    if (o.group !== 'step') return buildView(this.values(), o);
    if (optionsKey !== this.key) {
      this.segments.clear();
      this.key = optionsKey;
    }
    const out: DisplayRow[] = [];
    const dir = stepOrder(o);
    for (const step of [...this.byStep.keys()].sort((a, b) => dir * (a - b))) {
      let seg = this.dirty.has(step) ? undefined : this.segments.get(step);
      if (!seg) this.segments.set(step, (seg = stepSegment(step, this.byStep.get(step)!.values(), o)));
      for (const d of seg) out.push(d);
    }
    this.dirty.clear();
    return out;
  }
}
