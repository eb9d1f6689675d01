// Whether a predicted answer equals the reference. The reference (gold) and the prediction are
// not symmetric: an equation or assignment predicted for a plain value is read as its value,
// and an inequality is read as the interval it denotes. A comparison ends `equal`, `different`
// or `undecided`; undecided is anything this grader cannot settle safely (values that only
// agree after rounding, infinities, notations that may or may not mean the same), because a
// false accept teaches the policy a wrong answer.
import { type C, type Deadline, evaluate, finite, freeSymbols, near, NotNumeric } from './evaluate';
import type { Answer, Expr, RelOp } from './tree';
import { shape, showAnswer, showExpr } from './tree';

export type Outcome = 'equal' | 'different' | 'undecided';
export type Method = 'string' | 'numeric' | 'symbolic' | 'sampling' | 'set' | 'matrix' | 'relation' | 'interval' | 'text' | 'time' | 'undecided';

export interface Decision {
  outcome: Outcome;
  method: Method;
  why: string;
}

export interface CompareOptions {
  /** Relative tolerance when a side is written as a decimal. */
  tolerance: number;
  /** Accept a decimal that equals the other side only once rounded to its shown places (0.67 for 2/3). */
  roundMatch: boolean;
  deadline: Deadline;
  goldPercent?: boolean;
  predPercent?: boolean;
}

const decide = (outcome: Outcome, method: Method, why: string): Decision => ({ outcome, method, why });
const EXACT_TOL = 1e-9;
const SAMPLES = 8;
const MAX_ITEMS = 64;

/** Whether the tree holds a number written with a decimal point (then tolerance applies). */
function hasDecimal(e: Expr): boolean {
  if (typeof e === 'number') return !Number.isInteger(e);
  return Array.isArray(e) && e.some((x, k) => k > 0 && hasDecimal(x));
}

/** Decimal places of a plain decimal literal, or 0. */
function places(e: Expr): number {
  const x = typeof e === 'number' ? e : Array.isArray(e) && e[0] === 'Negate' && typeof e[1] === 'number' ? e[1] : null;
  if (x === null || Number.isInteger(x)) return 0;
  const m = /\.(\d+)$/.exec(String(x));
  return m ? m[1].length : 0;
}

function fmt(c: C): string {
  const r = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(12))) : x > 0 ? '∞' : x < 0 ? '-∞' : 'undefined');
  return c.im === 0 ? r(c.re) : `${r(c.re)}${c.im < 0 ? '-' : '+'}${r(Math.abs(c.im))}i`;
}

/** Two constant values: exactly when both are exact, within tolerance when one is a decimal. */
function compareValues(a: C, b: C, g: Expr, p: Expr, o: CompareOptions): Decision {
  if (!finite(a) || !finite(b)) {
    if (a.re === b.re && a.im === b.im && (a.re === Infinity || a.re === -Infinity)) return decide('equal', 'numeric', `both are ${a.re > 0 ? '' : '-'}∞`);
    return decide('undecided', 'undecided', 'a value is too large or undefined to compare');
  }
  const scales: [number, string][] = [[1, '']];
  if (o.goldPercent) scales.push([0.01, ' (the reference as a percentage)']);
  if (o.predPercent) scales.push([100, ' (the answer as a percentage)']);
  const decimal = hasDecimal(g) || hasDecimal(p);
  for (const [k, note] of scales) {
    const ak = { re: a.re * k, im: a.im * k };
    if (Number.isInteger(ak.re) && Number.isInteger(b.re) && ak.im === 0 && b.im === 0 && Math.abs(b.re) < 2 ** 53) {
      if (ak.re === b.re) return decide('equal', 'numeric', `both are ${fmt(b)}${note}`);
      continue;
    }
    if (near(ak, b, decimal ? o.tolerance : EXACT_TOL)) return decide('equal', 'numeric', `${fmt(ak)} and ${fmt(b)} agree${decimal ? ` within relative tolerance ${o.tolerance}` : ''}${note}`);
  }
  // A decimal that agrees only when the other side is rounded to its places.
  const d = places(p);
  if (d >= 1 && a.im === 0 && Math.abs(Number(a.re.toFixed(d)) - b.re) < 10 ** -(d + 3)) {
    if (o.roundMatch && d >= 2) return decide('equal', 'numeric', `${fmt(a)} rounds to ${fmt(b)} (round_match)`);
    return decide('undecided', 'undecided', `${fmt(b)} equals ${fmt(a)} only after rounding to ${d} place${d > 1 ? 's' : ''}`);
  }
  return decide('different', 'numeric', `${fmt(a)} ≠ ${fmt(b)}`);
}

