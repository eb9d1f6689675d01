// Tool calls from an assistant message, read the way small models actually write them:
// Hermes `<tool_call>{...}</tool_call>` blocks, possibly unclosed, several per message, with
// text after the JSON, inside ```json fences, or fences without tags; arguments as an object
// or as a JSON string; single quotes, trailing commas, Python literals and raw newlines in
// strings are repaired (jsonrepair). What parses runs; what does not becomes an error the
// model can read. Llama 3.1 writes its calls as bare `{"name": ..., "parameters": ...}` JSON,
// after `<|python_tag|>` when the tokenizer has it. Reasoning in a leading `<think>…</think>`
// block (Qwen3) is thought, not action: a call written there is not a call.
import { jsonrepair } from 'jsonrepair';
import { splitThinking, type ToolCall } from '../run/events';

// The thinking block is read where the viewer can read it too: with the run format.
export { splitThinking, type Thinking } from '../run/events';

export interface ParsedMessage {
  /** The message text outside the tool calls, the thinking block included as written. */
  content: string;
  /** The text of a leading `<think>` block, when there is one (unclosed when cut off). */
  thinking?: string;
  calls: ToolCall[];
  /** One readable message per call that could not be read. */
  errors: string[];
}

export interface ParseOptions {
  /** Turn index, used in the generated call ids (`call_<turn>_<i>`). */
  turn?: number;
}

const OPEN = '<tool_call>';
const CLOSE = '</tool_call>';

interface Span {
  start: number;
  end: number;
}

interface Scan {
  /** Index just past the end of the JSON value, or the end of the text when it never closed. */
  end: number;
  /** Brackets closed and no string left open. */
  balanced: boolean;
  /** The text ended inside a string: nothing can be recovered. */
  inString: boolean;
}

/** Finds the extent of the JSON value starting at `from` (a `{` or `[`), quote-aware. */
function scanJson(text: string, from: number, limit: number): Scan {
  const stack: string[] = [];
  let quote = '';
  for (let i = from; i < limit; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '{') stack.push('}');
    else if (ch === '[') stack.push(']');
    else if (ch === '}' || ch === ']') {
      stack.pop();
      if (stack.length === 0) return { end: i + 1, balanced: true, inString: false };
    }
  }
  return { end: limit, balanced: false, inString: quote !== '' };
}

function parseLoose(source: string): unknown {
  try {
    return JSON.parse(source);
  } catch {
    return JSON.parse(jsonrepair(source));
  }
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
}

function preview(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

type Candidate = { ok: true; value: unknown } | { ok: false; error: string };

/** Reads one JSON value from `text[from, limit)`; reports where it ended. */
function readJson(text: string, from: number, limit: number): { candidate: Candidate; end: number } {
  const scan = scanJson(text, from, limit);
  const source = text.slice(from, scan.end);
  if (scan.balanced) {
    try {
      return { candidate: { ok: true, value: parseLoose(source) }, end: scan.end };
    } catch (e) {
      return { candidate: { ok: false, error: `the tool call is not valid JSON (${errorText(e)}): ${preview(source)}` }, end: scan.end };
    }
  }
  // The value never closed. When it ends in a closing bracket outside any string, only its
  // outer brackets are missing (`{"name": ..., "arguments": {...}` then text): close them.
  for (let i = source.length - 1, tries = 0; i >= 0 && tries < 16; tries++) {
    i = Math.max(source.lastIndexOf('}', i), source.lastIndexOf(']', i));
    if (i < 0) break;
    const head = source.slice(0, i + 1);
    i--;
    if (scanJson(head, 0, head.length).inString) continue;
    try {
      return { candidate: { ok: true, value: JSON.parse(jsonrepair(head)) }, end: from + head.length };
    } catch {
      // try an earlier bracket
    }
  }
  const why = scan.inString ? 'is cut off inside a string' : 'is incomplete';
  return { candidate: { ok: false, error: `the tool call's JSON ${why}: ${preview(source)}` }, end: scan.end };
}

const NAME_KEYS = ['name', 'tool', 'tool_name', 'function'];
const ARG_KEYS = ['arguments', 'parameters', 'args', 'input'];

/** One JSON value to calls: an object, an OpenAI-style `{function: {...}}`, or an array of them. */
function toCalls(value: unknown, out: { calls: Omit<ToolCall, 'id'>[]; errors: string[] }): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.errors.push('the tool call is an empty list');
    for (const v of value) toCalls(v, out);
    return;
  }
  if (!value || typeof value !== 'object') {
    out.errors.push(`a tool call must be a JSON object with "name" and "arguments", not ${JSON.stringify(value)}`);
    return;
  }
  let obj = value as Record<string, unknown>;
  if (obj.function && typeof obj.function === 'object') obj = obj.function as Record<string, unknown>;
  const nameKey = NAME_KEYS.find((k) => typeof obj[k] === 'string');
  const name = nameKey ? (obj[nameKey] as string).trim() : '';
  if (!name) {
    out.errors.push(`the tool call has no "name": ${preview(JSON.stringify(value))}`);
    return;
  }
  const argKey = ARG_KEYS.find((k) => k in obj);
  let args: unknown = argKey ? obj[argKey] : {};
  if (typeof args === 'string') {
    const text = args.trim();
    try {
      args = text === '' ? {} : parseLoose(text);
    } catch {
      out.errors.push(`the arguments of ${name} must be a JSON object, got the string ${preview(JSON.stringify(text))}`);
      return;
    }
  }
  if (args === null || args === undefined) args = {};
  if (typeof args !== 'object' || Array.isArray(args)) {
    out.errors.push(`the arguments of ${name} must be a JSON object, got ${preview(JSON.stringify(args))}`);
    return;
  }
  out.calls.push({ name, arguments: args as Record<string, unknown> });
}

