// Checks a task file without reading all of it: datasets may be gigabytes, and the editor
// re-checks on every keystroke. JSONL and GSM8K: the first records; JSON: the first element
// of the array; Parquet: the magic bytes at both ends.
import { basename, extname } from 'node:path';
import type { LanguageHost } from './host';

export type TaskFormat = 'jsonl' | 'json' | 'gsm8k' | 'parquet';

export interface TaskFields {
  id?: string;
  question?: string;
  answer?: string;
  features?: string[];
}

export interface DatasetProblem {
  message: string;
  severity: 'error' | 'warning';
  /** Which config key to underline: the path, the format, or one of the field names. */
  at: 'path' | 'format' | 'fields.id' | 'fields.question' | 'fields.answer' | 'fields.features';
}

const HEAD_BYTES = 64 * 1024;
const MAX_RECORD_BYTES = 1024 * 1024;
const HEAD_RECORDS = 20;

export function inferFormat(file: string): TaskFormat | undefined {
  switch (extname(file).toLowerCase()) {
    case '.jsonl':
    case '.ndjson':
      return 'jsonl';
    case '.json':
      return 'json';
    case '.parquet':
      return 'parquet';
    default:
      return undefined;
  }
}

export async function checkDataset(host: LanguageHost, file: string, format: TaskFormat | undefined, fields: TaskFields, shown: string): Promise<DatasetProblem[]> {
  const info = await host.stat(file);
  if (!info) return [{ at: 'path', severity: 'error', message: `cannot find the task file ${shown}: no file at ${file}` }];
  if (info.kind !== 'file') return [{ at: 'path', severity: 'error', message: `${shown} is a folder; name a .jsonl, .json or .parquet file` }];
  const fmt = format ?? inferFormat(file);
  if (!fmt) return [{ at: 'path', severity: 'error', message: `cannot tell the format of ${basename(file)} from its extension; set \`format\` (jsonl, json, gsm8k or parquet)` }];
  if (info.size === 0) return [{ at: 'path', severity: 'error', message: `${shown} is empty: it has no tasks` }];
  if (fmt === 'parquet') return parquet(host, file, info.size, shown);
  const head = await readHead(host, file, info.size);
  if (head.includes(0)) return [{ at: format ? 'format' : 'path', severity: 'error', message: `${shown} is binary, not ${fmt === 'json' ? 'JSON' : 'JSON lines'} text` }];
  const text = new TextDecoder('utf-8').decode(head).replace(/^\uFEFF/, '');
  const records = fmt === 'json' ? firstArrayElement(text, head.length < info.size, shown) : firstLines(text, head.length < info.size, shown);
  if ('problem' in records) return [records.problem];
  if (records.items.length === 0) return [{ at: 'path', severity: 'error', message: `${shown} has no tasks` }];
  return fieldProblems(records.items[0], fmt, fields, shown);
}

async function readHead(host: LanguageHost, file: string, size: number): Promise<Uint8Array> {
  let head = await host.readBytes(file, 0, Math.min(size, HEAD_BYTES));
  // A first record longer than the head: read on, up to a bound.
  if (head.length < size && !head.includes(10)) head = await host.readBytes(file, 0, Math.min(size, MAX_RECORD_BYTES));
  return head;
}

type Records = { items: { line: number; value: Record<string, unknown> }[] } | { problem: DatasetProblem };

function firstLines(text: string, truncated: boolean, shown: string): Records {
  const lines = text.split('\n');
  if (truncated) lines.pop();
  const items: { line: number; value: Record<string, unknown> }[] = [];
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      return { problem: { at: 'path', severity: 'error', message: `line ${i + 1} of ${shown} is not JSON: ${(e as Error).message}` } };
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      return { problem: { at: 'path', severity: 'error', message: `line ${i + 1} of ${shown} is not a JSON object; each line holds one task` } };
    }
    items.push({ line: i + 1, value: value as Record<string, unknown> });
    if (items.length >= HEAD_RECORDS) break;
  }
  return { items };
}

