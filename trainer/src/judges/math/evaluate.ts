// Numeric evaluation of answer expressions over the complex numbers, with values for the free
// symbols. Everything it does is bounded: each node checks the verdict's deadline, and values
// too large for a double become infinite, which the comparison reports as undecided.
import type { Expr } from './tree';

export interface C {
  re: number;
  im: number;
}

/** Symbols with a fixed meaning. `e` is Euler's number and `i` the imaginary unit, as in most answers. */
const CONSTANTS: Record<string, C> = {
  Pi: { re: Math.PI, im: 0 },
  ExponentialE: { re: Math.E, im: 0 },
  e: { re: Math.E, im: 0 },
  ImaginaryUnit: { re: 0, im: 1 },
  i: { re: 0, im: 1 },
  PositiveInfinity: { re: Infinity, im: 0 },
  NegativeInfinity: { re: -Infinity, im: 0 },
  ComplexInfinity: { re: NaN, im: NaN },
};

export class OutOfTime extends Error {}

export class NotNumeric extends Error {}

/** A point in time after which evaluation stops. */
export interface Deadline {
  at: number;
}

export function freeSymbols(e: Expr, out = new Set<string>()): Set<string> {
  if (typeof e === 'string') {
    if (!(e in CONSTANTS) && !e.startsWith("'")) out.add(e);
  } else if (Array.isArray(e)) {
    for (let k = 1; k < e.length; k++) freeSymbols(e[k], out);
  }
  return out;
}

