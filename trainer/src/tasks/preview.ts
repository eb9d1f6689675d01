// Pages of resolved tasks for the editor's task preview, read lazily: a page of a Parquet source
// reads the row groups it covers and no others, so a source of gigabytes opens at once. A search
// or a filter scans on from where the page starts, a bounded number of records per request, and
// says where to go on from.
import { basename } from 'node:path';
import type { ReferenceCheck } from './lint';
import { leaksAnswer, type Finding } from './lint';
import { openSource, sourceItems, TaskLoadError, type OpenedSource } from './load';
import { describe, parquetLayout, type ReadItem } from './read';
import { sourcesOf, type TasksShape } from './check';

export interface PreviewSource {
  /** `tasks.train`, `tasks.test`, `tasks.train.mix[1]`. */
  key: string;
  name: string;
  files: string[];
  /** Known without reading the data (Parquet footers); undefined otherwise. */
  total?: number;
  error?: string;
}

export interface PreviewRow {
  index: number;
  id: string;
  question: string;
  reference: string;
  features: Record<string, number>;
  source: string;
  /** `line 12 of train.jsonl`, `row 40 of train-00000-of-00002.parquet`. */
  where: string;
  findings: string[];
}

export interface PageRequest {
  source: number;
  /** The record to start at (0-based). */
  start: number;
  count: number;
  /** Case-insensitive text to find in id, question or reference. */
  search?: string;
  /** Only records with findings. */
  problems?: boolean;
}

export interface Page {
  rows: PreviewRow[];
  /** The record to continue from; undefined at the end of the source. */
  next?: number;
  scanned: number;
}

/** Records a filtered request looks through before it answers with what it found. */
const SCAN_LIMIT = 50_000;
const TEXT_LIMIT = 4000;
/** Ids remembered per source for the duplicate check, as far as the reader has paged. */
const SEEN_LIMIT = 1_000_000;

export class TaskPreview {
  /** Per source: each id's first record, filled as pages are read from the start. */
  private readonly seen = new Map<number, Map<string, { index: number; where: string }>>();

  private constructor(
    readonly sources: PreviewSource[],
    private readonly opened: (OpenedSource | undefined)[],
    private readonly references?: ReferenceCheck,
  ) {}

  /** `references` is the configured judge's reading of references (judges/reference.ts). */
  static async open(tasks: TasksShape, dir: string, references?: ReferenceCheck, env?: NodeJS.ProcessEnv): Promise<TaskPreview> {
    const sources: PreviewSource[] = [];
    const opened: (OpenedSource | undefined)[] = [];
    for (const e of sourcesOf(tasks)) {
      const key = e.key.map((k, i) => (typeof k === 'number' ? `[${k}]` : i ? `.${k}` : k)).join('');
      try {
        const src = openSource(e.spec, dir, e.role, env);
        let total: number | undefined;
        if (src.files.every((f) => f.format === 'parquet')) {
          total = 0;
          for (const f of src.files) total += (await parquetLayout(f.file)).rows;
          if (src.limit !== undefined) total = Math.min(total, src.limit);
        }
        sources.push({ key, name: e.spec.name ?? src.name, files: src.files.map((f) => f.file), total });
        opened.push(src);
      } catch (err) {
        if (!(err instanceof TaskLoadError)) throw err;
        sources.push({ key, name: e.spec.name ?? e.spec.preset ?? e.spec.path ?? key, files: [], error: err.message });
        opened.push(undefined);
      }
    }
    return new TaskPreview(sources, opened, references);
  }

  async page(req: PageRequest): Promise<Page> {
    const src = this.opened[req.source];
    if (!src) return { rows: [], scanned: 0 };
    const needle = req.search?.trim().toLowerCase();
    const filtered = Boolean(needle || req.problems);
    const check = this.judgeCheck();
    const rows: PreviewRow[] = [];
    let scanned = 0;
    let next: number | undefined;
    for await (const { item, index, task, findings } of sourceItems(src, { start: req.start, end: req.start + (filtered ? SCAN_LIMIT : req.count) + 1 })) {
      if (rows.length >= req.count || (filtered && scanned >= SCAN_LIMIT)) {
        next = index;
        break;
      }
      scanned++;
      const notes = [...findings];
      const where = `${describe(item.at)} of ${basename(item.at.file)}`;
      const id = task?.id ?? rawId(item, src.mapping.id);
      if (id !== undefined) {
        const first = this.firstOf(req.source, id, index, where);
        if (first) notes.push({ at: item.at, severity: 'error', message: `duplicate id "${id}", first at ${first}; ids must be unique (fields.id)` });
      }
      if (task) {
        if (leaksAnswer(task.question, task.reference)) notes.push({ at: item.at, severity: 'error', message: 'the question gives its own answer away' });
        const why = check?.(task.reference);
        if (why) notes.push({ at: item.at, severity: 'error', message: why });
      }
      if (req.problems && notes.length === 0) continue;
      const row: PreviewRow = {
        index,
        id: id ?? String(index),
        question: clip(task?.question ?? (item.kind === 'row' ? String(item.row[src.mapping.question[0]] ?? '') : '')),
        reference: clip(task?.reference ?? ''),
        features: task?.features ?? {},
        source: src.name,
        where,
        findings: notes.map(text),
      };
      if (needle && ![row.id, row.question, row.reference].some((s) => s.toLowerCase().includes(needle))) continue;
      rows.push(row);
    }
    return { rows, next, scanned };
  }

  /** Where `id` was first seen, when that was another record; remembers it otherwise. */
  private firstOf(source: number, id: string, index: number, where: string): string | undefined {
    let seen = this.seen.get(source);
    if (!seen) this.seen.set(source, (seen = new Map()));
    const first = seen.get(id);
    if (first) return first.index === index ? undefined : first.where;
    if (seen.size < SEEN_LIMIT) seen.set(id, { index, where });
    return undefined;
  }

  private judgeCheck(): ((reference: string) => string | undefined) | undefined {
    const judge = this.references;
    if (!judge) return undefined;
    return (reference) => {
      const why = judge.why(reference);
      return why ? `the judge ${judge.name} ${why}` : undefined;
    };
  }
}

/** The id column of a record that did not make a task (an empty field, say), so it is still named. */
function rawId(item: ReadItem, columns: string[]): string | undefined {
  if (item.kind !== 'row') return undefined;
  for (const c of columns) {
    const v = item.row[c];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return undefined;
}

function clip(s: string): string {
  return s.length > TEXT_LIMIT ? `${s.slice(0, TEXT_LIMIT)}…` : s;
}

function text(f: Finding): string {
  return `${f.severity === 'warning' ? 'warning: ' : ''}${f.message}${f.column !== undefined ? ` (column ${f.column})` : ''}`;
}
