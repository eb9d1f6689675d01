// Rollout data as DAP variables: messages, tool calls with arguments and results, reward
// parts, flags. Containers get a handle that lives until the rollouts run again.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Message } from '../../trainer/src/run/events';

type Entries = [string, unknown][];

export class VariableStore {
  private containers = new Map<number, Entries>();
  private next = 1;

  clear(): void {
    this.containers.clear();
  }

  /** A handle for named entries (a scope). */
  scope(entries: Entries): number {
    const ref = this.next++;
    this.containers.set(ref, entries);
    return ref;
  }

  variables(ref: number): DebugProtocol.Variable[] {
    return (this.containers.get(ref) ?? []).map(([name, value]) => this.variable(name, value));
  }

  variable(name: string, value: unknown): DebugProtocol.Variable {
    const children = childrenOf(value);
    return {
      name,
      value: preview(value),
      type: typeName(value),
      variablesReference: children ? this.scope(children) : 0,
      ...(children ? (Array.isArray(value) ? { indexedVariables: value.length } : { namedVariables: children.length }) : {}),
    };
  }
}

function isMessage(v: unknown): v is Message {
  return typeof v === 'object' && v !== null && typeof (v as Message).role === 'string' && typeof (v as Message).content === 'string';
}

function childrenOf(value: unknown): Entries | undefined {
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    return value.map((v, i) => [isMessage(v) ? `${i} ${v.role}` : String(i), v]);
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length ? entries : undefined;
  }
  return undefined;
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'null';
  if (isMessage(value)) return 'message';
  return typeof value;
}

export function preview(value: unknown, depth = 0): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) {
    if (depth > 0) return `[${value.length}]`;
    return `(${value.length}) [${value.slice(0, 5).map((v) => preview(v, depth + 1)).join(', ')}${value.length > 5 ? ', …' : ''}]`;
  }
  if (isMessage(value)) return `${value.role}: ${clip(value.content, depth ? 40 : 120)}${value.tool_calls?.length ? ` → ${value.tool_calls.map((c) => c.name).join(', ')}` : ''}`;
  if (depth > 0) return '{…}';
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return `{${entries.slice(0, 4).map(([k, v]) => `${k}: ${preview(v, depth + 1)}`).join(', ')}${entries.length > 4 ? ', …' : ''}}`;
}

function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return JSON.stringify(one.length > n ? `${one.slice(0, n)}…` : one);
}
