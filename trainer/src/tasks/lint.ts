// Checks a whole task source, streaming, in bounded memory: records that cannot be read, missing
// or empty fields, duplicate ids, features that are not numbers, invalid UTF-8, references the
// configured judge cannot parse, questions shared with the test split (exactly or nearly), and
// answers given away in their own question. `agent-tune validate`, the editor's diagnostics and
// the task preview all report these findings.
import type { Task } from './types';
import { openSource, sourceItems, type OpenedSource, type Role, type SourceSpec } from './load';
import { describe, type Where } from './read';
import type { Finding } from './records';

export type { Finding } from './records';

export interface LintOptions {
  /** Stop after this many findings (default 50). */
  maxFindings?: number;
  /** The configured judge's reading of references (judges/reference.ts); none checks nothing. */
  references?: ReferenceCheck;
  /** Questions of the other split, for the overlap check (see `QuestionIndex`). */
  against?: QuestionIndex;
  /** Adds this source's questions to an index (the test split, read first). */
  collect?: QuestionIndex;
  /** Give up after this many milliseconds; the result says how far it got. */
  budgetMs?: number;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Called now and then with the records read so far. */
  progress?: (records: number) => void;
}

export interface LintResult {
  findings: Finding[];
  records: number;
  /** The whole source was read (not stopped by the finding limit, budget or signal). */
  complete: boolean;
  stoppedBy?: 'findings' | 'budget' | 'signal';
}

export const MAX_FINDINGS = 50;

/** A 53-bit FNV-style hash: sets of these stay small for millions of records. */
export function hash53(s: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}

