// `agent-tune serve` under hostile clients: slow bodies, 1,500 held connections, a
// maximum-size body, clients that leave, and a public address without a key.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { OnnxChatBackend } from '../../../trainer/src/model/backend';
import { startServer, type RunningServer } from '../../../trainer/src/serve/server';
import { runCli } from '../../support/cli';
import { MODEL } from './fixtures';

/** One GET /health on a fresh connection: status and milliseconds. */
function health(port: number): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 15_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

// The flood runs in its own process, whose file limit is raised with `ulimit -n`.
const FLOOD = `
const net = require('node:net'), http = require('node:http');
const [port, n] = process.argv.slice(2).map(Number);
let connected = 0, closed = 0;
const socks = [];
const health = () => new Promise((resolve) => {
  const t0 = performance.now();
  const req = http.request({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 15000 }, (res) => {
    res.resume(); res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
  });
  req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
  req.on('timeout', () => req.destroy());
  req.end();
});
(async () => {
  await new Promise((resolve) => {
    let settled = 0;
    for (let i = 0; i < n; i++) {
      const s = net.connect(port, '127.0.0.1');
      socks.push(s);
      s.on('connect', () => {
        connected++;
        s.write('POST /v1/chat/completions HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: 100000\\r\\n\\r\\n{"model":');
        if (++settled === n) resolve();
      });
      s.on('error', () => { if (++settled === n) resolve(); });
      s.on('close', () => closed++);
    }
    setTimeout(resolve, 20000);
  });
  await new Promise((r) => setTimeout(r, 500));
  const probes = [];
  for (let i = 0; i < 10; i++) probes.push(await health());
  const held = socks.filter((s) => !s.destroyed).length;
  for (const s of socks) s.destroy();
  process.stdout.write(JSON.stringify({ connected, closed, held, probes }));
})();
`;

