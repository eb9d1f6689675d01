// Whether a predicted answer equals the reference. The reference (gold) and the prediction are
// not symmetric: an equation or assignment predicted for a plain value is read as its value,
// and an inequality is read as the interval it denotes. A comparison ends `equal`, `different`
// or `undecided`; undecided is anything this grader cannot settle safely (values that only
// agree after rounding, infinities, notations that may or may not mean the same), because a
// false accept teaches the policy a wrong answer.
import { freeSymbols } from './evaluate';
import { compareIntervals, compareRelations, intervalsOf, toIntervals } from './relations';
import type { Answer, Expr } from './tree';
import { shape, showAnswer, showExpr } from './tree';
import { type CompareOptions, compareExpr, decide, type Decision, type Method } from './values';

export type { CompareOptions, Decision, Method, Outcome } from './values';

const MAX_ITEMS = 64;

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

