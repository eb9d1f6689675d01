// The controller's HTTP client: calls share kept-alive connections, and every way a call can
// end without an answer comes back as an HttpFailure with a code the gateway client reads.
import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient, HttpFailure } from '../../../trainer/src/controller/http';

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer(handler);
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

function close(server: Server): Promise<void> {
  return new Promise((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
}

async function failure(p: Promise<unknown>): Promise<HttpFailure> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HttpFailure, String(e));
    return e;
  }
  throw new Error('the request did not fail');
}

describe('controller HTTP client', () => {
  it('sends the method, headers and body, reads the status and text, and reuses one connection for calls in a row', async () => {
    const seen: string[] = [];
    const { server, url, connections } = await listen((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${req.headers['content-type']} ${req.headers['content-length']} ${body}`);
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json', 'retry-after': '2' }).end(JSON.stringify({ got: body }));
      });
    });
    const client = new HttpClient();
    try {
      const calls = 5;
      for (let i = 0; i < calls; i++) {
        const body = JSON.stringify({ i, text: 'é' });
        const a = await client.request(`${url}/api/x?i=${i}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, timeoutMs: 5000 });
        assert.equal(a.status, 201);
        assert.equal(a.headers['retry-after'], '2');
        assert.deepEqual(JSON.parse(a.text), { got: body });
      }
      const get = await client.request(`${url}/api/y`, { method: 'GET', headers: {}, timeoutMs: 5000 });
      assert.equal(get.status, 200);
      assert.equal(seen.length, calls + 1);
      assert.equal(seen[1], `POST /api/x?i=1 application/json ${Buffer.byteLength(JSON.stringify({ i: 1, text: 'é' }))} ${JSON.stringify({ i: 1, text: 'é' })}`);
      assert.equal(connections(), 1, 'one kept-alive connection');
    } finally {
      await close(server);
    }
  });

  it('sends the path and query as the URL gives them, escaping what a URL escapes, and refuses other protocols', async () => {
    const seen: string[] = [];
    const { server, url } = await listen((req, res) => {
      seen.push(`${req.headers.host} ${req.url}`);
      res.end('ok');
    });
    const client = new HttpClient();
    const port = new URL(url).port;
    try {
      for (const target of [url, `${url}?a=1`, `${url}/api/rollouts?state_in=queuing&limit=50`, `${url}/a b/é?q=x y#frag`, `http://localhost:${port}/x%2Fy`]) {
        assert.equal((await client.request(target, { method: 'GET', headers: {}, timeoutMs: 5000 })).text, 'ok');
      }
      assert.deepEqual(seen, [
        `127.0.0.1:${port} /`,
        `127.0.0.1:${port} /?a=1`,
        `127.0.0.1:${port} /api/rollouts?state_in=queuing&limit=50`,
        `127.0.0.1:${port} /a%20b/%C3%A9?q=x%20y`,
        `localhost:${port} /x%2Fy`,
      ]);
      const other = await failure(client.request('ftp://127.0.0.1/x', { method: 'GET', headers: {}, timeoutMs: 5000 }));
      assert.match(other.message, /unsupported protocol ftp:/);
    } finally {
      await close(server);
    }
  });

  it('opens a new connection when the server closed the idle one', async () => {
    const { server, url, connections } = await listen((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 50;
    const client = new HttpClient();
    try {
      assert.equal((await client.request(url, { method: 'GET', headers: {}, timeoutMs: 5000 })).text, 'ok');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await client.request(url, { method: 'GET', headers: {}, timeoutMs: 5000 })).text, 'ok');
      assert.equal(connections(), 2);
    } finally {
      await close(server);
    }
  });

  it('fails with ETIMEDOUT when no answer comes in time, ABORT_ERR when stopped, and the connection error code otherwise', async () => {
    const { server, url } = await listen(() => undefined);
    const client = new HttpClient();
    try {
      const started = Date.now();
      const late = await failure(client.request(url, { method: 'GET', headers: {}, timeoutMs: 200 }));
      assert.equal(late.code, 'ETIMEDOUT');
      assert.ok(Date.now() - started >= 200);

      const stop = new AbortController();
      const pending = client.request(url, { method: 'POST', headers: {}, body: '{}', timeoutMs: 60_000, signal: stop.signal });
      setTimeout(() => stop.abort(), 50);
      assert.equal((await failure(pending)).code, 'ABORT_ERR');
      assert.equal((await failure(client.request(url, { method: 'GET', headers: {}, timeoutMs: 5000, signal: stop.signal }))).code, 'ABORT_ERR', 'already stopped');
    } finally {
      await close(server);
    }
    const refused = await failure(client.request(url, { method: 'GET', headers: {}, timeoutMs: 5000 }));
    assert.equal(refused.code, 'ECONNREFUSED');
  });

  it('fails with ECONNRESET when the connection breaks halfway through the answer', async () => {
    const { server, url } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"half":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    try {
      const broken = await failure(new HttpClient().request(url, { method: 'GET', headers: {}, timeoutMs: 5000 }));
      assert.equal(broken.code, 'ECONNRESET');
    } finally {
      await close(server);
    }
  });
});
