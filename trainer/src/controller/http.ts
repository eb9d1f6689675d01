// HTTP/1.1 requests with small text bodies on node:http, over connections kept open between
// calls. A controller makes several gateway calls per rollout; undici's fetch spends several
// times the CPU of a plain node:http request on each, which on short rollouts was most of
// what the controller added to them.
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Limit of the whole exchange, ms. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** No answer: the connection failed (`code` as Node names it), timed out, or was stopped. */
export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

/**
 * Idle connections are closed after this long: before the usual server keep-alive limits
 * (uvicorn's and Node's 5 s), so a request is not written to a socket the server is closing.
 */
const IDLE_MS = 4_000;

export class HttpClient {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, timeout: IDLE_MS }),
    'https:': new https.Agent({ keepAlive: true, timeout: IDLE_MS }),
  };

  request(url: string, r: HttpRequest): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      if (r.signal?.aborted) return reject(new HttpFailure('stopped', 'ABORT_ERR'));
      const u = new URL(url);
      const agent = this.agents[u.protocol as 'http:' | 'https:'];
      if (!agent) return reject(new HttpFailure(`unsupported protocol ${u.protocol}`));
      const headers = r.body !== undefined ? { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) } : r.headers;
      const req = (u.protocol === 'https:' ? https : http).request(u, { method: r.method, headers, agent });
      let settled = false;
      const end = (e?: Error, answer?: HttpAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        r.signal?.removeEventListener('abort', onAbort);
        if (e) {
          req.destroy();
          reject(e);
        } else resolve(answer!);
      };
      const onAbort = () => end(new HttpFailure('stopped', 'ABORT_ERR'));
      const timer = setTimeout(() => end(new HttpFailure('no answer in time', 'ETIMEDOUT')), r.timeoutMs);
      r.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e: NodeJS.ErrnoException) => end(new HttpFailure(e.message, e.code)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e: NodeJS.ErrnoException) => end(new HttpFailure(e.message, e.code)));
        res.on('close', () => {
          if (!res.complete) end(new HttpFailure('the connection broke while reading the answer', 'ECONNRESET'));
        });
        res.on('end', () => end(undefined, { status: res.statusCode ?? 0, headers: res.headers, text: chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8') }));
      });
      req.end(r.body);
    });
  }
}

/** The answer's headers as a fetch Headers object, for code that reads them that way. */
export function toHeaders(h: http.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : v);
  return out;
}