const real = (re: number): C => ({ re, im: 0 });
const add = (a: C, b: C): C => ({ re: a.re + b.re, im: a.im + b.im });
const mul = (a: C, b: C): C => (a.im === 0 && b.im === 0 ? real(a.re * b.re) : { re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re });
function div(a: C, b: C): C {
  if (a.im === 0 && b.im === 0) return real(a.re / b.re);
  const d = b.re * b.re + b.im * b.im;
  return { re: (a.re * b.re + a.im * b.im) / d, im: (a.im * b.re - a.re * b.im) / d };
}
function exp(a: C): C {
  const m = Math.exp(a.re);
  return a.im === 0 ? real(m) : { re: m * Math.cos(a.im), im: m * Math.sin(a.im) };
}
function log(a: C): C {
  if (a.im === 0 && a.re > 0) return real(Math.log(a.re));
  return { re: Math.log(Math.hypot(a.re, a.im)), im: Math.atan2(a.im, a.re) };
}
function pow(a: C, b: C): C {
  if (a.im === 0 && b.im === 0) {
    if (a.re >= 0 || Number.isInteger(b.re)) return real(Math.pow(a.re, b.re));
    // An odd root of a negative number is real: (-8)^(1/3) = -2.
    const inv = 1 / b.re;
    if (Number.isInteger(Math.round(inv)) && Math.abs(inv - Math.round(inv)) < 1e-12 && Math.round(inv) % 2 !== 0) return real(-Math.pow(-a.re, b.re));
  }
  if (a.re === 0 && a.im === 0) return real(b.re > 0 ? 0 : Infinity);
  if (b.im === 0 && Number.isInteger(b.re) && Math.abs(b.re) <= 64) {
    let r = real(1);
    for (let k = 0; k < Math.abs(b.re); k++) r = mul(r, a);
    return b.re < 0 ? div(real(1), r) : r;
  }
  return exp(mul(b, log(a)));
}
const I = { re: 0, im: 1 };
function sin(a: C): C {
  return a.im === 0 ? real(Math.sin(a.re)) : { re: Math.sin(a.re) * Math.cosh(a.im), im: Math.cos(a.re) * Math.sinh(a.im) };
}
function cos(a: C): C {
  return a.im === 0 ? real(Math.cos(a.re)) : { re: Math.cos(a.re) * Math.cosh(a.im), im: -Math.sin(a.re) * Math.sinh(a.im) };
}
function realOnly(a: C, f: (x: number) => number): C {
  if (a.im !== 0) throw new NotNumeric('a real function of a complex value');
  return real(f(a.re));
}
function factorial(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new NotNumeric('factorial of a non-integer');
  if (n > 170) return Infinity;
  let r = 1;
  for (let k = 2; k <= n; k++) r *= k;
  return r;
}
function gcd(a: number, b: number): number {
  if (!Number.isInteger(a) || !Number.isInteger(b)) throw new NotNumeric('gcd of non-integers');
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

const UNARY: Record<string, (a: C) => C> = {
  Negate: (a) => ({ re: -a.re, im: -a.im }),
  Sqrt: (a) => pow(a, real(0.5)),
  Exp: exp,
  Ln: log,
  Lb: (a) => div(log(a), real(Math.LN2)),
  Lg: (a) => div(log(a), real(Math.LN10)),
  Sin: sin,
  Cos: cos,
  Tan: (a) => div(sin(a), cos(a)),
  Sec: (a) => div(real(1), cos(a)),
  Csc: (a) => div(real(1), sin(a)),
  Cot: (a) => div(cos(a), sin(a)),
  Arcsin: (a) => realOnly(a, Math.asin),
  Arccos: (a) => realOnly(a, Math.acos),
  Arctan: (a) => realOnly(a, Math.atan),
  Sinh: (a) => realOnly(a, Math.sinh),
  Cosh: (a) => realOnly(a, Math.cosh),
  Tanh: (a) => realOnly(a, Math.tanh),
  Abs: (a) => real(Math.hypot(a.re, a.im)),
  Floor: (a) => realOnly(a, Math.floor),
  Ceil: (a) => realOnly(a, Math.ceil),
  Factorial: (a) => realOnly(a, factorial),
  Degrees: (a) => mul(a, real(Math.PI / 180)),
  Square: (a) => mul(a, a),
};
const INVERSE: Record<string, string> = { Sin: 'Arcsin', Cos: 'Arccos', Tan: 'Arctan' };

/** The value of `e` with `scope` for its free symbols. Throws NotNumeric or OutOfTime. */
export function evaluate(e: Expr, scope: Record<string, C>, deadline: Deadline): C {
  if (typeof e === 'number') return real(e);
  if (typeof e === 'string') {
    const v = scope[e] ?? CONSTANTS[e];
    if (!v) throw new NotNumeric(`no value for ${e}`);
    return v;
  }
  if (Date.now() > deadline.at) throw new OutOfTime('out of time');
  const [head, ...args] = e;
  const arg = (k: number) => evaluate(args[k], scope, deadline);
  if (typeof head !== 'string') throw new NotNumeric('an applied expression');
  const unary = UNARY[head];
  if (unary && args.length === 1) return unary(arg(0));
  switch (head) {
    case 'Add':
      return args.reduce<C>((s, _x, k) => add(s, arg(k)), real(0));
    case 'Multiply':
      return args.reduce<C>((s, _x, k) => mul(s, arg(k)), real(1));
    case 'Divide':
      if (args.length !== 2) break;
      return div(arg(0), arg(1));
    case 'Power':
      if (args.length !== 2) break;
      return pow(arg(0), arg(1));
    case 'Root':
      return pow(arg(0), div(real(1), arg(1)));
    case 'Log':
      return args.length === 2 ? div(log(arg(0)), log(arg(1))) : div(log(arg(0)), real(Math.LN10));
    case 'Binomial': {
      const [n, k] = [arg(0).re, arg(1).re];
      return real(factorial(n) / (factorial(k) * factorial(n - k)));
    }
    case 'GCD':
      return real(args.reduce<number>((g, _x, k) => gcd(g, arg(k).re), 0));
    case 'LCM':
      return real(
        args.reduce<number>((l, _x, k) => {
          const v = arg(k).re;
          return (l * v) / gcd(l, v);
        }, 1),
      );
    case 'Apply': {
      const f = args[0];
      if (Array.isArray(f) && f[0] === 'InverseFunction' && typeof f[1] === 'string' && INVERSE[f[1]]) return UNARY[INVERSE[f[1]]](arg(1));
      break;
    }
    case 'Complex':
      return add(arg(0), mul(I, arg(1)));
  }
  throw new NotNumeric(`cannot evaluate ${head}`);
}

/** Whether two values agree within relative tolerance `tol`. */
export function near(a: C, b: C, tol: number): boolean {
  if (!finite(a) || !finite(b)) return a.re === b.re && a.im === b.im;
  const scale = Math.max(1, Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  return Math.hypot(a.re - b.re, a.im - b.im) <= tol * scale;
}

export function finite(a: C): boolean {
  return Number.isFinite(a.re) && Number.isFinite(a.im);
}
