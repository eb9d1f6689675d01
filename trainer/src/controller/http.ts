// HTTP/1.1 requests with small text bodies on node:http, over connections kept open between
// calls. A controller makes several gateway calls per rollout; undici's fetch spends several
// times the CPU of a plain node:http request on each, which on short rollouts was most of
// what the controller added to them.
import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';

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

  /** Each origin parsed once: a client calls the same one or two servers all along. */
  private readonly origins = new Map<string, Origin | string>();

  request(url: string, r: HttpRequest): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      if (r.signal?.aborted) return reject(new HttpFailure('stopped', 'ABORT_ERR'));
      const target = this.target(url);
      if (typeof target === 'string') return reject(new HttpFailure(target));
      const headers = r.body !== undefined ? { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) } : r.headers;
      const req = target.origin.module.request({ ...target.origin.options, path: target.path, method: r.method, headers });
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

  /** The origin's options and the path of `url`, or why it cannot be requested. */
  private target(url: string): { origin: Origin; path: string } | string {
    const { origin, path } = splitUrl(url);
    let o = this.origins.get(origin);
    if (o === undefined) {
      o = this.parseOrigin(origin);
      // Bounded: an unusual caller with ever-new origins parses each one each time.
      if (this.origins.size < 64) this.origins.set(origin, o);
    }
    if (typeof o === 'string') return o;
    if (PLAIN_PATH.test(path)) return { origin: o, path };
    const u = new URL(url);
    return { origin: o, path: `${u.pathname}${u.search}` };
  }

  private parseOrigin(origin: string): Origin | string {
    let u: URL;
    try {
      u = new URL(origin);
    } catch {
      return `not a URL: ${origin}`;
    }
    const agent = this.agents[u.protocol as 'http:' | 'https:'];
    if (!agent) return `unsupported protocol ${u.protocol}`;
    const { path: _path, pathname: _pathname, search: _search, hash: _hash, href: _href, ...options } = urlToHttpOptions(u) as http.RequestOptions & { pathname?: string; search?: string; hash?: string; href?: string };
    return { module: u.protocol === 'https:' ? https : http, options: { ...options, agent } };
  }
}

interface Origin {
  module: typeof http | typeof https;
  /** What node:http takes from a URL (as `urlToHttpOptions` gives it), less the path. */
  options: http.RequestOptions;
}

/** Paths sent as they are (printable ASCII, no fragment); others go through URL parsing, which escapes them. */
const PLAIN_PATH = /^\/[\x21\x22\x24-\x7e]*$/;

/** Splits `url` into its origin (scheme, credentials, host, port) and the rest. */
function splitUrl(url: string): { origin: string; path: string } {
  const origin = /^[^/?#]*\/\/[^/?#]*/.exec(url)?.[0] ?? url;
  const rest = url.slice(origin.length);
  return { origin, path: rest.startsWith('/') ? rest : `/${rest}` };
}

/** The answer's headers as a fetch Headers object, for code that reads them that way. */
export function toHeaders(h: http.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : v);
  return out;
}
