// Loads task sets from any source kind (see sources.ts), mapped to `Task` by the config's fields
// or a preset (records.ts). Reading streams and stops at `limit`, so a small sample of a large
// source costs little; the first bad record stops the load with its file, line and field.
import { basename } from 'node:path';
import { builtinAssetPath, findBuiltin } from '../config/builtins';
import { resolveConfigPath } from '../config/load';
import type { Task } from './types';
import { isPresetName, PRESETS, type Mapping } from './presets';
import { readRecords, describe, parquetLayout, type ReadItem, type ReadOptions } from './read';
import { mappingFor, toTask, type Finding, type SourceShape } from './records';
import { resolveSource, SourceError, type DataFile, type FileFormat } from './sources';

export { gsm8kFinalAnswer } from './presets';

export class TaskLoadError extends Error {
  constructor(readonly file: string, message: string, readonly line?: number, readonly column?: number) {
    super(`${file}${line !== undefined ? `:${line}${column !== undefined ? `:${column}` : ''}` : ''}: ${message}`);
    this.name = 'TaskLoadError';
  }
}

/** One task source as the config gives it: `tasks.train`, `tasks.test` or an entry of `tasks.train.mix`. */
export interface SourceSpec extends SourceShape {
  path?: string;
  split?: string;
  config?: string;
  limit?: number;
  name?: string;
  weight?: number;
  mix?: SourceSpec[];
}

export interface OpenedSource {
  /** The name in ids, rollouts and metrics when mixed. */
  name: string;
  /** What the user wrote, for messages. */
  shown: string;
  files: DataFile[];
  split?: string;
  mapping: Mapping;
  limit?: number;
}

export type Role = 'train' | 'test';

/** Resolves a source to its files and record mapping; throws TaskLoadError when it cannot. */
export function openSource(spec: SourceSpec, configDir: string, role: Role, env: NodeJS.ProcessEnv = process.env): OpenedSource {
  const preset = isPresetName(spec.preset) ? PRESETS[spec.preset] : undefined;
  if (spec.preset !== undefined && !preset) throw new TaskLoadError(`preset ${spec.preset}`, `unknown preset; known: ${Object.keys(PRESETS).join(', ')}`);
  const path = spec.path ?? (preset ? `hf://datasets/${preset.hub}` : undefined);
  if (!path) throw new TaskLoadError('tasks', 'a task source needs `path`, `preset` or `mix`');
  const name = spec.name ?? spec.preset ?? basename(path).replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
  const mapping = mappingFor(spec);
  if (path.startsWith('builtin:')) {
    const builtin = findBuiltin('tasks', path);
    if (!builtin) throw new TaskLoadError(path, 'unknown built-in task set; use builtin:arith/train or builtin:arith/test');
    const gsm = mappingFor({ ...spec, format: 'gsm8k' });
    return { name, shown: path, files: [{ file: builtinAssetPath(builtin)!, format: 'gsm8k' }], mapping: gsm, limit: spec.limit };
  }
  const abs = path.startsWith('hf://') ? path : resolveConfigPath(configDir, path);
  try {
    const r = resolveSource(abs, {
      split: spec.split,
      fallbackSplit: role,
      config: spec.config ?? (spec.path ? undefined : preset?.config),
      match: preset?.match,
      format: spec.format as FileFormat | undefined,
      env,
    });
    const files = spec.format === 'gsm8k' ? r.files.map((f) => (f.format === 'jsonl' ? { ...f, format: 'gsm8k' as const } : f)) : r.files;
    return { name, shown: path, files, split: r.split, mapping, limit: spec.limit };
  } catch (e) {
    // Name the source as the config writes it.
    if (e instanceof SourceError) throw new TaskLoadError(e.source === abs ? path : e.source, e.message.slice(e.source.length + 2));
    throw e;
  }
}

/** The columns a mapping reads: Parquet and Arrow then decode only those. */
export function columnsOf(m: Mapping): string[] {
  const paths = [...m.question, ...m.answer, ...m.id, ...m.features.flatMap((f) => f.from)];
  return [...new Set(paths.flatMap((p) => [p, p.split('.')[0]]))];
}

