// Prepared LaTeX to an answer tree. The parser is the Compute Engine's LaTeX reader
// (@cortex-js/compute-engine), used without canonicalisation, so that the tree keeps what was
// written; this file reads its MathJSON into the shapes a final answer takes: an expression,
// a relation or chain, a tuple, list or set, intervals, a matrix, or alternatives (`or`, `\pm`).
import type { LatexSyntax } from '@cortex-js/compute-engine';

/** MathJSON as this grader uses it: numbers, symbols, and `[head, ...args]`. */
export type Expr = number | string | Expr[];

export type RelOp = '=' | '<' | '<=' | '>' | '>=' | '!=' | '~';

export type Answer =
  | { kind: 'expr'; e: Expr }
  | { kind: 'relation'; ops: RelOp[]; items: Expr[] }
  | { kind: 'tuple' | 'list' | 'set'; items: Answer[] }
  | { kind: 'intervals'; parts: { lo: Expr; hi: Expr; loOpen: boolean; hiOpen: boolean }[] }
  | { kind: 'matrix'; rows: Expr[][] }
  | { kind: 'or' | 'and'; items: Answer[] }
  | { kind: 'member'; x: Expr; set: Answer };

export class Unreadable extends Error {}

let syntax: LatexSyntax | undefined;

/** The parser, loaded on first use (about half a second): `warmParser()` moves that cost to start-up. */
export function warmParser(): LatexSyntax {
  if (!syntax) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ce = require('@cortex-js/compute-engine') as typeof import('@cortex-js/compute-engine');
    syntax = new ce.LatexSyntax();
    syntax.parse('1');
  }
  return syntax;
}

const RELATIONS: Record<string, RelOp> = { Equal: '=', Less: '<', LessEqual: '<=', Greater: '>', GreaterEqual: '>=', NotEqual: '!=', Approx: '~' };

function isHead(e: Expr, head: string): e is Expr[] {
  return Array.isArray(e) && e[0] === head;
}

/** A repeating decimal as MathJSON writes it, `0.(3)` or `1.2(34)`. */
function numberOf(text: string): number {
  const m = /^(-?)(\d*)\.(\d*)\((\d+)\)$/.exec(text);
  if (!m) return Number(text.replace(/\.\.\.$/, ''));
  const [, sign, whole, fixed, period] = m;
  const value = Number(whole || '0') + (Number(fixed || '0') + Number(period) / (10 ** period.length - 1)) / 10 ** fixed.length;
  return sign ? -value : value;
}

/** MathJSON's object forms ({num}, {sym}, {str}, {fn}) in the compact form: numbers, symbols, quoted strings, arrays. */
function compact(e: unknown): Expr {
  if (e === null || e === undefined) throw new Unreadable('nothing to read');
  if (typeof e === 'number' || typeof e === 'string') return e;
  if (Array.isArray(e)) return e.map(compact);
  const o = e as { num?: string; sym?: string; str?: string; fn?: unknown[] };
  if (typeof o.num === 'string') return numberOf(o.num);
  if (typeof o.sym === 'string') return o.sym;
  if (typeof o.str === 'string') return `'${o.str}'`;
  if (Array.isArray(o.fn)) return compact(o.fn);
  throw new Unreadable('an expression the grader does not know');
}

function hasError(e: Expr): boolean {
  if (!Array.isArray(e)) return false;
  return e[0] === 'Error' || e.some((x) => hasError(x));
}

/** Strips the parser's bookkeeping: `Delimiter` around one item, strings in quotes, `Sequence` of one. */
function tidy(e: Expr): Expr {
  if (typeof e === 'string') return e;
  if (typeof e === 'number') return e;
  if (!Array.isArray(e)) throw new Unreadable('an expression the grader does not know');
  const [head, ...args] = e;
  if (head === 'Delimiter') {
    const inner = args[0] === undefined ? ['Sequence'] : tidy(args[0]);
    const delims = typeof args[1] === 'string' ? args[1] : "'()'";
    if (isHead(inner, 'Sequence')) {
      if (inner.length === 2) return inner[1];
      return [delims.startsWith("'(") ? 'Tuple' : delims.startsWith("'[") ? 'List' : 'Sequence', ...inner.slice(1)];
    }
    return delims.startsWith("'[") ? ['List', inner] : inner;
  }
  if (head === 'Sequence' && args.length === 1) return tidy(args[0]);
  if (head === 'Subtract' && args.length === 2) return ['Add', tidy(args[0]), ['Negate', tidy(args[1])]];
  if (head === 'Rational' && args.length === 2) return ['Divide', tidy(args[0]), tidy(args[1])];
  if (head === 'InvisibleOperator') return invisible(args.map(tidy));
  return [head as string, ...args.map(tidy)];
}

