// From a data record to a `Task`: which columns to read (the config's `fields` over a preset's),
// how to get the reference answer out, and every reason a record cannot become a task. The
// loader stops on the first error; `validate`, the editor and the preview list them all.
import type { Task } from './types';
import { InvalidUtf8, type Row, type Where } from './read';
import { gsm8kFinalAnswer, lastBoxed, PRESETS, isPresetName, type FeatureSpec, type Mapping } from './presets';

export interface Finding {
  at: Where;
  /** 1-based column in the line (JSONL) where there is one. */
  column?: number;
  /** The field the finding is about. */
  field?: string;
  message: string;
  severity: 'error' | 'warning';
}

/** The parts of a task source config that shape its records. */
export interface SourceShape {
  preset?: string;
  format?: string;
  fields?: { id?: string; question?: string; answer?: string; features?: string[] };
  prompt_suffix?: string;
}

export function mappingFor(source: SourceShape): Mapping {
  const preset = isPresetName(source.preset) ? PRESETS[source.preset] : undefined;
  const f = source.fields ?? {};
  const features: FeatureSpec[] = f.features
    ? f.features.map((name) => {
        // A feature the user lists is required, even where the preset reads it.
        const p = preset?.features.find((x) => x.name === name);
        return p ? { ...p, optional: false } : { name, from: [name] };
      })
    : (preset?.features ?? []);
  return {
    question: f.question ? [f.question] : (preset?.question ?? ['question']),
    answer: f.answer ? [f.answer] : (preset?.answer ?? ['answer']),
    id: f.id ? [f.id] : (preset?.id ?? ['id']),
    features,
    reference: source.format === 'gsm8k' ? 'gsm8k' : (preset?.reference ?? 'plain'),
    suffix: source.prompt_suffix ?? preset?.suffix ?? '',
  };
}

/** A column by name, or by a dotted path into structs; names may contain dots themselves. */
export function lookup(row: Row, path: string): unknown {
  if (Object.prototype.hasOwnProperty.call(row, path)) return row[path];
  let v: unknown = row;
  for (const part of path.split('.')) {
    if (!v || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function pick(row: Row, candidates: string[]): { field: string; value: unknown } | undefined {
  for (const c of candidates) {
    const value = lookup(row, c);
    if (value !== undefined) return { field: c, value };
  }
  return undefined;
}

/** The prompt of a chat-formatted record (verl's `prompt`): the last user message. */
function chatText(v: unknown[]): unknown {
  for (let i = v.length - 1; i >= 0; i--) {
    const m = v[i] as { role?: unknown; content?: unknown } | null;
    if (m && typeof m === 'object' && m.role === 'user') return m.content;
  }
  return undefined;
}

/** A list answer (OlympiadBench's `final_answer`): LaTeX items, `$` delimiters dropped. */
function listText(v: unknown[]): string {
  return v.map((x) => String(x).trim().replace(/^\$+|\$+$/g, '').trim()).join(', ');
}

const show = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

export interface Converted {
  task?: Task;
  findings: Finding[];
}

/**
 * One record as a task. `index` (0-based, across the whole source) numbers tasks without an id
 * column; `text` (the JSONL line) places findings by column.
 */
export function toTask(row: Row, at: Where, m: Mapping, index: number, text?: string): Converted {
  const findings: Finding[] = [];
  const column = (field: string | undefined) => {
    if (!text || !field) return undefined;
    const i = text.indexOf(JSON.stringify(field.split('.')[0]));
    return i >= 0 ? i + 1 : undefined;
  };
  const err = (field: string | undefined, message: string, severity: Finding['severity'] = 'error') =>
    findings.push({ at, field, column: column(field) ?? (text ? 1 : undefined), message, severity });
  const utf8 = (field: string, v: unknown) => {
    if (v instanceof InvalidUtf8) {
      err(field, `field "${field}" is not valid UTF-8 (byte 0x${v.bytes[v.offset]?.toString(16).padStart(2, '0')} at byte ${v.offset + 1} of the value)`);
      return true;
    }
    return false;
  };

  const has = () => {
    const keys = Object.keys(row);
    return keys.length ? `; the record has ${keys.slice(0, 12).join(', ')}${keys.length > 12 ? ', ...' : ''}` : '';
  };
  const q = pick(row, m.question);
  let question: string | undefined;
  if (!q || q.value === null) err(m.question[0], `has no field "${m.question.join('" or "')}" for the question (fields.question${has()})`);
  else if (!utf8(q.field, q.value)) {
    const v = Array.isArray(q.value) ? chatText(q.value) : q.value;
    if (typeof v !== 'string') err(q.field, `field "${q.field}" holds ${show(q.value)}, not the question text`);
    else if (!v.trim()) err(q.field, `field "${q.field}" is empty`);
    else question = v;
  }

  const a = pick(row, m.answer);
  let reference: string | undefined;
  if (!a || a.value === null) err(m.answer[0], `has no field "${m.answer.join('" or "')}" for the reference answer (fields.answer${has()})`);
  else if (!utf8(a.field, a.value)) {
    const raw = Array.isArray(a.value) ? listText(a.value) : typeof a.value === 'string' || typeof a.value === 'number' || typeof a.value === 'bigint' ? String(a.value) : undefined;
    if (raw === undefined) err(a.field, `field "${a.field}" holds ${show(a.value)}, not an answer`);
    else if (!raw.trim()) err(a.field, `field "${a.field}" is empty`);
    else if (m.reference === 'gsm8k') {
      if (!raw.includes('####')) err(a.field, `field "${a.field}" has no "####" before the final answer`);
      else reference = gsm8kFinalAnswer(raw);
      if (reference === '') err(a.field, `field "${a.field}" has nothing after "####"`);
    } else if (m.reference === 'boxed') {
      reference = lastBoxed(raw);
      if (reference === undefined) err(a.field, `field "${a.field}" has no \\boxed{} answer`);
      else if (!reference) err(a.field, `the \\boxed{} of field "${a.field}" is empty`);
    } else reference = raw.trim();
  }

  const idCol = pick(row, m.id);
  let id = String(index);
  if (idCol && idCol.value !== null && !utf8(idCol.field, idCol.value)) {
    if (typeof idCol.value === 'object') err(idCol.field, `id field "${idCol.field}" holds ${show(idCol.value)}, not a string or number`);
    else if (String(idCol.value).trim() === '') err(idCol.field, `id field "${idCol.field}" is empty`);
    else id = String(idCol.value);
  }

  const features: Record<string, number> = {};
  for (const f of m.features) {
    const c = pick(row, f.from);
    const severity = f.optional ? 'warning' : 'error';
    if (!c || c.value === null) {
      err(f.from[0], `has no feature "${f.from[0]}" (fields.features)`, severity);
      continue;
    }
    const n = f.parse ? f.parse(c.value) : typeof c.value === 'number' ? c.value : typeof c.value === 'bigint' ? Number(c.value) : typeof c.value === 'string' && c.value.trim() ? Number(c.value) : NaN;
    if (n === undefined || !Number.isFinite(n)) err(c.field, `feature "${c.field}" is ${show(c.value)}, not a number`, severity);
    else features[f.name] = n;
  }

  if (question !== undefined && question.includes('\uFFFD')) err(q!.field, `field "${q!.field}" holds U+FFFD, the mark of text decoded from invalid UTF-8`, 'warning');
  if (findings.some((x) => x.severity === 'error') || question === undefined || reference === undefined) return { findings };
  const prompt = m.suffix ? `${question.trimEnd()}\n\n${m.suffix}` : question;
  return { task: { id, question: prompt, reference, features }, findings };
}
