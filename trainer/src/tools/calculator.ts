// The `calculator` tool: exact arithmetic on big integers and rationals. A small
// recursive-descent parser over BigInt fractions, never `eval`. The embedded model is trained
// on transcripts holding these results, so the output format (`1234`, `2.5`, `7/3`,
// `Error: division by zero`) stays fixed.
import { CALCULATOR_TOOL } from './schemas';
import type { Tool } from './tool';

export type CalcResult = { ok: true; value: string } | { ok: false; error: string };

/** Longest expression accepted; longer input is refused before parsing. */
export const MAX_EXPRESSION_LENGTH = 10_000;
/** Largest numerator or denominator (in bits) a result may reach: about 9,900 digits. */
export const MAX_BITS = 32_768;
/** CPU budget of one evaluation. Reducing huge fractions is quadratic; this bounds it. */
export const TIME_BUDGET_MS = 250;

class CalcError extends Error {}

/** A rational n/d with d > 0 and gcd(n, d) = 1. */
interface Q {
  n: bigint;
  d: bigint;
}

function abs(a: bigint): bigint {
  return a < 0n ? -a : a;
}

let deadline = Infinity;

function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  for (let i = 1; b !== 0n; i++) {
    [a, b] = [b, a % b];
    if ((i & 255) === 0 && performance.now() > deadline) throw new CalcError('expression too expensive to compute exactly');
  }
  return a;
}

function bitLength(a: bigint): number {
  return a === 0n ? 0 : abs(a).toString(2).length;
}

function make(n: bigint, d: bigint): Q {
  if (d === 0n) throw new CalcError('division by zero');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  const q = g > 1n ? { n: n / g, d: d / g } : { n, d };
  if (bitLength(q.n) > MAX_BITS || bitLength(q.d) > MAX_BITS) throw new CalcError('result too large');
  return q;
}

const add = (a: Q, b: Q): Q => make(a.n * b.d + b.n * a.d, a.d * b.d);
const sub = (a: Q, b: Q): Q => make(a.n * b.d - b.n * a.d, a.d * b.d);
const mul = (a: Q, b: Q): Q => make(a.n * b.n, a.d * b.d);
const div = (a: Q, b: Q): Q => {
  if (b.n === 0n) throw new CalcError('division by zero');
  return make(a.n * b.d, a.d * b.n);
};

function pow(base: Q, exp: Q): Q {
  if (exp.d !== 1n) throw new CalcError('exponent must be an integer');
  let e = exp.n;
  if (base.n === 0n) {
    if (e < 0n) throw new CalcError('division by zero');
    return e === 0n ? { n: 1n, d: 1n } : { n: 0n, d: 1n };
  }
  // ±1 to any power stays small; everything else is sized before computing.
  if (base.d === 1n && abs(base.n) === 1n) return { n: base.n < 0n && e % 2n !== 0n ? -1n : 1n, d: 1n };
  const bits = Math.max(bitLength(base.n), bitLength(base.d));
  const estimate = Number(abs(e)) * (bits - 1);
  if (abs(e) > BigInt(MAX_BITS) || estimate > MAX_BITS) {
    const digits = Number(abs(e)) * Math.max(log10(base.n), log10(base.d));
    throw new CalcError(`exponent too large: the result would have about ${formatDigits(digits)} digits`);
  }
  let { n, d } = base;
  if (e < 0n) {
    [n, d] = [d, n];
    e = -e;
  }
  // gcd(n, d) = 1 implies gcd(n^e, d^e) = 1: no reduction needed.
  return make(n ** e, d ** e);
}

function log10(a: bigint): number {
  const bits = bitLength(a);
  return bits < 50 ? Math.log10(Math.abs(Number(a))) : bits * Math.log10(2);
}

function formatDigits(x: number): string {
  return x < 1e6 ? String(Math.round(x)) : x.toExponential(1).replace('e+', 'e');
}

type Token =
  | { kind: 'num'; value: Q; pos: number; text: string }
  | { kind: 'op'; op: '+' | '-' | '*' | '/' | '^' | '%' | '(' | ')'; pos: number; text: string };

const OPS: Record<string, '+' | '-' | '*' | '/' | '^' | '%' | '(' | ')'> = {
  '+': '+',
  '-': '-',
  '\u2212': '-', // − minus sign
  '*': '*',
  '\u00d7': '*', // ×
  '/': '/',
  '\u00f7': '/', // ÷
  '^': '^',
  '%': '%',
  '(': '(',
  ')': ')',
};

// Digits with optional thousands separators (`1,234,567`) or underscores (`1_000`), an
// optional fraction and an optional exponent (`1e6`, `2.5E-3`).
const NUMBER = /(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:_\d+)*)(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?/y;

function parseNumber(text: string): Q {
  const clean = text.replace(/[,_]/g, '');
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(clean);
  if (!m) throw new CalcError(`bad number '${text}'`);
  const [, int = '', frac = '', expText] = m;
  const exp = expText === undefined ? 0 : Number(expText);
  if (Math.abs(exp) > 10_000) throw new CalcError(`exponent too large in '${text}'`);
  let n = BigInt((int || '0') + frac);
  let d = 10n ** BigInt(frac.length);
  if (exp > 0) n *= 10n ** BigInt(exp);
  else if (exp < 0) d *= 10n ** BigInt(-exp);
  return make(n, d);
}

function describe(ch: string): string {
  return /\s/.test(ch) ? 'whitespace' : `'${ch}'`;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '*' && src[i + 1] === '*') {
      tokens.push({ kind: 'op', op: '^', pos: i, text: '**' });
      i += 2;
      continue;
    }
    const op = OPS[ch];
    if (op) {
      tokens.push({ kind: 'op', op, pos: i, text: ch });
      i++;
      continue;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(src);
    if (m) {
      tokens.push({ kind: 'num', value: parseNumber(m[0]), pos: i, text: m[0] });
      i += m[0].length;
      continue;
    }
    throw new CalcError(`unexpected ${describe(ch)} at position ${i + 1}`);
  }
  return tokens;
}

