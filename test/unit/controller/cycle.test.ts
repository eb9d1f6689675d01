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
});
