// Validation of a Chat Completions request and its translation into our chat request: every
// problem is a 400 that names the parameter, as OpenAI's API does. Parameters this server
// cannot honour are refused rather than silently ignored.
import type { ChatCompletionRequest } from '../model/openai-wire';
import type { SamplingParams, ToolSchema } from '../model/types';
import type { Message, ToolCall } from '../run/events';
import { badParam } from './errors';

export interface ParsedRequest {
  model: string;
  messages: Message[];
  tools: ToolSchema[];
  /** Read tool calls out of the generated text (tools given and tool_choice is not `none`). */
  parseTools: boolean;
  /** Sampling without max_new_tokens, which depends on the prompt's length. */
  sampling: Omit<SamplingParams, 'max_new_tokens'>;
  maxTokens: number | undefined;
  n: number;
  stream: boolean;
  includeUsage: boolean;
  logprobs: boolean;
  /** vLLM's `return_token_ids`: the prompt's and each choice's token ids in the answer. */
  returnTokenIds: boolean;
}

export const MAX_N = 16;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const kind = (v: unknown) => (v === undefined ? 'nothing' : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

function number(body: Json, key: string, o: { min?: number; max?: number; exclusiveMin?: boolean; integer?: boolean } = {}): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badParam(key, `expected a number, got ${kind(v)}`);
  if (o.integer && !Number.isSafeInteger(v)) throw badParam(key, `expected an integer, got ${v}`);
  if (o.min !== undefined && (o.exclusiveMin ? v <= o.min : v < o.min)) throw badParam(key, `must be ${o.exclusiveMin ? 'greater than' : 'at least'} ${o.min}, got ${v}`);
  if (o.max !== undefined && v > o.max) throw badParam(key, `must be at most ${o.max}, got ${v}`);
  return v;
}

function boolean(body: Json, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badParam(key, `expected true or false, got ${kind(v)}`);
  return v;
}

/** Text content: a string, or a list of text parts. */
function textContent(v: unknown, at: string, nullable: boolean): string {
  if (typeof v === 'string') return v;
  if ((v === null || v === undefined) && nullable) return '';
  if (Array.isArray(v)) {
    return v
      .map((p, j) => {
        if (!isObject(p) || p.type !== 'text' || typeof p.text !== 'string') {
          throw badParam(`${at}[${j}]`, `only text parts ({"type": "text", "text": "..."}) are supported, got ${isObject(p) ? `type ${JSON.stringify(p.type)}` : kind(p)}`);
        }
        return p.text;
      })
      .join('');
  }
  throw badParam(at, `expected a string${nullable ? ', null' : ''} or a list of text parts, got ${kind(v)}`);
}

function toolCalls(v: unknown, at: string): ToolCall[] {
  if (!Array.isArray(v)) throw badParam(at, `expected a list of tool calls, got ${kind(v)}`);
  return v.map((c, j) => {
    const here = `${at}[${j}]`;
    if (!isObject(c) || !isObject(c.function)) throw badParam(here, 'expected {"id": ..., "type": "function", "function": {"name": ..., "arguments": ...}}');
    if (c.type !== undefined && c.type !== 'function') throw badParam(`${here}.type`, `only "function" tool calls are supported, got ${JSON.stringify(c.type)}`);
    const name = c.function.name;
    if (typeof name !== 'string' || name === '') throw badParam(`${here}.function.name`, 'expected a non-empty string');
    let args: unknown = c.function.arguments ?? {};
    if (typeof args === 'string') {
      try {
        args = args.trim() === '' ? {} : JSON.parse(args);
      } catch (e) {
        throw badParam(`${here}.function.arguments`, `not valid JSON (${(e as Error).message})`);
      }
    }
    if (!isObject(args)) throw badParam(`${here}.function.arguments`, `expected a JSON object, got ${kind(args)}`);
    const id = c.id ?? `call_${j}`;
    if (typeof id !== 'string') throw badParam(`${here}.id`, `expected a string, got ${kind(id)}`);
    return { id, name, arguments: args };
  });
}

function messages(v: unknown): Message[] {
  if (v === undefined) throw badParam('messages', 'is required');
  if (!Array.isArray(v) || v.length === 0) throw badParam('messages', Array.isArray(v) ? 'must not be empty' : `expected a list of messages, got ${kind(v)}`);
  const names = new Map<string, string>();
  return v.map((m, i) => {
    const at = `messages[${i}]`;
    if (!isObject(m)) throw badParam(at, `expected a message object, got ${kind(m)}`);
    const role = m.role;
    switch (role) {
      case 'system':
      case 'developer':
      case 'user':
        return { role: role === 'developer' ? 'system' : role, content: textContent(m.content, `${at}.content`, false) };
      case 'assistant': {
        const calls = m.tool_calls === undefined || m.tool_calls === null ? [] : toolCalls(m.tool_calls, `${at}.tool_calls`);
        for (const c of calls) names.set(c.id, c.name);
        const content = textContent(m.content, `${at}.content`, true);
        return { role: 'assistant', content, ...(calls.length ? { tool_calls: calls } : {}) };
      }
      case 'tool': {
        const id = m.tool_call_id;
        if (id !== undefined && typeof id !== 'string') throw badParam(`${at}.tool_call_id`, `expected a string, got ${kind(id)}`);
        const name = typeof m.name === 'string' ? m.name : id !== undefined ? names.get(id) : undefined;
        return { role: 'tool', content: textContent(m.content, `${at}.content`, false), ...(id !== undefined ? { tool_call_id: id } : {}), ...(name ? { name } : {}) };
      }
      default:
        throw badParam(`${at}.role`, `expected "system", "developer", "user", "assistant" or "tool", got ${JSON.stringify(role)}`);
    }
  });
}

