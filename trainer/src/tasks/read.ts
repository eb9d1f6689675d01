// Streams the records of one data file in bounded memory: JSONL line by line, Parquet one row
// group at a time, Arrow one record batch at a time. A record that cannot be read (broken JSON,
// invalid UTF-8, a line over the limit) comes out as a `bad` item where it stood, so a check can
// report it and go on while a loader stops on it.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { DataFile } from './sources';
import { invalidUtf8At, jsonErrorPosition } from './text';

export type Row = Record<string, unknown>;

/** Where a record is: `line` for JSONL, `row` (1-based) for Parquet and Arrow, `item` for a JSON array. */
export interface Where {
  file: string;
  line?: number;
  row?: number;
  item?: number;
}

export type ReadItem = { kind: 'row'; row: Row; at: Where; /** The JSONL line, to place findings by column. */ text?: string } | { kind: 'bad'; at: Where; column?: number; message: string };

export interface ReadOptions {
  /** Longest JSONL line accepted, in bytes (default 8 MB). */
  maxLineBytes?: number;
  /** Parquet and Arrow: read only these top-level columns (all when unset). */
  columns?: string[];
  /** First record (0-based) and the end (exclusive): a window of the file, for previews. */
  start?: number;
  end?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;
/** A JSON array file is parsed whole; larger data belongs in JSONL or Parquet. */
const MAX_JSON_BYTES = 256 * 1024 * 1024;

/** A string column value that was not valid UTF-8: kept as bytes so the checks can name it. */
export class InvalidUtf8 {
  constructor(readonly bytes: Uint8Array, readonly offset: number) {}
  toString(): string {
    return new TextDecoder().decode(this.bytes);
  }
}

export function describe(at: Where): string {
  if (at.line !== undefined) return `line ${at.line}`;
  if (at.row !== undefined) return `row ${at.row}`;
  return `item ${at.item}`;
}

export async function* readRecords(source: DataFile, opts: ReadOptions = {}): AsyncGenerator<ReadItem> {
  switch (source.format) {
    case 'parquet':
      yield* readParquet(source.file, opts);
      return;
    case 'arrow':
      yield* readArrow(source.file, opts);
      return;
    case 'json':
      yield* readJsonArray(source.file, opts);
      return;
    default:
      yield* readJsonl(source.file, opts);
  }
}

const fatal = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

function jsonMessage(e: unknown): string {
  return (e as Error).message
    .replace(/ in JSON at position \d+.*$/, '')
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/^Unexpected end of JSON input$/, 'the record ends early');
}

