// A client of the Agent Lightning gateway's store API (routes/rollouts.py, routes/events.py
// at the commit in ./schema.ts). Transient failures (no connection, a timeout, 408, 429,
// 5xx) are retried with capped exponential backoff, logged, and never thrown from the calls
// that must get through; the key goes into the Authorization header and nowhere else.
import { setMaxListeners } from 'node:events';
import { backoffMs, retryAfterMs, sleep } from '../model/retry';
import { HttpClient, HttpFailure, toHeaders } from './http';
import type { GatewayEvent, Rollout, RolloutState, RolloutStatusPatch } from './schema';

export interface GatewayOptions {
  /** The gateway's root, e.g. http://gateway:8080. */
  url: string;
  key?: string;
  log?: (message: string) => void;
  /** Limit of one attempt. Default 30 s. */
  timeoutMs?: number;
  backoffMs?: number;
  backoffMaxMs?: number;
  /** Stops retries (the controller is shutting down). */
  signal?: AbortSignal;
}

/** A gateway answer that is final: a 4xx, or a transient failure when retrying was not asked for. */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

interface Answer<T> {
  status: number;
  body: T;
  /** An earlier attempt failed after the request was sent, so the gateway may have applied it. */
  maybeApplied: boolean;
}

export type ClaimResult = 'claimed' | 'taken' | 'gone';

/** Statuses the calls below expect and handle themselves. */
const HANDLED = [404, 409];

