// The stand-in rejects what the real gateway rejects (routes/*.py, proxy.py, app.py at
// c632d8dd804103bd421c65208bc501952689039f), and our client meets those answers as it should.
import { strict as assert } from 'node:assert';
import { GatewayClient } from '../../../trainer/src/controller/gateway';
import { agentUrls } from '../../../trainer/src/controller/schema';
import { StandInGateway } from '../../support/gateway';
import { call, KEY } from './fixtures';

describe('gateway stand-in: what the real gateway refuses', () => {
  let gw: StandInGateway;
  beforeEach(async () => {
    gw = new StandInGateway({ key: KEY, modelName: 'm' });
    await gw.start();
    await call(gw, 'POST', '/api/rollouts', [{ rollout_id: 'a', input: { question: 'q', answer: '1' } }]);
  });
  afterEach(() => gw.stop());

  it('answers /healthz without a key and everything else only with one (Bearer or x-api-key)', async () => {
    assert.equal((await call(gw, 'GET', '/healthz', undefined, '')).status, 200);
    const none = await call(gw, 'GET', '/api/rollouts?state_in=queuing', undefined, '');
    assert.equal(none.status, 401);
    assert.deepEqual(none.body, { detail: 'Invalid or missing API key' });
    assert.equal((await call(gw, 'GET', '/api/rollouts?state_in=queuing', undefined, 'wrong')).status, 401);
    const res = await fetch(`${gw.url}/api/rollouts?state_in=queuing`, { headers: { 'x-api-key': KEY } });
    assert.equal(res.status, 200);
    assert.equal((await call(gw, 'POST', '/proxy/rollout/a/attempt/0/mode/train/openai/v1/chat/completions', {}, '')).status, 401);
  });

  it('creates rollouts idempotently by id, with the defaults of schemas.py', async () => {
    const again = await call(gw, 'POST', '/api/rollouts', [{ rollout_id: 'a', input: { other: true } }, { input: 5, is_train: false }]);
    assert.equal(again.status, 201);
    assert.deepEqual(again.body[0].input, { question: 'q', answer: '1' });
    assert.equal(again.body[1].is_train, false);
    assert.equal(again.body[1].config.timeout_seconds, 3600);
    assert.equal(again.body[1].status.state, 'queuing');
    assert.equal(again.body[1].status.version, 1);
    assert.equal((await call(gw, 'GET', '/api/rollouts')).status, 422, 'state_in is required');
  });

  it('enforces the state machine: queuing -> running -> succeeded|failed, terminal states final (409)', async () => {
    const run = await call(gw, 'PATCH', '/api/rollouts/a', { status: { state: 'running', last_attempt_id: 'x' } });
    assert.equal(run.status, 200);
    assert.equal(run.body.status.version, 2);
    const twice = await call(gw, 'PATCH', '/api/rollouts/a', { status: { state: 'running', last_attempt_id: 'y' } });
    assert.equal(twice.status, 409);
    assert.equal(twice.body.detail, 'Rollout a: cannot transition running -> running');
    assert.equal((await call(gw, 'PATCH', '/api/rollouts/a', { status: { state: 'succeeded' } })).status, 200);
    assert.equal((await call(gw, 'PATCH', '/api/rollouts/a', { status: { state: 'failed' } })).status, 409);
    assert.equal((await call(gw, 'PATCH', '/api/rollouts/a', { status: { state: 'done' } })).status, 422);
    assert.equal((await call(gw, 'PATCH', '/api/rollouts/a', { status: { owner: 'me' } })).status, 422, 'extra keys are forbidden');
    assert.equal((await call(gw, 'PATCH', '/api/rollouts/zzz', { status: { state: 'failed' } })).status, 404);
    const page = await call(gw, 'GET', '/api/rollouts/terminal');
    assert.deepEqual(page.body, { items: [{ rollout_id: 'a', state: 'succeeded', data_id: '', is_train: true }], next_after: 1, total_terminal: 1 });
  });

  it('refuses streams (400), unknown modes and paths (404), and answers 429 with Retry-After while paused', async () => {
    await call(gw, 'POST', '/api/models', [{ model: 'm', endpoint: 'http://127.0.0.1:9/v1' }]);
    const base = agentUrls(gw.url, 'a', '0', true).openai.slice(gw.url.length);
    const stream = await call(gw, 'POST', `${base}/chat/completions`, { messages: [], stream: true });
    assert.equal(stream.status, 400);
    assert.equal(stream.body.detail, 'Streaming responses are not supported');
    assert.equal((await call(gw, 'POST', base.replace('/mode/train/', '/mode/test/') + '/chat/completions', {})).status, 404);
    assert.equal((await call(gw, 'POST', `${base}/embeddings`, {})).status, 404);
    assert.equal((await call(gw, 'POST', `${base.replace('/rollout/a/', '/rollout/nope/')}/chat/completions`, {})).status, 404);
    await call(gw, 'POST', '/proxy/pause', { retry_after_seconds: 7, reason: 'sync' });
    const paused = await call(gw, 'POST', `${base}/chat/completions`, { messages: [] });
    assert.equal(paused.status, 429);
    assert.equal(paused.headers.get('retry-after'), '7');
    assert.equal(paused.headers.get('x-agl-paused'), 'true');
    assert.deepEqual(paused.body, { error: 'gateway paused', reason: 'sync' });
    assert.deepEqual((await call(gw, 'GET', '/proxy/state')).body, { paused: true, retry_after_seconds: 7, reason: 'sync', inflight: 0 });
  });

  it('lets exactly one of many racing claims win, and our client tells winners from losers', async () => {
    const clients = Array.from({ length: 6 }, () => new GatewayClient({ url: gw.url, key: KEY }));
    const results = await Promise.all(clients.map((c, i) => c.claim('a', `c${i}.b.0`)));
    assert.equal(results.filter((r) => r === 'claimed').length, 1);
    assert.equal(results.filter((r) => r === 'taken').length, 5);
    assert.equal(await clients[0].claim('missing', 'x'), 'gone');
  });

  it('posts a reward once when the answer to the first try was lost', async () => {
    const client = new GatewayClient({ url: gw.url, key: KEY, backoffMs: 10, backoffMaxMs: 20 });
    assert.equal(await client.claim('a', 'c.b.0'), 'claimed');
    // The event lands, but the client sees a 502 and retries.
    const real = gw.record.bind(gw);
    let first = true;
    gw.record = (rid, aid, type, data) => {
      const e = real(rid, aid, type, data);
      if (first) {
        first = false;
        throw new Error('proxy lost the answer');
      }
      return e;
    };
    assert.equal(await client.postEvent({ rolloutId: 'a', attemptId: 'c.b.0' }, 'reward', { value: 1 }, { once: true }), true);
    assert.equal(gw.currentEvents('a', 'reward').length, 1);
  });
});
