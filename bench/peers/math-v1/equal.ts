// The comparison `builtin:math` used before answers were parsed into trees (mathjs on text
// rewritten by regular expressions), kept unchanged as the peer of `npm run bench:judge`.
// Whether two normalised answers are the same value: as text, as numbers (with tolerance and
// percent), as intervals, tuples and sets, as equations, and as expressions.
//
// The CAS is mathjs: maintained, pure JavaScript (no Python or native build to ship with the
// extension), with a parser, `simplify` and numeric evaluation over expressions with free
// variables. Equality of expressions is decided by `simplify((a) - (b)) == 0`, and failing that
// by evaluating both at fixed pseudo-random points, which catches equalities (x+1)^2 = x^2+2x+1
// that rule-based simplification misses.
import { all, create, type MathNode } from 'mathjs';
import { normalizeAnswer, type Normalized } from './normalize';

const math = create(all, {});
const parse = math.parse;
const simplify = math.simplify;
// Answers are untrusted text: nothing they say may change the instance (mathjs security notes).
const disabled = (name: string) => () => {
  throw new Error(`${name} is disabled`);
};
math.import(
  {
    import: disabled('import'),
    createUnit: disabled('createUnit'),
    reviver: disabled('reviver'),
    evaluate: disabled('evaluate'),
    parse: disabled('parse'),
    simplify: disabled('simplify'),
    derivative: disabled('derivative'),
    resolve: disabled('resolve'),
  },
  { override: true },
);

export interface EqualOptions {
  /** Relative tolerance for non-integers. */
  tolerance?: number;
  /** A decimal with 2+ places equals a fraction or irrational rounded to those places (0.67 = 2/3). */
  roundMatch?: boolean;
}

export type EqualMethod = 'text' | 'number' | 'percent' | 'rounded' | 'interval' | 'tuple' | 'set' | 'equation' | 'symbolic' | 'evaluation' | 'choice' | 'none';

export interface Comparison {
  equal: boolean;
  method: EqualMethod;
}

const DEFAULT_TOLERANCE = 1e-6;
const CONSTANTS = new Set(['pi', 'e', 'i', 'Infinity', 'NaN', 'PI', 'E', 'phi', 'tau']);
const MAX_CAS_LENGTH = 300;

/** Without spaces, except a space between digits, which separates two numbers. */
function compact(s: string): string {
  return s.replace(/(\d)\s+(?=\d)/g, '$1_').replace(/\s+/g, '');
}

/** A plain number: `-12`, `2.5`, `1e3`, `3/4`, `(3)/(4)`, `(2+(1)/(2))` (mixed). */
export function plainNumber(s: string): number | null {
  const t = compact(s);
  if (/^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i.test(t)) return Number(t);
  const frac = /^(-?)\(?(-?\d+(?:\.\d+)?)\)?\/\(?(\d+(?:\.\d+)?)\)?$/.exec(t) ?? /^(-?)\(\(?(-?\d+)\)?\/\(?(\d+)\)?\)$/.exec(t);
  if (frac) {
    const d = Number(frac[3]);
    return d === 0 ? null : (frac[1] ? -1 : 1) * (Number(frac[2]) / d);
  }
  const mixed = /^(-?)\((\d+)\+\(?(\d+)\)?\/\(?(\d+)\)?\)$/.exec(t);
  if (mixed) return (mixed[1] ? -1 : 1) * (Number(mixed[2]) + Number(mixed[3]) / Number(mixed[4]));
  return null;
}

function decimals(s: string): number {
  const m = /^-?\d*\.(\d+)$/.exec(compact(s));
  return m ? m[1].length : 0;
}

