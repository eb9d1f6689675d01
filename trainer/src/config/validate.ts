// Validates config text against the schema and places every problem on the exact YAML
// node at fault. Pure: no file system, so the editor's language service can call it on
// every keystroke.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { addDuplicateKeyErrors, countNodes, MAX_CONFIG_NODES } from './limits';
import { LineIndex, type KeyPath } from './lines';
import { tuneSchema } from './schema';
import { article, show, suggest, typeName } from './wording';
import { decodePointer, keyRange, nodeAt, pairAt, rangeOf } from './yaml-nodes';
import type { TuneConfig } from './types';

export type Severity = 'error' | 'warning';
export type { KeyPath };

export interface ConfigIssue {
  file: string;
  /** 1-based line and column of the start, as printed by the CLI. */
  line: number;
  column: number;
  /** 0-based offsets [start, end) into the text, for editors. */
  start: number;
  end: number;
  path: KeyPath;
  message: string;
  severity: Severity;
  /** The text for [start, end) that the message suggests ("did you mean"), for a quick fix. */
  fix?: string;
}

export interface ValidationResult {
  /** The config with defaults applied, when there are no errors. */
  config?: TuneConfig;
  issues: ConfigIssue[];
  /** The parsed document, for callers that need node positions (the language service). */
  document?: Document.Parsed;
  lineCounter: LineCounter;
}

/** Larger configs are refused rather than parsed: no real config comes near it. */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true });
    ajv.addVocabulary(['enumDescriptions', 'markdownDescription']);
    compiled = ajv.compile(tuneSchema);
  }
  return compiled;
}

export function keyPathString(path: KeyPath): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Validates bytes read from a file: size, encoding, then the text. */
export function validateConfigBytes(bytes: Uint8Array, file: string): ValidationResult {
  const lineCounter = new LineCounter();
  const whole = (message: string): ValidationResult => ({
    issues: [{ file, line: 1, column: 1, start: 0, end: 0, path: [], message, severity: 'error' }],
    lineCounter,
  });
  if (bytes.length > MAX_CONFIG_BYTES) {
    return whole(`the file is ${(bytes.length / 1048576).toFixed(1)} MB; a config must be under ${MAX_CONFIG_BYTES / 1048576} MB`);
  }
  if (bytes.includes(0)) return whole('this is a binary file, not YAML text');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return whole('the file is not valid UTF-8 text; save it as UTF-8');
  }
  return validateConfigText(text, file);
}

export function validateConfigText(text: string, file: string): ValidationResult {
  const lineCounter = new LineCounter();
  const issues: ConfigIssue[] = [];
  const at = (start: number, end: number, path: KeyPath, message: string, severity: Severity = 'error', fix?: string) => {
    const pos = lineCounter.linePos(start);
    issues.push({ file, line: pos.line, column: pos.col, start, end, path, message, severity, ...(fix !== undefined ? { fix } : {}) });
  };

  if (text.length > MAX_CONFIG_BYTES) {
    lineCounter.addNewLine(0);
    at(0, 0, [], `the text is over ${MAX_CONFIG_BYTES / 1048576} MB; a config must be smaller`);
    return { issues, lineCounter };
  }
  if (text.includes('\u0000')) {
    lineCounter.addNewLine(0);
    at(0, 0, [], 'this is a binary file, not YAML text');
    return { issues, lineCounter };
  }

  const nodes = countNodes(text);
  if (nodes > MAX_CONFIG_NODES) {
    lineCounter.addNewLine(0);
    at(0, 0, [], `the config holds more than ${MAX_CONFIG_NODES} keys and list items; a tune config holds hundreds. Is this the right file?`);
    return { issues, lineCounter };
  }
  // Duplicate keys are found in linear time below, not by the parser's pairwise check.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, strict: true });
  addDuplicateKeyErrors(doc);
  let lines: LineIndex | undefined;
  const seen = new Set<number>();
  for (const [problems, severity] of [[doc.errors, 'error'], [doc.warnings, 'warning']] as const) {
    for (const e of problems) {
      const [start, end] = syntaxRange(doc, text, e.code, e.pos);
      // One report per place: the parser often follows one fault with consequences.
      if (seen.has(start)) continue;
      seen.add(start);
      lines ??= new LineIndex(text.replace(/\t/g, ' '));
      at(start, end, lines.pathAt(start), yamlMessage(e.code, e.message), severity);
    }
  }
  // Duplicate keys leave the structure intact; other syntax errors make schema errors noise.
  const structural = doc.errors.some((e) => e.code !== 'DUPLICATE_KEY');
  if (structural) return finish({ issues, document: doc, lineCounter });

  if (doc.contents === null || (isScalar(doc.contents) && (doc.contents.value === null || doc.contents.value === ''))) {
    at(0, 0, [], 'the config is empty; it needs at least `name` and `tasks.train`');
    return finish({ issues, document: doc, lineCounter });
  }
  if (!isMap(doc.contents)) {
    const r = doc.contents.range ?? [0, 0];
    at(r[0], r[1], [], `the config must be a mapping of sections (name, model, tasks, …), not a ${nodeKind(doc.contents)}`);
    return finish({ issues, document: doc, lineCounter });
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // Aliases are resolved only here: an unknown anchor or an alias bomb.
    const alias = firstBadAlias(doc);
    const r = alias?.range ?? [0, 0];
    lines ??= new LineIndex(text);
    at(r[0], r[1], lines.pathAt(r[0]), `YAML syntax: ${(e as Error).message}`);
    return finish({ issues, document: doc, lineCounter });
  }
  const validate = validator();
  const valid = validate(data);
  const faulted: KeyPath[] = [];
  if (!valid) {
    for (const err of prune(validate.errors ?? [])) {
      const { path, start, end, message, fix } = locate(doc, err);
      at(start, end, path, message, 'error', fix);
      faulted.push(path);
    }
  }
  const config = data as TuneConfig;
  // Cross-key rules also run beside schema errors (ajv has filled in the defaults), except
  // where they read a value the schema already rejected.
  const touches = (a: KeyPath, b: KeyPath) => a.slice(0, Math.min(a.length, b.length)).every((k, i) => k === b[i]);
  let semantic: ReturnType<typeof semanticIssues> = [];
  try {
    semantic = semanticIssues(config).filter((s) => valid || !faulted.some((f) => touches(f, s.path)));
  } catch {
    // A value of the wrong type that the schema reported already.
  }
  for (const s of semantic) {
    const node = nodeAt(doc, s.path);
    const r = node?.range ?? [0, 0];
    at(r[0], r[1], s.path, s.message, s.severity);
  }
  const result = finish({ issues, document: doc, lineCounter });
  if (!result.issues.some((i) => i.severity === 'error')) result.config = config;
  return result;
}

