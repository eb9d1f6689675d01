// Reads the config schema by key path: which keys a mapping allows, what a value may be,
// and which built-in kind or file kind a string names. Hovers, completions and the file
// checks all ask these questions.
import type { BuiltinKind } from '../config/builtins';
import { tuneSchema } from '../config/schema';
import type { KeyPath } from '../config/validate';

export interface SchemaNode {
  type?: string;
  description?: string;
  default?: unknown;
  examples?: readonly unknown[];
  enum?: readonly unknown[];
  enumDescriptions?: readonly string[];
  properties?: Record<string, SchemaNode>;
  required?: readonly string[];
  additionalProperties?: boolean;
  items?: SchemaNode;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
  uniqueItems?: boolean;
}

export const rootSchema = tuneSchema as unknown as SchemaNode;

/** The schema of the value at `path`, or undefined where the schema says nothing. */
export function schemaAt(path: KeyPath): SchemaNode | undefined {
  let s: SchemaNode | undefined = rootSchema;
  for (const key of path) {
    if (!s) return undefined;
    if (typeof key === 'number') s = s.items;
    else s = s.properties?.[key];
  }
  return s;
}

/** Where a string value is a reference, what it refers to. */
export type RefKind = { builtin: BuiltinKind; files: 'code' | 'data' | 'model' };

export function refKindAt(path: KeyPath): RefKind | undefined {
  const p = path.map((k) => (typeof k === 'number' ? '#' : k)).join('.');
  switch (p) {
    case 'model.path':
      return { builtin: 'model', files: 'model' };
    case 'tasks.train.path':
    case 'tasks.test.path':
      return { builtin: 'tasks', files: 'data' };
    case 'workflow.ref':
      return { builtin: 'workflow', files: 'code' };
    case 'tools.#.ref':
      return { builtin: 'tool', files: 'code' };
    case 'judge.ref':
      return { builtin: 'judge', files: 'code' };
    default:
      return undefined;
  }
}

/** A short type for hovers and completion details: `integer ≥ 1`, `number in [0, 1]`, `list of string`. */
export function typeLabel(s: SchemaNode): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.type === 'array') return `list of ${s.items ? typeLabel(s.items) : 'values'}`;
  if (s.type === 'object') return 'mapping';
  let t = s.type ?? 'any';
  const lo = s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : s.minimum !== undefined ? `≥ ${s.minimum}` : undefined;
  const hi = s.exclusiveMaximum !== undefined ? `< ${s.exclusiveMaximum}` : s.maximum !== undefined ? `≤ ${s.maximum}` : undefined;
  if (s.minimum !== undefined && s.maximum !== undefined) t += ` in [${s.minimum}, ${s.maximum}]`;
  else if (lo && hi) t += ` ${lo}, ${hi}`;
  else if (lo || hi) t += ` ${lo ?? hi}`;
  return t;
}

/** A value as YAML writes it inline: `0.001`, `builtin:react`, `[1, 4]`, `{}`. */
export function yamlInline(v: unknown): string {
  if (typeof v === 'string') return /^[\w./@-][\w.:/@-]*$/.test(v) && !/^(true|false|yes|no|on|off|null|~)$/i.test(v) && !/^[-+.]?\d/.test(v) ? v : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(yamlInline).join(', ')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    return entries.length ? `{ ${entries.map(([k, x]) => `${k}: ${yamlInline(x)}`).join(', ')} }` : '{}';
  }
  return String(v);
}