/** Whether a bare JSON value (no tags) is meant as a tool call. */
function looksLikeCall(value: unknown): boolean {
  const items = Array.isArray(value) ? value : [value];
  return (
    items.length > 0 &&
    items.every((v) => {
      if (!v || typeof v !== 'object') return false;
      const o = ((v as Record<string, unknown>).function && typeof (v as Record<string, unknown>).function === 'object'
        ? (v as Record<string, unknown>).function
        : v) as Record<string, unknown>;
      return NAME_KEYS.some((k) => typeof o[k] === 'string') && ARG_KEYS.some((k) => k in o);
    })
  );
}

const FENCE = /```[ \t]*([\w-]*)[^\n]*\n([\s\S]*?)(?:```|$)/dg;

/** Calls written in tags: each `<tool_call>` runs to its `</tool_call>`, the next tag or the end. */
function tagged(text: string, out: { calls: Omit<ToolCall, 'id'>[]; errors: string[] }, removed: Span[]): void {
  let at = text.indexOf(OPEN);
  while (at !== -1) {
    const bodyStart = at + OPEN.length;
    const close = text.indexOf(CLOSE, bodyStart);
    const next = text.indexOf(OPEN, bodyStart);
    let limit = text.length;
    if (close !== -1) limit = close;
    if (next !== -1 && next < limit) limit = next;
    const blockEnd = limit === close ? close + CLOSE.length : limit;
    const jsonStart = text.slice(bodyStart, limit).search(/[{[]/);
    if (jsonStart === -1) {
      const body = text.slice(bodyStart, limit).replace(/```[\w-]*/g, '').trim();
      out.errors.push(body ? `expected a JSON object after <tool_call>, got ${preview(body)}` : 'the <tool_call> block is empty');
      removed.push({ start: at, end: blockEnd });
    } else {
      const from = bodyStart + jsonStart;
      const { candidate, end } = readJson(text, from, limit);
      if (candidate.ok) toCalls(candidate.value, out);
      else out.errors.push(candidate.error);
      // Fence markers and blanks after the JSON belong to the call; words are the model
      // talking again and stay in the content.
      const noise = /^[\s`}\]]*$/.test(text.slice(end, limit));
      removed.push({ start: at, end: noise ? blockEnd : end });
    }
    at = text.indexOf(OPEN, blockEnd);
  }
}

/** Calls written without tags: JSON objects with a name and arguments in fences or on their own. */
function untagged(text: string, out: { calls: Omit<ToolCall, 'id'>[]; errors: string[] }, removed: Span[]): void {
  for (const m of text.matchAll(FENCE)) {
    const lang = m[1].toLowerCase();
    if (lang && !['json', 'tool_call', 'tool', 'json5', 'javascript', 'js'].includes(lang)) continue;
    const bodyOffset = m.indices![2][0];
    const jsonStart = m[2].search(/\S/);
    if (jsonStart === -1 || !'{['.includes(m[2][jsonStart])) continue;
    const { candidate } = readJson(text, bodyOffset + jsonStart, bodyOffset + m[2].length);
    if (candidate.ok && looksLikeCall(candidate.value)) {
      toCalls(candidate.value, out);
      removed.push({ start: m.index!, end: m.index! + m[0].length });
    }
  }
  if (out.calls.length > 0) return;
  // A bare object on its own line: `{"name": "calculator", "arguments": {...}}`.
  const re = /(^|\n)[ \t]*([{[])/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const from = m.index + m[1].length + m[0].slice(m[1].length).indexOf(m[2]);
    const { candidate, end } = readJson(text, from, text.length);
    if (candidate.ok && looksLikeCall(candidate.value)) {
      toCalls(candidate.value, out);
      removed.push({ start: from, end });
      re.lastIndex = end;
    }
  }
}

function cut(text: string, spans: Span[]): string {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (const s of sorted) {
    if (s.start > pos) out += text.slice(pos, s.start);
    pos = Math.max(pos, s.end);
  }
  out += text.slice(pos);
  // Fences left empty by a removed call, and the blank lines around it.
  return out
    .replace(/```[\w-]*\s*```/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const PYTHON_TAG = '<|python_tag|>';

/** The message without its thinking block, for prompts that should not carry it. */
export function dropThinking(text: string): string {
  const t = splitThinking(text);
  return t.thinking === null ? text : t.rest.replace(/^\s+/, '');
}

/** Splits an assistant message into its text and its tool calls; thinking is kept, never parsed. */
export function parseToolCalls(message: string, options: ParseOptions = {}): ParsedMessage {
  const turn = options.turn ?? 0;
  const { thinking, head, rest } = splitThinking(message);
  const text = rest.split(PYTHON_TAG).join('');
  const out = { calls: [] as Omit<ToolCall, 'id'>[], errors: [] as string[] };
  const removed: Span[] = [];
  if (text.includes(OPEN)) tagged(text, out, removed);
  else untagged(text, out, removed);
  // Stray closing tags carry nothing.
  for (let c = text.indexOf(CLOSE); c !== -1; c = text.indexOf(CLOSE, c + 1)) removed.push({ start: c, end: c + CLOSE.length });
  const said = removed.length ? cut(text, removed) : text.trim();
  return {
    content: thinking === null ? said : [head.trim(), said].filter(Boolean).join('\n\n'),
    ...(thinking === null ? {} : { thinking }),
    calls: out.calls.map((c, i) => ({ id: `call_${turn}_${i}`, name: c.name, arguments: c.arguments })),
    errors: out.errors,
  };
}

/** The tool message text answering a malformed call (config `rollout.format_error_message`). */
export function formatErrorText(template: string, errors: string[]): string {
  return template.split('{error}').join(errors.join('; '));
}
