// Loads task sets: JSONL, a JSON array, GSM8K JSONL, or Parquet, mapped to `Task`.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { builtinAssetPath, findBuiltin } from '../config/builtins';
import { resolveConfigPath } from '../config/load';
import type { TaskSourceConfig } from '../config/types';
import type { Task } from './types';

export class TaskLoadError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'TaskLoadError';
  }
}

type Format = 'jsonl' | 'json' | 'gsm8k' | 'parquet';

/** The answer after GSM8K's `####` marker; commas in numbers are dropped as GSM8K does. */
export function gsm8kFinalAnswer(answer: string): string {
  const i = answer.lastIndexOf('####');
  return (i < 0 ? answer : answer.slice(i + 4)).trim().replace(/(\d),(?=\d{3}\b)/g, '$1');
}

export async function loadTasks(source: TaskSourceConfig, configDir: string): Promise<Task[]> {
  let file: string;
  let format: Format;
  if (source.path.startsWith('builtin:')) {
    const builtin = findBuiltin('tasks', source.path);
    if (!builtin) throw new TaskLoadError(source.path, 'unknown built-in task set; use builtin:arith/train or builtin:arith/test');
    file = builtinAssetPath(builtin)!;
    format = 'gsm8k';
  } else {
    file = resolveConfigPath(configDir, source.path);
    format = (source.format as Format | undefined) ?? inferFormat(file);
  }
  const rows = await readRows(file, format, source.limit);
  const f = source.fields;
  const tasks: Task[] = [];
  const ids = new Set<string>();
  for (const [i, { row, line }] of rows.entries()) {
    const where = format === 'parquet' ? `row ${i + 1}` : format === 'json' ? `item ${i + 1}` : `line ${line}`;
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw new TaskLoadError(file, `${where} is not an object`);
    const question = row[f.question];
    if (typeof question !== 'string' || !question.trim()) throw new TaskLoadError(file, `${where} has no text in field "${f.question}" (tasks.*.fields.question)`);
    const answer = row[f.answer];
    if (answer === undefined || answer === null) throw new TaskLoadError(file, `${where} has no field "${f.answer}" (tasks.*.fields.answer)`);
    const id = row[f.id] !== undefined && row[f.id] !== null ? String(row[f.id]) : String(i);
    if (ids.has(id)) throw new TaskLoadError(file, `${where}: task id "${id}" appears twice; ids must be unique (tasks.*.fields.id)`);
    ids.add(id);
    const features: Record<string, number> = {};
    for (const key of f.features) {
      const v = Number(row[key]);
      if (row[key] === undefined || !Number.isFinite(v)) throw new TaskLoadError(file, `${where}: feature "${key}" is missing or not a number`);
      features[key] = v;
    }
    const reference = format === 'gsm8k' ? gsm8kFinalAnswer(String(answer)) : String(answer);
    tasks.push({ id, question, reference, features });
  }
  if (tasks.length === 0) throw new TaskLoadError(file, 'holds no tasks');
  return tasks;
}

function inferFormat(file: string): Format {
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.json') return 'json';
  if (ext === '.parquet') return 'parquet';
  throw new TaskLoadError(file, `cannot tell the format from "${ext || 'no extension'}"; set tasks.*.format to jsonl, json, gsm8k or parquet`);
}

type Row = Record<string, unknown>;

async function readRows(file: string, format: Format, limit?: number): Promise<{ row: Row; line: number }[]> {
  const max = limit ?? Infinity;
  try {
    if (format === 'json') {
      const data = JSON.parse(await readFile(file, 'utf8')) as unknown;
      if (!Array.isArray(data)) throw new TaskLoadError(file, 'a json task file must hold an array of objects');
      return data.slice(0, Number.isFinite(max) ? max : undefined).map((row, i) => ({ row: row as Row, line: i + 1 }));
    }
    if (format === 'parquet') {
      const { asyncBufferFromFile, parquetReadObjects } = await import('hyparquet');
      const buffer = await asyncBufferFromFile(file);
      const rows = (await parquetReadObjects({ file: buffer, rowEnd: Number.isFinite(max) ? max : undefined })) as Row[];
      return rows.map((row, i) => ({ row, line: i + 1 }));
    }
    // Task sets are held in memory anyway; reading whole keeps exact line numbers for errors.
    const out: { row: Row; line: number }[] = [];
    const lines = (await readFile(file, 'utf8')).split('\n');
    for (let i = 0; i < lines.length && out.length < max; i++) {
      const text = lines[i].trim();
      if (!text) continue;
      try {
        out.push({ row: JSON.parse(text) as Row, line: i + 1 });
      } catch (e) {
        throw new TaskLoadError(file, `line ${i + 1} is not valid JSON: ${(e as Error).message}`);
      }
    }
    return out;
  } catch (e) {
    if (e instanceof TaskLoadError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TaskLoadError(file, 'no such file');
    throw new TaskLoadError(file, `cannot read ${format}: ${(e as Error).message}`);
  }
}