/** Juxtaposition: a mixed number `2\frac{1}{2}`, or a product `2x`, `2^6 3^5`. */
function invisible(args: Expr[]): Expr {
  if (args.length === 2 && Number.isInteger(args[0]) && isHead(args[1], 'Divide') && Number.isInteger(args[1][1]) && Number.isInteger(args[1][2])) {
    return ['Add', args[0], args[1]];
  }
  return ['Multiply', ...args];
}

function relation(e: Expr): Answer | null {
  if (!Array.isArray(e) || typeof e[0] !== 'string' || !(e[0] in RELATIONS)) return null;
  // The parser nests chains to the right: a = (b = c), x = (1/3 ≈ 0.33); `1 < x < 2` comes flat.
  const ops: RelOp[] = [];
  const items: Expr[] = [];
  const walk = (x: Expr) => {
    const op = Array.isArray(x) && typeof x[0] === 'string' ? RELATIONS[x[0]] : undefined;
    if (!op) {
      items.push(x);
      return;
    }
    const args = (x as Expr[]).slice(1);
    args.forEach((a, k) => {
      if (k > 0) ops.push(op);
      walk(a);
    });
  };
  walk(e);
  return items.length === ops.length + 1 ? { kind: 'relation', ops, items } : null;
}

function endpoint(e: Expr): { x: Expr; open: boolean } {
  return isHead(e, 'Open') ? { x: e[1], open: true } : { x: e, open: false };
}

function isInfinity(e: Expr, sign: 1 | -1): boolean {
  if (sign === 1) return e === 'PositiveInfinity';
  return e === 'NegativeInfinity' || (isHead(e, 'Negate') && e[1] === 'PositiveInfinity');
}

/** The answer shape of a tidied tree. */
/** A plain number literal (`3`, `-1.5`), for ordering points of a set. */
function literal(e: Expr): number | null {
  if (typeof e === 'number') return e;
  return isHead(e, 'Negate') && typeof e[1] === 'number' ? -e[1] : null;
}

export function shape(e: Expr): Answer {
  const rel = relation(e);
  if (rel) return rel;
  if (e === 'RealNumbers') return { kind: 'intervals', parts: [{ lo: 'NegativeInfinity', hi: 'PositiveInfinity', loOpen: true, hiOpen: true }] };
  if (e === 'EmptySet') return { kind: 'set', items: [] };
  // ℝ \ {a, b}: the reals cut at those points.
  if (isHead(e, 'SetMinus') && e[1] === 'RealNumbers' && isHead(e[2], 'Set')) {
    const cuts = e[2].slice(1).map(literal);
    if (cuts.every((c) => c !== null)) {
      const ends: Expr[] = ['NegativeInfinity', ...(cuts as number[]).sort((a, b) => a - b), 'PositiveInfinity'];
      return { kind: 'intervals', parts: ends.slice(1).map((hi, k) => ({ lo: ends[k], hi, loOpen: true, hiOpen: true })) };
    }
  }
  if (!Array.isArray(e)) return { kind: 'expr', e };
  const [head, ...args] = e;
  switch (head) {
    case 'Tuple':
    case 'Pair':
    case 'Triple':
      // (-∞, 2) is an interval, not a pair.
      if (args.length === 2 && (isInfinity(args[0], -1) || isInfinity(args[1], 1))) return { kind: 'intervals', parts: [{ lo: args[0], hi: args[1], loOpen: true, hiOpen: true }] };
      return { kind: 'tuple', items: args.map(shape) };
    case 'Sequence':
      return { kind: 'list', items: args.map(shape) };
    case 'Set':
      return { kind: 'set', items: args.map(shape) };
    case 'List':
      if (args.length === 1 && isHead(args[0], 'Matrix')) return shape(args[0]);
      // [a, b] is the closed interval.
      if (args.length === 2 && !args.some((x) => isHead(x, 'List'))) return { kind: 'intervals', parts: [{ lo: args[0], hi: args[1], loOpen: false, hiOpen: false }] };
      return { kind: 'tuple', items: args.map(shape) };
    case 'Matrix': {
      const body = args[0];
      if (!isHead(body, 'List')) throw new Unreadable('a matrix without rows');
      const rows = body.slice(1).map((r) => (isHead(r, 'List') ? r.slice(1) : [r]));
      return { kind: 'matrix', rows };
    }
    case 'Interval': {
      const lo = endpoint(args[0]);
      const hi = endpoint(args[1]);
      return { kind: 'intervals', parts: [{ lo: lo.x, hi: hi.x, loOpen: lo.open, hiOpen: hi.open }] };
    }
    case 'Union': {
      const parts = args.map(shape);
      if (parts.every((p) => p.kind === 'intervals')) return { kind: 'intervals', parts: parts.flatMap((p) => (p.kind === 'intervals' ? p.parts : [])) };
      if (parts.every((p) => p.kind === 'set')) return { kind: 'set', items: parts.flatMap((p) => (p.kind === 'set' ? p.items : [])) };
      throw new Unreadable('a union of things other than intervals or sets');
    }
    case 'Or':
    case 'And': {
      const items = args.map(shape);
      // "5 and 6" lists values; "x > 1 and x < 3" joins relations.
      if (!items.some((x) => x.kind === 'relation' || x.kind === 'member')) return { kind: 'list', items };
      return { kind: head === 'Or' ? 'or' : 'and', items };
    }
    case 'Element':
      return { kind: 'member', x: args[0], set: shape(args[1]) };
    case 'Measurement': {
      // a ± b: both values.
      const [a, b] = args;
      return { kind: 'set', items: [{ kind: 'expr', e: ['Add', a, b] }, { kind: 'expr', e: ['Add', a, ['Negate', b]] }] };
    }
    default:
      return { kind: 'expr', e };
  }
}

