// Comparing two values or expressions: constants numerically (exactly, or within a tolerance
// when a decimal is involved), expressions with variables by sampling. Shared by the shapes in
// compare.ts and relations.ts.
import { type C, type Deadline, evaluate, finite, freeSymbols, near, NotNumeric } from './evaluate';
import type { Expr } from './tree';

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

export const decide = (outcome: Outcome, method: Method, why: string): Decision => ({ outcome, method, why });
// Exact values agree when doubles agree to 12 digits; agreeing to 8 but not 12 is beyond what
// floating point can settle (1 + 10^{-10} against 1), so undecided.
export const EXACT_TOL = 1e-12;
export const UNSURE_TOL = 1e-8;
const SAMPLES = 8;

/** Whether the tree holds a number written with a decimal point (then tolerance applies). */
function hasDecimal(e: Expr): boolean {
  if (typeof e === 'number') return !Number.isInteger(e);
  return Array.isArray(e) && e.some((x, k) => k > 0 && hasDecimal(x));
}

const RATIONAL_HEADS = new Set(['Add', 'Multiply', 'Divide', 'Negate', 'Power']);

/** Whether evaluating `e` rounds: functions, π, e, or powers with non-integer exponents. */
function inexact(e: Expr): boolean {
  if (typeof e === 'number') return false;
  if (typeof e === 'string') return true;
  const [head, ...args] = e;
  if (typeof head !== 'string' || !RATIONAL_HEADS.has(head)) return true;
  const exponent = args[1];
  if (head === 'Power' && !Number.isInteger(exponent) && !(Array.isArray(exponent) && exponent[0] === 'Negate' && Number.isInteger(exponent[1]))) return true;
  return args.some(inexact);
}

/** Decimal places of a plain decimal literal, or 0. */
function places(e: Expr): number {
  const x = typeof e === 'number' ? e : Array.isArray(e) && e[0] === 'Negate' && typeof e[1] === 'number' ? e[1] : null;
  if (x === null || Number.isInteger(x)) return 0;
  const m = /\.(\d+)$/.exec(String(x));
  return m ? m[1].length : 0;
}

export function fmt(c: C): string {
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
    if (near(ak, b, decimal ? o.tolerance : EXACT_TOL)) {
      // Near zero the tolerance is absolute: rounding noise of sin(π) is zero, but 10^{-15} written as such is not.
      const tiny = Math.max(Math.hypot(ak.re, ak.im), Math.hypot(b.re, b.im)) < 1;
      const size = Math.max(Math.hypot(ak.re, ak.im), Math.hypot(b.re, b.im));
      if (tiny && !decimal && !near(ak, b, EXACT_TOL * size) && !inexact(g) && !inexact(p)) {
        if (!near(ak, b, UNSURE_TOL * size)) return decide('different', 'numeric', `${fmt(ak)} ≠ ${fmt(b)}`);
        return decide('undecided', 'undecided', `${fmt(ak)} and ${fmt(b)} differ by less than floating point can tell`);
      }
      return decide('equal', 'numeric', `${fmt(ak)} and ${fmt(b)} agree${decimal ? ` within relative tolerance ${o.tolerance}` : ''}${note}`);
    }
    if (!decimal && near(ak, b, UNSURE_TOL)) return decide('undecided', 'undecided', `${fmt(ak)} and ${fmt(b)} agree to 8 digits but not to 12`);
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

export function points(vars: string[]): Record<string, C>[] {
  const next = sampler();
  // Both signs: |x| and x agree only for x > 0, and an answer must hold wherever both sides are defined.
  return Array.from({ length: SAMPLES }, () => Object.fromEntries(vars.map((v) => [v, { re: (next() < 0.5 ? -1 : 1) * (0.35 + 2.3 * next()), im: 0 }])));
}

export function tryEval(e: Expr, scope: Record<string, C>, o: CompareOptions): C | null {
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

/** \log without a base read as the natural logarithm. */
function naturalLogs(e: Expr): Expr {
  if (!Array.isArray(e)) return e;
  if (e[0] === 'Log' && e.length === 2) return ['Ln', naturalLogs(e[1])];
  return e.map((x, k) => (k === 0 ? x : naturalLogs(x)));
}

const hasPlainLog = (e: Expr): boolean => Array.isArray(e) && ((e[0] === 'Log' && e.length === 2) || e.some((x, k) => k > 0 && hasPlainLog(x)));

/**
 * Two expressions. `\log` without a base is the common logarithm (\log 100 = 2); when the
 * sides differ that way but agree with natural logarithms, which many texts mean, undecided.
 */
export function compareExpr(g: Expr, p: Expr, o: CompareOptions): Decision {
  const d = compareExprOnce(g, p, o);
  if (d.outcome !== 'different' || !(hasPlainLog(g) || hasPlainLog(p))) return d;
  const ln = compareExprOnce(naturalLogs(g), naturalLogs(p), o);
  return ln.outcome === 'equal' ? decide('undecided', 'undecided', 'equal only if \\log is the natural logarithm') : d;
}

function compareExprOnce(g: Expr, p: Expr, o: CompareOptions): Decision {
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
    if (!near(a, b, hasDecimal(g) || hasDecimal(p) ? o.tolerance : UNSURE_TOL)) {
      const at = vars.map((v) => `${v}=${fmt(scope[v])}`).join(', ');
      return decide('different', 'sampling', `at ${at} the reference is ${fmt(a)} and the answer ${fmt(b)}`);
    }
    agreed++;
  }
  if (agreed >= 4) return decide('equal', 'sampling', `equal at ${agreed} of ${SAMPLES} random points (${vars.join(', ')} in ±[0.35, 2.65]), relative tolerance ${hasDecimal(g) || hasDecimal(p) ? o.tolerance : UNSURE_TOL}`);
  return decide('undecided', 'undecided', `defined at only ${agreed} of ${SAMPLES} sample points`);
}

