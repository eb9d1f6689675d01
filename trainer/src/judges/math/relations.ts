// Relations and the sets they denote: a one-variable inequality as intervals (`x >= 5` is
// [5, ∞)), intervals compared end by end, and equations or inequalities compared as the same
// relation once every term is on one side and scaled.
import { type C, freeSymbols, near } from './evaluate';
import type { Answer, Expr } from './tree';
import { showAnswer } from './tree';
import { type CompareOptions, decide, type Decision, EXACT_TOL, fmt, points, tryEval } from './values';

export type Interval = { lo: C; hi: C; loOpen: boolean; hiOpen: boolean };

/** A relation in one variable as the intervals it denotes: `x >= 5` → [5, ∞). */
export function toIntervals(a: Answer, o: CompareOptions): { v: string; parts: Interval[] } | null {
  const num = (e: Expr) => (freeSymbols(e).size === 0 ? tryEval(e, {}, o) : null);
  const INF = { re: Infinity, im: 0 };
  const NINF = { re: -Infinity, im: 0 };
  if (a.kind === 'member') {
    if (typeof a.x !== 'string' || a.set.kind !== 'intervals') return null;
    const parts: Interval[] = [];
    for (const p of a.set.parts) {
      const lo = num(p.lo) ?? (p.lo === 'NegativeInfinity' ? NINF : null);
      const hi = num(p.hi);
      if (!lo || !hi) return null;
      parts.push({ lo, hi, loOpen: p.loOpen, hiOpen: p.hiOpen });
    }
    return { v: a.x, parts };
  }
  if (a.kind === 'or' || a.kind === 'and') {
    const subs = a.items.map((x) => toIntervals(x, o));
    if (subs.some((s) => !s || s.v !== subs[0]!.v)) return null;
    const all = subs as { v: string; parts: Interval[] }[];
    if (a.kind === 'or') return { v: all[0].v, parts: all.flatMap((s) => s.parts) };
    if (all.some((s) => s.parts.length !== 1)) return null;
    const cut = all.map((s) => s.parts[0]).reduce((x, y) => ({
      lo: x.lo.re > y.lo.re ? x.lo : y.lo,
      loOpen: x.lo.re > y.lo.re ? x.loOpen : x.lo.re < y.lo.re ? y.loOpen : x.loOpen || y.loOpen,
      hi: x.hi.re < y.hi.re ? x.hi : y.hi,
      hiOpen: x.hi.re < y.hi.re ? x.hiOpen : x.hi.re > y.hi.re ? y.hiOpen : x.hiOpen || y.hiOpen,
    }));
    return { v: all[0].v, parts: [cut] };
  }
  if (a.kind !== 'relation') return null;
  const vi = a.items.findIndex((x) => typeof x === 'string' && freeSymbols(x).size === 1);
  if (vi === -1 || a.items.some((x, k) => k !== vi && freeSymbols(x).size > 0)) return null;
  const v = a.items[vi] as string;
  let part: Interval = { lo: NINF, hi: INF, loOpen: true, hiOpen: true };
  for (let k = 0; k < a.ops.length; k++) {
    const op = a.ops[k];
    if (op === '=' || op === '~') return null;
    const [l, r] = [a.items[k], a.items[k + 1]];
    if (op === '!=') {
      const c = num(l === v ? r : l);
      if (!c || a.ops.length !== 1) return null;
      return { v, parts: [{ lo: NINF, hi: c, loOpen: true, hiOpen: true }, { lo: c, hi: INF, loOpen: true, hiOpen: true }] };
    }
    // Read every relation as `v > c`, `v >= c`, `v < c` or `v <= c`.
    const varLeft = l === v;
    const c = num(varLeft ? r : l);
    if (!c || (l !== v && r !== v)) return null;
    const greater = (op === '>' || op === '>=') === varLeft;
    const strict = op === '<' || op === '>';
    if (greater) part = { ...part, lo: c, loOpen: strict };
    else part = { ...part, hi: c, hiOpen: strict };
  }
  return { v, parts: [part] };
}

export function intervalsOf(a: Answer & { kind: 'intervals' }, o: CompareOptions): Interval[] | null {
  const out: Interval[] = [];
  for (const p of a.parts) {
    const lo = tryEval(p.lo, {}, o) ?? (p.lo === 'NegativeInfinity' || (Array.isArray(p.lo) && p.lo[0] === 'Negate' && p.lo[1] === 'PositiveInfinity') ? { re: -Infinity, im: 0 } : null);
    const hi = tryEval(p.hi, {}, o) ?? (p.hi === 'PositiveInfinity' ? { re: Infinity, im: 0 } : null);
    if (!lo || !hi) return null;
    out.push({ lo, hi, loOpen: p.loOpen, hiOpen: p.hiOpen });
  }
  return out;
}