export interface SourceItem {
  item: ReadItem;
  /** The record's index in the whole source (0-based). */
  index: number;
  task?: Task;
  findings: Finding[];
}

/**
 * Every record of a source, converted, in order; bad records come with their findings.
 * `start` skips that many records of the whole source: Parquet files by their footers alone.
 */
export async function* sourceItems(src: OpenedSource, opts: ReadOptions = {}): AsyncGenerator<SourceItem> {
  let index = 0;
  let skip = opts.start ?? 0;
  // Reading stops at the limit or the requested end, whichever comes first: a window of a
  // Parquet file then decodes only the pages it covers.
  const end = Math.min(src.limit ?? Infinity, opts.end ?? Infinity);
  for (const file of src.files) {
    if (index >= end) return;
    const base = index;
    let start = 0;
    if (skip > 0 && file.format === 'parquet') {
      const rows = (await parquetLayout(file.file)).rows;
      start = Math.min(skip, rows);
      skip -= start;
      index += start;
      if (start === rows) continue;
    }
    const fileEnd = Number.isFinite(end) ? end - base : undefined;
    for await (const item of readRecords(file, { columns: columnsOf(src.mapping), ...opts, start, end: fileEnd })) {
      if (index >= end) return;
      if (skip > 0) {
        skip--;
        index++;
        continue;
      }
      if (item.kind === 'bad') yield { item, index, findings: [{ at: item.at, column: item.column, message: item.message, severity: 'error' }] };
      else yield { item, index, ...toTask(item.row, item.at, src.mapping, index, item.text) };
      index++;
    }
  }
}

export interface LoadOptions {
  role?: Role;
  /** Stop after this many tasks (`debug --tasks N`). */
  max?: number;
  env?: NodeJS.ProcessEnv;
}

/** The tasks of a source, or of each source of a mix (ids then `NAME/ID`, `source` set). */
export async function loadTasks(source: SourceSpec, configDir: string, opts: LoadOptions = {}): Promise<Task[]> {
  if (source.mix?.length) {
    const all: Task[] = [];
    for (const entry of mixEntries(source)) {
      const tasks = await loadTasks(entry, configDir, opts);
      for (const t of tasks) all.push({ ...t, id: `${entry.name}/${t.id}`, source: entry.name });
    }
    return all;
  }
  const src = openSource(source, configDir, opts.role ?? 'train', opts.env);
  if (opts.max !== undefined) src.limit = Math.min(src.limit ?? Infinity, opts.max);
  const tasks: Task[] = [];
  const ids = new Map<string, string>();
  for await (const { item, task, findings } of sourceItems(src)) {
    const bad = findings.find((f) => f.severity === 'error');
    if (bad) throw new TaskLoadError(bad.at.file, `${describe(bad.at)}: ${bad.message}`, bad.at.line, bad.column);
    const where = `${describe(item.at)}${src.files.length > 1 ? ` of ${basename(item.at.file)}` : ''}`;
    const first = ids.get(task!.id);
    if (first !== undefined) throw new TaskLoadError(item.at.file, `${describe(item.at)}: task id "${task!.id}" appears twice (first at ${first}); ids must be unique (fields.id)`, item.at.line);
    ids.set(task!.id, where);
    tasks.push(task!);
  }
  if (tasks.length === 0) throw new TaskLoadError(src.files[0]?.file ?? src.shown, 'holds no tasks');
  return tasks;
}

/** The entries of a mix, each with its name; names must differ so ids stay unique. */
export function mixEntries(source: SourceSpec): (SourceSpec & { name: string; weight: number })[] {
  const seen = new Set<string>();
  return (source.mix ?? []).map((e, i) => {
    const name = e.name ?? e.preset ?? (e.path ? basename(e.path).replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_.-]/g, '_') : `source${i + 1}`);
    if (seen.has(name)) throw new TaskLoadError('tasks.train.mix', `two sources are named "${name}"; give one a different \`name\``);
    seen.add(name);
    return { ...e, name, weight: e.weight ?? 1 };
  });
}
