// The `openai` backend: a ChatBackend over any OpenAI-compatible Chat Completions server
// (vLLM, SGLang, llama.cpp, Ollama, `agent-tune serve`), on Node's own fetch. Requests share
// a concurrency limit; 408/409/429/5xx answers, timeouts and broken connections are retried
// with exponential backoff and jitter (or after the server's Retry-After). Structured
// `tool_calls` come back as Hermes `<tool_call>` markup in the text, so the rollout runtime
// reads them exactly as it reads what a local model wrote.
import { performance } from 'node:perf_hooks';
import type { EventSourceMessage } from 'eventsource-parser';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { Message } from '../run/events';
import { formatToolCall } from './chat';
import { Limiter } from './limiter';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, TokenLogprob, WireFinishReason, WireMessage, WireToolCall } from './openai-wire';
import { backoffMs, retryableStatus, retryAfterMs, sleep } from './retry';
import type { ChatBackend, ChatRequest, ChatResult } from './types';

export interface OpenAIBackendOptions {
  /** Up to and including `/v1`. */
  baseUrl: string;
  model: string;
  /** The key itself; it goes into the Authorization header and nowhere else. */
  apiKey?: string;
  /** The environment variable the key came from, named in authentication errors. */
  apiKeyEnv?: string;
  /** Most requests in flight at once. Default 16. */
  concurrency?: number;
  /** Limit of one attempt, in ms. Default 120 s. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** Ask for the sampled tokens' logprobs. Default true. */
  logprobs?: boolean;
  /** Backoff before the first retry (doubling each time, up to `backoffMaxMs`). Default 500 ms. */
  backoffMs?: number;
  backoffMaxMs?: number;
}

/** The config's `model.openai` section. */
export interface OpenAIConfig {
  base_url: string;
  model: string;
  api_key_env?: string;
  concurrency?: number;
  timeout_s?: number;
  max_retries?: number;
  logprobs?: boolean;
}

export interface AttemptFailure {
  attempt: number;
  /** HTTP status, when the server answered. */
  status?: number;
  message: string;
  retryable: boolean;
}

export interface BackendStats {
  requests: number;
  attempts: number;
  retries: number;
  /** Requests that failed for good. */
  failures: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** The most recent failed attempts, oldest first. */
  errors: (AttemptFailure & { t: number })[];
}

/** A model request that failed for good; `attempts` tells what each try met. */
export class ModelRequestError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly attempts: AttemptFailure[],
  ) {
    super(message);
    this.name = 'ModelRequestError';
  }
}

/** What went wrong in one attempt, before it is decided whether to try again. */
class Failure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly waitMs?: number,
  ) {
    super(message);
  }
}

/** What a stream has delivered so far. */
interface StreamState {
  content: string;
  calls: { name: string; arguments: string }[];
  lps: TokenLogprob[];
  finish: WireFinishReason | null;
  usage?: ChatCompletion['usage'];
  done: boolean;
}

const KEEP_ERRORS = 50;
const TOOL_CALL_BLOCK = /\s*<tool_call>[\s\S]*?<\/tool_call>/g;

/** Our messages as the API wants them: tool calls with JSON-text arguments, tool results by call id. */
export function toWireMessages(messages: Message[]): WireMessage[] {
  return messages.map((m): WireMessage => {
    if (m.role === 'assistant' && m.tool_calls?.length) {
      const content = m.content.replace(TOOL_CALL_BLOCK, '').trim();
      return {
        role: 'assistant',
        content: content === '' ? null : content,
        tool_calls: m.tool_calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } })),
      };
    }
    if (m.role === 'tool') {
      // A tool message must answer a call; feedback on a malformed call answers none.
      if (m.tool_call_id === undefined) return { role: 'user', content: m.content };
      return { role: 'tool', content: m.content, tool_call_id: m.tool_call_id };
    }
    return { role: m.role, content: m.content };
  });
}

/** Structured tool calls as the Hermes markup a local model writes (what `parseToolCalls` reads). */
export function toolCallMarkup(call: { name: string; arguments: string }): string {
  try {
    const args: unknown = JSON.parse(call.arguments || '{}');
    if (args && typeof args === 'object' && !Array.isArray(args)) return formatToolCall({ name: call.name, arguments: args as Record<string, unknown> });
  } catch {
    // kept as text below: the runtime repairs it or reports a format error the model can read
  }
  return `<tool_call>\n{"name": ${JSON.stringify(call.name)}, "arguments": ${JSON.stringify(call.arguments)}}\n</tool_call>`;
}

