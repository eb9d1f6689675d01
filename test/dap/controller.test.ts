// F5 with "mode": "controller": the adapter runs `agent-tune controller` against the stand-in
// gateway (test/support/gateway.ts) in front of a real `agent-tune serve builtin:tiny-math`.
// The gateway's rollouts are threads, a judge breakpoint holds them after their model calls
// went through the gateway, and once continued every rollout ends there with its reward.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { descendants } from '../../src/debug/processTree';
import type { StandInGateway } from '../support/gateway';
import { arithRows, call, groups, KEY, mathConfig, standIn, terminal, until } from '../unit/controller/fixtures';
import { MODEL, serve, type Served } from '../unit/serve/fixtures';
import { Client } from './client';
import { liveProcesses } from './processes';

describe('agent-tune debug adapter, controller mode (DAP)', function () {
  this.timeout(240_000);
  let server: Served | undefined;
  let gw: StandInGateway | undefined;
  let dc: Client | undefined;

  before(async () => {
    server = await serve([MODEL, '--port', '0', '--quiet']);
  });
  after(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await dc?.stop().catch(() => undefined);
    await gw?.stop();
    dc = undefined;
    gw = undefined;
  });

  it("runs the gateway's rollouts as threads, stops them at a judge breakpoint, and each ends at the gateway with its reward", async () => {
    const gateway = (gw = await standIn(server!.url, server!.model));
    const created = groups(arithRows(2, 70), 2, 'dap');
    await call(gateway, 'POST', '/api/rollouts', created);
    const ids = created.map((r) => r.rollout_id!).sort();

    dc = new Client();
    await dc.start();
    await dc.initializeRequest({ adapterID: 'agent-tune', clientID: 'dap-test', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const launch = {
      config: mathConfig(),
      mode: 'controller',
      gateway: gateway.url,
      keyEnv: 'DAP_GATEWAY_KEY',
      env: { DAP_GATEWAY_KEY: KEY },
      args: ['--name', 'dap', '--poll', '0.1'],
      debugUserCode: false,
    };
    const launched = dc.launchRequest(launch as DebugProtocol.LaunchRequestArguments);
    await dc.next('initialized', () => true, 10_000).catch(() => undefined);
    const [bp] = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'judge' }] })).body.breakpoints;
    assert.equal(bp.verified, true);
    await dc.configurationDoneRequest();
    await launched;
    const runDir = ((await dc.next('agentTune.run')).body as { runDir: string }).runDir;

    // A rollout held before its judge: its model calls went through the gateway, no reward yet.
    const hit = await dc.stopped((e) => e.body.reason === 'function breakpoint' && !e.body.preserveFocusHint);
    const T = hit.body.threadId!;
    assert.deepEqual(hit.body.hitBreakpointIds, [bp.id]);
    assert.equal(await dc.evaluate(T, 'at'), '"judge"');
    const rid = JSON.parse(await dc.evaluate(T, 'rollout_id')) as string;
    assert.ok(ids.includes(rid), `the thread is a gateway rollout: ${rid}`);
    assert.equal(gateway.rollouts.get(rid)!.status.state, 'running');
    assert.ok(gateway.currentEvents(rid, 'model_request').length >= 1, 'the model was called through the gateway');
    assert.deepEqual(gateway.currentEvents(rid, 'reward'), []);
    assert.equal((await dc.stackTraceRequest({ threadId: T })).body.stackFrames[0].name, 'judge');

    const threads = (await dc.threadsRequest()).body.threads;
    assert.ok(threads.some((t) => t.id === T), 'the held rollout is a thread');
    assert.ok(threads.every((t) => /#0 · train step \d+$/.test(t.name)), `thread names: ${threads.map((t) => t.name)}`);

    // Continue without the breakpoint: every rollout is judged and reported.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.continueRequest({ threadId: T });
    await until(() => terminal(gateway).length === ids.length, 'every rollout has ended at the gateway', 180_000);
    for (const id of ids) {
      const r = gateway.rollouts.get(id)!;
      assert.equal(r.status.state, 'succeeded', r.status.error_message ?? '');
      const rewards = gateway.currentEvents(id, 'reward');
      assert.equal(rewards.length, 1, `one reward for ${id}`);
      assert.equal(typeof rewards[0].data.value, 'number');
    }
    await dc.next<DebugProtocol.ThreadEvent>('thread', (e) => e.body.reason === 'exited' && e.body.threadId === T);
    const rows = () => readFileSync(join(runDir, 'rollouts.jsonl'), 'utf8').trim().split('\n').filter(Boolean);
    await until(() => rows().length === ids.length, 'the run directory holds every rollout', 10_000);
    assert.deepEqual(rows().map((l) => (JSON.parse(l) as { id: string }).id).sort(), ids);
    assert.ok(!dc.events.some((e) => e.event === 'output' && (e.body as { output: string }).output.includes(KEY)), 'the key is not shown');

    // Terminate: the controller and everything it started are gone when the response comes.
    const pid = (JSON.parse(readFileSync(join(runDir, 'events.jsonl'), 'utf8').split('\n')[0]) as { pid: number }).pid;
    const tree = [pid, ...descendants(pid)];
    assert.ok(liveProcesses().some((p) => p.pid === pid), 'the controller runs until terminated');
    await dc.terminateRequest();
    assert.deepEqual(tree.filter((t) => liveProcesses().some((p) => p.pid === t)), []);
    await dc.next('terminated');
  });
});