describe('agent-tune serve: hostile clients', function () {
  this.timeout(180_000);
  let backend: OnnxChatBackend;
  let server: RunningServer;
  const log: string[] = [];
  before(async () => {
    backend = await OnnxChatBackend.open(MODEL, { threads: 1, maxBatch: 8 });
    server = await startServer(backend, { modelName: 'tiny-math', port: 0, log: (l) => log.push(l), guard: { maxConnections: 256, bodyTimeoutMs: 2000, headersTimeoutMs: 2000 } });
  });
  after(async () => {
    await server?.close();
    await backend?.close();
  });

  it('answers a slow body with 408 at the body deadline and closes it', async () => {
    const t0 = performance.now();
    const reply = await new Promise<string>((resolve) => {
      const s = connect(server.port, '127.0.0.1', () => s.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"mo'));
      let text = '';
      s.on('data', (d) => (text += d));
      s.on('close', () => resolve(text));
      s.on('error', () => resolve(text));
    });
    const ms = performance.now() - t0;
    assert.match(reply, /^HTTP\/1\.1 408/);
    assert.match(reply, /did not arrive within 2 s/);
    assert.ok(ms >= 1900 && ms < 10_000, `${ms} ms`);
  });

  it('keeps answering /health with 1,500 connections holding partial bodies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-tune-flood-'));
    try {
      writeFileSync(join(dir, 'flood.js'), FLOOD);
      const child = spawn('sh', ['-c', 'ulimit -n 4096 2>/dev/null; exec "$0" "$@"', process.execPath, join(dir, 'flood.js'), String(server.port), '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      let most = 0;
      const watch = setInterval(() => (most = Math.max(most, server.openConnections())), 20);
      await new Promise((r) => child.on('exit', r));
      clearInterval(watch);
      const r = JSON.parse(out) as { connected: number; closed: number; held: number; probes: { status: number; ms: number }[] };
      const ms = r.probes.map((p) => p.ms);
      const sorted = [...ms].sort((a, b) => a - b);
      console.log(`      1,500 slow clients: ${r.connected} connected, at most ${most} open in the server (cap 256); /health min ${sorted[0].toFixed(0)} ms, median ${sorted[5].toFixed(0)} ms, max ${sorted[9].toFixed(0)} ms`);
      assert.ok(r.connected >= 1000, `only ${r.connected} connections were made`);
      assert.ok(most <= 256, `${most} connections open`);
      assert.deepEqual(r.probes.map((p) => p.status), Array(10).fill(200));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses a maximum-size body off the event loop and refuses it before tokenizing', async () => {
    const content = 'the cat sat on 12 mats. '.repeat(340_000);
    const body = JSON.stringify({ model: 'tiny-math', messages: [{ role: 'user', content }] });
    // The client is another process, so what is measured here is the server's event loop alone.
    const dir = mkdtempSync(join(tmpdir(), 'agent-tune-big-'));
    writeFileSync(join(dir, 'body.json'), body);
    const script = `fetch(process.argv[1], { method: 'POST', headers: { 'content-type': 'application/json' }, body: require('fs').readFileSync(process.argv[2]) }).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.json() })))`;
    const t0 = performance.now();
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const probes: { status: number; ms: number }[] = [];
    let done = false;
    const big = new Promise<{ status: number; body: { error: { code: string } } }>((resolve) => {
      const c = spawn(process.execPath, ['-e', script, `${server.url}/chat/completions`, join(dir, 'body.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.on('exit', () => ((done = true), rmSync(dir, { recursive: true, force: true }), resolve(JSON.parse(out))));
    });
    while (!done) {
      probes.push(await health(server.port));
      await new Promise((r) => setTimeout(r, 10));
    }
    const r = await big;
    delay.disable();
    const ms = probes.map((p) => p.ms).sort((a, b) => a - b);
    console.log(
      `      ${(body.length / 1e6).toFixed(1)} MB request answered in ${(performance.now() - t0).toFixed(0)} ms; ${probes.length} /health meanwhile: ` +
        `median ${ms[ms.length >> 1].toFixed(0)} ms, slowest ${ms[ms.length - 1].toFixed(0)} ms; longest event-loop stall ${(delay.max / 1e6).toFixed(0)} ms`,
    );
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'context_length_exceeded');
    assert.ok(probes.every((p) => p.status === 200));
  });

  it('lets a process that parsed a large body off the event loop exit when it is done', async function () {
    // The parser worker holds the process open only while a parse waits for it.
    const script = `
      const { parseJson } = require(${JSON.stringify(require.resolve('../../../trainer/src/serve/guard'))});
      parseJson(Buffer.from(JSON.stringify({ a: 'x'.repeat(1 << 20) }))).then((v) => process.stdout.write(String(v.a.length)));`;
    const child = spawn(process.execPath, ['-r', 'esbuild-register', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 30_000);
      child.on('exit', () => (clearTimeout(timer), resolve(true)));
    });
    if (!exited) child.kill('SIGKILL');
    assert.equal(out, String(1 << 20), 'the parse finished');
    assert.ok(exited, 'the process exited by itself after the parse');
  });

  it('refuses a body of too many JSON values', async () => {
    const body = JSON.stringify({ model: 'tiny-math', messages: [], x: Array(300_000).fill(0) });
    const res = await fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(res.status, 413);
  });

  it('logs a client that leaves mid-body as a disconnect, not a server error', async () => {
    log.length = 0;
    await new Promise<void>((resolve) => {
      const s = connect(server.port, '127.0.0.1', () => {
        s.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"mo');
        setTimeout(() => (s.destroy(), resolve()), 200);
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(log.length, 1, log.join('\n'));
    assert.match(log[0], /client disconnected while sending its request/);
    assert.doesNotMatch(log[0], /500|internal error/);
  });

  it('refuses a public --host without --api-key-env unless --insecure', async () => {
    const r = await runCli(['serve', MODEL, '--host', '0.0.0.0', '--port', '0']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--host 0\.0\.0\.0: anyone who can reach this address could use the model; give --api-key-env VAR.*or --insecure/);
  });
});
