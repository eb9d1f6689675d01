// F5 on a tune config in a real VS Code: the agent-tune session starts the trainer, the child
// node session attaches to it before any user code runs, a breakpoint in the example's judge
// (TypeScript, run in a worker thread) stops there, and after continuing both sessions end
// and the trainer is gone.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseDocument } from 'yaml';

interface Stop {
  session: vscode.DebugSession;
  threadId: number;
  reason: string;
}

async function waitFor<T>(what: string | (() => string), probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Live processes running the standalone adapter. */
function adapterProcesses(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && alive(Number(e)))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('debugAdapter.js');
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('debugging a tune config in VS Code', function () {
  this.timeout(240_000);
  const disposables: vscode.Disposable[] = [];

  afterEach(async () => {
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging().then(undefined, () => undefined);
    for (const d of disposables.splice(0)) d.dispose();
  });

  for (const separateProcess of [false, true]) {
    it(`stops at a breakpoint in the judge in the child node session, continues, and ends cleanly (adapter ${separateProcess ? 'in its own process' : 'in-process'})`, async () => {
      const settings = vscode.workspace.getConfiguration('agentTune.debug');
      await settings.update('separateProcess', separateProcess, vscode.ConfigurationTarget.Global);
      try {
        await judgeBreakpoint(separateProcess);
      } finally {
        await settings.update('separateProcess', undefined, vscode.ConfigurationTarget.Global);
      }
    });
  }

  async function judgeBreakpoint(separateProcess: boolean): Promise<void> {
    const folder = vscode.workspace.workspaceFolders![0];
    const judge = vscode.Uri.joinPath(folder.uri, 'math-agent', 'judge.ts');
    const config = vscode.Uri.joinPath(folder.uri, 'math-agent', 'math.tune.yaml');
    const lines = (await vscode.workspace.fs.readFile(judge)).toString().split('\n');
    const line = lines.findIndex((l) => l.includes('const answer = lastNumber('));
    assert.ok(line > 0, 'the judge has the line to break on');
    const bp = new vscode.SourceBreakpoint(new vscode.Location(judge, new vscode.Position(line, 0)));
    vscode.debug.addBreakpoints([bp]);

    const stops: Stop[] = [];
    const started: vscode.DebugSession[] = [];
    const ended = new Set<string>();
    let runDir: string | undefined;
    disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: { type: string; event?: string; body?: Record<string, unknown> }) => {
            if (m.type === 'event' && m.event === 'stopped') {
              stops.push({ session, threadId: m.body!.threadId as number, reason: m.body!.reason as string });
              // Judges already on their way may still meet the breakpoint being removed: go on, as F5 would.
              if (continueAll && session.type !== 'agent-tune') void session.customRequest('continue', { threadId: m.body!.threadId }).then(undefined, () => undefined);
            }
            if (m.type === 'event' && m.event === 'agentTune.run') runDir = m.body!.runDir as string;
          },
        }),
      }),
      vscode.debug.onDidStartDebugSession((s) => started.push(s)),
      vscode.debug.onDidTerminateDebugSession((s) => ended.add(s.id)),
    );
    let continueAll = false;

    const ok = await vscode.debug.startDebugging(folder, { type: 'agent-tune', request: 'launch', name: 'Debug math-agent', config: config.fsPath, mode: 'debug', tasks: 1 });
    assert.ok(ok, 'the agent-tune session starts');
    const parent = started.find((s) => s.type === 'agent-tune');
    assert.ok(parent, 'an agent-tune session');

    // The judge runs in a worker thread of the trainer: the stop comes from a node session under ours.
    const stop = await waitFor('a stop in the judge', () => stops.find((s) => s.session.type !== 'agent-tune'), 180_000);
    let root: vscode.DebugSession | undefined = stop.session;
    while (root && root.type !== 'agent-tune') root = root.parentSession;
    assert.equal(root?.id, parent.id, 'the node session is a child of the agent-tune session');
    assert.equal(stop.session.name, 'Trainer (Node.js)', 'not js-debug\'s "Remote Process [0]"');
    const trace = await stop.session.customRequest('stackTrace', { threadId: stop.threadId, levels: 1 });
    const top = trace.stackFrames[0];
    // A web workbench names local files by their vscode-remote URI.
    const stoppedIn = /^[a-z-]+:\/\//.test(top.source.path) ? vscode.Uri.parse(top.source.path).path : top.source.path;
    assert.equal(path.resolve(stoppedIn), judge.fsPath, `stopped in ${top.source.path}`);
    assert.equal(top.line, line + 1, 'at the breakpoint line');

    assert.ok(runDir, 'the adapter reported the run directory');
    const pid = JSON.parse(readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').split('\n')[0]).pid as number;
    assert.ok(alive(pid), 'the trainer runs while stopped in the judge');
    assert.equal(adapterProcesses().length > 0, separateProcess, 'dist/debugAdapter.js runs exactly when asked for');

    // Continue without the breakpoint: the rollouts finish and every session ends by itself.
    vscode.debug.removeBreakpoints([bp]);
    continueAll = true;
    await stop.session.customRequest('continue', { threadId: stop.threadId });
    await waitFor(
      () => `all debug sessions to end; still running: ${started.filter((s) => !ended.has(s.id)).map((s) => `${s.type} "${s.name}"`).join(', ')}; trainer ${alive(pid) ? 'alive' : 'gone'}; last events: ${readFileSync(path.join(runDir!, 'events.jsonl'), 'utf8').trim().split('\n').slice(-3).join(' | ')}`,
      () => (started.length > 1 && started.every((s) => ended.has(s.id)) ? true : undefined),
      60_000,
    );
    assert.ok(!alive(pid), 'the trainer has exited');
    const events = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(events[events.length - 1].type, 'run_finished');
    assert.equal(events.filter((e) => e.type === 'rollout_finished').length, 8, 'one task, group_size 8');
  }

  it('stops rollouts at an agent-level function breakpoint, and Stop ends both sessions and the trainer', async () => {
    const folder = vscode.workspace.workspaceFolders![0];
    const config = vscode.Uri.joinPath(folder.uri, 'math-agent', 'math.tune.yaml');
    vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint('judge', true, 'sample == 1')]);
    const stops: Stop[] = [];
    const started: vscode.DebugSession[] = [];
    const ended = new Set<string>();
    let runDir: string | undefined;
    disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('agent-tune', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: { type: string; event?: string; body?: Record<string, unknown> }) => {
            if (m.type === 'event' && m.event === 'stopped') stops.push({ session, threadId: m.body!.threadId as number, reason: m.body!.reason as string });
            if (m.type === 'event' && m.event === 'agentTune.run') runDir = m.body!.runDir as string;
          },
        }),
      }),
      vscode.debug.onDidStartDebugSession((s) => started.push(s)),
      vscode.debug.onDidTerminateDebugSession((s) => ended.add(s.id)),
    );
    assert.ok(await vscode.debug.startDebugging(folder, { type: 'agent-tune', request: 'launch', name: 'Debug math-agent', config: config.fsPath, tasks: 1 }));
    const stop = await waitFor('the judge breakpoint', () => stops.find((s) => s.reason === 'function breakpoint'), 180_000);
    const value = await stop.session.customRequest('evaluate', { expression: 'sample', context: 'repl', frameId: (await stop.session.customRequest('stackTrace', { threadId: stop.threadId })).stackFrames[0].id });
    assert.equal(value.result, '1', 'the condition holds where it stopped');
    assert.ok(started.some((s) => s.type !== 'agent-tune'), 'the node session is attached too');

    const pid = JSON.parse(readFileSync(path.join(runDir!, 'events.jsonl'), 'utf8').split('\n')[0]).pid as number;
    assert.ok(alive(pid));
    await vscode.debug.stopDebugging(stop.session);
    await waitFor('all debug sessions to end', () => (started.every((s) => ended.has(s.id)) ? true : undefined), 60_000);
    assert.ok(!alive(pid), 'the trainer is gone');
    const events = readFileSync(path.join(runDir!, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(events[events.length - 1].type, 'run_stopped', 'the run records that the user stopped it');
  });

  it('fills in the active tune file when a configuration names none, and restarts with a new trainer', async () => {
    const folder = vscode.workspace.workspaceFolders![0];
    const config = vscode.Uri.joinPath(folder.uri, 'math-agent', 'math.tune.yaml');
    await vscode.window.showTextDocument(config);
    const runs: string[] = [];
    const entries: Stop[] = [];
    const started: vscode.DebugSession[] = [];
    const ended = new Set<string>();
    disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('agent-tune', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: { type: string; event?: string; body?: Record<string, unknown> }) => {
            if (m.type === 'event' && m.event === 'agentTune.run') runs.push(m.body!.runDir as string);
            if (m.type === 'event' && m.event === 'stopped' && m.body!.reason === 'entry' && !m.body!.preserveFocusHint) entries.push({ session, threadId: m.body!.threadId as number, reason: 'entry' });
          },
        }),
      }),
      vscode.debug.onDidStartDebugSession((s) => started.push(s)),
      vscode.debug.onDidTerminateDebugSession((s) => ended.add(s.id)),
    );
    assert.ok(await vscode.debug.startDebugging(folder, { type: 'agent-tune', request: 'launch', name: 'defaults', stopOnEntry: true }));
    await waitFor('the entry stop', () => entries[0], 120_000);
    const parent = started.find((s) => s.type === 'agent-tune')!;
    assert.equal(parent.configuration.config, config.fsPath, 'the active tune file');
    assert.equal(parent.configuration.mode, 'debug');
    assert.equal(parent.configuration.tasks, 2);
    assert.equal(path.dirname(path.dirname(runs[0])), path.dirname(config.fsPath), 'the run lands beside the config');
    const first = JSON.parse(readFileSync(path.join(runs[0], 'events.jsonl'), 'utf8').split('\n')[0]).pid as number;

    await vscode.commands.executeCommand('workbench.action.debug.restart');
    await waitFor('a second run after restart', () => (runs.length > 1 && entries.length > 1 ? true : undefined), 120_000);
    assert.notEqual(runs[1], runs[0]);
    assert.ok(!alive(first), 'the first trainer is gone');
    const second = JSON.parse(readFileSync(path.join(runs[1], 'events.jsonl'), 'utf8').split('\n')[0]).pid as number;
    assert.ok(alive(second));
    const attached = started.filter((s) => s.parentSession?.type === 'agent-tune');
    assert.equal(attached.length, 2, 'a node session attached to each trainer');
    await vscode.debug.stopDebugging();
    await waitFor('the sessions to end', () => (started.every((s) => ended.has(s.id)) ? true : undefined), 60_000);
    assert.ok(!alive(second), 'the second trainer is gone');
  });

  it('Run trains to the end without stopping at function breakpoints', async () => {
    const folder = vscode.workspace.workspaceFolders![0];
    const dir = path.join(folder.uri.fsPath, 'math-agent');
    const doc = parseDocument(readFileSync(path.join(dir, 'math.tune.yaml'), 'utf8'));
    for (const [key, value] of [['train.steps', 1], ['train.tasks_per_step', 1], ['rollout.group_size', 2], ['rollout.parallel', 2]] as const) doc.setIn(key.split('.'), value);
    doc.deleteIn(['tasks', 'test']);
    const config = path.join(dir, 'run-lens.tune.yaml');
    writeFileSync(config, doc.toString());
    const runs: string[] = [];
    const stops: string[] = [];
    const started: vscode.DebugSession[] = [];
    const ended = new Set<string>();
    disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('agent-tune', {
        createDebugAdapterTracker: () => ({
          onDidSendMessage: (m: { type: string; event?: string; body?: Record<string, unknown> }) => {
            if (m.type === 'event' && m.event === 'agentTune.run') runs.push(m.body!.runDir as string);
            if (m.type === 'event' && m.event === 'stopped') stops.push(String(m.body!.reason));
          },
        }),
      }),
      vscode.debug.onDidStartDebugSession((s) => started.push(s)),
      vscode.debug.onDidTerminateDebugSession((s) => ended.add(s.id)),
    );
    vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint('reward == 1'), new vscode.FunctionBreakpoint('judge')]);
    try {
      assert.equal(await vscode.commands.executeCommand('agentTune.runConfig', vscode.Uri.file(config)), true);
      await waitFor('the run to end', () => (started.length && started.every((s) => ended.has(s.id)) ? true : undefined), 180_000);
      assert.deepEqual(stops, [], 'nothing held the run');
      assert.equal(started[0].configuration.noDebug, true, 'Run starts without debugging');
      const events = readFileSync(path.join(runs[0], 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
      assert.equal(events.at(-1)!.type, 'run_finished');
      assert.ok(events.some((e) => e.type === 'rollout_finished'), 'rollouts were judged');
    } finally {
      rmSync(config, { force: true });
      for (const r of runs) rmSync(r, { recursive: true, force: true });
    }
  });
});