/** Worth another try: the store's own answers (404, 409, 422) are final. */
function transient(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export class GatewayClient {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly http = new HttpClient();
  /** The headers of calls without and with a body: the same for every call. */
  private readonly getHeaders: Record<string, string>;
  private readonly sendHeaders: Record<string, string>;

  constructor(private readonly o: GatewayOptions) {
    if (!/^https?:\/\//.test(o.url)) throw new Error(`--gateway: expected an http:// or https:// URL, got ${JSON.stringify(o.url)}`);
    this.url = o.url.replace(/\/+$/, '');
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.getHeaders = this.headers(false);
    this.sendHeaders = this.headers(true);
    // Every call in flight listens on the stop signal; a thousand rollouts make many.
    if (o.signal) setMaxListeners(0, o.signal);
  }

  /** Rollouts in any of `states`, oldest first (GET /api/rollouts?state_in=...). */
  async list(states: RolloutState[], limit: number): Promise<Rollout[]> {
    const q = new URLSearchParams([...states.map((s) => ['state_in', s]), ['limit', String(limit)]]);
    const a = await this.call<Rollout[]>('GET', `/api/rollouts?${q}`, undefined, { retry: false });
    if (!Array.isArray(a.body)) throw new GatewayError(`GET /api/rollouts: expected a list, got ${typeof a.body}`);
    return a.body;
  }

  async get(rolloutId: string): Promise<Rollout | undefined> {
    const a = await this.call<{ rollout: Rollout }>('GET', `/api/rollouts/${enc(rolloutId)}`);
    return a.status === 404 ? undefined : a.body.rollout;
  }

  /**
   * Moves a queued rollout to `running` under our attempt id. The store allows the
   * transition once, so of all controllers racing for a rollout exactly one gets it.
   */
  async claim(rolloutId: string, attemptId: string): Promise<ClaimResult> {
    const a = await this.patch(rolloutId, { state: 'running', last_attempt_id: attemptId });
    if (a.status === 404) return 'gone';
    if (a.status !== 409) return 'claimed';
    // A lost answer to our own claim looks like someone else's: ask whose attempt it holds.
    if (!a.maybeApplied) return 'taken';
    const now = await this.get(rolloutId);
    return now?.status.state === 'running' && now.status.last_attempt_id === attemptId ? 'claimed' : 'taken';
  }

  /** Ends a rollout; false when it had already ended (or is gone). */
  async finish(rolloutId: string, state: 'succeeded' | 'failed', errorMessage?: string): Promise<boolean> {
    const a = await this.patch(rolloutId, { state, ...(errorMessage !== undefined ? { error_message: errorMessage } : {}) });
    if (a.status === 409 && a.maybeApplied) return (await this.get(rolloutId))?.status.state === state;
    return a.status < 300;
  }

  /** Events of the rollout's current attempt (GET /api/rollouts/{id}/events). */
  async events(rolloutId: string, eventType?: string): Promise<GatewayEvent[]> {
    const q = eventType ? `?event_type=${enc(eventType)}` : '';
    const a = await this.call<GatewayEvent[]>('GET', `/api/rollouts/${enc(rolloutId)}/events${q}`);
    return a.status === 404 ? [] : a.body;
  }

  /**
   * Appends an event to an attempt. `once` makes a retried post safe: when an earlier try
   * may have landed, the attempt's events of that type are read first. `url` is the
   * agent-facing event URL (AGL_EVENT_URL), or the path is built from the ids.
   */
  async postEvent(target: { rolloutId: string; attemptId: string } | { url: string; rolloutId: string }, eventType: string, data: Record<string, unknown>, o: { once?: boolean } = {}): Promise<boolean> {
    const path = 'url' in target ? target.url : `/api/rollouts/${enc(target.rolloutId)}/attempt/${enc(target.attemptId)}/events`;
    const body = JSON.stringify({ event_type: eventType, data });
    const a = await this.call('POST', path, body, {
      read: false,
      beforeRetry: o.once ? async () => (await this.events(target.rolloutId, eventType)).length === 0 : undefined,
    });
    return a.status < 300;
  }

  /** A status change; its answer (the whole rollout, input included) is not read. */
  private patch(rolloutId: string, status: RolloutStatusPatch): Promise<Answer<null>> {
    return this.call<null>('PATCH', `/api/rollouts/${enc(rolloutId)}`, JSON.stringify({ status }), { read: false });
  }

  /**
   * One call, retried through transient failures until it gets an answer or the signal
   * aborts. `beforeRetry` returning false ends the call as done (the request had landed).
   * `read: false` leaves a successful answer's body unparsed (null): the caller needs only
   * the status.
   */
  private async call<T>(method: string, path: string, body?: string, o: { retry?: boolean; read?: boolean; beforeRetry?: () => Promise<boolean> } = {}): Promise<Answer<T>> {
    const url = /^https?:\/\//.test(path) ? path : `${this.url}${path}`;
    const what = `${method} ${url.split('?')[0]}`;
    let maybeApplied = false;
    for (let attempt = 0; ; attempt++) {
      if (this.o.signal?.aborted) throw new GatewayError(`${what}: stopped`);
      let failure: string;
      let wait: number | undefined;
      try {
        const res = await this.http.request(url, { method, headers: body !== undefined ? this.sendHeaders : this.getHeaders, body, timeoutMs: this.timeoutMs, signal: this.o.signal });
        const ok = res.status >= 200 && res.status < 300;
        if (ok || !transient(res.status)) {
          if (ok || HANDLED.includes(res.status)) return { status: res.status, body: ((o.read !== false || !ok) && res.text ? JSON.parse(res.text) : null) as T, maybeApplied };
          throw new GatewayError(`${what}: HTTP ${res.status}: ${detail(res.text)}${res.status === 401 ? ' (check the gateway key)' : ''}`, res.status);
        }
        failure = `HTTP ${res.status}: ${detail(res.text)}`;
        wait = retryAfterMs(toHeaders(res.headers));
        maybeApplied ||= res.status >= 500;
      } catch (e) {
        if (e instanceof GatewayError || e instanceof SyntaxError) throw e instanceof SyntaxError ? new GatewayError(`${what}: the answer is not JSON`) : e;
        if (this.o.signal?.aborted) throw new GatewayError(`${what}: stopped`);
        failure = cause(e);
        maybeApplied ||= method !== 'GET';
      }
      if (o.retry === false) throw new GatewayError(`${what}: ${failure}`);
      const delay = wait ?? backoffMs(Math.min(attempt, 16), { baseMs: this.o.backoffMs ?? 500, maxMs: this.o.backoffMaxMs ?? 30_000 });
      this.o.log?.(`gateway: ${what} failed (${failure}); try ${attempt + 2} in ${(delay / 1000).toFixed(1)}s`);
      try {
        await sleep(delay, this.o.signal);
      } catch {
        throw new GatewayError(`${what}: stopped`);
      }
      if (maybeApplied && o.beforeRetry && !(await o.beforeRetry())) return { status: 200, body: null as T, maybeApplied };
    }
  }

  private headers(hasBody: boolean): Record<string, string> {
    return {
      accept: 'application/json',
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      ...(this.o.key ? { authorization: `Bearer ${this.o.key}` } : {}),
    };
  }
}

const enc = encodeURIComponent;

/** FastAPI's `detail`, or the start of the body. */
function detail(text: string): string {
  try {
    const j = JSON.parse(text) as { detail?: unknown; error?: unknown };
    if (typeof j.detail === 'string') return j.detail;
    if (j.detail !== undefined) return JSON.stringify(j.detail).slice(0, 300);
    if (typeof j.error === 'string') return j.error;
  } catch {
    // not JSON
  }
  return text.slice(0, 300) || '(empty body)';
}

function cause(e: unknown): string {
  if (e instanceof HttpFailure) return e.code === 'ETIMEDOUT' ? e.message : (e.code ?? e.message);
  return (e as Error).message ?? String(e);
}