function finish(r: ValidationResult): ValidationResult {
  r.issues.sort((a, b) => a.start - b.start || a.message.localeCompare(b.message));
  return r;
}

/** Rules that cut across properties, which JSON Schema cannot say plainly. */
function semanticIssues(c: TuneConfig): { path: KeyPath; message: string; severity: Severity }[] {
  const out: { path: KeyPath; message: string; severity: Severity }[] = [];
  if (c.rollout.group_size < 2) {
    out.push({ path: ['rollout', 'group_size'], severity: 'error', message: `${c.algorithm.type === 'rloo' ? 'RLOO' : 'GRPO'} compares samples within a group: group_size must be at least 2, got ${c.rollout.group_size}` });
  }
  for (const [i, k] of c.eval.k.entries()) {
    if (k > c.eval.samples) out.push({ path: ['eval', 'k', i], severity: 'error', message: `k = ${k} is larger than eval.samples = ${c.eval.samples}; pass@k needs at least k samples` });
  }
  if (c.model.backend === 'openai' && !c.model.openai) {
    out.push({ path: ['model', 'backend'], severity: 'error', message: 'backend `openai` needs a `model.openai` section with `base_url` and `model`' });
  }
  if (c.model.backend === 'onnx' && c.model.openai) {
    out.push({ path: ['model', 'openai'], severity: 'warning', message: '`model.openai` is ignored while `model.backend` is `onnx`' });
  }
  if (c.tasks.selector.type === 'offline_easy2hard' && !c.tasks.selector.feature_key) {
    out.push({ path: ['tasks', 'selector', 'type'], severity: 'error', message: '`offline_easy2hard` sorts by a feature: set `tasks.selector.feature_key`' });
  }
  if (c.algorithm.lr > 0.1) out.push({ path: ['algorithm', 'lr'], severity: 'warning', message: `learning rate ${c.algorithm.lr} is very high; LoRA adapters usually train with 1e-4 to 1e-2` });
  if (c.algorithm.lr < 1e-7) out.push({ path: ['algorithm', 'lr'], severity: 'warning', message: `learning rate ${c.algorithm.lr} is so low that the adapter will barely change` });
  const t = c.model.sampling.temperature;
  if (t > 2) out.push({ path: ['model', 'sampling', 'temperature'], severity: 'warning', message: `temperature ${t} makes samples close to random; 0.6 to 1.2 is usual` });
  if (t === 0 && c.rollout.group_size > 1) {
    out.push({ path: ['model', 'sampling', 'temperature'], severity: 'warning', message: 'temperature 0 makes every sample of a group identical, so advantages are all zero' });
  }
  return out;
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'tabs are not allowed for indentation in YAML; indent with spaces';
    case 'DUPLICATE_KEY':
      return 'this key appears twice in the same mapping; keep one';
    case 'MULTILINE_IMPLICIT_KEY':
      return `YAML syntax: ${first} (is the next line indented too far?)`;
    default:
      return `YAML syntax: ${first}`;
  }
}

/**
 * Where to underline a parser error. Errors found at the end of the text (an unclosed quote
 * or bracket) move to the node that opened them; a duplicate key covers the whole key.
 */
