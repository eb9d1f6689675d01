// An in-process stand-in for the Agent Lightning API gateway (`agl-server`), for contract
// tests. Routes, payloads, states and transitions follow microsoft/agent-lightning at commit
// c632d8dd804103bd421c65208bc501952689039f (tag v1.0.0 and later):
//   agentlightning/schemas.py              Rollout, RolloutStatusPatch, Event, VALID_TRANSITIONS
//   agentlightning/server/app.py           /healthz; Bearer or x-api-key on every other route (401)
//   agentlightning/server/routes/rollouts.py  POST/GET/PATCH/DELETE /api/rollouts..., 409 on a bad transition
//   agentlightning/server/routes/events.py    POST .../attempt/{aid}/events, GET .../events (format=triplet)
//   agentlightning/server/routes/models.py    POST/DELETE /api/models
//   agentlightning/server/routes/proxy.py     /proxy/rollout/{rid}/attempt/{aid}/mode/{train|val}/openai/v1/...,
//                                             /proxy/pause, /proxy/resume, /proxy/state
//   agentlightning/server/proxy.py         body preparation, 429 + Retry-After while paused, 400 on
//                                             stream, upstream retries, the model_request event
// Beyond the real gateway it only has test knobs (`faults`) to make it slow, down or failing.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomUUID } from 'node:crypto';
import type { GatewayEvent, ModelEndpoint, PauseState, Rollout, RolloutState } from '../../trainer/src/controller/schema';
import { VALID_TRANSITIONS } from '../../trainer/src/controller/schema';
import { HttpClient, HttpFailure, type HttpAnswer } from '../../trainer/src/controller/http';
import { triplets } from './triplets';

export interface GatewayConfig {
  /** server.yaml `key`; empty disables authentication. */
  key?: string;
  /** default_proxy.model_name */
  modelName: string;
  /** default_proxy.train.temperature / val.temperature */
  trainTemperature?: number;
  valTemperature?: number;
  includeLogProbs?: boolean;
  /** proxy.py _RETRY_BACKOFF_BASE_SECONDS, shortened for tests. Default 0.05 s. */
  upstreamBackoffS?: number;
}

/** Test knobs, not in the real gateway: answer store calls slowly, or with errors. */
export interface Faults {
  /** Delay before answering any /api call, ms. */
  delayMs: number;
  /** The next N /api calls answer this status. */
  failNext: number;
  failStatus: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
}

const STATES: RolloutState[] = ['queuing', 'running', 'succeeded', 'failed'];
const PATCH_KEYS = new Set(['state', 'k8s_job_name', 'last_attempt_id', 'error_message']);
const UPSTREAM_MAX_ATTEMPTS = 6;
const RETRY_STATUS = new Set([408, 409, 429]);

export class StandInGateway {
  readonly rollouts = new Map<string, Rollout>();
  /** rollout id -> attempt id -> events, in insertion order (store.py _events). */
  readonly events = new Map<string, Map<string, GatewayEvent[]>>();
  readonly models = new Map<string, Map<string, ModelEndpoint>>();
  readonly terminalOrder: string[] = [];
  readonly pause: Omit<PauseState, 'inflight'> = { paused: false, retry_after_seconds: 5, reason: null };
  inflight = 0;
  readonly faults: Faults = { delayMs: 0, failNext: 0, failStatus: 503 };
  /** Every request's method, path and status, for assertions. */
  readonly log: { method: string; path: string; status: number }[] = [];
  private server: Server | undefined;
  /** The upstream model calls (httpx's pooled client in proxy.py). */
  private readonly client = new HttpClient();
  url = '';

  constructor(readonly config: GatewayConfig) {}

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const s = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  /** Events of a rollout's current attempt (routes/events.py _query_events). */
  currentEvents(rolloutId: string, type?: string): GatewayEvent[] {
    const r = this.rollouts.get(rolloutId);
    if (!r) return [];
    const list = this.events.get(rolloutId)?.get(r.status.last_attempt_id ?? '0') ?? [];
    return type ? list.filter((e) => e.event_type === type) : list;
  }

