// How the `openai` backend meets failing servers: `agent-tune serve` killed mid-request (and
// brought back), and small raw HTTP servers on loopback that answer garbage, errors, slowly,
// or with Retry-After.
import { strict as assert } from 'node:assert';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseToolCalls } from '../../../trainer/src/agent/toolcalls';
import { ModelRequestError, OpenAIChatBackend, type OpenAIBackendOptions } from '../../../trainer/src/model/openai';
import type { ChatRequest } from '../../../trainer/src/model/types';
import { MODEL, serve } from './fixtures';

const REQ: ChatRequest = {
  messages: [{ role: 'user', content: 'What is 7 + 5?' }],
  sampling: { temperature: 0, top_p: 1, top_k: 0, max_new_tokens: 16, stop: [], seed: 0 },
};
// Near-uniform sampling: the tiny model rarely meets its end token, so the answer takes a while.
const LONG: ChatRequest = { ...REQ, sampling: { ...REQ.sampling, temperature: 50, max_new_tokens: 2000 } };

const COMPLETION = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 0,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'twelve' }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
};

/** A loopback server answering each request with `handler`; `hits` counts requests. */
async function raw(handler: (req: IncomingMessage, res: ServerResponse, hit: number) => void): Promise<{ url: string; hits: () => number; bodies: unknown[]; headers: IncomingMessage['headers'][]; close: () => Promise<void> }> {
  let hits = 0;
  const bodies: unknown[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      headers.push(req.headers);
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      handler(req, res, hits++);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    hits: () => hits,
    bodies,
    headers,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const backendFor = (url: string, o: Partial<OpenAIBackendOptions> = {}) => new OpenAIChatBackend({ baseUrl: url, model: 'm', backoffMs: 10, backoffMaxMs: 50, ...o });

async function rejection(p: Promise<unknown>): Promise<ModelRequestError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ModelRequestError, `expected a ModelRequestError, got ${(e as Error).stack}`);
    return e;
  }
  assert.fail('the request should have failed');
}

/** Resolves once this process has sent a request body to `path` (undici's diagnostics channel). */
function bodySent(path: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if ((m as { request: { path: string } }).request.path.endsWith(path)) {
        unsubscribe('undici:request:bodySent', on);
        resolve();
      }
    };
    subscribe('undici:request:bodySent', on);
  });
}

