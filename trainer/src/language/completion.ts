// Completions at the cursor: the keys a mapping allows (sections as snippets), enum values,
// defaults and examples, `builtin:` names, file paths, and the exports of a module after `#`.
import { dirname, extname, resolve } from 'node:path';
import { BUILTIN_KIND_WORDS, BUILTIN_PREFIX, builtinsOf } from '../config/builtins';
import type { KeyPath } from '../config/validate';
import { LineIndex, type CursorContext } from './cursor';
import { CODE_EXTENSIONS, listExports } from './exports';
import { nodeHost, type LanguageHost } from './host';
import { describe } from './hover';
import { refKindAt, schemaAt, typeLabel, yamlInline, type RefKind, type SchemaNode } from './schemaNav';

export interface CompletionItem {
  label: string;
  kind: 'property' | 'section' | 'value' | 'builtin' | 'file' | 'folder' | 'export';
  detail?: string;
  /** Markdown. */
  documentation?: string;
  insertText: string;
  /** `insertText` is a snippet: `${1:placeholder}`, `${1|a,b|}`, `\t` for one indent level. */
  snippet: boolean;
  /** Offsets [start, end) that the item replaces. */
  start: number;
  end: number;
  sortText: string;
  /** Open completions again after inserting: a folder, a module before `#`, a section. */
  retrigger?: boolean;
}

export interface CompleteOptions {
  /** Absolute path of the config, for relative file paths. */
  file: string;
  host?: LanguageHost;
}

const DATA_EXTENSIONS = ['.jsonl', '.ndjson', '.json', '.parquet'];

export async function complete(text: string, offset: number, opts: CompleteOptions): Promise<CompletionItem[]> {
  let ctx: CursorContext | undefined;
  try {
    ctx = new LineIndex(text).contextAt(Math.max(0, Math.min(offset, text.length)));
  } catch {
    return [];
  }
  if (!ctx) return [];
  if (ctx.kind === 'key') {
    const holder = schemaAt(ctx.path);
    // `- |` in a list of scalars is a value, not a key.
    if (ctx.newItem && holder && holder.type !== 'object') return valueItems({ ...ctx, kind: 'value' }, holder, opts);
    return holder ? keyItems(ctx, holder) : [];
  }
  const s = schemaAt(ctx.path);
  return s ? valueItems(ctx, s, opts) : [];
}

function keyItems(ctx: CursorContext, holder: SchemaNode): CompletionItem[] {
  if (!holder.properties) return [];
  const required = new Set(holder.required ?? []);
  return Object.entries(holder.properties)
    .filter(([k]) => !ctx.siblings.includes(k))
    .map(([key, s], i) => {
      const isSection = s.type === 'object' || (s.type === 'array' && s.items?.type === 'object');
      const counter = { n: 1 };
      const body = snippetFor(key, s, ctx.path, counter);
      return {
        label: key,
        kind: isSection ? ('section' as const) : ('property' as const),
        detail: typeLabel(s),
        documentation: describe([...ctx.path, key], s),
        insertText: body,
        snippet: true,
        start: ctx.start,
        end: ctx.end,
        sortText: `${required.has(key) ? 0 : 1}${String(i).padStart(3, '0')}`,
        retrigger: isSection && !body.includes('$1'),
      };
    });
}

/** `key: ${1:value}` for scalars; sections open on the next line with their required keys. */
function snippetFor(key: string, s: SchemaNode, parent: KeyPath, counter: { n: number }, depth = 0): string {
  const tab = '\t'.repeat(depth);
  if (s.type === 'object') {
    const req = s.required ?? [];
    if (!req.length || !s.properties) return `${tab}${key}:\n${tab}\t$0`;
    return `${tab}${key}:\n${req.map((k) => snippetFor(k, s.properties![k], [...parent, key], counter, depth + 1)).join('\n')}`;
  }
  if (s.type === 'array' && s.items?.type === 'object') {
    const first = s.items.required?.[0];
    if (!first || !s.items.properties?.[first]) return `${tab}${key}:\n${tab}\t- $0`;
    return `${tab}${key}:\n${tab}\t- ${snippetFor(first, s.items.properties[first], [...parent, key, 0], counter)}`;
  }
  return `${tab}${key}: ${placeholder(s, [...parent, key], counter)}`;
}

function placeholder(s: SchemaNode, path: KeyPath, counter: { n: number }): string {
  const n = counter.n++;
  const esc = (v: string) => v.replace(/[$}\\]/g, '\\$&');
  const choice = (vs: string[]) => `\${${n}|${vs.map((v) => v.replace(/[|,$}\\]/g, '\\$&')).join(',')}|}`;
  const kind = refKindAt(path);
  if (kind) {
    const names = builtinsOf(kind.builtin).map((b) => `${BUILTIN_PREFIX}${b.name}`);
    const first = typeof s.default === 'string' ? s.default : names[0];
    return choice([first, ...names.filter((x) => x !== first)]);
  }
  if (s.enum) {
    const vs = s.enum.map(String);
    const d = s.default !== undefined ? String(s.default) : vs[0];
    return choice([d, ...vs.filter((v) => v !== d)]);
  }
  if (s.type === 'boolean') return choice(s.default === false ? ['false', 'true'] : ['true', 'false']);
  if (s.type === 'array') {
    const v = s.default ?? s.examples?.[0];
    return Array.isArray(v) && v.length ? `[\${${n}:${esc(v.map(yamlInline).join(', '))}}]` : `[$${n}]`;
  }
  const v = s.default ?? s.examples?.[0];
  return v === undefined || typeof v === 'object' ? `$${n}` : `\${${n}:${esc(yamlInline(v))}}`;
}