export function compareIntervals(g: Interval[], p: Interval[], o: CompareOptions): Decision {
  const sort = (xs: Interval[]) => [...xs].sort((x, y) => x.lo.re - y.lo.re);
  const [gs, ps] = [sort(g), sort(p)];
  const show = (xs: Interval[]) => xs.map((x) => `${x.loOpen ? '(' : '['}${fmt(x.lo)}, ${fmt(x.hi)}${x.hiOpen ? ')' : ']'}`).join(' ∪ ');
  if (gs.length !== ps.length) return decide('different', 'interval', `${show(gs)} has ${gs.length} part(s), ${show(ps)} ${ps.length}`);
  const same = (x: C, y: C) => x.re === y.re || near(x, y, EXACT_TOL);
  for (let k = 0; k < gs.length; k++) {
    const [x, y] = [gs[k], ps[k]];
    if (!same(x.lo, y.lo) || !same(x.hi, y.hi)) return decide('different', 'interval', `${show([x])} ≠ ${show([y])}`);
    if (x.loOpen !== y.loOpen || x.hiOpen !== y.hiOpen) return decide('different', 'interval', `${show([x])} and ${show([y])} differ in which ends are included`);
  }
  return decide('equal', 'interval', `both are ${show(gs)}`);
}

/** Equations and inequalities: the same up to moving terms across and scaling (by a positive factor for inequalities). */
export function compareRelations(g: Answer & { kind: 'relation' }, p: Answer & { kind: 'relation' }, o: CompareOptions): Decision {
  const norm = (a: Answer & { kind: 'relation' }): { op: string; d: Expr }[] | null =>
    a.ops.map((op, k) => {
      const [l, r] = [a.items[k], a.items[k + 1]];
      if (op === '>' || op === '>=') return { op: op === '>' ? '<' : '<=', d: ['Add', l, ['Negate', r]] as Expr };
      return { op: op === '~' ? '=' : op, d: ['Add', r, ['Negate', l]] as Expr };
    });
  const gn = norm(g);
  const pn = norm(p);
  if (!gn || !pn || gn.length !== pn.length) return decide('different', 'relation', `${showAnswer(g)} and ${showAnswer(p)} are different kinds of relation`);
  for (let k = 0; k < gn.length; k++) {
    if (gn[k].op !== pn[k].op) return decide('different', 'relation', `${showAnswer(g)} and ${showAnswer(p)} use different relations`);
    const r = ratio(gn[k].d, pn[k].d, o);
    if (r.outcome !== 'equal') return r;
    if (gn[k].op !== '=' && gn[k].op !== '!=' && r.factor <= 0) return decide('different', 'relation', 'the inequalities point in opposite directions');
  }
  return decide('equal', 'relation', 'the same relation once every term is moved to one side and scaled');
}

/** Whether `a = k·b` for a constant k ≠ 0, at sample points. */
function ratio(a: Expr, b: Expr, o: CompareOptions): Decision & { factor: number } {
  const vars = [...new Set([...freeSymbols(a), ...freeSymbols(b)])].sort();
  let k: number | null = null;
  let agreed = 0;
  for (const scope of points(vars)) {
    const x = tryEval(a, scope, o);
    const y = tryEval(b, scope, o);
    if (!x || !y || x.im !== 0 || y.im !== 0) continue;
    if (Math.abs(y.re) < 1e-12 || Math.abs(x.re) < 1e-12) {
      if (Math.abs(y.re) < 1e-12 && Math.abs(x.re) < 1e-12) continue;
      return { ...decide('different', 'relation', 'one relation holds where the other does not'), factor: 0 };
    }
    const r = x.re / y.re;
    if (k === null) k = r;
    else if (Math.abs(r - k) > 1e-7 * Math.max(1, Math.abs(k))) return { ...decide('different', 'relation', 'the two relations are not multiples of each other'), factor: 0 };
    agreed++;
    if (vars.length === 0) break;
  }
  if (k === null) return { ...decide('undecided', 'undecided', 'cannot evaluate the relations'), factor: 0 };
  if (vars.length > 0 && agreed < 4) return { ...decide('undecided', 'undecided', 'the relations are defined at too few sample points'), factor: 0 };
  return { ...decide('equal', 'relation', 'multiples of each other'), factor: k };
}

/** Items of two collections, in order or as a multiset. */