describe('openai backend: failing servers', function () {
  this.timeout(120_000);

  it('retries when agent-tune serve is killed mid-request, and records the failure when it stays down', async () => {
    const s = await serve([MODEL, '--port', '0']);
    const backend = backendFor(s.url, { model: s.model, maxRetries: 2 });
    const sent = bodySent('/chat/completions');
    const pending = backend.chat(LONG);
    await sent;
    s.child.kill('SIGKILL');
    const err = await rejection(pending);
    await s.done;
    assert.equal(err.attempts.length, 3);
    assert.match(err.attempts[0].message, /closed|reset|socket|broke/i);
    assert.ok(err.attempts.slice(1).every((a) => /connection refused \(ECONNREFUSED\)/.test(a.message)), JSON.stringify(err.attempts));
    assert.ok(err.attempts.every((a) => a.retryable));
    assert.match(err.message, /^POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions failed after 3 attempts: connection refused/);
    assert.equal(backend.stats.failures, 1);
    assert.equal(backend.stats.retries, 2);
    assert.deepEqual(backend.stats.errors.map((e) => e.attempt), [1, 2, 3]);
  });

  it('retries until agent-tune serve is back on its port, then answers', async () => {
    const first = await serve([MODEL, '--port', '0']);
    const backend = backendFor(first.url, { model: first.model, maxRetries: 10, backoffMs: 250, backoffMaxMs: 2000 });
    const sent = bodySent('/chat/completions');
    const pending = backend.chat(LONG);
    await sent;
    first.child.kill('SIGKILL');
    await first.done;
    const second = await serve([MODEL, '--port', String(first.port)]);
    try {
      const r = await pending;
      assert.ok(r.completion_tokens > 0);
      assert.ok(backend.stats.retries >= 1);
      assert.equal(backend.stats.failures, 0);
      assert.match(backend.stats.errors[0].message, /closed|reset|socket|broke/i);
    } finally {
      await second.stop();
    }
  });

  it('fails clearly, without retrying, on a body that is not JSON', async () => {
    const srv = await raw((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>502 Bad Gateway</html> {"choices": [');
    });
    try {
      const backend = backendFor(srv.url);
      const err = await rejection(backend.chat(REQ));
      assert.match(err.message, /failed: the server's answer is not JSON \(.+\): <html>502 Bad Gateway<\/html> \{"choices": \[$/);
      assert.equal(srv.hits(), 1);
      assert.equal(err.attempts.length, 1);
    } finally {
      await srv.close();
    }
  });

  it('fails clearly on JSON that is not a chat completion, and on a stream event that is not JSON', async () => {
    const srv = await raw((req, res, hit) => {
      if (hit === 0) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ result: 'twelve' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'tw' }, finish_reason: null }] })}\n\n`);
      res.end('data: {"choices": [{"delta": {"content": "elve"\n\n');
    });
    try {
      const backend = backendFor(srv.url);
      const shape = await rejection(backend.chat(REQ));
      assert.match(shape.message, /the server's answer is not a chat completion \(expected choices\[0\]\.message with string content\): \{"result":"twelve"\}/);
      const pieces: string[] = [];
      const stream = await rejection(backend.chat({ ...REQ, onText: (p) => void pieces.push(p) }));
      assert.match(stream.message, /the server sent an event that is not JSON \(.+\): \{"choices": \[\{"delta": \{"content": "elve"/);
      assert.deepEqual(pieces, ['tw']);
      assert.equal(srv.hits(), 2);
    } finally {
      await srv.close();
    }
  });

  it('reads tool calls as other servers send them: arguments streamed in pieces, or not valid JSON', async () => {
    const srv = await raw((req, res, hit) => {
      if (hit === 0) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const chunk = (delta: unknown, finish: string | null = null) => `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.write(chunk({ role: 'assistant', content: 'Let me compute.' }));
        res.write(chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'calculator', arguments: '' } }] }));
        for (const piece of ['{"expr', 'ession": "4', '8 + 27"}']) res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
        res.write(chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'calculator', arguments: '{"expression": "2 * 3"}' } }] }));
        res.write(chunk({}, 'tool_calls'));
        res.end('data: [DONE]\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...COMPLETION, choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'x', type: 'function', function: { name: 'calculator', arguments: "{'expression': '1+1'" } }] }, finish_reason: 'tool_calls' }] }));
    });
    try {
      const backend = backendFor(srv.url);
      const pieces: string[] = [];
      const streamed = await backend.chat({ ...REQ, onText: (p) => void pieces.push(p) });
      assert.deepEqual(pieces, ['Let me compute.']);
      const calls = parseToolCalls(streamed.text);
      assert.deepEqual(calls.errors, []);
      assert.equal(calls.content, 'Let me compute.');
      assert.deepEqual(calls.calls.map((c) => [c.name, c.arguments]), [['calculator', { expression: '48 + 27' }], ['calculator', { expression: '2 * 3' }]]);
      // Arguments that are not JSON reach the runtime as written, which repairs them or reports a format error.
      const loose = await backend.chat(REQ);
      assert.equal(loose.text, '<tool_call>\n{"name": "calculator", "arguments": "{\'expression\': \'1+1\'"}\n</tool_call>');
      assert.deepEqual(parseToolCalls(loose.text).calls.map((c) => c.arguments), [{ expression: '1+1' }]);
    } finally {
      await srv.close();
    }
  });

  it('waits as Retry-After says on 429, retries 5xx, and does not retry other 4xx', async () => {
    const times: number[] = [];
    const srv = await raw((req, res, hit) => {
      times.push(Date.now());
      if (hit === 0) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit_error' } }));
      } else if (hit === 1) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('overloaded');
      } else if (hit === 2) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(COMPLETION));
      } else {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: "'messages' must contain the word 'json'", type: 'invalid_request_error' } }));
      }
    });
    try {
      const backend = backendFor(srv.url, { maxRetries: 3 });
      const r = await backend.chat(REQ);
      assert.equal(r.text, 'twelve');
      assert.equal(r.prompt_tokens, 5);
      assert.equal(r.completion_tokens, 2);
      assert.ok(times[1] - times[0] >= 950, `waited ${times[1] - times[0]} ms after Retry-After: 1`);
      assert.deepEqual(backend.stats.errors.map((e) => [e.status, e.message]), [
        [429, 'HTTP 429: Rate limit reached'],
        [503, 'HTTP 503: overloaded'],
      ]);
      const err = await rejection(backend.chat(REQ));
      assert.equal(err.message, `POST ${srv.url}/chat/completions failed: HTTP 400: 'messages' must contain the word 'json'`);
      assert.equal(srv.hits(), 4);
    } finally {
      await srv.close();
    }
  });

  it('times out a request that hangs, and retries it', async () => {
    const srv = await raw(() => undefined);
    try {
      const backend = backendFor(srv.url, { timeoutMs: 300, maxRetries: 1 });
      const err = await rejection(backend.chat(REQ));
      assert.deepEqual(err.attempts.map((a) => a.message), ['no complete answer within 0.3s', 'no complete answer within 0.3s']);
      assert.equal(srv.hits(), 2);
    } finally {
      await srv.close();
    }
  });

  it('keeps to its concurrency limit', async () => {
    let inFlight = 0;
    let most = 0;
    const srv = await raw((_req, res) => {
      most = Math.max(most, ++inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(COMPLETION));
      }, 30);
    });
    try {
      const backend = backendFor(srv.url, { concurrency: 3 });
      const rs = await Promise.all(Array.from({ length: 12 }, () => backend.chat(REQ)));
      assert.equal(rs.length, 12);
      assert.equal(most, 3);
    } finally {
      await srv.close();
    }
  });

  it('sends the API key from the environment variable the config names, and names the variable, not the key, on 401', async () => {
    const secret = 'sk-test-5d1c0ffee';
    const srv = await raw((req, res) => {
      const ok = req.headers.authorization === `Bearer ${secret}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? COMPLETION : { error: { message: 'Incorrect API key provided' } }));
    });
    try {
      const good = OpenAIChatBackend.fromConfig({ base_url: srv.url, model: 'm', api_key_env: 'AGENT_TUNE_TEST_KEY' }, { AGENT_TUNE_TEST_KEY: secret });
      assert.equal((await good.chat(REQ)).text, 'twelve');
      const missing = OpenAIChatBackend.fromConfig({ base_url: srv.url, model: 'm', api_key_env: 'AGENT_TUNE_TEST_KEY', max_retries: 0 }, {});
      const err = await rejection(missing.chat(REQ));
      assert.match(err.message, /HTTP 401: Incorrect API key provided \(check the API key in \$AGENT_TUNE_TEST_KEY, which is not set\)/);
      const wrong = OpenAIChatBackend.fromConfig({ base_url: srv.url, model: 'm', api_key_env: 'AGENT_TUNE_TEST_KEY', max_retries: 0 }, { AGENT_TUNE_TEST_KEY: 'sk-wrong' });
      const err2 = await rejection(wrong.chat(REQ));
      assert.ok(!err2.message.includes('sk-wrong') && !JSON.stringify(wrong.stats).includes('sk-wrong'));
      assert.equal(srv.hits(), 3);
      // What went on the wire besides the key: the request as the API defines it.
      assert.deepEqual(srv.bodies[0], { model: 'm', messages: [{ role: 'user', content: 'What is 7 + 5?' }], temperature: 0, top_p: 1, max_tokens: 16, seed: 0, logprobs: true });
    } finally {
      await srv.close();
    }
  });
});
