// The model backend of one gateway rollout: non-streaming chat completions at the rollout's
// proxy URL (routes/proxy.py). A weight sync answers 429 with Retry-After for as long as it
// lasts, so a paused request waits and tries again until the rollout's own deadline; other
// failures get the OpenAI backend's bounded retries with backoff. It also watches that each
// request extends the previous one, which the gateway's token-exact merging needs.
import { ModelRequestError, OpenAIChatBackend } from '../model/openai';
import { sleep } from '../model/retry';
import type { ChatBackend, ChatRequest, ChatResult } from '../model/types';
import { HistoryCheck } from './history';

export interface ProxyBackendOptions {
  /** The rollout's AGL_OPENAI_BASE_URL, up to and including /openai/v1. */
  baseUrl: string;
  key?: string;
  /** The model name sent; the gateway replaces it with the one it serves. */
  model: string;
  /** Limit of one attempt, ms. */
  timeoutMs?: number;
  /** Retries of a failure that is not a pause. */
  maxRetries?: number;
  /** Called once when a request does not extend the one before it. */
  onRewrite?: (message: string) => void;
  /** The environment variable the key came from, named in authentication errors. */
  keyEnv?: string;
  /** Called when the gateway is paused (a weight sync) and the request waits. */
  onPause?: (waitMs: number) => void;
  /** Wait before asking a paused gateway again once the backend's own retries are spent. Default 5 s. */
  pausePollMs?: number;
}

export class ProxyChatBackend implements ChatBackend {
  readonly name: string;
  readonly history = new HistoryCheck();
  /** Requests that met a paused gateway after the backend's own retries. */
  private waits = 0;
  private readonly inner: OpenAIChatBackend;
  private readonly closing = new AbortController();
  /** Calls under way, and whether the rollout has ended. */
  private active = 0;
  private closed = false;

  constructor(private readonly o: ProxyBackendOptions) {
    this.inner = new OpenAIChatBackend({
      baseUrl: o.baseUrl,
      model: o.model,
      ...(o.key ? { apiKey: o.key } : {}),
      apiKeyEnv: o.keyEnv ?? 'AGL_KEY',
      concurrency: 4,
      timeoutMs: o.timeoutMs ?? 600_000,
      maxRetries: o.maxRetries ?? 4,
    });
    this.name = `gateway:${o.model}`;
  }

  async chat(req: ChatRequest): Promise<ChatResult> {
    // The gateway refuses streams (400): text arrives whole.
    const { onText: _streaming, ...plain } = req;
    const rewrite = this.history.request(req.messages);
    if (rewrite) this.o.onRewrite?.(rewrite);
    if (this.closed) return aborted();
    this.active++;
    try {
      return await this.send(plain);
    } finally {
      this.active--;
    }
  }

  /**
   * The inner backend ends its calls itself on the request's signal and on `close()`; a
   * signal joining both is made only for a wait on a paused gateway (AbortSignal.any is
   * not cheap, and most calls never wait).
   */
  private async send(plain: ChatRequest): Promise<ChatResult> {
    let both: AbortSignal | undefined;
    for (;;) {
      try {
        const r = await this.inner.chat(plain);
        if (r.finish_reason !== 'abort') this.history.answer(r.text);
        return r;
      } catch (e) {
        const wait = paused(e) ? (this.o.pausePollMs ?? 5_000) : undefined;
        if (wait === undefined || plain.signal?.aborted || this.closing.signal.aborted) throw e;
        this.waits++;
        this.o.onPause?.(wait);
        both ??= plain.signal ? AbortSignal.any([plain.signal, this.closing.signal]) : this.closing.signal;
        try {
          await sleep(wait, both);
        } catch {
          return aborted();
        }
      }
    }
  }

  /** Answers of a paused gateway (429) this rollout met. */
  get pauses(): number {
    return this.waits + this.inner.stats.errors.filter((e) => e.status === 429).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    // Aborting reaches every signal derived from this one, the finished calls' too: only worth it for calls under way.
    if (this.active > 0) {
      this.closing.abort(new Error('the rollout ended'));
      await this.inner.close();
    }
  }
}

/** What a call ended by the rollout's end (or its deadline) answers. */
function aborted(): ChatResult {
  return { text: '', finish_reason: 'abort', prompt_tokens: 0, completion_tokens: 0, duration_ms: 0 };
}

/** The last try met a paused gateway (429): the sync is still going on. */
function paused(e: unknown): boolean {
  return e instanceof ModelRequestError && e.attempts[e.attempts.length - 1]?.status === 429;
}