function tools(v: unknown): ToolSchema[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badParam('tools', `expected a list of tools, got ${kind(v)}`);
  return v.map((t, i) => {
    const at = `tools[${i}]`;
    if (!isObject(t) || t.type !== 'function' || !isObject(t.function)) throw badParam(at, 'expected {"type": "function", "function": {"name": ..., "parameters": {...}}}');
    const f = t.function;
    if (typeof f.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(f.name)) throw badParam(`${at}.function.name`, `expected 1 to 64 letters, digits, _ or -, got ${JSON.stringify(f.name)}`);
    if (f.description !== undefined && typeof f.description !== 'string') throw badParam(`${at}.function.description`, `expected a string, got ${kind(f.description)}`);
    if (f.parameters !== undefined && !isObject(f.parameters)) throw badParam(`${at}.function.parameters`, `expected a JSON Schema object, got ${kind(f.parameters)}`);
    return { type: 'function', function: { name: f.name, description: (f.description as string | undefined) ?? '', parameters: (f.parameters as Json | undefined) ?? { type: 'object', properties: {} } } };
  });
}

function toolChoice(v: unknown, toolList: ToolSchema[]): boolean {
  if (v === undefined || v === null || v === 'auto') return toolList.length > 0;
  if (v === 'none') return false;
  if (v === 'required' || isObject(v)) throw badParam('tool_choice', 'only "auto" and "none" are supported: this server does not force tool calls');
  throw badParam('tool_choice', `expected "auto" or "none", got ${JSON.stringify(v)}`);
}

function stop(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) throw badParam('stop', `expected a string or a list of strings, got ${kind(v)}`);
  return (list as string[]).filter((s) => s !== '');
}

/** Parameters that change sampling in ways this server does not implement: refused unless neutral. */
function refuseUnsupported(body: Json): void {
  for (const key of ['presence_penalty', 'frequency_penalty', 'repetition_penalty']) {
    const v = body[key];
    const neutral = key === 'repetition_penalty' ? 1 : 0;
    if (v !== undefined && v !== null && v !== neutral) throw badParam(key, `is not supported by this server (only ${neutral})`);
  }
  if (isObject(body.logit_bias) && Object.keys(body.logit_bias).length > 0) throw badParam('logit_bias', 'is not supported by this server');
  const format = body.response_format;
  if (format !== undefined && format !== null && !(isObject(format) && format.type === 'text')) throw badParam('response_format', 'only {"type": "text"} is supported by this server');
  const top = number(body, 'top_logprobs', { min: 0, max: 20, integer: true });
  if (top) throw badParam('top_logprobs', 'is not supported by this server: logprobs gives the sampled token\'s logprob only');
}

/** Checks a parsed JSON body; throws HttpError 400 naming the first bad parameter. */
export function parseChatRequest(body: unknown, defaultSeed: () => number): ParsedRequest {
  if (!isObject(body)) throw badParam('body', `expected a JSON object, got ${kind(body)}`);
  const req = body as Json & Partial<ChatCompletionRequest>;
  if (typeof req.model !== 'string' || req.model === '') throw badParam('model', req.model === undefined ? 'is required' : `expected a string, got ${kind(req.model)}`);
  const msgs = messages(req.messages);
  const toolList = tools(req.tools);
  const parseTools = toolChoice(req.tool_choice, toolList);
  refuseUnsupported(req);
  const maxTokens = number(req, 'max_completion_tokens', { min: 1, integer: true }) ?? number(req, 'max_tokens', { min: 1, integer: true });
  const topK = number(req, 'top_k', { min: -1, integer: true }) ?? 0;
  const streamOptions = req.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && !isObject(streamOptions)) throw badParam('stream_options', `expected an object, got ${kind(streamOptions)}`);
  const stream = boolean(req, 'stream') ?? false;
  const includeUsage = isObject(streamOptions) ? (boolean(streamOptions as Json, 'include_usage') ?? false) : false;
  return {
    model: req.model,
    messages: msgs,
    tools: toolList,
    parseTools,
    sampling: {
      temperature: number(req, 'temperature', { min: 0 }) ?? 1,
      top_p: number(req, 'top_p', { min: 0, max: 1, exclusiveMin: true }) ?? 1,
      top_k: Math.max(0, topK),
      stop: stop(req.stop),
      seed: number(req, 'seed', { integer: true }) ?? defaultSeed(),
    },
    maxTokens,
    n: number(req, 'n', { min: 1, max: MAX_N, integer: true }) ?? 1,
    stream,
    includeUsage: stream && includeUsage,
    logprobs: boolean(req, 'logprobs') ?? false,
    returnTokenIds: boolean(req, 'return_token_ids') ?? false,
  };
}
