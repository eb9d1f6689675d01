// Function breakpoints on agent behaviour. A name is a place (`turn`, `judge`, `tool`,
// `tool:<name>`), a flag (`format_error`, `tool_error`, ...: where the rollout gets it), or a
// condition on rollout data (`reward == 1 && tool_calls == 0`: where it becomes true).
import { FLAGS, type Flag } from '../run/events';
import { CALCULATOR_TOOL, PYTHON_TOOL } from '../tools/schemas';
import { ExpressionError, parseExpression, truthy, type Expression, type Scope } from './expr';
import type { BreakpointSpec, BreakpointStatus, Position } from './protocol';
import { SCOPE_NAMES } from './scope';

/** Built-in tool refs and the function names the model calls them by. */
const TOOL_ALIASES: Record<string, string> = { python: PYTHON_TOOL.function.name, calculator: CALCULATOR_TOOL.function.name };

export type Where =
  | { kind: 'turn' }
  | { kind: 'judge' }
  | { kind: 'tool'; name?: string }
  | { kind: 'flag'; flag: Flag }
  | { kind: 'expression'; expression: Expression };

export interface Breakpoint {
  spec: BreakpointSpec;
  where: Where;
  condition?: Expression;
  hit?: (count: number) => boolean;
  hits: number;
  /** Condition errors are reported once. */
  warned: boolean;
}

export const PLACES = ['turn', 'judge', 'tool', 'tool:<name>', ...FLAGS] as const;

export function parseBreakpoint(spec: BreakpointSpec): { breakpoint?: Breakpoint; status: BreakpointStatus } {
  try {
    const where = parseWhere(spec.name.trim());
    const condition = spec.condition?.trim() ? parseExpression(spec.condition.trim(), SCOPE_NAMES) : undefined;
    const hit = spec.hitCondition?.trim() ? parseHitCondition(spec.hitCondition.trim()) : undefined;
    return { breakpoint: { spec, where, condition, hit, hits: 0, warned: false }, status: { id: spec.id, verified: true } };
  } catch (e) {
    return { status: { id: spec.id, verified: false, message: (e as Error).message } };
  }
}

function parseWhere(name: string): Where {
  if (name === 'turn') return { kind: 'turn' };
  if (name === 'judge') return { kind: 'judge' };
  if (name === 'tool' || name === 'tool:*') return { kind: 'tool' };
  const tool = /^tool:\s*([\w.-]+)$/.exec(name);
  if (tool) return { kind: 'tool', name: tool[1] };
  if ((FLAGS as readonly string[]).includes(name)) return { kind: 'flag', flag: name as Flag };
  try {
    return { kind: 'expression', expression: parseExpression(name, SCOPE_NAMES) };
  } catch (e) {
    if (e instanceof ExpressionError && /^[\w:]+$/.test(name)) {
      throw new ExpressionError(`"${name}" is not a place, flag or condition; use one of ${PLACES.join(', ')} or a condition such as "reward == 1 && tool_calls == 0"`);
    }
    throw e;
  }
}

/** `3` or `== 3`: the third hit; `>= 3`, `> 3`, `< 3`, `<= 3`; `% 2`: every second hit. */
function parseHitCondition(text: string): (count: number) => boolean {
  const m = /^(==|>=|<=|>|<|%)?\s*(\d+)$/.exec(text);
  if (!m) throw new ExpressionError(`hit count "${text}": use a number, or ==, >=, >, <, <= or % followed by a number`);
  const n = Number(m[2]);
  switch (m[1]) {
    case '>=':
      return (c) => c >= n;
    case '>':
      return (c) => c > n;
    case '<':
      return (c) => c < n;
    case '<=':
      return (c) => c <= n;
    case '%':
      return (c) => n > 0 && c % n === 0;
    default:
      return (c) => c === n;
  }
}

/** Whether a breakpoint's place is here; expressions are handled by the caller (edge-triggered). */
export function atPlace(where: Where, position: Position, fresh: readonly Flag[]): boolean {
  switch (where.kind) {
    case 'turn':
      return position.at === 'turn';
    case 'judge':
      return position.at === 'judge';
    case 'tool':
      return position.at === 'tool' && (!where.name || position.call.name === where.name || position.call.name === TOOL_ALIASES[where.name]);
    case 'flag':
      return fresh.includes(where.flag);
    case 'expression':
      return false;
  }
}

/** Evaluates to a boolean; a value not known yet here is false, an error is returned for reporting. */
export function holds(expression: Expression, scope: Scope): { value: boolean; error?: string } {
  try {
    return { value: truthy(expression.evaluate(scope)) };
  } catch (e) {
    if ((e as Error).name === 'NotYetKnown') return { value: false };
    return { value: false, error: (e as Error).message };
  }
}

/**
 * A breakpoint stops rollouts as they reach its place. Set while rollouts are held at that
 * place already, it lets them go on; this says so, rather than leave the user to wonder.
 */
export function heldPastMessage(bp: Breakpoint, held: Position[]): string | undefined {
  const where = bp.where;
  if (where.kind === 'expression') return undefined;
  const n = held.filter((p) => atPlace(where, p, [])).length;
  if (!n) return undefined;
  return `breakpoint "${bp.spec.name}": ${n} held rollout${n === 1 ? ' is' : 's are'} at it already and go${n === 1 ? 'es' : ''} on when continued; it stops rollouts that reach it from now on`;
}