function parseLine(bytes: Uint8Array, line: number, file: string): ReadItem | undefined {
  let end = bytes.length;
  if (end && bytes[end - 1] === 13) end--;
  let start = 0;
  if (line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  const b = bytes.subarray(start, end);
  const at = { file, line };
  let text: string;
  try {
    text = fatal.decode(b);
  } catch {
    const i = invalidUtf8At(b);
    const column = lenient.decode(b.subarray(0, Math.max(0, i))).length + 1;
    return { kind: 'bad', at, column, message: `invalid UTF-8 (byte 0x${b[i]?.toString(16).padStart(2, '0')} at byte ${i + 1} of the line); save the file as UTF-8` };
  }
  if (!text.trim()) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { kind: 'bad', at, column: jsonErrorPosition(e, text) + 1, message: `broken JSON: ${jsonMessage(e)}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { kind: 'bad', at, column: 1, message: 'is not a JSON object; each line holds one task' };
  return { kind: 'row', row: value as Row, at, text };
}

async function* readJsonl(file: string, opts: ReadOptions): AsyncGenerator<ReadItem> {
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const start = opts.start ?? 0;
  const end = opts.end ?? Infinity;
  let line = 0;
  let record = 0;
  let parts: Buffer[] = [];
  let pending = 0;
  let skipping = false;
  const emit = (bytes: Uint8Array): ReadItem | undefined => {
    const item = parseLine(bytes, line, file);
    if (!item) return undefined;
    return record++ >= start ? item : undefined;
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl < 0) break;
      line++;
      if (skipping) skipping = false;
      else {
        const piece = chunk.subarray(from, nl);
        const bytes = parts.length ? Buffer.concat([...parts, piece]) : piece;
        const item = emit(bytes);
        if (item) yield item;
        if (record >= end) return;
      }
      parts = [];
      pending = 0;
      from = nl + 1;
    }
    if (skipping || from >= chunk.length) continue;
    parts.push(chunk.subarray(from));
    pending += chunk.length - from;
    if (pending > max) {
      // Report the line and skip to its end instead of growing without bound.
      line++;
      const item: ReadItem = { kind: 'bad', at: { file, line }, message: `is longer than the ${Math.round(max / 1048576)} MB line limit; a task line must be shorter` };
      if (record++ >= start) yield item;
      if (record >= end) return;
      line--;
      parts = [];
      pending = 0;
      skipping = true;
    }
  }
  if (skipping) return;
  if (parts.length) {
    line++;
    const item = emit(Buffer.concat(parts));
    if (item) yield item;
  }
}

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: pos - lineStart + 1 };
}

async function* readJsonArray(file: string, opts: ReadOptions): AsyncGenerator<ReadItem> {
  const size = (await stat(file)).size;
  if (size > MAX_JSON_BYTES) {
    yield { kind: 'bad', at: { file, line: 1 }, message: `is ${(size / 1048576).toFixed(0)} MB; a JSON array is read whole, so over ${MAX_JSON_BYTES / 1048576} MB store the tasks as JSONL or Parquet` };
    return;
  }
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file) as AsyncIterable<Buffer>) chunks.push(c);
  let bytes: Uint8Array = Buffer.concat(chunks);
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  let text: string;
  try {
    text = fatal.decode(bytes);
  } catch {
    const i = invalidUtf8At(bytes);
    const before = lenient.decode(bytes.subarray(0, i));
    const lc = lineCol(before, before.length);
    yield { kind: 'bad', at: { file, line: lc.line }, column: lc.column, message: `invalid UTF-8 (byte 0x${bytes[i].toString(16).padStart(2, '0')}); save the file as UTF-8` };
    return;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const lc = lineCol(text, jsonErrorPosition(e, text));
    yield { kind: 'bad', at: { file, line: lc.line }, column: lc.column, message: `broken JSON: ${jsonMessage(e)}` };
    return;
  }
  if (!Array.isArray(data)) {
    yield { kind: 'bad', at: { file, line: 1 }, column: 1, message: 'a JSON task file must hold an array of objects' };
    return;
  }
  const end = Math.min(data.length, opts.end ?? Infinity);
  for (let i = opts.start ?? 0; i < end; i++) {
    const v = data[i] as unknown;
    const at = { file, item: i + 1 };
    if (!v || typeof v !== 'object' || Array.isArray(v)) yield { kind: 'bad', at, message: 'is not a JSON object' };
    else yield { kind: 'row', row: v as Row, at };
  }
}

function utf8Parser(bytes: Uint8Array): string | InvalidUtf8 {
  try {
    return fatal.decode(bytes);
  } catch {
    return new InvalidUtf8(bytes, invalidUtf8At(bytes));
  }
}

/** Row count and row-group sizes of a Parquet file, from its footer alone. */
export async function parquetLayout(file: string): Promise<{ rows: number; groups: number[]; columns: string[] }> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetSchema } = await import('hyparquet');
  const meta = await parquetMetadataAsync(await asyncBufferFromFile(file));
  return {
    rows: Number(meta.num_rows),
    groups: meta.row_groups.map((g) => Number(g.num_rows)),
    columns: parquetSchema(meta).children.map((c) => c.element.name),
  };
}

async function* readParquet(file: string, opts: ReadOptions): AsyncGenerator<ReadItem> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } = await import('hyparquet');
  let buffer;
  let meta;
  try {
    buffer = await asyncBufferFromFile(file);
    meta = await parquetMetadataAsync(buffer);
  } catch (e) {
    yield { kind: 'bad', at: { file, row: 1 }, message: `is not a readable Parquet file: ${(e as Error).message}` };
    return;
  }
  const present = new Set(parquetSchema(meta).children.map((c) => c.element.name));
  const columns = opts.columns ? opts.columns.filter((c) => present.has(c)) : undefined;
  const start = opts.start ?? 0;
  const end = Math.min(Number(meta.num_rows), opts.end ?? Infinity);
  let groupStart = 0;
  for (const g of meta.row_groups) {
    const groupEnd = groupStart + Number(g.num_rows);
    const from = Math.max(start, groupStart);
    const to = Math.min(end, groupEnd);
    if (from < to) {
      let rows: Row[];
      try {
        // Part of a row group (a preview's page): the offset index, where the file has one, limits the read to its pages.
        const part = from > groupStart || to < groupEnd;
        rows = (await parquetReadObjects({ file: buffer, metadata: meta, columns, rowStart: from, rowEnd: to, useOffsetIndex: part, parsers: { stringFromBytes: utf8Parser } })) as Row[];
      } catch (e) {
        yield { kind: 'bad', at: { file, row: from + 1 }, message: `cannot read rows ${from + 1}-${to}: ${(e as Error).message}` };
        return;
      }
      for (let i = 0; i < rows.length; i++) yield { kind: 'row', row: rows[i], at: { file, row: from + i + 1 } };
    }
    groupStart = groupEnd;
    if (groupStart >= end) return;
  }
}

/** An Arrow value as plain JSON-like data: lists to arrays, structs to objects, bigints to numbers. */
function plainArrow(v: unknown): unknown {
  if (v === null || v === undefined) return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'object') return v;
  if (v instanceof Uint8Array || ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, plainArrow);
  const o = v as { toArray?: () => unknown; toJSON?: () => unknown; type?: unknown; [Symbol.iterator]?: unknown };
  if (typeof o.toArray === 'function' && o.type !== undefined) return Array.from(o as unknown as Iterable<unknown>, plainArrow);
  if (typeof o.toJSON === 'function') {
    const j = o.toJSON() as Record<string, unknown>;
    if (Array.isArray(j)) return j.map(plainArrow);
    return Object.fromEntries(Object.entries(j).map(([k, x]) => [k, plainArrow(x)]));
  }
  return v;
}

async function* readArrow(file: string, opts: ReadOptions): AsyncGenerator<ReadItem> {
  const { RecordBatchReader } = await import('apache-arrow');
  const start = opts.start ?? 0;
  const end = opts.end ?? Infinity;
  let reader;
  try {
    reader = await RecordBatchReader.from(createReadStream(file, { highWaterMark: 1 << 20 }));
  } catch (e) {
    yield { kind: 'bad', at: { file, row: 1 }, message: `is not a readable Arrow file: ${(e as Error).message}` };
    return;
  }
  let index = 0;
  for await (const batch of reader) {
    if (index + batch.numRows <= start) {
      index += batch.numRows;
      continue;
    }
    const names = batch.schema.fields.map((f) => f.name).filter((n) => !opts.columns || opts.columns.includes(n));
    const cols = names.map((n) => batch.getChild(n));
    for (let i = 0; i < batch.numRows; i++, index++) {
      if (index < start) continue;
      if (index >= end) return;
      const row: Row = {};
      names.forEach((n, k) => (row[n] = plainArrow(cols[k]?.get(i))));
      yield { kind: 'row', row, at: { file, row: index + 1 } };
    }
  }
}
