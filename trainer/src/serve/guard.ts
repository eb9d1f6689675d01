// What keeps `agent-tune serve` answering under hostile or broken clients: a cap on open
// connections that evicts stalled ones before it refuses working ones, deadlines for headers
// and bodies, request bodies parsed off the event loop, and client disconnects told apart
// from server errors.
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { HttpError } from './errors';

export interface GuardOptions {
  /** Most connections open at once. */
  maxConnections: number;
  /** A client must send its headers within this time, ms. */
  headersTimeoutMs: number;
  /** A client must send its whole body within this time after its headers, ms. */
  bodyTimeoutMs: number;
}

export const GUARD_DEFAULTS: GuardOptions = { maxConnections: 512, headersTimeoutMs: 10_000, bodyTimeoutMs: 30_000 };

/** Bodies larger than this are parsed in a worker thread. */
const PARSE_OFF_THREAD_BYTES = 256 * 1024;
/** Most JSON values a request may hold; a chat request holds thousands at most. */
const MAX_JSON_NODES = 200_000;

/** A client that went away before its answer: logged as such, never as a server error. */
export class ClientGone extends Error {
  constructor(readonly when: 'body' | 'answer') {
    super(when === 'body' ? 'client disconnected while sending its request' : 'client disconnected before the answer');
    this.name = 'ClientGone';
  }
}

type State = 'idle' | 'receiving' | 'working';

/**
 * Caps connections. At the cap, a new connection evicts the oldest one that is idle or still
 * sending its request (a slow client), so generations in progress are kept and a fresh client
 * (a health check) still gets in; only when every connection is generating is the new one refused.
 */
export function guardConnections(server: Server, o: GuardOptions): { state(socket: Socket, s: State): void; open(): number } {
  const open = new Map<Socket, { since: number; state: State }>();
  server.headersTimeout = o.headersTimeoutMs;
  // Node's own deadline for a whole request, a backstop behind the body deadline.
  server.requestTimeout = o.headersTimeoutMs + o.bodyTimeoutMs + 5_000;
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket: Socket) => {
    if (open.size >= o.maxConnections) {
      let victim: Socket | undefined;
      let oldest = Infinity;
      for (const [s, info] of open) {
        if (info.state !== 'working' && info.since < oldest) {
          oldest = info.since;
          victim = s;
        }
      }
      if (!victim) {
        socket.destroy();
        return;
      }
      victim.destroy();
      open.delete(victim);
    }
    open.set(socket, { since: performance.now(), state: 'idle' });
    socket.once('close', () => open.delete(socket));
  });
  return {
    state(socket, s) {
      const info = open.get(socket);
      if (info) {
        info.state = s;
        info.since = performance.now();
      }
    },
    open: () => open.size,
  };
}

/** The request body, within `limit` bytes and `timeoutMs`; a client that leaves throws ClientGone. */
export function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (e?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      if (e) reject(e);
      else resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(() => finish(new HttpError(408, `the request body did not arrive within ${timeoutMs / 1000} s`, null, 'request_timeout')), timeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(new HttpError(413, `the request body is larger than ${limit} bytes`));
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish());
    req.once('aborted', () => finish(new ClientGone('body')));
    req.once('close', () => {
      if (!req.complete) finish(new ClientGone('body'));
    });
    req.once('error', (e) => finish(req.complete ? e : new ClientGone('body')));
  });
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
function count(v, max) {
  let n = 0;
  const stack = [v];
  while (stack.length) {
    const x = stack.pop();
    if (++n > max) return n;
    if (x && typeof x === 'object') for (const k in x) stack.push(x[k]);
  }
  return n;
}
parentPort.on('message', ({ id, bytes, max }) => {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8'));
    const n = count(value, max);
    if (n > max) parentPort.postMessage({ id, error: 'too_many', n });
    else parentPort.postMessage({ id, value });
  } catch (e) {
    parentPort.postMessage({ id, error: 'syntax', message: e.message });
  }
});
`;

let parser: Worker | undefined;
let nextId = 0;
const waiting = new Map<number, (m: { value?: unknown; error?: string; message?: string }) => void>();

function parserWorker(): Worker {
  if (parser) return parser;
  const w = new Worker(WORKER_SOURCE, { eval: true });
  w.on('message', (m: { id: number; value?: unknown; error?: string; message?: string }) => {
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
    if (waiting.size === 0) w.unref();
  });
  w.on('error', () => {});
  w.on('exit', () => {
    if (parser === w) parser = undefined;
    for (const [id, cb] of waiting) {
      cb({ error: 'syntax', message: 'the parser stopped' });
      waiting.delete(id);
    }
  });
  // The parser holds the process open only while a parse is waiting: an idle one must not keep
  // a finished process alive. (Unref after the listeners: adding one refs the port again.)
  w.unref();
  parser = w;
  return w;
}

const invalid = (message: string) => new HttpError(400, `the request body is not valid JSON (${message})`, null, 'invalid_json');
const tooMany = () => new HttpError(413, `the request body holds more than ${MAX_JSON_NODES} JSON values`);

/**
 * Parses a body: small ones here, large ones in a worker so the event loop keeps answering. A
 * large body's memory is handed to the worker, not copied: `body` is unusable afterwards.
 */
export async function parseJson(body: Buffer): Promise<unknown> {
  if (body.length < PARSE_OFF_THREAD_BYTES) {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw invalid((e as Error).message);
    }
  }
  const m = await new Promise<{ value?: unknown; error?: string; message?: string }>((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve);
    // A copy goes to the worker; the worker's reply is the parsed value.
    const w = parserWorker();
    w.ref();
    // A body that owns its whole ArrayBuffer (Buffer.concat of large chunks) moves without a copy.
    const owns = body.byteOffset === 0 && body.buffer.byteLength === body.length;
    const bytes = owns ? new Uint8Array(body.buffer) : body;
    w.postMessage({ id, bytes, max: MAX_JSON_NODES }, owns ? [body.buffer as ArrayBuffer] : []);
  });
  if (m.error === 'too_many') throw tooMany();
  if (m.error) throw invalid(m.message ?? 'unreadable');
  return m.value;
}

/** Loopback addresses, where a server without an API key is reachable only from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}