async function valueItems(ctx: CursorContext, s: SchemaNode, opts: CompleteOptions): Promise<CompletionItem[]> {
  const items: CompletionItem[] = [];
  const base = { start: ctx.start, end: ctx.end, snippet: false };
  const doc = describe(ctx.path, s);
  const kind = refKindAt(ctx.path);
  if (kind) return refItems(ctx, kind, opts);
  if (s.enum) {
    s.enum.forEach((v, i) =>
      items.push({ ...base, label: String(v), kind: 'value', detail: v === s.default ? 'default' : undefined, documentation: s.enumDescriptions?.[i] ?? doc, insertText: insertValue(v, ctx), sortText: `0${i}` }),
    );
    return items;
  }
  if (s.type === 'boolean') {
    for (const [i, v] of [true, false].entries()) items.push({ ...base, label: String(v), kind: 'value', detail: v === s.default ? 'default' : undefined, documentation: doc, insertText: String(v), sortText: `0${i}` });
    return items;
  }
  const seen = new Set<string>();
  const candidates: [unknown, string][] = [];
  if (s.default !== undefined) candidates.push([s.default, 'default']);
  for (const e of s.examples ?? []) candidates.push([e, 'example']);
  for (const [v, why] of candidates) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) continue;
    const label = yamlInline(v);
    if (seen.has(label)) continue;
    seen.add(label);
    items.push({ ...base, label, kind: 'value', detail: why, documentation: doc, insertText: insertValue(v, ctx), sortText: `${why === 'default' ? 0 : 1}${items.length}` });
  }
  return items;
}

function insertValue(v: unknown, ctx: CursorContext): string {
  return ctx.quoted && typeof v === 'string' ? v : yamlInline(v);
}

async function refItems(ctx: CursorContext, kind: RefKind, opts: CompleteOptions): Promise<CompletionItem[]> {
  const host = opts.host ?? nodeHost;
  const configDir = dirname(opts.file);
  const prefix = ctx.prefix;
  const hash = prefix.lastIndexOf('#');
  if (kind.files === 'code' && hash >= 0 && !prefix.startsWith(BUILTIN_PREFIX)) return exportItems(ctx, resolve(configDir, prefix.slice(0, hash)), hash, host);

  const items: CompletionItem[] = builtinsOf(kind.builtin).map((b, i) => ({
    label: `${BUILTIN_PREFIX}${b.name}`,
    kind: 'builtin' as const,
    detail: `built-in ${BUILTIN_KIND_WORDS[b.kind]}`,
    documentation: b.description,
    insertText: `${BUILTIN_PREFIX}${b.name}`,
    snippet: false,
    start: ctx.start,
    end: ctx.end,
    sortText: `0${i}`,
  }));
  if (prefix.startsWith(BUILTIN_PREFIX)) return items;

  const slash = prefix.lastIndexOf('/');
  const dirPart = slash >= 0 ? prefix.slice(0, slash + 1) : '';
  const shownDir = dirPart || (kind.files === 'code' ? './' : '');
  let entries: Awaited<ReturnType<LanguageHost['readDir']>> = [];
  try {
    entries = await host.readDir(resolve(configDir, dirPart || '.'));
  } catch {
    entries = [];
  }
  const typed = prefix.slice(slash + 1);
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.') && !typed.startsWith('.')) continue;
    if (e.name === 'node_modules') continue;
    const ext = extname(e.name).toLowerCase();
    if (e.kind === 'dir') {
      items.push({ label: `${e.name}/`, kind: 'folder', insertText: `${shownDir}${e.name}/`, snippet: false, start: ctx.start, end: ctx.end, sortText: `2${e.name}`, retrigger: kind.files !== 'model', detail: kind.files === 'model' ? 'model folder' : 'folder' });
    } else if (kind.files === 'code' && CODE_EXTENSIONS.includes(ext) && !e.name.endsWith('.d.ts')) {
      items.push({ label: e.name, kind: 'file', insertText: `${shownDir}${e.name}#`, snippet: false, start: ctx.start, end: ctx.end, sortText: `1${e.name}`, retrigger: true, detail: 'module: pick an export next' });
    } else if (kind.files === 'data' && DATA_EXTENSIONS.includes(ext)) {
      items.push({ label: e.name, kind: 'file', insertText: `${shownDir}${e.name}`, snippet: false, start: ctx.start, end: ctx.end, sortText: `1${e.name}`, detail: 'task file' });
    }
  }
  return items;
}

async function exportItems(ctx: CursorContext, file: string, hash: number, host: LanguageHost): Promise<CompletionItem[]> {
  let source: string;
  try {
    source = await host.readText(file);
  } catch {
    return [];
  }
  const mod = await listExports(source, file, { transpile: host.transpile !== false });
  return mod.exports
    .filter((e) => !e.typeOnly)
    .map((e, i) => {
      const line = source.slice(source.lastIndexOf('\n', e.start) + 1, source.indexOf('\n', e.start) < 0 ? undefined : source.indexOf('\n', e.start)).trim();
      return {
        label: e.name,
        kind: 'export' as const,
        detail: line.length > 80 ? `${line.slice(0, 79)}…` : line,
        insertText: e.name,
        snippet: false,
        start: ctx.start + hash + 1,
        end: ctx.end,
        sortText: String(i).padStart(3, '0'),
      };
    });
}