function close(a: number, b: number, tol: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  // Integers compare exactly: 1000001 is not 1000000.
  if (Number.isInteger(a) && Number.isInteger(b) && Math.abs(a) < 2 ** 53 && Math.abs(b) < 2 ** 53) return false;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

interface Side {
  text: string;
  percent: boolean;
}

function numbersEqual(a: number, b: number, sa: Side, sb: Side, o: Required<EqualOptions>): Comparison | null {
  if (close(a, b, o.tolerance)) return { equal: true, method: 'number' };
  // "50%" may be written 50 or 0.5 on the other side.
  if (sa.percent && close(a / 100, b, o.tolerance)) return { equal: true, method: 'percent' };
  if (sb.percent && close(a, b / 100, o.tolerance)) return { equal: true, method: 'percent' };
  if (o.roundMatch) {
    // A decimal rounded to its shown places (2 or more) stands for a fraction or irrational
    // value with no short decimal form: 0.67 for 2/3, 1.41 for sqrt(2); never 2.35 for 2.345.
    for (const [x, xs, y, ys] of [
      [a, sa.text, b, sb.text],
      [b, sb.text, a, sa.text],
    ] as [number, string, number, string][]) {
      const d = decimals(ys);
      if (d >= 2 && !/^-?\d+(?:\.\d+)?$/.test(compact(xs)) && !isShortDecimal(x, d) && Math.abs(Number(x.toFixed(d)) - y) < 10 ** -(d + 3)) {
        return { equal: true, method: 'rounded' };
      }
    }
  }
  return null;
}

/** Whether `x` is exactly a decimal with at most `d` places (then rounding is not allowed). */
function isShortDecimal(x: number, d: number): boolean {
  return Math.abs(Number(x.toFixed(d)) - x) < 1e-12;
}

/** Splits at top-level occurrences of `sep` (outside brackets). */
export function splitTop(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (depth === 0 && s.startsWith(sep, i)) {
      parts.push(s.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim());
}

/** Whether the first bracket closes at the very end: `(1, 2)` yes, `(1)(2)` no. */
function wrapped(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if ('([{'.includes(s[i])) depth++;
    else if (')]}'.includes(s[i]) && --depth === 0 && i < s.length - 1) return false;
  }
  return depth === 0;
}

interface Interval {
  lo: string;
  hi: string;
  left: string;
  right: string;
}

function parseIntervals(s: string): Interval[] | null {
  const pieces = splitTop(s, 'U');
  const out: Interval[] = [];
  for (const p of pieces) {
    const m = /^([[(])(.*)([\])])$/.exec(p);
    if (!m || !wrapped(p)) return null;
    const ends = splitTop(m[2], ',');
    if (ends.length !== 2) return null;
    out.push({ left: m[1], lo: ends[0], hi: ends[1], right: m[3] });
  }
  // `(1, 2)` alone is as much a pair as an interval; an interval needs a square bracket, an
  // infinite end or a union.
  const intervalish = out.length > 1 || out.some((i) => i.left === '[' || i.right === ']' || /Infinity/.test(i.lo + i.hi));
  return intervalish ? out : null;
}

interface Tuple {
  items: string[];
  set: boolean;
}

function parseTuple(s: string): Tuple | null {
  let inner = s;
  let set = false;
  if (/^[([{]/.test(s) && wrapped(s)) {
    set = s.startsWith('{');
    inner = s.slice(1, -1);
  }
  const items = splitTop(inner, ',');
  if (items.length < 2 || items.some((x) => x === '')) return null;
  return { items, set };
}

function equationSides(s: string): [string, string] | null {
  const parts = splitTop(s, '=');
  if (parts.length !== 2 || /[<>!]$/.test(parts[0])) return null;
  return [parts[0], parts[1]];
}

function freeSymbols(node: MathNode): string[] {
  const names = new Set<string>();
  node.traverse((n, path, parent) => {
    if ((n as { isSymbolNode?: boolean }).isSymbolNode && !(parent && (parent as { isFunctionNode?: boolean }).isFunctionNode && path === 'fn')) {
      const name = (n as unknown as { name: string }).name;
      if (!CONSTANTS.has(name)) names.add(name);
    }
  });
  return [...names].sort();
}

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const c = v as { re?: number; im?: number };
  if (c && typeof c.re === 'number' && typeof c.im === 'number') return Math.abs(c.im) < 1e-12 ? c.re : null;
  const f = v as { valueOf?: () => unknown };
  if (f && typeof f.valueOf === 'function' && typeof f.valueOf() === 'number') return f.valueOf() as number;
  return null;
}

/** A small deterministic generator, so verdicts never depend on the run. */
function points(count: number, vars: string[]): Record<string, number>[] {
  let seed = 0x9e3779b9;
  const next = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  return Array.from({ length: count }, () => Object.fromEntries(vars.map((v) => [v, 0.3 + 2.4 * next()])));
}

function tryParse(s: string): MathNode | null {
  if (s.length > MAX_CAS_LENGTH) return null;
  try {
    // A single letter before a parenthesis multiplies it: 2x(x+1), not a call of x.
    return parse(s.replace(/(^|[^a-zA-Z_])([a-zA-Z])\s*\(/g, '$1$2*('));
  } catch {
    return null;
  }
}

function evaluate(node: MathNode, scope: Record<string, number>): number | null {
  try {
    return toNumber(node.evaluate({ ...scope }));
  } catch {
    return null;
  }
}

function symbolicEqual(a: string, b: string, sa: Side, sb: Side, o: Required<EqualOptions>): Comparison | null {
  const na = tryParse(a);
  const nb = tryParse(b);
  if (!na || !nb) return null;
  const va = freeSymbols(na);
  const vb = freeSymbols(nb);
  if (va.length === 0 && vb.length === 0) {
    const x = evaluate(na, {});
    const y = evaluate(nb, {});
    if (x === null || y === null || Number.isNaN(x) || Number.isNaN(y)) return null;
    return numbersEqual(x, y, { ...sa, text: a }, { ...sb, text: b }, o) ?? { equal: false, method: 'number' };
  }
  const vars = [...new Set([...va, ...vb])];
  let agreed = 0;
  for (const scope of points(8, vars)) {
    const x = evaluate(na, scope);
    const y = evaluate(nb, scope);
    if (x === null || y === null || !Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (!close(x, y, Math.max(o.tolerance, 1e-9))) return { equal: false, method: 'evaluation' };
    agreed++;
  }
  if (agreed >= 3) return { equal: true, method: 'evaluation' };
  // Too few points where both sides are defined (logs, roots of negatives): try algebra.
  try {
    const diff = simplify(new math.OperatorNode('-', 'subtract', [new math.ParenthesisNode(na), new math.ParenthesisNode(nb)]));
    if ((diff as { isConstantNode?: boolean }).isConstantNode && toNumber((diff as unknown as { value: unknown }).value) === 0) return { equal: true, method: 'symbolic' };
  } catch {
    // simplify gives up on some inputs
  }
  return null;
}

function textKey(s: string): string {
  return s.toLowerCase().replace(/\\text|\\mathrm/g, '').replace(/[^a-z0-9]+/g, '');
}

function compare(a: Side, b: Side, o: Required<EqualOptions>, depth: number): Comparison {
  const ca = compact(a.text);
  const cb = compact(b.text);
  if (ca === '' || cb === '') return { equal: false, method: 'none' };
  if (ca === cb) return { equal: true, method: 'text' };
  if (depth > 4) return { equal: false, method: 'none' };

  const x = plainNumber(a.text);
  const y = plainNumber(b.text);
  if (x !== null && y !== null) return numbersEqual(x, y, a, b, o) ?? { equal: false, method: 'number' };

  const ia = parseIntervals(a.text);
  const ib = parseIntervals(b.text);
  if (ia || ib) {
    if (!ia || !ib || ia.length !== ib.length) return { equal: false, method: 'interval' };
    const same = ia.every(
      (p, k) =>
        p.left === ib[k].left &&
        p.right === ib[k].right &&
        compare({ text: p.lo, percent: false }, { text: ib[k].lo, percent: false }, o, depth + 1).equal &&
        compare({ text: p.hi, percent: false }, { text: ib[k].hi, percent: false }, o, depth + 1).equal,
    );
    return { equal: same, method: 'interval' };
  }

  const ta = parseTuple(a.text);
  const tb = parseTuple(b.text);
  if (ta || tb) {
    if (!ta || !tb || ta.items.length !== tb.items.length) return { equal: false, method: 'tuple' };
    const eq = (p: string, q: string) => compare({ text: p, percent: a.percent }, { text: q, percent: b.percent }, o, depth + 1).equal;
    if (ta.set || tb.set) {
      const unused = [...tb.items];
      const all = ta.items.every((p) => {
        const k = unused.findIndex((q) => eq(p, q));
        if (k === -1) return false;
        unused.splice(k, 1);
        return true;
      });
      return { equal: all, method: 'set' };
    }
    return { equal: ta.items.every((p, k) => eq(p, tb.items[k])), method: 'tuple' };
  }

  const ea = equationSides(a.text);
  const eb = equationSides(b.text);
  if (ea && eb) {
    const side = (p: string, q: string) => compare({ text: p, percent: false }, { text: q, percent: false }, o, depth + 1).equal;
    if ((side(ea[0], eb[0]) && side(ea[1], eb[1])) || (side(ea[0], eb[1]) && side(ea[1], eb[0]))) return { equal: true, method: 'equation' };
    const da = `(${ea[0]})-(${ea[1]})`;
    const db = `(${eb[0]})-(${eb[1]})`;
    const same = side(da, db) || side(da, `-(${db})`);
    return { equal: same, method: 'equation' };
  }

  // Words compare without case: "Monday" = "monday", "(B)" = "b".
  const words = /^[(]?[a-zA-Z][a-zA-Z ]*[)]?$/;
  if (words.test(a.text) && words.test(b.text) && (/[a-zA-Z]{2}/.test(a.text) || /^\(?[a-zA-Z]\)?$/.test(a.text))) {
    const same = textKey(a.text) === textKey(b.text);
    if (same || /[a-zA-Z]{2}/.test(a.text + b.text)) return { equal: same, method: /^[a-z]$/.test(textKey(a.text)) ? 'choice' : 'text' };
  }

  const sym = symbolicEqual(a.text, b.text, a, b, o);
  if (sym) return sym;

  // Words and choices: "Yes" = "yes", "(B)" = "B".
  const ka = textKey(a.text);
  const kb = textKey(b.text);
  if (ka && ka === kb && /[a-zA-Z]/.test(a.text) && /[a-zA-Z]/.test(b.text)) return { equal: true, method: /^[a-e]$/.test(ka) ? 'choice' : 'text' };
  return { equal: false, method: 'none' };
}

/** Compares two normalised answers. */
export function equalNormalized(a: Normalized, b: Normalized, options: EqualOptions = {}): Comparison {
  const o: Required<EqualOptions> = { tolerance: options.tolerance ?? DEFAULT_TOLERANCE, roundMatch: options.roundMatch ?? true };
  return compare(a, b, o, 0);
}

/** Normalises and compares two extracted answers. */
export function answersEqual(gold: string, pred: string, options: EqualOptions = {}): Comparison & { gold: Normalized; pred: Normalized } {
  const g = normalizeAnswer(gold);
  const p = normalizeAnswer(pred);
  return { ...equalNormalized(g, p, options), gold: g, pred: p };
}
