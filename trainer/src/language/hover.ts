// Hover text for keys and values, all of it from the schema and the built-ins list.
import { BUILTIN_PREFIX, findBuiltin } from '../config/builtins';
import type { KeyPath } from '../config/validate';
import { locate, parseConfigDocument } from './locate';
import { refKindAt, schemaAt, typeLabel, yamlInline, type SchemaNode } from './schemaNav';

export interface HoverResult {
  /** Markdown. */
  contents: string;
  start: number;
  end: number;
}

export function hover(text: string, offset: number): HoverResult | undefined {
  let found;
  try {
    found = locate(parseConfigDocument(text), offset);
  } catch {
    return undefined;
  }
  if (!found) return undefined;
  const schema = schemaAt(found.path);
  if (!schema) return undefined;
  const parts: string[] = [];
  if (found.on === 'value' && found.scalar) {
    const value = found.scalar.value;
    const kind = refKindAt(found.path);
    if (kind && typeof value === 'string' && value.startsWith(BUILTIN_PREFIX)) {
      const b = findBuiltin(kind.builtin, value);
      if (b) parts.push(`**${value}** — built-in ${kind.builtin === 'tasks' ? 'task set' : kind.builtin}\n\n${b.description}`);
    } else if (schema.enum) {
      const i = schema.enum.indexOf(value as never);
      if (i >= 0 && schema.enumDescriptions?.[i]) parts.push(`**${String(value)}** — ${schema.enumDescriptions[i]}`);
    }
    if (parts.length) parts.push('---');
  }
  parts.push(describe(found.path, schema));
  return { contents: parts.join('\n\n'), start: found.start, end: found.end };
}

/** The full documentation of one key: what hovers show and completion items carry. */
export function describe(path: KeyPath, s: SchemaNode): string {
  const out: string[] = [`**${keyHeading(path)}** · \`${typeLabel(s)}\``];
  if (s.description) out.push(s.description);
  if (s.enum) {
    out.push(
      'Allowed values:\n' +
        s.enum.map((v, i) => `- \`${String(v)}\`${s.enumDescriptions?.[i] ? ` — ${s.enumDescriptions[i]}` : ''}`).join('\n'),
    );
  }
  if (s.type === 'object' && s.properties) out.push(`Keys: ${Object.keys(s.properties).map((k) => `\`${k}\``).join(', ')}`);
  if (s.required?.length) out.push(`Required: ${s.required.map((k) => `\`${k}\``).join(', ')}`);
  if (s.default !== undefined && !(typeof s.default === 'object' && s.default !== null && Object.keys(s.default).length === 0 && s.type === 'object')) {
    out.push(`Default: \`${yamlInline(s.default)}\``);
  }
  if (s.examples?.length) out.push(`Examples: ${s.examples.map((e) => `\`${yamlInline(e)}\``).join(', ')}`);
  return out.join('\n\n');
}

/** `tools[].ref`: a key path with list indices left out, as the schema documents it. */
export function keyHeading(path: KeyPath): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[]` : acc ? `${acc}.${p}` : p), '') || '(config)';
}
