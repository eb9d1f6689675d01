// Conditions on rollout data (`reward == 1 && tool_calls == 0`, `'format_error' in flags`,
// `args.expression == "2+2"`): parsed by jsep, evaluated by walking the tree. Nothing is
// compiled or run as code, and only a rollout's own data can be read.
import jsep from 'jsep';

jsep.addBinaryOp('in', 7);
jsep.addLiteral('null', null);

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

/** A name that exists but has no value yet at this point of the rollout (`reward` before the judge). */
export class NotYetKnown extends Error {
  constructor(readonly key: string, readonly when: string) {
    super(`${key} is not known yet (${when})`);
    this.name = 'NotYetKnown';
  }
}

export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

/** Looks a top-level name up; throws NotYetKnown for known names without a value yet. */
export type Scope = (name: string) => Value;

export interface Expression {
  text: string;
  /** Top-level names the expression reads. */
  names: string[];
  evaluate(scope: Scope): Value;
}

export function parseExpression(text: string, knownNames?: readonly string[]): Expression {
  let tree: jsep.Expression;
  try {
    tree = jsep(text);
  } catch (e) {
    throw new ExpressionError(`cannot parse "${text}": ${(e as Error).message}`);
  }
  const names = new Set<string>();
  check(tree, names);
  if (knownNames) {
    const unknown = [...names].filter((n) => !knownNames.includes(n));
    if (unknown.length) {
      throw new ExpressionError(`unknown name${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${knownNames.join(', ')}`);
    }
  }
  return { text, names: [...names], evaluate: (scope) => evaluate(tree, scope) };
}

const BINARY = new Set(['==', '!=', '===', '!==', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '&&', '||', 'in']);
const UNARY = new Set(['!', '-', '+']);

/** Rejects every construct outside the supported subset before anything is evaluated. */
function check(node: jsep.Expression, names: Set<string>): void {
  switch (node.type) {
    case 'Literal':
      if ((node as jsep.Literal).value instanceof RegExp) throw new ExpressionError('regular expressions are not supported');
      return;
    case 'Identifier':
      names.add((node as jsep.Identifier).name);
      return;
    case 'MemberExpression': {
      const m = node as jsep.MemberExpression;
      check(m.object, names);
      if (m.computed) check(m.property, names);
      else if (m.property.type !== 'Identifier') throw new ExpressionError('a property name is expected after "."');
      return;
    }
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      if (!UNARY.has(u.operator)) throw new ExpressionError(`operator "${u.operator}" is not supported`);
      check(u.argument, names);
      return;
    }
    case 'BinaryExpression':
    case 'LogicalExpression': {
      const b = node as jsep.BinaryExpression;
      if (!BINARY.has(b.operator)) throw new ExpressionError(`operator "${b.operator}" is not supported`);
      check(b.left, names);
      check(b.right, names);
      return;
    }
    case 'ConditionalExpression': {
      const c = node as jsep.ConditionalExpression;
      check(c.test, names);
      check(c.consequent, names);
      check(c.alternate, names);
      return;
    }
    case 'ArrayExpression':
      for (const e of (node as jsep.ArrayExpression).elements) if (e) check(e, names);
      return;
    case 'CallExpression':
      throw new ExpressionError('function calls are not supported; compare values with == != < <= > >= and combine with && || !');
    default:
      throw new ExpressionError(`"${node.type}" is not supported in conditions`);
  }
}

function evaluate(node: jsep.Expression, scope: Scope): Value {
  switch (node.type) {
    case 'Literal':
      return (node as jsep.Literal).value as Value;
    case 'Identifier':
      return scope((node as jsep.Identifier).name);
    case 'MemberExpression': {
      const m = node as jsep.MemberExpression;
      const object = evaluate(m.object, scope);
      const key = m.computed ? evaluate(m.property, scope) : (m.property as jsep.Identifier).name;
      return member(object, key);
    }
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      const v = evaluate(u.argument, scope);
      return u.operator === '!' ? !truthy(v) : u.operator === '-' ? -toNumber(v) : toNumber(v);
    }
    case 'BinaryExpression':
    case 'LogicalExpression': {
      const b = node as jsep.BinaryExpression;
      if (b.operator === '&&') return truthy(evaluate(b.left, scope)) ? truthy(evaluate(b.right, scope)) : false;
      if (b.operator === '||') return truthy(evaluate(b.left, scope)) ? true : truthy(evaluate(b.right, scope));
      return binary(b.operator, evaluate(b.left, scope), evaluate(b.right, scope));
    }
    case 'ConditionalExpression': {
      const c = node as jsep.ConditionalExpression;
      return truthy(evaluate(c.test, scope)) ? evaluate(c.consequent, scope) : evaluate(c.alternate, scope);
    }
    case 'ArrayExpression':
      return (node as jsep.ArrayExpression).elements.map((e) => (e ? evaluate(e, scope) : null));
    default:
      throw new ExpressionError(`"${node.type}" is not supported in conditions`);
  }
}

/** Own data only: no prototype, no functions. */
function member(object: Value, key: Value): Value {
  if (Array.isArray(object)) {
    if (key === 'length') return object.length;
    const i = typeof key === 'number' ? key : Number(key);
    return Number.isInteger(i) && i >= 0 && i < object.length ? object[i] : null;
  }
  if (typeof object === 'string') {
    if (key === 'length') return object.length;
    return null;
  }
  if (object !== null && typeof object === 'object') {
    const k = String(key);
    return Object.prototype.hasOwnProperty.call(object, k) ? object[k] : null;
  }
  throw new ExpressionError(`cannot read "${String(key)}" of ${object === null ? 'null' : typeof object}`);
}

function binary(op: string, a: Value, b: Value): Value {
  switch (op) {
    case '==':
    case '===':
      return equal(a, b);
    case '!=':
    case '!==':
      return !equal(a, b);
    case '<':
      return compare(a, b) < 0;
    case '<=':
      return compare(a, b) <= 0;
    case '>':
      return compare(a, b) > 0;
    case '>=':
      return compare(a, b) >= 0;
    case '+':
      return typeof a === 'string' || typeof b === 'string' ? `${text(a)}${text(b)}` : toNumber(a) + toNumber(b);
    case '-':
      return toNumber(a) - toNumber(b);
    case '*':
      return toNumber(a) * toNumber(b);
    case '/':
      return toNumber(a) / toNumber(b);
    case '%':
      return toNumber(a) % toNumber(b);
    case 'in':
      if (Array.isArray(b)) return b.some((x) => equal(x, a));
      if (typeof b === 'string') return b.includes(text(a));
      if (b !== null && typeof b === 'object') return Object.prototype.hasOwnProperty.call(b, text(a));
      throw new ExpressionError(`"in" needs a list, a string or an object on its right, got ${b === null ? 'null' : typeof b}`);
    default:
      throw new ExpressionError(`operator "${op}" is not supported`);
  }
}

/** Strict, except that a number equals the numeric string that spells it (task ids, answers). */
function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'string') return b.trim() !== '' && Number(b) === a;
  if (typeof b === 'number' && typeof a === 'string') return a.trim() !== '' && Number(a) === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  return false;
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const x = toNumber(a);
  const y = toNumber(b);
  if (Number.isNaN(x) || Number.isNaN(y)) throw new ExpressionError(`cannot order ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
  return x - y;
}

function toNumber(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  throw new ExpressionError(`${JSON.stringify(v)} is not a number`);
}

function text(v: Value): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function truthy(v: Value): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}