  /** Every event of a rollout, over all attempts. */
  allEvents(rolloutId: string): GatewayEvent[] {
    return [...(this.events.get(rolloutId)?.values() ?? [])].flat();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    let status = 500;
    try {
      const out = await this.route(req, url);
      status = out.status;
      send(res, out.status, out.body, out.headers);
    } catch (e) {
      const err = e instanceof HttpError ? e : new HttpError(500, `Internal Server Error: ${(e as Error).message}`);
      status = err.status;
      send(res, err.status, { detail: err.detail }, err.headers);
    }
    this.log.push({ method: req.method ?? '', path: url.pathname, status });
  }

  private async route(req: IncomingMessage, url: URL): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (path === '/healthz' && method === 'GET') return { status: 200, body: { status: 'ok' } };
    this.authorize(req);
    if (path.startsWith('/api/')) {
      if (this.faults.delayMs) await new Promise((r) => setTimeout(r, this.faults.delayMs));
      if (this.faults.failNext > 0) {
        this.faults.failNext--;
        throw new HttpError(this.faults.failStatus, 'injected failure');
      }
    }
    let m: RegExpExecArray | null;
    if (path === '/api/rollouts' && method === 'POST') return { status: 201, body: this.enqueue(await json(req)) };
    if (path === '/api/rollouts' && method === 'GET') return { status: 200, body: this.list(url) };
    if (path === '/api/rollouts/terminal' && method === 'GET') return { status: 200, body: this.terminal(url) };
    if ((m = /^\/api\/rollouts\/([^/]+)\/attempt\/([^/]+)\/events$/.exec(path)) && method === 'POST') {
      const body = (await json(req)) as { event_type?: unknown; data?: unknown };
      if (typeof body?.event_type !== 'string') throw new HttpError(422, [{ loc: ['body', 'event_type'], msg: 'Field required' }]);
      const data = body.data === undefined ? {} : body.data;
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new HttpError(422, [{ loc: ['body', 'data'], msg: 'Input should be a valid dictionary' }]);
      return { status: 200, body: this.record(dec(m[1]), dec(m[2]), body.event_type, data as Record<string, unknown>) };
    }
    if ((m = /^\/api\/rollouts\/([^/]+)\/events$/.exec(path)) && method === 'GET') {
      const id = dec(m[1]);
      this.rollout(id);
      let list = this.currentEvents(id, url.searchParams.get('event_type') ?? undefined);
      if (url.searchParams.get('format') === 'triplet') list = triplets(list);
      return { status: 200, body: list };
    }
    if ((m = /^\/api\/rollouts\/([^/]+)$/.exec(path))) {
      const id = dec(m[1]);
      if (method === 'GET') return { status: 200, body: { rollout: this.rollout(id), attempts: this.attempts(id) } };
      if (method === 'PATCH') return { status: 200, body: this.patch(id, await json(req)) };
      if (method === 'DELETE') {
        this.rollouts.delete(id);
        this.events.delete(id);
        return { status: 204, body: null };
      }
    }
    if (path === '/api/models' && method === 'POST') return { status: 201, body: this.register(await json(req)) };
    if (path === '/api/models' && method === 'DELETE') {
      this.models.clear();
      return { status: 200, body: { status: 'ok' } };
    }
    if (path === '/proxy/pause' && method === 'POST') {
      const body = ((await json(req)) ?? {}) as { retry_after_seconds?: number; reason?: string | null };
      Object.assign(this.pause, { paused: true, retry_after_seconds: body.retry_after_seconds ?? 5, reason: body.reason ?? null });
      return { status: 200, body: { ...this.pause, inflight: this.inflight } };
    }
    if (path === '/proxy/resume' && method === 'POST') {
      Object.assign(this.pause, { paused: false, reason: null });
      return { status: 200, body: { ...this.pause, inflight: this.inflight } };
    }
    if (path === '/proxy/state' && method === 'GET') return { status: 200, body: { ...this.pause, inflight: this.inflight } };
    if ((m = /^\/proxy\/rollout\/([^/]+)\/attempt\/([^/]+)\/mode\/([^/]+)\/openai\/v1\/(.+)$/.exec(path)) && method === 'POST') {
      return this.proxy(dec(m[1]), dec(m[2]), m[3], m[4], req);
    }
    throw new HttpError(path.startsWith('/api/') || path.startsWith('/proxy/') ? 405 : 404, path.startsWith('/api/') || path.startsWith('/proxy/') ? 'Method Not Allowed' : 'Not Found');
  }

  /** app.py _build_auth_dependency */
  private authorize(req: IncomingMessage): void {
    const key = this.config.key ?? '';
    if (!key) return;
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Bearer ') && auth.slice(7) === key) return;
    if (req.headers['x-api-key'] === key) return;
    throw new HttpError(401, 'Invalid or missing API key');
  }

  private rollout(id: string): Rollout {
    const r = this.rollouts.get(id);
    if (!r) throw new HttpError(404, `Rollout not found: ${id}`);
    return r;
  }

  private attempts(id: string): string[] {
    const by = this.events.get(id) ?? new Map();
    return [...by.keys()].sort((a, b) => (by.get(a)[0]?.timestamp ?? Infinity) - (by.get(b)[0]?.timestamp ?? Infinity));
  }

  /** routes/rollouts.py enqueue_rollouts: idempotent on a caller-supplied rollout_id. */
  private enqueue(body: unknown): Rollout[] {
    if (!Array.isArray(body)) throw new HttpError(422, [{ loc: ['body'], msg: 'Input should be a valid list' }]);
    return body.map((req: Record<string, unknown>, i) => {
      if (!req || typeof req !== 'object' || !('input' in req)) throw new HttpError(422, [{ loc: ['body', i, 'input'], msg: 'Field required' }]);
      const given = typeof req.rollout_id === 'string' ? req.rollout_id : undefined;
      if (given && this.rollouts.has(given)) return this.rollouts.get(given)!;
      const now = Date.now() / 1000;
      const config = (req.config ?? {}) as Record<string, unknown>;
      const r: Rollout = {
        rollout_id: given ?? randomUUID().replace(/-/g, ''),
        input: req.input,
        is_train: req.is_train === undefined ? true : Boolean(req.is_train),
        config: { timeout_seconds: 3600, local: null, k8s: null, ...config } as Rollout['config'],
        metadata: { batch_idx: null, sample_idx_in_batch: null, ...((req.metadata as object | null) ?? {}) },
        status: { state: 'queuing', k8s_job_name: null, last_attempt_id: null, error_message: null, version: 1, created_at: now, updated_at: now },
      };
      this.rollouts.set(r.rollout_id, r);
      this.events.set(r.rollout_id, new Map());
      return r;
    });
  }

  /** routes/rollouts.py list_rollouts: state_in is required (422 without it). */
  private list(url: URL): Rollout[] {
    const states = url.searchParams.getAll('state_in');
    if (states.length === 0) throw new HttpError(422, [{ loc: ['query', 'state_in'], msg: 'Field required' }]);
    for (const s of states) if (!STATES.includes(s as RolloutState)) throw new HttpError(422, [{ loc: ['query', 'state_in'], msg: `Input should be ${STATES.map((x) => `'${x}'`).join(', ')}` }]);
    const limit = Number(url.searchParams.get('limit') ?? 500);
    if (!Number.isInteger(limit)) throw new HttpError(422, [{ loc: ['query', 'limit'], msg: 'Input should be a valid integer' }]);
    const out: Rollout[] = [];
    for (const r of this.rollouts.values()) {
      if (out.length >= limit) break;
      if (states.includes(r.status.state)) out.push(r);
    }
    return out;
  }

  private terminal(url: URL) {
    const after = Math.max(0, Number(url.searchParams.get('after') ?? 0));
    const limit = Math.max(1, Number(url.searchParams.get('limit') ?? 1000));
    const ids = this.terminalOrder.slice(after, after + limit);
    const items = ids.flatMap((id) => {
      const r = this.rollouts.get(id);
      if (!r) return [];
      const input = r.input as Record<string, unknown> | null;
      const dataId = input && typeof input === 'object' ? String(input.data_id ?? input.instance_id ?? '') : '';
      return [{ rollout_id: id, state: r.status.state, data_id: dataId, is_train: r.is_train }];
    });
    return { items, next_after: after + ids.length, total_terminal: this.terminalOrder.length };
  }

  /** routes/rollouts.py patch_rollout: only status; extra keys forbidden; VALID_TRANSITIONS enforced. */
  private patch(id: string, body: unknown): Rollout {
    const r = this.rollout(id);
    const status = (body as { status?: Record<string, unknown> | null } | null)?.status;
    if (status === undefined || status === null) return r;
    for (const k of Object.keys(status)) if (!PATCH_KEYS.has(k)) throw new HttpError(422, [{ loc: ['body', 'status', k], msg: 'Extra inputs are not permitted' }]);
    if (Object.keys(status).length === 0) return r;
    if ('state' in status) {
      const to = status.state as RolloutState;
      if (!STATES.includes(to)) throw new HttpError(422, [{ loc: ['body', 'status', 'state'], msg: `Input should be ${STATES.map((x) => `'${x}'`).join(', ')}` }]);
      if (!VALID_TRANSITIONS[r.status.state].includes(to)) throw new HttpError(409, `Rollout ${id}: cannot transition ${r.status.state} -> ${to}`);
    }
    const updated: Rollout = { ...r, status: { ...r.status, ...(status as object), version: r.status.version + 1, updated_at: Date.now() / 1000 } };
    this.rollouts.set(id, updated);
    if ('state' in status && (updated.status.state === 'succeeded' || updated.status.state === 'failed')) this.terminalOrder.push(id);
    return updated;
  }

  /** routes/events.py record_event */
  record(rolloutId: string, attemptId: string, eventType: string, data: Record<string, unknown>): GatewayEvent {
    this.rollout(rolloutId);
    const e: GatewayEvent = { event_type: eventType, rollout_id: rolloutId, attempt_id: attemptId, timestamp: Date.now() / 1000, data };
    const by = this.events.get(rolloutId)!;
    if (!by.has(attemptId)) by.set(attemptId, []);
    by.get(attemptId)!.push(e);
    return e;
  }

  /** routes/models.py register_models: upsert by (model, endpoint). */
  private register(body: unknown): ModelEndpoint[] {
    if (!Array.isArray(body)) throw new HttpError(422, [{ loc: ['body'], msg: 'Input should be a valid list' }]);
    return body.map((m: ModelEndpoint) => {
      const model: ModelEndpoint = { model: String(m.model), endpoint: String(m.endpoint), version: Number(m.version ?? 0) };
      if (!this.models.has(model.model)) this.models.set(model.model, new Map());
      this.models.get(model.model)!.set(model.endpoint, model);
      return model;
    });
  }

  /** routes/proxy.py llm_proxy and proxy.py forward_request. */
  private async proxy(rid: string, aid: string, mode: string, upstream: string, req: IncomingMessage) {
    if (mode !== 'train' && mode !== 'val') throw new HttpError(404, `Unsupported proxy mode: ${mode}`);
    if (upstream !== 'chat/completions' && upstream !== 'completions') throw new HttpError(404, `Unsupported upstream path: ${upstream}`);
    if (!this.rollouts.has(rid)) throw new HttpError(404, `Rollout not found: ${rid}`);
    const raw = await text(req);
    let body: Record<string, unknown>;
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      throw new HttpError(400, 'Invalid JSON in request body');
    }
    const server = this.selectServer(rid);
    const prepared: Record<string, unknown> = {
      ...body,
      model: this.config.modelName,
      temperature: mode === 'train' ? (this.config.trainTemperature ?? 1) : (this.config.valTemperature ?? 0.7),
      return_token_ids: true,
      ...(mode === 'train' && this.config.includeLogProbs !== false ? { logprobs: true } : {}),
    };
    if (this.pause.paused) {
      return { status: 429, body: { error: 'gateway paused', reason: this.pause.reason }, headers: { 'retry-after': String(this.pause.retry_after_seconds), 'x-agl-paused': 'true' } };
    }
    this.inflight++;
    try {
      if (prepared.stream) throw new HttpError(400, 'Streaming responses are not supported');
      const started = performance.now();
      const { res, retries } = await this.upstream(`${server.endpoint.replace(/\/+$/, '')}/${upstream}`, prepared);
      const latency = performance.now() - started;
      const isJson = (res.headers['content-type'] ?? '').startsWith('application/json');
      const responseBody = isJson ? (JSON.parse(res.text) as Record<string, unknown>) : {};
      const choices = responseBody.choices as { finish_reason?: string }[] | undefined;
      this.record(rid, aid, 'model_request', {
        model: server.model,
        model_version: server.version,
        request: prepared,
        response: responseBody,
        server: { model: server.model, endpoint: server.endpoint, version: server.version },
        latency_ms: latency,
        http_status: res.status,
        status: res.status < 400 ? 'ok' : 'error',
        retry_count: retries,
        usage: responseBody.usage && typeof responseBody.usage === 'object' ? responseBody.usage : null,
        finish_reason: Array.isArray(choices) && typeof choices[0]?.finish_reason === 'string' && choices[0].finish_reason ? choices[0].finish_reason : null,
      });
      return { status: res.status, body: responseBody };
    } finally {
      this.inflight = Math.max(0, this.inflight - 1);
    }
  }

  /** proxy.py ProxyRouter.select_server: a stable hash of the rollout id over the sorted endpoints. */
  private selectServer(rid: string): ModelEndpoint {
    const servers = this.models.get(this.config.modelName);
    if (!servers || servers.size === 0) throw new HttpError(503, `No servers available for model '${this.config.modelName}'`);
    const pool = [...servers.keys()].sort().map((k) => servers.get(k)!);
    const digest = createHash('sha256').update(rid).digest();
    return pool[Number(digest.readBigUInt64BE(0) % BigInt(pool.length))];
  }

  /** proxy.py _send_upstream_with_retries: 408/409/429/5xx and transport errors, up to 6 attempts. */
  private async upstream(url: string, body: unknown): Promise<{ res: HttpAnswer; retries: number }> {
    const base = this.config.upstreamBackoffS ?? 0.05;
    for (let i = 0; ; i++) {
      const last = i === UPSTREAM_MAX_ATTEMPTS - 1;
      try {
        const res = await this.client.request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: 300_000 });
        if (!(RETRY_STATUS.has(res.status) || res.status >= 500) || last) return { res, retries: i };
      } catch (e) {
        const timedOut = e instanceof HttpFailure && e.code === 'ETIMEDOUT';
        if (last) throw new HttpError(timedOut ? 504 : 502, timedOut ? 'Upstream model server timed out' : 'Upstream model server request failed');
      }
      await new Promise((r) => setTimeout(r, Math.min(base * 2 ** i, 8) * 1000 * (0.75 + 0.5 * Math.random())));
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (status === 204) {
    res.writeHead(204, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function text(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function json(req: IncomingMessage): Promise<unknown> {
  const t = await text(req);
  try {
    return t ? JSON.parse(t) : null;
  } catch {
    throw new HttpError(422, [{ loc: ['body'], msg: 'JSON decode error' }]);
  }
}

const dec = decodeURIComponent;
