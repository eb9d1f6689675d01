// The `agent-tune` debug adapter over DAP (dist/debugAdapter.js), with the real trainer, the
// embedded tiny model and the real python tool: rollouts as threads, turns as frames,
// variables, function breakpoints with conditions, stepping one turn, pause and continue,
// and a terminate that leaves no process behind.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { descendants } from '../../src/debug/processTree';
import { Client } from './client';
import { liveProcesses, waitFor } from './processes';
import { mathWorkspace, repoRoot, type Workspace } from './workspace';

function runStartedPid(runDir: string): number {
  const first = JSON.parse(readFileSync(join(runDir, 'events.jsonl'), 'utf8').split('\n')[0]);
  assert.equal(first.type, 'run_started');
  return first.pid;
}

function lastEvent(runDir: string): { type: string; message?: string } {
  const lines = readFileSync(join(runDir, 'events.jsonl'), 'utf8').trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

const isAlive = (pid: number) => liveProcesses().some((p) => p.pid === pid);

describe('agent-tune debug adapter (DAP)', function () {
  this.timeout(240_000);
  let ws: Workspace | undefined;
  let dc: Client | undefined;

  afterEach(async () => {
    await dc?.stop().catch(() => undefined);
    ws?.remove();
    dc = undefined;
    ws = undefined;
  });

  async function start(launch: Record<string, unknown>, breakpoints: DebugProtocol.FunctionBreakpoint[] = []) {
    dc = new Client();
    await dc.start();
    const init = await dc.initializeRequest({ adapterID: 'agent-tune', clientID: 'dap-test', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const launched = dc.launchRequest(launch as DebugProtocol.LaunchRequestArguments);
    await dc.next('initialized', () => true, 10_000).catch(() => undefined);
    const bps = (await dc.setFunctionBreakpointsRequest({ breakpoints })).body.breakpoints;
    await dc.setExceptionBreakpointsRequest({ filters: ['userErrors'] });
    await dc.configurationDoneRequest();
    await launched;
    const runDir = ((await dc.next('agentTune.run')).body as { runDir: string }).runDir;
    return { dc, init, bps, runDir };
  }

  it('debugs rollouts: threads, stack, variables, a conditional function breakpoint, step, pause, continue, terminate', async () => {
    ws = mathWorkspace({ 'rollout.group_size': 2, 'rollout.parallel': 2 });
    const { dc, init, bps, runDir } = await start({ config: ws.config, tasks: 3, stopOnEntry: true, debugUserCode: false }, [
      { name: 'judge', condition: 'sample == 1' },
      { name: 'rewrd > 1' },
    ]);
    assert.deepEqual(init.body?.exceptionBreakpointFilters?.map((f) => f.label), ['Workflow and judge errors']);
    assert.equal(bps[0].verified, true);
    assert.equal(bps[1].verified, false);
    assert.match(bps[1].message ?? '', /unknown name "rewrd"/);
    const pid = runStartedPid(runDir);
    assert.ok(isAlive(pid), 'the trainer runs');
    await dc.next<DebugProtocol.OutputEvent>('output', (e) => e.body.category === 'stdout' && e.body.output.includes(`run directory: ${runDir}`));

    // Entry: a rollout held before its first turn; rollouts are threads.
    const entry = await dc.stopped((e) => e.body.reason === 'entry' && !e.body.preserveFocusHint);
    const T = entry.body.threadId!;
    // The Call Stack view shows this beside the thread name, in capitals: a few words.
    assert.equal(entry.body.description, 'entry · turn 0');
    const threads = (await dc.threadsRequest()).body.threads;
    assert.ok(threads.some((t) => t.id === T), 'the stopped rollout is a thread');
    assert.ok(threads.every((t) => /#\d+$/.test(t.name)), `thread names end with the sample: ${threads.map((t) => t.name)}`);

    let frames = (await dc.stackTraceRequest({ threadId: T })).body.stackFrames;
    assert.equal(frames.length, 1);
    assert.match(frames[0].name, /^turn 0/);
    const rollout = await dc.scopeValues(T, 'Rollout');
    assert.equal(rollout.turns, '0');
    const question = JSON.parse(rollout.question) as string;
    const doc = (await dc.sourceRequest({ sourceReference: frames[0].source!.sourceReference!, source: frames[0].source })).body.content;
    assert.ok(doc.includes(`rollout ${JSON.parse(rollout.id)}`), 'the frame source is the transcript of this rollout');
    // Before the first turn, the prompt is what the model is about to be given.
    assert.deepEqual(Object.keys(await dc.scopeValues(T, 'Messages')).slice(0, 2), ['0 system', '1 user']);
    assert.match(doc, /prompt: 2 messages/);

    // Step over: exactly one more turn, the other rollouts stay where they are.
    const others = threads.filter((t) => t.id !== T);
    const before = await Promise.all(others.map((t) => dc.evaluate(t.id, 'turns')));
    await dc.nextRequest({ threadId: T });
    const stepped = await dc.stopped((e) => e.body.reason === 'step');
    assert.equal(stepped.body.threadId, T);
    assert.equal(await dc.evaluate(T, 'turns'), '1');
    frames = (await dc.stackTraceRequest({ threadId: T })).body.stackFrames;
    assert.equal(frames.length, 2, `one frame per turn plus where it is held: ${frames.map((f) => f.name)}`);
    assert.match(frames[1].name, /^turn 0 · agent/);
    const turn0 = await dc.scopeValues(T, 'Turn 0', 1);
    assert.ok('content' in turn0 && 'tool calls' in turn0 && 'flags' in turn0);
    assert.match(turn0.duration_ms, /^\d+$/, 'durations are whole milliseconds');
    const messages = await dc.scopeValues(T, 'Messages', 1);
    assert.deepEqual(Object.keys(messages).slice(0, 2), ['0 system', '1 user']);
    assert.ok(messages['1 user'].includes(JSON.stringify(question).slice(1, 20)), 'the prompt holds the question');
    assert.deepEqual(await Promise.all(others.map((t) => dc.evaluate(t.id, 'turns'))), before);

    // A conditional function breakpoint: the judge of a second sample.
    await dc.continueRequest({ threadId: T });
    const hit = await dc.stopped((e) => e.body.reason === 'function breakpoint');
    assert.deepEqual(hit.body.hitBreakpointIds, [bps[0].id]);
    assert.equal(await dc.evaluate(hit.body.threadId!, 'sample'), '1');
    assert.equal(await dc.evaluate(hit.body.threadId!, 'at'), '"judge"');
    // What the judge receives is readable before it runs.
    assert.equal(await dc.evaluate(hit.body.threadId!, 'task.reference'), await dc.evaluate(hit.body.threadId!, 'reference'));
    assert.match(await dc.evaluate(hit.body.threadId!, 'final_answer'), /^(".*"|null)$/s);
    assert.equal((await dc.stackTraceRequest({ threadId: hit.body.threadId! })).body.stackFrames[0].name, 'judge');
    const judgeScopes = (await dc.scopesRequest({ frameId: (await dc.stackTraceRequest({ threadId: hit.body.threadId! })).body.stackFrames[0].id })).body.scopes;
    assert.deepEqual(judgeScopes.map((s) => s.name), ['Judge', 'Conversation', 'Rollout']);

    // Pause and continue: nothing moves while paused.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.continueRequest({ threadId: hit.body.threadId! });
    await dc.pauseRequest({ threadId: hit.body.threadId! });
    const paused = await dc.stopped((e) => e.body.reason === 'pause' && !e.body.preserveFocusHint);
    const P = paused.body.threadId!;
    const held = [await dc.evaluate(P, 'at'), await dc.evaluate(P, 'turns')];
    await new Promise((r) => setTimeout(r, 750));
    assert.deepEqual([await dc.evaluate(P, 'at'), await dc.evaluate(P, 'turns')], held);
    await dc.continueRequest({ threadId: P });

    // The log viewer opens on this run.
    const opened = await dc.customRequest('agentTune.openRunViewer');
    assert.equal(opened.body.runDir, runDir);
    assert.equal(((await dc.next('agentTune.openRun')).body as { runDir: string }).runDir, runDir);

    // Terminate: the trainer and everything it started are gone when the response comes.
    const tree = [pid, ...descendants(pid)];
    await dc.terminateRequest();
    assert.deepEqual(tree.filter(isAlive), []);
    await dc.next('terminated');
    assert.match(lastEvent(runDir).type, /^run_(stopped|finished)$/);
  });

  it('stops at tool:python with its arguments, and terminate kills the python process', async () => {
    const marker = `agent_tune_dap_${process.pid}_${Date.now()}`;
    ws = mathWorkspace(
      {
        'workflow.ref': './python-workflow.ts#workflow',
        'workflow.options': { code: `import time\n${marker} = 1\ntime.sleep(120)\n` },
        tools: [{ ref: 'builtin:python', timeout_s: 120 }],
        'rollout.group_size': 2,
        'rollout.parallel': 2,
      },
      { 'python-workflow.ts': join(repoRoot, 'test', 'dap', 'fixtures', 'python-workflow.ts') },
    );
    const { dc, runDir } = await start({ config: ws.config, tasks: 1, debugUserCode: false }, [{ name: 'tool:python' }]);
    const pid = runStartedPid(runDir);
    const hit = await dc.stopped((e) => e.body.reason === 'function breakpoint');
    const top = (await dc.stackTraceRequest({ threadId: hit.body.threadId! })).body.stackFrames[0];
    assert.match(top.name, /^turn 0 · agent → execute_python_code @ turn 0: execute_python_code/);
    const transcript = (await dc.sourceRequest({ sourceReference: top.source!.sourceReference!, source: top.source })).body.content.split('\n');
    assert.match(transcript[top.line - 1], /execute_python_code \(call-python\)/, 'the frame points at the tool call in its transcript');
    assert.ok(transcript.includes('(not run yet)'));
    const tool = await dc.scopeValues(hit.body.threadId!, 'Tool call');
    assert.equal(tool.name, '"execute_python_code"');
    assert.equal(await dc.evaluate(hit.body.threadId!, 'args.code'), JSON.stringify(`import time\n${marker} = 1\ntime.sleep(120)\n`));
    await dc.continueRequest({ threadId: hit.body.threadId! });

    // The python process runs under the trainer (in a process group of its own).
    const tree = await waitFor('a python process under the trainer', () => {
      const pids = descendants(pid);
      const python = liveProcesses().filter((p) => pids.includes(p.pid) && /python/.test(p.cmdline));
      return python.length ? [pid, ...pids] : undefined;
    });
    await dc.terminateRequest();
    assert.deepEqual(tree.filter(isAlive), [], 'no trainer or python process remains');
  });

  it('a breakpoint added while paused stops rollouts that reach it later, and says which held ones are past it', async () => {
    ws = mathWorkspace({ 'rollout.group_size': 2, 'rollout.parallel': 2 });
    const { dc, runDir } = await start({ config: ws.config, tasks: 2, stopOnEntry: true, debugUserCode: false });
    const entry = await dc.stopped((e) => e.body.reason === 'entry' && !e.body.preserveFocusHint);
    // Held at turn 0: a `turn` breakpoint set now cannot stop them there, and says so.
    const [, turn] = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'judge' }, { name: 'turn' }] })).body.breakpoints;
    assert.match(turn.message ?? '', /^breakpoint "turn": \d+ held rollouts? (is|are) at it already and go(es)? on when continued/);
    await dc.next<DebugProtocol.OutputEvent>('output', (e) => e.body.category === 'important' && e.body.output.includes('breakpoint "turn"'));
    const [bp] = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'judge' }] })).body.breakpoints;
    assert.equal(bp.verified, true);
    assert.equal(bp.message, undefined, 'no rollout is held at the judge yet');
    const judged = new Set<number>();
    dc.on('stopped', (e: DebugProtocol.StoppedEvent) => {
      if (e.body.reason === 'function breakpoint') judged.add(e.body.threadId!);
      void dc.continueRequest({ threadId: e.body.threadId! }).catch(() => undefined);
    });
    // The entry stop and the rollouts held beside it.
    for (const t of new Set([entry.body.threadId!, ...(await dc.threadsRequest()).body.threads.map((x) => x.id)])) await dc.continueRequest({ threadId: t }).catch(() => undefined);
    await dc.next('terminated', () => true, 180_000);
    const ids = readFileSync(join(runDir, 'rollouts.jsonl'), 'utf8').trim().split('\n').length;
    assert.equal(judged.size, ids, `each of the ${ids} rollouts stopped at the judge; stopped: ${[...judged]}`);
  });

  it('runs without debugging: function breakpoints, the error filter and stopOnEntry stop nothing', async () => {
    ws = mathWorkspace({ 'rollout.group_size': 2, 'rollout.parallel': 2 });
    const { dc, bps, runDir } = await start({ config: ws.config, tasks: 1, stopOnEntry: true, noDebug: true }, [{ name: 'judge' }, { name: 'reward == 1' }]);
    assert.ok(bps.every((b) => !b.verified && /without debugging/.test(b.message ?? '')), JSON.stringify(bps));
    await dc.next('terminated', () => true, 180_000);
    assert.deepEqual(dc.events.filter((e) => e.event === 'stopped'), [], 'no rollout was held');
    assert.equal(lastEvent(runDir).type, 'run_finished');
    assert.ok(dc.events.some((e) => e.event === 'thread'), 'rollouts still show as threads');
  });

  it('a terminate is the user\'s stop: the run ends with run_stopped', async () => {
    ws = mathWorkspace({ 'rollout.group_size': 2, 'rollout.parallel': 2 });
    const { dc, runDir } = await start({ config: ws.config, tasks: 1, stopOnEntry: true, debugUserCode: false });
    await dc.stopped((e) => e.body.reason === 'entry' && !e.body.preserveFocusHint);
    await dc.terminateRequest();
    await dc.next('terminated');
    const last = lastEvent(runDir) as { type: string; signal?: string };
    assert.deepEqual([last.type, last.signal], ['run_stopped', 'SIGTERM']);
  });

  it('restarts: a new trainer and run, nothing left of the old one', async () => {
    ws = mathWorkspace({ 'rollout.group_size': 2, 'rollout.parallel': 2 });
    const launch = { config: ws.config, tasks: 1, stopOnEntry: true, debugUserCode: false };
    const { dc, runDir } = await start(launch);
    await dc.stopped((e) => e.body.reason === 'entry' && !e.body.preserveFocusHint);
    const pid = runStartedPid(runDir);
    const tree = [pid, ...descendants(pid)];
    await dc.restartRequest({ arguments: launch as DebugProtocol.LaunchRequestArguments });
    assert.deepEqual(tree.filter(isAlive), [], 'the first trainer is gone');
    const second = ((await dc.next('agentTune.run')).body as { runDir: string }).runDir;
    assert.notEqual(second, runDir);
    const entry = await dc.stopped((e) => e.body.reason === 'entry' && !e.body.preserveFocusHint);
    assert.equal(await dc.evaluate(entry.body.threadId!, 'turns'), '0');
    const pid2 = runStartedPid(second);
    assert.ok(isAlive(pid2));
    await dc.disconnectRequest({ terminateDebuggee: true });
    assert.ok(!isAlive(pid2), 'disconnect stops the trainer');
  });

  it('ends at once with a message that says what to fix', async () => {
    dc = new Client();
    await dc.start();
    await dc.initializeRequest({ adapterID: 'agent-tune', pathFormat: 'path' });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ config: '/nonexistent/x.tune.yaml' }, /Config file not found: \/nonexistent\/x\.tune\.yaml/],
      [{}, /set "config" to a \*\.tune\.yaml file/],
      [{ config: join(repoRoot, 'examples', 'math-agent', 'math.tune.yaml'), runtimeExecutable: '/nonexistent/node' }, /"runtimeExecutable": \/nonexistent\/node was not found/],
    ];
    for (const [args, message] of cases) {
      const started = Date.now();
      await assert.rejects(dc.launchRequest(args as DebugProtocol.LaunchRequestArguments), (e: Error) => (assert.match(e.message, message), true));
      assert.ok(Date.now() - started < 5000, 'no hang');
    }
    ws = mathWorkspace({ 'rollout.group_size': 'many' });
    await assert.rejects(dc.launchRequest({ config: ws.config } as DebugProtocol.LaunchRequestArguments), (e: Error) => (assert.match(e.message, /math\.tune\.yaml:\d+:\d+ +rollout\.group_size/), true));
  });

  it('trace: true logs the DAP traffic of the session to a file', async () => {
    ws = mathWorkspace({ 'rollout.group_size': 'many' });
    const trace = join(ws.dir, 'dap.log');
    dc = new Client();
    await dc.start();
    await dc.initializeRequest({ adapterID: 'agent-tune', pathFormat: 'path' });
    const announced = dc.next('output', (e) => /tracing the Debug Adapter Protocol to/.test((e.body as { output: string }).output), 10_000);
    await assert.rejects(dc.launchRequest({ config: ws.config, trace } as DebugProtocol.LaunchRequestArguments));
    await announced;
    await waitFor('the trace file', () => existsSync(trace) && /From client: launch\(/.test(readFileSync(trace, 'utf8')), 10_000);
    const text = readFileSync(trace, 'utf8');
    assert.match(text, /From client: initialize\(/, 'messages from before the launch are kept');
    assert.match(text, /To client: .*"command":"launch".*"success":false/, 'responses are traced');
  });
});