function syntaxRange(doc: Document, text: string, code: string, pos: [number, number]): [number, number] {
  let [start, end] = pos;
  if (code === 'DUPLICATE_KEY') {
    const key = /^(?:"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^:\n#]*?)(?=[ \t]*:)/.exec(text.slice(start));
    if (key && key[0].length) end = start + key[0].length;
  }
  if (start >= text.trimEnd().length && (code === 'MISSING_CHAR' || code === 'BAD_INDENT' || code === 'UNEXPECTED_TOKEN')) {
    const opener = openerBefore(doc, start);
    if (opener !== undefined) {
      start = opener;
      const eol = text.indexOf('\n', start);
      end = eol < 0 ? text.length : eol;
    }
  }
  return [start, Math.max(end, start)];
}

/** Start of the last quoted scalar or flow collection that is still open at `offset`. */
function openerBefore(doc: Document, offset: number): number | undefined {
  let best: number | undefined;
  visit(doc, (_key, node) => {
    const n = node as { range?: [number, number, number]; type?: string; flow?: boolean } | null;
    if (!n?.range || n.range[1] < offset) return;
    const opens = n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE' || n.flow === true;
    if (opens && (best === undefined || n.range[0] > best)) best = n.range[0];
  });
  return best;
}

function firstBadAlias(doc: Document): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (!node.resolve(doc)) {
        found = node;
        return visit.BREAK;
      }
      found ??= node;
    },
  });
  return found;
}

function nodeKind(n: unknown): string {
  if (isSeq(n)) return 'list';
  if (isScalar(n)) return typeof n.value === 'string' ? 'string' : `${typeof n.value}`;
  return 'value';
}

/** Drops ajv's follow-on errors so each fault is reported once. */
function prune(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

function locate(doc: Document, err: ErrorObject): { path: KeyPath; start: number; end: number; message: string; fix?: string } {
  const path = decodePointer(err.instancePath);
  const value = (err as { data?: unknown }).data;
  const schema = (err as { parentSchema?: Record<string, unknown> }).parentSchema ?? {};
  const valueRange = (): [number, number] => rangeOf(nodeAt(doc, path)) ?? keyRange(doc, path);
  switch (err.keyword) {
    case 'additionalProperties': {
      const name = String((err.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((schema.properties as object) ?? {});
      const hint = suggest(name, allowed);
      const [start, end] = keyRange(doc, [...path, name]);
      const key = pairAt(doc, [...path, name])?.key;
      return {
        path: [...path, name],
        start,
        end,
        message: `unknown key "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; allowed here: ${allowed.join(', ')}`,
        // Only an unquoted key is replaced as it is written.
        ...(hint && isScalar(key) && key.type === 'PLAIN' ? { fix: hint } : {}),
      };
    }
    case 'required': {
      const missing = String((err.params as { missingProperty: string }).missingProperty);
      // At the root, underline the first key: a zero-width mark at 1:1 is easy to miss.
      const first = isMap(doc.contents) ? rangeOf(doc.contents.items[0]?.key) : undefined;
      const [start, end] = path.length ? keyRange(doc, path) : (first ?? [0, 0]);
      const where = path.length ? `\`${keyPathString(path)}\`` : 'the config';
      return { path: [...path, missing], start, end, message: `${where} is missing the required key "${missing}"` };
    }
    case 'enum': {
      const allowed = (err.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const hint = typeof value === 'string' ? suggest(value, allowed) : undefined;
      const [start, end] = valueRange();
      const node = nodeAt(doc, path);
      const fix = hint && isScalar(node) && node.type === 'PLAIN' ? { fix: hint } : {};
      return { path, start, end, message: `${show(value)} is not allowed${hint ? ` (did you mean "${hint}"?)` : ''}; use one of: ${allowed.join(', ')}`, ...fix };
    }
    case 'type': {
      const expected = (err.params as { type: string | string[] }).type;
      const [start, end] = valueRange();
      return { path, start, end, message: `must be ${article(String(expected))}, got ${show(value)} (${typeName(value)})` };
    }
    case 'pattern': {
      const [start, end] = valueRange();
      return { path, start, end, message: `${show(value)} does not have the expected form: ${String(schema.description ?? err.message)}` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const limit = (err.params as { limit: number }).limit;
      const words = { minimum: 'at least', maximum: 'at most', exclusiveMinimum: 'greater than', exclusiveMaximum: 'less than' }[err.keyword];
      const [start, end] = valueRange();
      return { path, start, end, message: `must be ${words} ${limit}, got ${show(value)}` };
    }
    case 'uniqueItems': {
      const { i, j } = err.params as { i: number; j: number };
      const [start, end] = valueRange();
      return { path, start, end, message: `items ${j} and ${i} are equal; each value may appear once` };
    }
    case 'minItems':
    case 'minLength': {
      const limit = (err.params as { limit: number }).limit;
      const [start, end] = valueRange();
      const what = err.keyword === 'minItems' ? `item${limit > 1 ? 's' : ''}` : `character${limit > 1 ? 's' : ''}`;
      return { path, start, end, message: `needs at least ${limit} ${what}` };
    }
    default: {
      const [start, end] = valueRange();
      return { path, start, end, message: `${err.message ?? 'is invalid'}${value !== undefined && typeof value !== 'object' ? `, got ${show(value)}` : ''}` };
    }
  }
}
