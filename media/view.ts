// The table's view of the rows: filter, group by step and task group, sort, flatten into the
// display list the virtual table draws. Pure functions over RowSummary, tested in isolation.
import type { Filter, RowSummary, SortKey } from '../src/viewer/protocol';

export interface Stats {
  n: number;
  /** Rows with a reward (finished or complete). */
  scored: number;
  rewardMean: number | null;
  ok: number;
}

export type DisplayRow =
  | { kind: 'step'; key: string; step: number; stats: Stats; collapsed: boolean }
  | { kind: 'group'; key: string; step: number; group: string; task: string; stats: Stats; collapsed: boolean }
  | { kind: 'row'; key: string; row: RowSummary };

export interface ViewOptions {
  filter: Filter;
  /** Ids matching the transcript text search; null when no search is active. */
  searchIds: ReadonlySet<string> | null;
  sort: { key: SortKey; dir: 1 | -1 };
  grouped: boolean;
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
  for (const r of rows) {
    if (r.reward !== null) {
      scored++;
      sum += r.reward;
    }
    if (r.success) ok++;
  }
  return { n: rows.length, scored, rewardMean: scored ? sum / scored : null, ok };
}

function merged(parts: Stats[]): Stats {
  let n = 0;
  let scored = 0;
  let sum = 0;
  let ok = 0;
  for (const p of parts) {
    n += p.n;
    scored += p.scored;
    sum += (p.rewardMean ?? 0) * p.scored;
    ok += p.ok;
  }
  return { n, scored, rewardMean: scored ? sum / scored : null, ok };
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
export const groupKey = (step: number, group: string) => `g:${step}:${group}`;

export function buildView(all: Iterable<RowSummary>, o: ViewOptions): DisplayRow[] {
  const rows: RowSummary[] = [];
  for (const r of all) if (matchesFilter(r, o.filter, o.searchIds)) rows.push(r);
  const ranks: Ranks = { group: rankOf(rows.map((r) => r.group)), task: o.sort.key === 'task' ? rankOf(rows.map((r) => r.task)) : new Map() };
  const cmp = compareRows(o.sort.key, o.sort.dir, ranks);
  if (!o.grouped) return rows.sort(cmp).map((row) => ({ kind: 'row', key: row.id, row }));

  const steps = new Map<number, Map<string, RowSummary[]>>();
  for (const r of rows) {
    let groups = steps.get(r.step);
    if (!groups) steps.set(r.step, (groups = new Map()));
    const g = groups.get(r.group);
    if (g) g.push(r);
    else groups.set(r.group, [r]);
  }
  const stepDir = o.sort.key === 'step' ? o.sort.dir : 1;
  const out: DisplayRow[] = [];
  for (const step of [...steps.keys()].sort((a, b) => stepDir * (a - b))) {
    const groups = [...steps.get(step)!.entries()];
    const sKey = stepKey(step);
    const sCollapsed = o.collapsed.has(sKey);
    out.push({ kind: 'step', key: sKey, step, stats: merged(groups.map(([, g]) => stats(g))), collapsed: sCollapsed });
    if (sCollapsed) continue;
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
  }
  return out;
}
