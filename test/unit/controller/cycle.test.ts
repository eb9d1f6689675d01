// Whole cycles through the stand-in gateway in front of a real `agent-tune serve`: the trainer's
// side (create N×G rollouts, read triplets back) driven by hand, our controller on the other.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RolloutRecord, RunEvent } from '../../../trainer/src/run/events';
import { mergeRows } from '../../support/triplets';
import type { StandInGateway } from '../../support/gateway';
import { MODEL, serve, type Served } from '../serve/fixtures';
import { arithRows, call, groups, KEY, mathConfig, MODEL_VERSION, standIn, startController, terminal, until } from './fixtures';

function jsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

describe('controller: whole cycles through the gateway stand-in', function () {
  this.timeout(300_000);
  let server: Served;
  let gw: StandInGateway;
  const config = mathConfig();

  before(async () => {
    server = await serve([MODEL, '--port', '0', '--quiet']);
  });
  after(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    gw = await standIn(server.url, server.model);
  });
  afterEach(async () => {
    await gw?.stop();
  });

  it('runs N×G rollouts: one reward each, equal to the judge\'s; token ids that merge into one sequence; the run directory written', async () => {
    const N = 3;
    const G = 4;
    const created = await call(gw, 'POST', '/api/rollouts', groups(arithRows(N), G));
    assert.equal(created.status, 201);
    const ctl = await startController(gw, config);
    await until(() => terminal(gw).length === N * G, 'every rollout has ended');
    await ctl.close();

    const rows = jsonl<RolloutRecord>(join(ctl.runDir, 'rollouts.jsonl'));
    assert.equal(rows.length, N * G);
    const byId = new Map(rows.map((r) => [r.id, r]));
    let merged = 0;
    let multiTurn = 0;
    for (const r of gw.rollouts.values()) {
      assert.equal(r.status.state, 'succeeded', `${r.rollout_id}: ${r.status.error_message}`);
      assert.match(r.status.last_attempt_id!, /^ctl\.[0-9a-f]{8}\.\d+$/);
      const row = byId.get(r.rollout_id)!;
      assert.ok(row, `rollouts.jsonl has ${r.rollout_id}`);
      assert.equal(row.step, MODEL_VERSION, 'the step is the gateway\'s model version');

      const rewards = gw.allEvents(r.rollout_id).filter((e) => e.event_type === 'reward');
      assert.equal(rewards.length, 1, `${r.rollout_id} has one reward`);
      assert.equal(rewards[0].data.value, row.reward);
      assert.equal(rewards[0].data.source, 'agent');
      assert.equal(rewards[0].data.reason, row.success ? 'correct' : 'incorrect');
      assert.equal(typeof rewards[0].data.message, 'string');
      const judge = gw.currentEvents(r.rollout_id, 'agent_tune.judge');
      assert.equal(judge.length, 1);
      assert.equal(judge[0].data.reward, row.reward);
      assert.deepEqual((judge[0].data.judge as { details: { answer: unknown } }).details.answer, (row.judge!.details as { answer: unknown }).answer);

      const calls = gw.currentEvents(r.rollout_id, 'model_request');
      assert.equal(calls.length, row.turns.length, 'one model_request per turn');
      for (const c of calls) {
        const req = c.data.request as { stream?: boolean; return_token_ids?: boolean };
        assert.equal(req.stream, undefined);
        assert.equal(req.return_token_ids, true);
        const resp = c.data.response as { prompt_token_ids: number[]; choices: { token_ids: number[] }[] };
        assert.ok(resp.prompt_token_ids.length > 0 && resp.choices[0].token_ids.length > 0);
      }
      assert.equal(gw.currentEvents(r.rollout_id, 'agent_tune.tool_call').length, row.messages.filter((m) => m.role === 'assistant').reduce((n, m) => n + (m.tool_calls?.length ?? 0), 0));
      assert.equal(gw.currentEvents(r.rollout_id, 'agent_tune.history_rewrite').length, 0, 'builtin:react keeps its history append-only');

      const triplets = (await call(gw, 'GET', `/api/rollouts/${r.rollout_id}/events?format=triplet`)).body;
      const trainingRows = mergeRows(triplets);
      if (calls.length > 1) multiTurn++;
      if (trainingRows.length === 1) merged++;
    }
    assert.ok(multiTurn > 0, 'some rollouts took more than one turn');
    assert.equal(merged, N * G, 'every rollout merges into one training sequence');

    const events = jsonl<RunEvent>(join(ctl.runDir, 'events.jsonl'));
    assert.equal(events.filter((e) => e.type === 'rollout_finished').length, N * G);
    const metrics = jsonl<{ step: number; metrics: Record<string, number> }>(join(ctl.runDir, 'metrics.jsonl'));
    const last = metrics.filter((m) => m.step === MODEL_VERSION).pop()!;
    assert.equal(last.metrics.rollouts, N * G);
    assert.equal(last.metrics.reward_mean, rows.reduce((a, r) => a + r.reward, 0) / rows.length);
    for (const f of filesUnder(ctl.runDir)) assert.ok(!readFileSync(f, 'utf8').includes(KEY), `${f} holds the key`);
  });

  it('waits out a weight sync: requests met with 429 and Retry-After are tried again until the gateway resumes', async () => {
    await call(gw, 'POST', '/api/rollouts', groups(arithRows(2, 10), 2, 'p'));
    const paused = await call(gw, 'POST', '/proxy/pause', { retry_after_seconds: 1, reason: 'weight sync' });
    assert.equal(paused.body.paused, true);
    const ctl = await startController(gw, config);
    const refusals = () => gw.log.filter((l) => l.path.startsWith('/proxy/rollout/') && l.status === 429).length;
    // Past the backend's own retries (4 at one second each), so the controller's wait is used too.
    await until(() => refusals() >= 4 * 6, 'the paused gateway has refused a request more than the backend retries');
    assert.equal(terminal(gw).length, 0, 'nothing ends while the gateway is paused');
    await call(gw, 'POST', '/proxy/resume');
    await until(() => terminal(gw).length === 4, 'every rollout has ended');
    await ctl.close();
    for (const r of gw.rollouts.values()) {
      assert.equal(r.status.state, 'succeeded', r.status.error_message ?? '');
      assert.equal(gw.allEvents(r.rollout_id).filter((e) => e.event_type === 'reward').length, 1);
      for (const e of gw.currentEvents(r.rollout_id, 'model_request')) assert.equal(e.data.http_status, 200);
    }
  });

  it('ends a rollout at its deadline (config.timeout_seconds) while its model call waits on a paused gateway', async () => {
    const [row] = arithRows(1, 70);
    await call(gw, 'POST', '/api/rollouts', [{ rollout_id: 'late', input: row, is_train: true, config: { timeout_seconds: 1 } }]);
    await call(gw, 'POST', '/proxy/pause', { retry_after_seconds: 1, reason: 'weight sync' });
    const ctl = await startController(gw, config);
    // The gateway stays paused: only the deadline can end the call.
    await until(() => terminal(gw).length === 1, 'the rollout has ended', 30_000);
    await ctl.close();
    const r = gw.rollouts.get('late')!;
    assert.equal(r.status.state, 'failed');
    assert.equal(r.status.error_message, 'the rollout timed out after 1s (config.timeout_seconds)');
    const rewards = gw.currentEvents('late', 'reward');
    assert.equal(rewards.length, 1);
    assert.equal(rewards[0].data.reason, 'timeout');
  });

  it('shares the queue between two controllers: each rollout is claimed once, by one of them', async () => {
    await call(gw, 'POST', '/api/rollouts', groups(arithRows(4, 20), 3, 's'));
    const a = await startController(gw, config, { name: 'ctl-a', parallel: 3 });
    const b = await startController(gw, config, { name: 'ctl-b', parallel: 3 });
    await until(() => terminal(gw).length === 12, 'every rollout has ended');
    await Promise.all([a.close(), b.close()]);
    assert.equal(a.controller.stats.claimed + b.controller.stats.claimed, 12);
    assert.ok(a.controller.stats.claimed > 0 && b.controller.stats.claimed > 0, 'both controllers took work');
    for (const r of gw.rollouts.values()) {
      assert.equal(r.status.state, 'succeeded', r.status.error_message ?? '');
      assert.equal(gw.events.get(r.rollout_id)!.size, 1, 'one attempt');
      assert.equal(gw.allEvents(r.rollout_id).filter((e) => e.event_type === 'reward').length, 1);
    }
    const rows = [a, b].flatMap((c) => jsonl<RolloutRecord>(join(c.runDir, 'rollouts.jsonl')));
    assert.deepEqual(rows.map((r) => r.id).sort(), [...gw.rollouts.keys()].sort());
  });

  it('backs off through a slow gateway answering 503, and through one that goes away and comes back', async () => {
    await call(gw, 'POST', '/api/rollouts', groups(arithRows(2, 30), 2, 'f'));
    gw.faults.delayMs = 100;
    gw.faults.failNext = 8;
    const ctl = await startController(gw, config);
    await until(() => terminal(gw).length >= 1, 'a rollout has ended');
    const port = Number(new URL(gw.url).port);
    await gw.stop();
    await new Promise((r) => setTimeout(r, 600));
    await gw.start(port);
    gw.faults.delayMs = 0;
    await until(() => terminal(gw).length === 4, 'every rollout has ended');
    await ctl.close();
    assert.ok(ctl.logs.some((l) => /HTTP 503: injected failure/.test(l)), ctl.logs.join('\n'));
    for (const r of gw.rollouts.values()) assert.equal(gw.allEvents(r.rollout_id).filter((e) => e.event_type === 'reward').length, 1, r.rollout_id);
  });

  it('keeps going with a wrong key: every call is refused (401), logged, and retried later', async () => {
    await call(gw, 'POST', '/api/rollouts', groups(arithRows(1), 1, 'k'));
    const ctl = await startController(gw, config, { key: 'wrong' });
    await until(() => ctl.logs.some((l) => /HTTP 401: Invalid or missing API key \(check the gateway key\)/.test(l)), 'the refusal is logged');
    await ctl.close();
    assert.equal(ctl.controller.stats.claimed, 0);
    assert.equal([...gw.rollouts.values()][0].status.state, 'queuing');
  });

  it('warns when a workflow rewrites its history, which splits the rollout into separate training sequences', async () => {
    const rewriting = mathConfig('', './rewrite.ts#workflow', {
      'rewrite.ts': `import { defineWorkflow } from 'agent-tune';
export const workflow = defineWorkflow(async (ctx) => {
  const first = [{ role: 'system' as const, content: 'Solve it.' }, { role: 'user' as const, content: ctx.task.question }];
  await ctx.chat(first, { tools: false });
  // Starts over with another system prompt instead of appending to the conversation.
  const second = [{ role: 'system' as const, content: 'Answer with a number.' }, { role: 'user' as const, content: ctx.task.question }];
  const turn = await ctx.chat(second, { tools: false });
  return { messages: [...second, { role: 'assistant' as const, content: turn.content }] };
});
`,
    });
    await call(gw, 'POST', '/api/rollouts', groups(arithRows(1, 40), 2, 'h'));
    const ctl = await startController(gw, rewriting);
    await until(() => terminal(gw).length === 2, 'both rollouts have ended');
    await ctl.close();
    for (const r of gw.rollouts.values()) {
      const warn = gw.currentEvents(r.rollout_id, 'agent_tune.history_rewrite');
      assert.equal(warn.length, 1);
      assert.match(String(warn[0].data.message), /^turn 1 does not extend turn 0: message 0 was system "Solve it\." in the previous request and is system "Answer with a number\." now/);
      const triplets = (await call(gw, 'GET', `/api/rollouts/${r.rollout_id}/events?format=triplet`)).body;
      assert.equal(mergeRows(triplets).length, 2, 'the gateway cannot merge the two calls');
    }
    assert.ok(ctl.logs.some((l) => /the workflow rewrote its history/.test(l)));
  });
});
