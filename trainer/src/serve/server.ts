// `agent-tune serve`: the local model behind an OpenAI-compatible HTTP API on node:http.
// Every request becomes one or more chats on the shared backend, whose engine decodes all
// requests in flight as one batch. A client that goes away aborts its generation.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { OnnxChatBackend } from '../model/backend';
import type { ChatCompletionChunk, ModelList } from '../model/openai-wire';
import type { ChatResult } from '../model/types';
import { ChoiceStream, budget, completionBody, completionId, usage } from './completion';
import { HttpError } from './errors';
import { ClientGone, GUARD_DEFAULTS, guardConnections, parseJson, readBody, type GuardOptions } from './guard';
import { parseChatRequest, type ParsedRequest } from './request';

export interface ServeOptions {
  /** The name clients put in `model`. */
  modelName: string;
  host?: string;
  port?: number;
  /** Largest request body accepted, in bytes. Default 8 MiB. */
  maxBodyBytes?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** One line per request, e.g. to stderr. */
  log?: (line: string) => void;
  /** Connection cap and header and body deadlines (guard.ts). */
  guard?: Partial<GuardOptions>;
}

export interface RunningServer {
  server: Server;
  /** `http://host:port/v1` */
  url: string;
  port: number;
  /** Connections open now (at most the guard's cap). */
  openConnections(): number;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Characters of text a request brings to the prompt, counted without rendering or tokenizing it. */
function promptChars(p: ParsedRequest): number {
  let n = 0;
  for (const m of p.messages) n += (m.content?.length ?? 0) + JSON.stringify(m.tool_calls ?? '').length;
  return n + JSON.stringify(p.tools).length;
}

export function startServer(backend: OnnxChatBackend, o: ServeOptions): Promise<RunningServer> {
  const created = () => Math.floor(Date.now() / 1000);
  const startedAt = created();
  const maxBody = o.maxBodyBytes ?? 8 << 20;
  let seedCounter = Date.now() >>> 0;
  const guardOptions: GuardOptions = { ...GUARD_DEFAULTS, ...o.guard };
  // No token is longer than this many characters, so a prompt longer than context × this cannot
  // fit, and is refused before the tokenizer spends seconds on it.
  let longestToken = 0;
  for (let i = 0; i < backend.tokenizer.vocabSize; i++) longestToken = Math.max(longestToken, backend.tokenizer.token(i)?.length ?? 0);
  const context = backend.engine.folder.config.max_position_embeddings;

  const models: ModelList = { object: 'list', data: [{ id: o.modelName, object: 'model', created: startedAt, owned_by: 'agent-tune' }] };

  async function chatCompletions(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const body = await readBody(req, maxBody, guardOptions.bodyTimeoutMs);
    connections.state(req.socket, 'working');
    const parsed = parseChatRequest(await parseJson(body), () => (seedCounter = (seedCounter + 0x9e3779b9) >>> 0));
    if (parsed.model !== o.modelName) {
      throw new HttpError(404, `the model "${parsed.model}" does not exist here; this server serves "${o.modelName}"`, 'model', 'model_not_found');
    }
    const chars = promptChars(parsed);
    if (context !== undefined && longestToken > 0 && chars > context * longestToken) {
      throw new HttpError(400, `the messages hold ${chars} characters, more than this model's context of ${context} tokens can hold`, 'messages', 'context_length_exceeded');
    }
    const { promptTokens, maxNewTokens } = budget(backend, parsed);
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const id = completionId();
    const when = created();
    const chat = (i: number, onText?: (piece: string) => void): Promise<ChatResult> =>
      backend.chat({
        messages: parsed.messages,
        tools: parsed.tools,
        sampling: { ...parsed.sampling, seed: parsed.sampling.seed + i, max_new_tokens: maxNewTokens },
        signal: gone.signal,
        ...(onText ? { onText } : {}),
      });

    if (!parsed.stream) {
      const results = await Promise.all(Array.from({ length: parsed.n }, (_, i) => chat(i)));
      if (gone.signal.aborted) throw new ClientGone('answer');
      sendJson(res, 200, completionBody(id, when, o.modelName, results, parsed, promptTokens));
      return `${results.reduce((n, r) => n + r.completion_tokens, 0)} tokens`;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    const send = (chunk: Omit<ChatCompletionChunk, 'id' | 'object' | 'created' | 'model'>) => {
      if (!res.writableEnded) res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: when, model: o.modelName, ...chunk })}\n\n`);
    };
    const sendChoice = (c: ChatCompletionChunk['choices'][number]) => send({ choices: [c], ...(parsed.includeUsage ? { usage: null } : {}) });
    try {
      const results = await Promise.all(
        Array.from({ length: parsed.n }, async (_, i) => {
          const s = new ChoiceStream(i, parsed, sendChoice);
          s.start();
          const r = await chat(i, (piece) => s.text(piece));
          s.finish(r);
          return r;
        }),
      );
      if (parsed.includeUsage) send({ choices: [], usage: usage(promptTokens, results) });
      res.end('data: [DONE]\n\n');
      return `${results.reduce((n, r) => n + r.completion_tokens, 0)} tokens, streamed`;
    } catch (e) {
      // The status line has gone out: the error travels as an event, and the stream ends without [DONE].
      const err = e instanceof HttpError ? e : new HttpError(500, (e as Error).message);
      if (!res.writableEnded) res.end(`data: ${JSON.stringify(err.body())}\n\n`);
      throw err;
    }
  }

  const keyDigest = o.apiKey ? createHash('sha256').update(o.apiKey).digest() : undefined;
  const authorized = (req: IncomingMessage) => {
    if (!keyDigest) return true;
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    // Digests have one length, so the comparison takes the same time whatever was sent.
    return m !== null && timingSafeEqual(createHash('sha256').update(m[1].trim()).digest(), keyDigest);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
    if (path.startsWith('/v1/') && !authorized(req)) throw new HttpError(401, 'missing or wrong API key: send it as "Authorization: Bearer <key>"', null, 'invalid_api_key');
    const route = (method: string) => {
      if (req.method !== method) throw new HttpError(405, `${path} takes ${method}, not ${req.method}`);
    };
    switch (path) {
      case '/v1/chat/completions':
        route('POST');
        return chatCompletions(req, res);
      case '/v1/models':
        route('GET');
        sendJson(res, 200, models);
        return '';
      case `/v1/models/${o.modelName}`:
        route('GET');
        sendJson(res, 200, models.data[0]);
        return '';
      case '/health':
        sendJson(res, 200, { status: 'ok' });
        return '';
      default:
        throw new HttpError(404, `there is nothing at ${path}; this server answers POST /v1/chat/completions and GET /v1/models`);
    }
  }

  const server = createServer((req, res) => {
    const t0 = performance.now();
    connections.state(req.socket, 'receiving');
    res.once('finish', () => connections.state(req.socket, 'idle'));
    handle(req, res).then(
      (note) => o.log?.(`${req.method} ${req.url} ${res.statusCode} ${(performance.now() - t0).toFixed(0)}ms${note ? ` ${note}` : ''}`),
      (e: unknown) => {
        if (e instanceof ClientGone || (res.destroyed && !res.writableFinished && !(e instanceof HttpError))) {
          if (!res.writableEnded) res.destroy();
          o.log?.(`${req.method} ${req.url} - ${(performance.now() - t0).toFixed(0)}ms ${e instanceof ClientGone ? e.message : 'client disconnected'}`);
          return;
        }
        const err = e instanceof HttpError ? e : new HttpError(500, `internal error: ${(e as Error)?.message ?? String(e)}`);
        // The rest of an over-large or late body is not read: the connection ends with the answer.
        if (err.status === 408 || err.status === 413) {
          res.setHeader('connection', 'close');
          res.once('finish', () => req.socket.destroy());
        }
        if (!res.headersSent) sendJson(res, err.status, err.body());
        else if (!res.writableEnded) res.end();
        o.log?.(`${req.method} ${req.url} ${err.status} ${(performance.now() - t0).toFixed(0)}ms ${err.message}`);
      },
    );
  });
  // Deadlines cover receiving a request only: generations can be long, and the client's own timeout decides.
  const connections = guardConnections(server, guardOptions);

  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const where = `${o.host ?? '127.0.0.1'}:${o.port ?? 8000}`;
      if (e.code === 'EADDRINUSE') reject(new Error(`${where} is already in use; choose another --port (0 picks a free one)`));
      else if (e.code === 'EADDRNOTAVAIL') reject(new Error(`${where}: this machine has no address ${o.host}; check --host`));
      else reject(e);
    });
    server.listen(o.port ?? 8000, o.host ?? '127.0.0.1', () => {
      server.removeAllListeners('error');
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        server,
        url: `http://${host}:${addr.port}/v1`,
        port: addr.port,
        openConnections: () => connections.open(),
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