/** A deterministic pseudo-random sequence, so verdicts never depend on the run. */
function sampler(): () => number {
  let seed = 0x9e3779b9;
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

function points(vars: string[]): Record<string, C>[] {
  const next = sampler();
  return Array.from({ length: SAMPLES }, () => Object.fromEntries(vars.map((v) => [v, { re: 0.35 + 2.3 * next(), im: 0 }])));
}

function tryEval(e: Expr, scope: Record<string, C>, o: CompareOptions): C | null {
  try {
    const v = evaluate(e, scope, o.deadline);
    return finite(v) ? v : null;
  } catch (err) {
    if (err instanceof NotNumeric) return null;
    throw err;
  }
}

/** Sorted, flattened form of sums and products: equal keys are the same expression written in another order. */
function canonical(e: Expr): string {
  if (!Array.isArray(e)) return JSON.stringify(e);
  const [head, ...args] = e;
  if (head === 'Add' || head === 'Multiply') {
    const flat = args.flatMap((x) => (Array.isArray(x) && x[0] === head ? x.slice(1) : [x]));
    return `${head}(${flat.map(canonical).sort().join(',')})`;
  }
  if (head === 'Negate' && Array.isArray(args[0]) && args[0][0] === 'Negate') return canonical(args[0][1]);
  return `${String(head)}(${args.map(canonical).join(',')})`;
}

export function compareExpr(g: Expr, p: Expr, o: CompareOptions): Decision {
  if (typeof g === 'number' && typeof p === 'number') return compareValues({ re: g, im: 0 }, { re: p, im: 0 }, g, p, o);
  if (canonical(g) === canonical(p)) return decide('equal', 'symbolic', 'the same expression up to the order of terms and factors');
  const vars = [...new Set([...freeSymbols(g), ...freeSymbols(p)])].sort();
  if (vars.length === 0) {
    const a = tryEval(g, {}, o);
    const b = tryEval(p, {}, o);
    if (!a || !b) return decide('undecided', 'undecided', `cannot evaluate ${!a ? 'the reference' : 'the answer'} to a finite number`);
    return compareValues(a, b, g, p, o);
  }
  if (vars.length > 6) return decide('undecided', 'undecided', 'too many free symbols to sample');
  let agreed = 0;
  for (const scope of points(vars)) {
    const a = tryEval(g, scope, o);
    const b = tryEval(p, scope, o);
    if (!a || !b) continue;
    if (!near(a, b, hasDecimal(g) || hasDecimal(p) ? o.tolerance : 1e-8)) {
      const at = vars.map((v) => `${v}=${fmt(scope[v])}`).join(', ');
      return decide('different', 'sampling', `at ${at} the reference is ${fmt(a)} and the answer ${fmt(b)}`);
    }
    agreed++;
  }
  if (agreed >= 4) return decide('equal', 'sampling', `equal at ${agreed} of ${SAMPLES} random points (${vars.join(', ')} in [0.35, 2.65]), relative tolerance ${hasDecimal(g) || hasDecimal(p) ? o.tolerance : 1e-8}`);
  return decide('undecided', 'undecided', `defined at only ${agreed} of ${SAMPLES} sample points`);
}

function isAssignmentTarget(e: Expr): boolean {
  // `x`, `y_1`, `f(x)` written as f·(x), `a_n`.
  if (typeof e === 'string') return !e.startsWith("'");
  if (Array.isArray(e) && (e[0] === 'Subscript' || e[0] === 'Prime')) return true;
  return Array.isArray(e) && e[0] === 'Multiply' && e.length === 3 && typeof e[1] === 'string' && typeof e[2] === 'string';
}

/** The value an equation chain states: the last exact side (`√4 = 2` → 2, `x = 1/3 ≈ 0.33` → 1/3). */
function statedValue(a: Answer & { kind: 'relation' }): Expr | null {
  if (!a.ops.every((op) => op === '=' || op === '~')) return null;
  const exact = a.ops.indexOf('~');
  if (exact === -1) return a.items[a.items.length - 1];
  // `x ≈ 0.33` states only the approximation.
  return exact === 0 && isAssignmentTarget(a.items[0]) ? a.items[1] : a.items[exact];
}

function isAssignment(a: Answer): a is Answer & { kind: 'relation' } {
  return a.kind === 'relation' && a.ops.every((op) => op === '=' || op === '~') && (isAssignmentTarget(a.items[0]) || a.items.every((x) => freeSymbols(x).size === 0));
}

function isRelational(a: Answer): boolean {
  return a.kind === 'relation' || a.kind === 'member' || ((a.kind === 'or' || a.kind === 'and') && a.items.every(isRelational));
}

type Interval = { lo: C; hi: C; loOpen: boolean; hiOpen: boolean };

/** A relation in one variable as the intervals it denotes: `x >= 5` → [5, ∞). */
function toIntervals(a: Answer, o: CompareOptions): { v: string; parts: Interval[] } | null {
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

function intervalsOf(a: Answer & { kind: 'intervals' }, o: CompareOptions): Interval[] | null {
  const out: Interval[] = [];
  for (const p of a.parts) {
    const lo = tryEval(p.lo, {}, o) ?? (p.lo === 'NegativeInfinity' || (Array.isArray(p.lo) && p.lo[0] === 'Negate' && p.lo[1] === 'PositiveInfinity') ? { re: -Infinity, im: 0 } : null);
    const hi = tryEval(p.hi, {}, o) ?? (p.hi === 'PositiveInfinity' ? { re: Infinity, im: 0 } : null);
    if (!lo || !hi) return null;
    out.push({ lo, hi, loOpen: p.loOpen, hiOpen: p.hiOpen });
  }
  return out;
}

function compareIntervals(g: Interval[], p: Interval[], o: CompareOptions): Decision {
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
function compareRelations(g: Answer & { kind: 'relation' }, p: Answer & { kind: 'relation' }, o: CompareOptions): Decision {
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
function compareItems(g: Answer[], p: Answer[], ordered: boolean, o: CompareOptions): Decision {
  const method: Method = 'set';
  if (g.length !== p.length) return decide('different', method, `${g.length} item(s) against ${p.length}`);
  if (g.length > MAX_ITEMS) return decide('undecided', 'undecided', `more than ${MAX_ITEMS} items`);
  let undecided: Decision | null = null;
  if (ordered) {
    for (let k = 0; k < g.length; k++) {
      const d = compareAnswers(g[k], p[k], o);
      if (d.outcome === 'different') return decide('different', method, `item ${k + 1}: ${d.why}`);
      if (d.outcome === 'undecided') undecided = d;
    }
  } else {
    const unused = p.map((_, k) => k);
    for (const [n, x] of g.entries()) {
      let found = -1;
      for (const k of unused) {
        const d = compareAnswers(x, p[k], o);
        if (d.outcome === 'equal') {
          found = k;
          break;
        }
        if (d.outcome === 'undecided') undecided = d;
      }
      if (found === -1) return undecided ? decide('undecided', 'undecided', `item ${n + 1} of the reference: ${undecided.why}`) : decide('different', method, `${showAnswer(x)} of the reference is not in the answer`);
      unused.splice(unused.indexOf(found), 1);
    }
  }
  if (undecided) return decide('undecided', 'undecided', undecided.why);
  return decide('equal', method, ordered ? `all ${g.length} items agree in order` : `the same ${g.length} item(s) in any order`);
}

function compareMatrices(g: Expr[][], p: Expr[][], o: CompareOptions): Decision {
  const dims = (m: Expr[][]) => `${m.length}×${m[0]?.length ?? 0}`;
  if (dims(g) !== dims(p) || g.some((r, k) => r.length !== p[k].length)) return decide('different', 'matrix', `${dims(g)} against ${dims(p)}`);
  for (let i = 0; i < g.length; i++) {
    for (let j = 0; j < g[i].length; j++) {
      const d = compareExpr(g[i][j], p[i][j], o);
      if (d.outcome !== 'equal') return decide(d.outcome, d.outcome === 'undecided' ? 'undecided' : 'matrix', `entry (${i + 1}, ${j + 1}): ${d.why}`);
    }
  }
  return decide('equal', 'matrix', `all ${g.length * g[0].length} entries agree`);
}

const COLLECTION = new Set(['tuple', 'list', 'set', 'or']);

/** Compares two answer trees, reading the prediction in the reference's terms. */
export function compareAnswers(gold: Answer, pred: Answer, o: CompareOptions): Decision {
  let g = gold;
  let p = pred;
  const notes: string[] = [];
  // A predicted equation or chain for a plain reference: its stated value (`x = 2`, `√4 = 2`, `f(x) = 2x+3`).
  if (p.kind === 'relation' && !isRelational(g) && g.kind !== 'intervals') {
    const v = statedValue(p);
    if (v !== null) {
      p = shape(v);
      notes.push(`the answer's equation read as its value ${showExpr(v)}`);
    }
  }
  // A reference assignment `x = 2` against a plain prediction: the reference's value.
  if (isAssignment(g) && !isRelational(p)) {
    g = shape(statedValue(g)!);
    notes.push(`the reference's equation read as its value ${showExpr(statedValue(gold as Answer & { kind: 'relation' })!)}`);
  }
  const d = compareRead(g, p, o);
  return notes.length ? { ...d, why: `${notes.join('; ')}; ${d.why}` } : d;
}

function compareRead(g: Answer, p: Answer, o: CompareOptions): Decision {
  // Alternatives stated as assignments (`x = 1 or x = 2`, `x=1, x=2`) against values.
  const values = (a: Answer): Answer => {
    if (COLLECTION.has(a.kind) && 'items' in a && (a.items as Answer[]).every(isAssignment)) {
      return { kind: 'list', items: (a.items as (Answer & { kind: 'relation' })[]).map((r) => ({ kind: 'expr', e: statedValue(r)! })) };
    }
    // x = ±3: both values.
    const v = isAssignment(a) ? statedValue(a) : null;
    if (v !== null && Array.isArray(v) && v[0] === 'Measurement') return shape(v);
    return a;
  };
  if (!isRelational(g) || !(g.kind === 'or' || g.kind === 'and')) p = values(p);
  g = values(g);
  // (a, b) against an inequality is the open interval.
  if (g.kind === 'tuple' && g.items.length === 2 && g.items.every((x) => x.kind === 'expr') && isRelational(p)) {
    const [lo, hi] = g.items as { kind: 'expr'; e: Expr }[];
    g = { kind: 'intervals', parts: [{ lo: lo.e, hi: hi.e, loOpen: true, hiOpen: true }] };
  }
  // Inequalities and intervals: the sets they denote, either way round.
  if (g.kind === 'intervals' && isRelational(p)) {
    const pi = toIntervals(p, o);
    const gi = intervalsOf(g, o);
    if (pi && gi) return compareIntervals(gi, pi.parts, o);
  }
  if (p.kind === 'intervals' && isRelational(g)) {
    const gi = toIntervals(g, o);
    const pi = intervalsOf(p, o);
    if (pi && gi) return compareIntervals(gi.parts, pi, o);
  }
  if (g.kind === 'member' || p.kind === 'member') {
    const gi = toIntervals(g, o);
    const pi = toIntervals(p, o);
    if (gi && pi) return gi.v === pi.v ? compareIntervals(gi.parts, pi.parts, o) : decide('different', 'interval', `about ${gi.v} against about ${pi.v}`);
    if (g.kind === 'member') g = g.set;
    if (p.kind === 'member') p = p.set;
  }
  // One value against a collection of one.
  if (COLLECTION.has(g.kind) && 'items' in g && g.items.length === 1 && !COLLECTION.has(p.kind)) return compareAnswers(g.items[0] as Answer, p, o);
  if (COLLECTION.has(p.kind) && 'items' in p && p.items.length === 1 && !COLLECTION.has(g.kind)) return compareAnswers(g, p.items[0] as Answer, o);

  if (g.kind === 'expr' && p.kind === 'expr') return compareExpr(g.e, p.e, o);
  if (g.kind === 'relation' && p.kind === 'relation') {
    const gi = g.ops.every((x) => x !== '=' && x !== '~') ? toIntervals(g, o) : null;
    const pi = p.ops.every((x) => x !== '=' && x !== '~') ? toIntervals(p, o) : null;
    if (gi && pi && gi.v === pi.v) return compareIntervals(gi.parts, pi.parts, o);
    return compareRelations(g, p, o);
  }
  if ((g.kind === 'or' || g.kind === 'and') && isRelational(g) && isRelational(p)) {
    const gi = toIntervals(g, o);
    const pi = toIntervals(p, o);
    if (gi && pi) return gi.v === pi.v ? compareIntervals(gi.parts, pi.parts, o) : decide('different', 'interval', `about ${gi.v} against about ${pi.v}`);
  }
  if (g.kind === 'intervals' && p.kind === 'intervals') {
    const gi = intervalsOf(g, o);
    const pi = intervalsOf(p, o);
    if (!gi || !pi) return decide('undecided', 'undecided', 'an interval end is not a number');
    return compareIntervals(gi, pi, o);
  }
  // An open interval (a, b) is written like the pair (a, b).
  if (g.kind === 'intervals' && COLLECTION.has(p.kind) && g.parts.length === 1 && g.parts[0].loOpen && g.parts[0].hiOpen) {
    return compareAnswers({ kind: 'tuple', items: [{ kind: 'expr', e: g.parts[0].lo }, { kind: 'expr', e: g.parts[0].hi }] }, p, o);
  }
  if (g.kind === 'matrix' && p.kind === 'matrix') return compareMatrices(g.rows, p.rows, o);
  if (COLLECTION.has(g.kind) && COLLECTION.has(p.kind) && 'items' in g && 'items' in p) {
    if ((g.kind === 'set') !== (p.kind === 'set') && (g.kind === 'tuple' || p.kind === 'tuple')) return decide('undecided', 'undecided', 'a set against a tuple');
    const ordered = g.kind === 'tuple';
    return compareItems(g.items as Answer[], p.items as Answer[], ordered, o);
  }
  if ((g.kind === 'matrix') !== (p.kind === 'matrix') && (COLLECTION.has(g.kind) || COLLECTION.has(p.kind))) return decide('undecided', 'undecided', 'a matrix against a list of values');
  return decide('different', 'string', `a ${kindName(g)} against a ${kindName(p)}`);
}

function kindName(a: Answer): string {
  return a.kind === 'expr' ? 'value' : a.kind;
}

export { showExpr };
export type { RelOp };