/** Lower case, punctuation and whitespace folded: the form questions are compared in. */
export function normalizeQuestion(q: string): string {
  return q.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

function shingles(norm: string): Set<number> {
  const w = norm.split(' ');
  const out = new Set<number>();
  if (w.length < 3) out.add(hash53(norm));
  for (let i = 0; i + 3 <= w.length; i++) out.add(hash53(`${w[i]} ${w[i + 1]} ${w[i + 2]}`));
  return out;
}

const SKETCH = 8;
const NEAR = 0.8;
const MAX_INDEXED = 200_000;

function sketch(s: Set<number>): number[] {
  return [...s].sort((a, b) => a - b).slice(0, SKETCH);
}

/**
 * The questions of one split, to find the other split's questions in: exact matches by hash,
 * near duplicates (word-trigram Jaccard ≥ 0.8) through bottom-k sketches.
 */
export class QuestionIndex {
  private exact = new Map<number, string>();
  private sketches = new Map<number, number[]>();
  private sets: Set<number>[] = [];
  private places: string[] = [];
  constructor(readonly label: string) {}

  add(question: string, place: string): void {
    const norm = normalizeQuestion(question);
    const h = hash53(norm);
    if (!this.exact.has(h)) this.exact.set(h, place);
    if (this.sets.length >= MAX_INDEXED) return;
    const s = shingles(norm);
    const i = this.sets.length;
    this.sets.push(s);
    this.places.push(place);
    for (const k of sketch(s)) {
      const list = this.sketches.get(k);
      if (list) list.push(i);
      else this.sketches.set(k, [i]);
    }
  }

  get size(): number {
    return this.exact.size;
  }

  find(question: string): { place: string; exact: boolean; similarity: number } | undefined {
    const norm = normalizeQuestion(question);
    const exact = this.exact.get(hash53(norm));
    if (exact) return { place: exact, exact: true, similarity: 1 };
    const s = shingles(norm);
    const seen = new Set<number>();
    for (const k of sketch(s)) {
      for (const i of this.sketches.get(k) ?? []) {
        if (seen.has(i)) continue;
        seen.add(i);
        const other = this.sets[i];
        let common = 0;
        for (const x of s) if (other.has(x)) common++;
        const j = common / (s.size + other.size - common);
        if (j >= NEAR) return { place: this.places[i], exact: false, similarity: j };
      }
    }
    return undefined;
  }
}

/** `line 12 of test.jsonl`, for messages that point at another file. */
export function placeOf(at: Where, src: OpenedSource): string {
  const file = at.file.split(/[\\/]/).pop();
  return `${describe(at)} of ${file}`;
}

/** Reads a source's questions into an index (the test split, for the overlap check). */
export async function indexQuestions(spec: SourceSpec, configDir: string, role: Role, label: string, opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<QuestionIndex> {
  const src = openSource(spec, configDir, role, opts.env);
  const index = new QuestionIndex(label);
  for await (const { item, task } of sourceItems(src)) {
    if (opts.signal?.aborted) break;
    if (task) index.add(rawQuestion(task, src), placeOf(item.at, src));
  }
  return index;
}

function rawQuestion(task: Task, src: OpenedSource): string {
  const suffix = src.mapping.suffix;
  return suffix && task.question.endsWith(suffix) ? task.question.slice(0, -suffix.length).trimEnd() : task.question;
}

const MARK = /(?:answer(?:\s+is)?\s*[:=]?|####|\\boxed\{)\s*\$?\s*$/i;

/** The reference written out in its own question: after "answer", `####`, in `\boxed{}`, or (when long and not a bare number) anywhere. */
export function leaksAnswer(question: string, reference: string): boolean {
  const ref = reference.trim();
  if (!ref) return false;
  for (let i = question.indexOf(ref); i >= 0; i = question.indexOf(ref, i + 1)) {
    const after = question[i + ref.length];
    if (after !== undefined && /\w/.test(after)) continue;
    if (MARK.test(question.slice(Math.max(0, i - 24), i))) return true;
  }
  return ref.length >= 8 && !/^[-+]?[\d.,\s]+$/.test(ref) && question.includes(ref);
}

/** Why the configured judge cannot read a reference answer, or null when it can. */
export interface ReferenceCheck {
  name: string;
  why(reference: string): string | null;
}

const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/;

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/** Streams the source and returns what is wrong with it, stopping at `maxFindings`. */
export async function lintSource(src: OpenedSource, opts: LintOptions = {}): Promise<LintResult> {
  const max = opts.maxFindings ?? MAX_FINDINGS;
  const findings: Finding[] = [];
  const judge = opts.references;
  const parsed = new Map<string, string | null>();
  // Duplicate ids by 53-bit hash, which keeps millions of ids small (a false match is about
  // one in 10^9 for a million ids); the first record's place is kept as (file index, line or row).
  const ids = new Map<number, number>();
  const fileIndex = new Map(src.files.map((f, i) => [f.file, i]));
  const started = performance.now();
  let lastYield = started;
  let records = 0;
  const result = (stoppedBy?: LintResult['stoppedBy']): LintResult => ({ findings, records, complete: !stoppedBy, stoppedBy });
  const push = (f: Finding) => findings.push(f);

  for await (const { item, task, findings: own } of sourceItems(src)) {
    records++;
    for (const f of own) push(f);
    if (task) {
      const at = item.at;
      const text = item.kind === 'row' ? item.text : undefined;
      const col = (name: string) => {
        if (!text) return undefined;
        const i = text.indexOf(JSON.stringify(name.split('.')[0]));
        return i >= 0 ? i + 1 : undefined;
      };
      const idField = src.mapping.id.find((c) => item.kind === 'row' && c in item.row) ?? src.mapping.id[0];
      const key = hash53(task.id);
      const first = ids.get(key);
      const place = (fileIndex.get(at.file) ?? 0) * 2 ** 32 + (at.line ?? at.row ?? at.item ?? 0);
      if (first !== undefined) {
        const firstFile = src.files[Math.floor(first / 2 ** 32)].file;
        const firstAt: Where = { file: firstFile, [at.line !== undefined ? 'line' : at.row !== undefined ? 'row' : 'item']: first % 2 ** 32 };
        push({ at, column: col(idField ?? 'id'), field: idField, severity: 'error', message: `duplicate id "${task.id}", first at ${placeOf(firstAt, src)}; ids must be unique (fields.id)` });
      } else ids.set(key, place);

      const answerField = src.mapping.answer.find((c) => item.kind === 'row' && c in item.row) ?? src.mapping.answer[0];
      if (judge) {
        // A plain number is an answer to every built-in judge; the rest are asked once each.
        let why = PLAIN_NUMBER.test(task.reference) ? null : parsed.get(task.reference);
        if (why === undefined) {
          why = judge.why(task.reference);
          if (parsed.size < 100_000) parsed.set(task.reference, why);
        }
        if (why) push({ at, column: col(answerField), field: answerField, severity: 'error', message: `the judge ${judge.name} ${why}: reference ${JSON.stringify(task.reference.slice(0, 60))}` });
      }
      const question = rawQuestion(task, src);
      opts.collect?.add(question, placeOf(at, src));
      const questionField = src.mapping.question.find((c) => item.kind === 'row' && c in item.row) ?? src.mapping.question[0];
      if (leaksAnswer(question, task.reference)) {
        push({ at, column: col(questionField), field: questionField, severity: 'error', message: `the question gives its own answer away: the reference ${JSON.stringify(task.reference.slice(0, 60))} appears in it` });
      }
      if (opts.against) {
        const hit = opts.against.find(question);
        if (hit) {
          push({
            at,
            column: col(questionField),
            field: questionField,
            severity: hit.exact ? 'error' : 'warning',
            message: hit.exact ? `the same question is in ${opts.against.label} (${hit.place})` : `a near-duplicate (${Math.round(hit.similarity * 100)}% alike) of a question in ${opts.against.label} (${hit.place})`,
          });
        }
      }
    }
    if (findings.length >= max) {
      findings.length = max;
      return result('findings');
    }
    const now = performance.now();
    if (now - lastYield > 10) {
      // Let the host's other work (typing, in the editor) run between records.
      await yieldToLoop();
      lastYield = performance.now();
      if (records % 1000 === 0) opts.progress?.(records);
      if (opts.signal?.aborted) return result('signal');
      if (opts.budgetMs !== undefined && lastYield - started > opts.budgetMs) return result('budget');
    }
  }
  if (records === 0) push({ at: { file: src.files[0]?.file ?? src.shown, line: 1 }, severity: 'error', message: 'holds no tasks' });
  return result();
}

/** `file:line:column  message` or `file: row N, column "name": message`. */
export function formatFinding(f: Finding, shown: (file: string) => string = (x) => x): string {
  const file = shown(f.at.file);
  const tag = f.severity === 'warning' ? 'warning: ' : '';
  if (f.at.line !== undefined) return `${file}:${f.at.line}:${f.column ?? 1}  ${tag}${f.message}`;
  const where = f.at.row !== undefined ? `row ${f.at.row}` : `item ${f.at.item}`;
  return `${file}: ${where}${f.field ? `, column "${f.field}"` : ''}: ${tag}${f.message}`;
}