function assistantText(content: string | null | undefined, calls: { name: string; arguments: string }[]): string {
  return [content ?? '', ...calls.map(toolCallMarkup)].filter((s) => s !== '').join('\n');
}

function finishReason(r: WireFinishReason | null | undefined): ChatResult['finish_reason'] {
  return r === 'length' ? 'length' : 'stop';
}

function preview(text: string, n = 200): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 3)}...` : t;
}

/** The cause of a fetch failure in words: `connection refused (ECONNREFUSED)`. */
function connectionMessage(e: unknown): string {
  const err = e as Error & { cause?: Error & { code?: string } };
  const cause = err.cause;
  const code = cause?.code;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host lookup failed',
    ETIMEDOUT: 'connection timed out',
    EPIPE: 'connection closed',
    UND_ERR_SOCKET: 'the server closed the connection',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  };
  const what = (code && known[code]) ?? cause?.message ?? err.message;
  return code ? `${what} (${code})` : what;
}

/** The server's own words from an error body, OpenAI-shaped or not. */
function serverMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    if (typeof j.error === 'string') return j.error;
    if (j.error && typeof j.error.message === 'string') return j.error.message;
    if (typeof j.message === 'string') return j.message;
    if (typeof j.detail === 'string') return j.detail;
  } catch {
    // not JSON: show the text
  }
  return preview(body) || '(empty body)';
}

export class OpenAIChatBackend implements ChatBackend {
  readonly name: string;
  readonly stats: BackendStats = { requests: 0, attempts: 0, retries: 0, failures: 0, prompt_tokens: 0, completion_tokens: 0, errors: [] };
  private readonly url: string;
  private readonly limiter: Limiter;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly closing = new AbortController();

  constructor(private readonly o: OpenAIBackendOptions) {
    if (!/^https?:\/\//.test(o.baseUrl)) throw new Error(`model.openai.base_url: expected an http:// or https:// URL, got ${JSON.stringify(o.baseUrl)}`);
    this.url = `${o.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.name = `openai:${o.model}`;
    this.limiter = new Limiter(o.concurrency ?? 16);
    this.timeoutMs = o.timeoutMs ?? 120_000;
    this.maxRetries = o.maxRetries ?? 4;
  }

  /** From the config's `model.openai`; the key is read from the variable `api_key_env` names. */
  static fromConfig(c: OpenAIConfig, env: NodeJS.ProcessEnv = process.env): OpenAIChatBackend {
    const keyEnv = c.api_key_env ?? 'OPENAI_API_KEY';
    return new OpenAIChatBackend({
      baseUrl: c.base_url,
      model: c.model,
      apiKey: env[keyEnv] || undefined,
      apiKeyEnv: keyEnv,
      ...(c.concurrency !== undefined ? { concurrency: c.concurrency } : {}),
      ...(c.timeout_s !== undefined ? { timeoutMs: c.timeout_s * 1000 } : {}),
      ...(c.max_retries !== undefined ? { maxRetries: c.max_retries } : {}),
      ...(c.logprobs !== undefined ? { logprobs: c.logprobs } : {}),
    });
  }

  requestBody(req: ChatRequest): ChatCompletionRequest {
    const s = req.sampling;
    const stream = Boolean(req.onText);
    return {
      model: this.o.model,
      messages: toWireMessages(req.messages),
      ...(req.tools?.length ? { tools: req.tools } : {}),
      temperature: s.temperature,
      top_p: s.top_p,
      // Not every server knows top_k; send it only when it does something.
      ...(s.top_k > 0 ? { top_k: s.top_k } : {}),
      max_tokens: s.max_new_tokens,
      ...(s.stop.length ? { stop: s.stop } : {}),
      seed: s.seed,
      ...(this.o.logprobs === false ? {} : { logprobs: true }),
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    };
  }

  async chat(req: ChatRequest): Promise<ChatResult> {
    const started = performance.now();
    this.stats.requests++;
    const body = JSON.stringify(this.requestBody(req));
    const failures: AttemptFailure[] = [];
    // Text already handed to onText cannot be taken back, so a stream that broke after it is not retried.
    const streamed = { text: '' };
    const signal = req.signal ? AbortSignal.any([req.signal, this.closing.signal]) : this.closing.signal;
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.limiter.run(() => this.attempt(body, req, signal, streamed), signal);
        this.stats.prompt_tokens += r.prompt_tokens;
        this.stats.completion_tokens += r.completion_tokens;
        return { ...r, duration_ms: performance.now() - started };
      } catch (e) {
        if (signal.aborted) return this.aborted(streamed.text, started);
        const f = e instanceof Failure ? e : new Failure((e as Error).message ?? String(e), false);
        const record: AttemptFailure = { attempt: attempt + 1, ...(f.status !== undefined ? { status: f.status } : {}), message: f.message, retryable: f.retryable };
        failures.push(record);
        this.stats.errors.push({ ...record, t: Date.now() });
        if (this.stats.errors.length > KEEP_ERRORS) this.stats.errors.shift();
        const again = f.retryable && attempt < this.maxRetries && streamed.text === '';
        if (!again) {
          this.stats.failures++;
          throw this.finalError(failures, streamed.text);
        }
        this.stats.retries++;
        const wait = f.waitMs ?? backoffMs(attempt, { baseMs: this.o.backoffMs ?? 500, maxMs: this.o.backoffMaxMs ?? 8000 });
        try {
          await sleep(wait, signal);
        } catch {
          return this.aborted(streamed.text, started);
        }
      }
    }
  }

  /** Ends requests in flight (as aborted) and refuses new ones. */
  async close(): Promise<void> {
    this.closing.abort(new Error('the backend was closed'));
  }

  private aborted(text: string, started: number): ChatResult {
    return { text, finish_reason: 'abort', prompt_tokens: 0, completion_tokens: 0, duration_ms: performance.now() - started };
  }

  private finalError(failures: AttemptFailure[], streamedText: string): ModelRequestError {
    const last = failures[failures.length - 1];
    const tries = failures.length === 1 ? '' : ` after ${failures.length} attempts`;
    const why = !last.retryable ? '' : streamedText ? ' (the stream broke after text was delivered, so it was not retried)' : '';
    const earlier = failures.length > 1 ? `; earlier: ${[...new Set(failures.slice(0, -1).map((f) => f.message))].join('; ')}` : '';
    return new ModelRequestError(`POST ${this.url} failed${tries}: ${last.message}${why}${earlier}`, this.url, failures);
  }

  private headers(stream: boolean): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      ...(this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}),
    };
  }

  /** One try: the result, or a Failure that says whether another try may help. */
  private async attempt(body: string, req: ChatRequest, outer: AbortSignal, streamed: { text: string }): Promise<Omit<ChatResult, 'duration_ms'>> {
    this.stats.attempts++;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = AbortSignal.any([outer, timeout]);
    const timedOut = () => new Failure(`no complete answer within ${this.timeoutMs / 1000}s`, true);
    let res: Response;
    try {
      res = await fetch(this.url, { method: 'POST', headers: this.headers(Boolean(req.onText)), body, signal });
    } catch (e) {
      if (outer.aborted) throw e;
      if (timeout.aborted) throw timedOut();
      throw new Failure(connectionMessage(e), true);
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      const auth = res.status === 401 || res.status === 403 ? ` (check the API key in $${this.o.apiKeyEnv ?? 'OPENAI_API_KEY'}${this.o.apiKey ? '' : ', which is not set'})` : '';
      throw new Failure(`HTTP ${res.status}: ${serverMessage(text)}${auth}`, retryableStatus(res.status), res.status, retryAfterMs(res.headers));
    }
    try {
      const isStream = (res.headers.get('content-type') ?? '').includes('text/event-stream');
      return isStream ? await this.readStream(res, req, streamed) : this.readJson(await res.text());
    } catch (e) {
      if (e instanceof Failure || outer.aborted) throw e;
      if (timeout.aborted) throw timedOut();
      throw new Failure(`the connection broke while reading the answer: ${connectionMessage(e)}`, true);
    }
  }

  private readJson(text: string): Omit<ChatResult, 'duration_ms'> {
    let json: ChatCompletion;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Failure(`the server's answer is not JSON (${(e as Error).message}): ${preview(text) || '(empty body)'}`, false);
    }
    const choice = Array.isArray(json?.choices) ? (json.choices.find((c) => c?.index === 0) ?? json.choices[0]) : undefined;
    const msg = choice?.message;
    if (!msg || typeof msg !== 'object' || (msg.content != null && typeof msg.content !== 'string')) {
      throw new Failure(`the server's answer is not a chat completion (expected choices[0].message with string content): ${preview(text)}`, false);
    }
    const calls = (Array.isArray(msg.tool_calls) ? msg.tool_calls : []).filter((c): c is WireToolCall => typeof c?.function?.name === 'string');
    const lps = choice.logprobs?.content ?? undefined;
    return this.result(assistantText(msg.content, calls.map((c) => ({ name: c.function.name, arguments: String(c.function.arguments ?? '') }))), choice.finish_reason, json.usage, lps);
  }

  private async readStream(res: Response, req: ChatRequest, streamed: { text: string }): Promise<Omit<ChatResult, 'duration_ms'>> {
    if (!res.body) throw new Failure('the server answered a stream request with no body', true);
    const acc: StreamState = { content: '', calls: [], lps: [], finish: null, done: false };
    const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
    try {
      await this.readEvents(events, req, streamed, acc);
    } finally {
      // Frees the connection when reading stopped early (an error, or data after [DONE]).
      events.cancel().catch(() => undefined);
    }
    if (!acc.done && acc.finish === null) throw new Failure('the stream ended before the answer was complete', true);
    return this.result(assistantText(acc.content, acc.calls.filter((c) => c && c.name)), acc.finish, acc.usage, acc.lps.length ? acc.lps : undefined);
  }

  private async readEvents(events: ReadableStreamDefaultReader<EventSourceMessage>, req: ChatRequest, streamed: { text: string }, acc: StreamState): Promise<void> {
    for (;;) {
      const next = await events.read();
      if (next.done) break;
      const ev = next.value;
      if (ev.data === '[DONE]') {
        acc.done = true;
        return;
      }
      let chunk: ChatCompletionChunk & { error?: unknown };
      try {
        chunk = JSON.parse(ev.data);
      } catch (e) {
        throw new Failure(`the server sent an event that is not JSON (${(e as Error).message}): ${preview(ev.data)}`, false);
      }
      if (chunk?.error) throw new Failure(`the server reported an error mid-stream: ${serverMessage(ev.data)}`, true);
      if (chunk?.usage) acc.usage = chunk.usage;
      if (!Array.isArray(chunk?.choices)) throw new Failure(`the server sent an event that is not a completion chunk: ${preview(ev.data)}`, false);
      for (const c of chunk.choices) {
        if ((c.index ?? 0) !== 0) continue;
        const d = c.delta ?? {};
        if (typeof d.content === 'string' && d.content !== '') {
          acc.content += d.content;
          streamed.text += d.content;
          req.onText?.(d.content);
        }
        for (const t of d.tool_calls ?? []) {
          const slot = (acc.calls[t.index ?? acc.calls.length] ??= { name: '', arguments: '' });
          if (t.function?.name) slot.name += t.function.name;
          if (t.function?.arguments) slot.arguments += t.function.arguments;
        }
        if (c.logprobs?.content) acc.lps.push(...c.logprobs.content);
        if (c.finish_reason) acc.finish = c.finish_reason;
      }
    }
  }

  private result(text: string, finish: WireFinishReason | null | undefined, usage: Partial<ChatCompletion['usage']> | undefined, lps: TokenLogprob[] | null | undefined): Omit<ChatResult, 'duration_ms'> {
    const tokens = Array.isArray(lps) ? lps.filter((t) => typeof t?.logprob === 'number') : undefined;
    return {
      text,
      finish_reason: finishReason(finish),
      prompt_tokens: usage?.prompt_tokens ?? 0,
      completion_tokens: usage?.completion_tokens ?? tokens?.length ?? 0,
      ...(tokens?.length ? { tokens: tokens.map((t) => t.token), logprobs: tokens.map((t) => t.logprob) } : {}),
    };
  }
}