/** Parses prepared LaTeX; throws `Unreadable` when the parser reports an error. */
export function parseLatex(latex: string): Answer {
  const parser = warmParser();
  let json: Expr;
  try {
    json = compact(parser.parse(latex));
  } catch (e) {
    if (e instanceof Unreadable) throw e;
    throw new Unreadable(`the parser failed: ${(e as Error).message.slice(0, 80)}`);
  }
  if (hasError(json)) throw new Unreadable('the parser found a syntax error');
  const tree = tidy(json);
  if (typeof tree === 'string' && tree.startsWith("'")) throw new Unreadable('text, not math');
  return shape(tree);
}

const SHOW: Record<string, string> = { Add: '+', Multiply: '*', Divide: '/', Power: '^' };

/** A compact plain-text form of an expression, for explanations. */
const SYMBOLS: Record<string, string> = { Pi: 'π', PositiveInfinity: '∞', NegativeInfinity: '-∞', ExponentialE: 'e', ImaginaryUnit: 'i' };

export function showExpr(e: Expr): string {
  if (typeof e === 'number') return String(e);
  if (typeof e === 'string') return SYMBOLS[e] ?? e.replace(/^'|'$/g, '');
  const [head, ...args] = e;
  if (head === 'Negate') return `-${showExpr(args[0])}`;
  if (head === 'Add') return `(${args.map(showExpr).join(' + ').replace(/\+ -/g, '- ')})`;
  if (typeof head === 'string' && head in SHOW) return `(${args.map(showExpr).join(` ${SHOW[head as string]} `)})`;
  return `${String(head)}(${args.map(showExpr).join(', ')})`;
}

const OPS: Record<RelOp, string> = { '=': '=', '<': '<', '<=': '<=', '>': '>', '>=': '>=', '!=': '!=', '~': '≈' };

export function showAnswer(a: Answer): string {
  switch (a.kind) {
    case 'expr':
      return showExpr(a.e).replace(/^\((.*)\)$/, '$1');
    case 'relation':
      return a.items.map((x, k) => (k ? `${OPS[a.ops[k - 1]]} ` : '') + showExpr(x)).join(' ');
    case 'tuple':
      return `(${a.items.map(showAnswer).join(', ')})`;
    case 'list':
      return a.items.map(showAnswer).join(', ');
    case 'set':
      return `{${a.items.map(showAnswer).join(', ')}}`;
    case 'intervals':
      return a.parts.map((p) => `${p.loOpen ? '(' : '['}${showExpr(p.lo)}, ${showExpr(p.hi)}${p.hiOpen ? ')' : ']'}`).join(' ∪ ');
    case 'matrix':
      return `[${a.rows.map((r) => r.map(showExpr).join(', ')).join('; ')}]`;
    case 'or':
    case 'and':
      return a.items.map(showAnswer).join(` ${a.kind} `);
    case 'member':
      return `${showExpr(a.x)} ∈ ${showAnswer(a.set)}`;
  }
}