function firstArrayElement(text: string, truncated: boolean, shown: string): Records {
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== '[') return { problem: { at: 'path', severity: 'error', message: `${shown} must hold a JSON array of tasks` } };
  if (!truncated) {
    let all: unknown;
    try {
      all = JSON.parse(text);
    } catch (e) {
      return { problem: { at: 'path', severity: 'error', message: `${shown} is not valid JSON: ${(e as Error).message}` } };
    }
    const arr = all as unknown[];
    if (arr.length && (!arr[0] || typeof arr[0] !== 'object' || Array.isArray(arr[0]))) {
      return { problem: { at: 'path', severity: 'error', message: `the tasks in ${shown} must be JSON objects` } };
    }
    return { items: arr.length ? [{ line: 1, value: arr[0] as Record<string, unknown> }] : [] };
  }
  // Large file: cut out the first element by matching braces, and parse only that.
  const open = text.slice(start + 1).search(/\S/) + start + 1;
  if (text[open] === ']') return { items: [] };
  if (text[open] !== '{') return { problem: { at: 'path', severity: 'error', message: `the tasks in ${shown} must be JSON objects` } };
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      try {
        return { items: [{ line: 1, value: JSON.parse(text.slice(open, i + 1)) as Record<string, unknown> }] };
      } catch (e) {
        return { problem: { at: 'path', severity: 'error', message: `the first task in ${shown} is not valid JSON: ${(e as Error).message}` } };
      }
    }
  }
  return { items: [] };
}

function fieldProblems(first: { line: number; value: Record<string, unknown> }, fmt: TaskFormat, fields: TaskFields, shown: string): DatasetProblem[] {
  const out: DatasetProblem[] = [];
  const present = Object.keys(first.value);
  const has = (f: string) => Object.prototype.hasOwnProperty.call(first.value, f);
  const where = fmt === 'json' ? `the first task of ${shown}` : `line ${first.line} of ${shown}`;
  const list = present.length ? `its fields: ${present.join(', ')}` : 'it has no fields';
  const question = fields.question ?? 'question';
  const answer = fields.answer ?? 'answer';
  if (!has(question)) {
    out.push({ at: fields.question ? 'fields.question' : 'path', severity: 'error', message: `${where} has no "${question}" field for the question; set \`fields.question\` (${list})` });
  }
  if (!has(answer)) {
    out.push({ at: fields.answer ? 'fields.answer' : 'path', severity: 'error', message: `${where} has no "${answer}" field for the reference answer; set \`fields.answer\` (${list})` });
  } else if (fmt === 'gsm8k' && !String(first.value[answer]).includes('####')) {
    out.push({ at: 'format', severity: 'warning', message: `format gsm8k takes the final answer after "####", but the "${answer}" of ${where} has none` });
  }
  if (fields.id && !has(fields.id)) {
    out.push({ at: 'fields.id', severity: 'warning', message: `${where} has no "${fields.id}" field; tasks will be numbered by line instead (${list})` });
  }
  for (const f of fields.features ?? []) {
    if (!has(f)) out.push({ at: 'fields.features', severity: 'warning', message: `${where} has no feature "${f}" (${list})` });
    else if (typeof first.value[f] !== 'number') out.push({ at: 'fields.features', severity: 'warning', message: `feature "${f}" in ${where} is ${JSON.stringify(first.value[f])}, not a number` });
  }
  return out;
}

async function parquet(host: LanguageHost, file: string, size: number, shown: string): Promise<DatasetProblem[]> {
  const magic = 'PAR1';
  const head = new TextDecoder().decode(await host.readBytes(file, 0, 4));
  const tail = size >= 8 ? new TextDecoder().decode(await host.readBytes(file, size - 4, 4)) : '';
  if (head !== magic || tail !== magic) return [{ at: 'path', severity: 'error', message: `${shown} is not a Parquet file (it lacks the PAR1 marks at its start and end)` }];
  return [];
}