/**
 * Grammar, loosest first:
 *   expr    := term (('+' | '-') term)*
 *   term    := unary (('*' | '/') unary)*
 *   unary   := ('-' | '+') unary | power
 *   power   := postfix ('^' unary)?        right-associative; -2^2 = -4, 2^-1 = 1/2
 *   postfix := primary '%'*
 *   primary := number | '(' expr ')'
 */
class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Q {
    if (this.tokens.length === 0) throw new CalcError('empty expression');
    const v = this.expr(0);
    const t = this.tokens[this.i];
    if (t) throw new CalcError(t.kind === 'op' && t.op === ')' ? `unmatched ')' at position ${t.pos + 1}` : `unexpected '${t.text}' at position ${t.pos + 1}`);
    return v;
  }

  private peekOp(...ops: string[]): string | undefined {
    const t = this.tokens[this.i];
    return t && t.kind === 'op' && ops.includes(t.op) ? t.op : undefined;
  }

  private expr(depth: number): Q {
    let v = this.term(depth);
    for (let op; (op = this.peekOp('+', '-')); ) {
      this.i++;
      const r = this.term(depth);
      v = op === '+' ? add(v, r) : sub(v, r);
    }
    return v;
  }

  private term(depth: number): Q {
    let v = this.unary(depth);
    for (let op; (op = this.peekOp('*', '/')); ) {
      this.i++;
      const r = this.unary(depth);
      v = op === '*' ? mul(v, r) : div(v, r);
    }
    return v;
  }

  private unary(depth: number): Q {
    if (depth > 500) throw new CalcError('expression nested too deeply');
    const op = this.peekOp('+', '-');
    if (op) {
      this.i++;
      const v = this.unary(depth + 1);
      return op === '-' ? { n: -v.n, d: v.d } : v;
    }
    return this.power(depth);
  }

  private power(depth: number): Q {
    const base = this.postfix(depth);
    if (this.peekOp('^')) {
      this.i++;
      return pow(base, this.unary(depth + 1));
    }
    return base;
  }

  private postfix(depth: number): Q {
    let v = this.primary(depth);
    while (this.peekOp('%')) {
      this.i++;
      v = make(v.n, v.d * 100n);
    }
    return v;
  }

  private primary(depth: number): Q {
    const t = this.tokens[this.i];
    if (!t) throw new CalcError('unexpected end of expression');
    if (t.kind === 'num') {
      this.i++;
      return t.value;
    }
    if (t.op === '(') {
      this.i++;
      const v = this.expr(depth + 1);
      if (!this.peekOp(')')) {
        const next = this.tokens[this.i];
        throw new CalcError(next ? `expected ')' at position ${next.pos + 1}` : "missing ')'");
      }
      this.i++;
      return v;
    }
    throw new CalcError(`unexpected '${t.text}' at position ${t.pos + 1}`);
  }
}

/** Integers as digits, terminating decimals as decimals, other rationals as `n/d`. */
export function formatRational(q: Q): string {
  if (q.d === 1n) return q.n.toString();
  let d = q.d;
  let twos = 0;
  let fives = 0;
  while (d % 2n === 0n) {
    d /= 2n;
    twos++;
  }
  while (d % 5n === 0n) {
    d /= 5n;
    fives++;
  }
  if (d !== 1n) return `${q.n}/${q.d}`;
  const places = Math.max(twos, fives);
  const scaled = abs(q.n) * (10n ** BigInt(places) / q.d);
  const digits = scaled.toString().padStart(places + 1, '0');
  const text = `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return q.n < 0n ? `-${text}` : text;
}

export function calculate(expression: string): CalcResult {
  try {
    if (typeof expression !== 'string') throw new CalcError('expression must be a string');
    if (expression.length > MAX_EXPRESSION_LENGTH) throw new CalcError(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`);
    deadline = performance.now() + TIME_BUDGET_MS;
    const value = new Parser(tokenize(expression)).parse();
    return { ok: true, value: formatRational(value) };
  } catch (e) {
    if (e instanceof CalcError) return { ok: false, error: e.message };
    if (e instanceof RangeError) return { ok: false, error: 'result too large' };
    throw e;
  } finally {
    deadline = Infinity;
  }
}

/** `builtin:calculator`: the tool's content is the value, or `Error: <message>`. */
export function calculatorTool(): Tool {
  return {
    schema: CALCULATOR_TOOL,
    async run(args) {
      const r = calculate(String(args.expression ?? ''));
      return r.ok ? { content: r.value, error: false } : { content: `Error: ${r.error}`, error: true };
    },
  };
}
