// The editor loop end to end, as a user lives it in one sitting: edit the judge, F5 to a
// breakpoint in it, continue, Run with breakpoints set (it does not stop), edit the judge again,
// re-judge the finished run, find the new rewards in the viewer and in rollouts.jsonl, then
// compare with a run still in progress and watch the overlay grow as that run goes on.
import * as assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseDocument } from 'yaml';
import type { RunPanel } from '../../src/viewer/panel';
import type { RolloutRecord } from '../../trainer/src/run/events';
import { makeRun } from '../fixtures/make-run';

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const rollouts = (dir: string) =>
  readFileSync(path.join(dir, 'rollouts.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RolloutRecord);

describe('the editor loop, end to end', function () {
  this.timeout(600_000);
  const disposables: vscode.Disposable[] = [];
  const cleanup: (() => void)[] = [];

  after(async () => {
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging().then(undefined, () => undefined);
    for (const d of disposables.splice(0)) d.dispose();
    for (const c of cleanup.splice(0).reverse()) c();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('edit the judge, F5 to a breakpoint, continue, Run without stopping, re-judge and see the new rewards, compare with a live run', async () => {
    const folder = vscode.workspace.workspaceFolders![0];
    const dir = path.join(folder.uri.fsPath, 'math-agent');
    const judgeFile = path.join(dir, 'judge.ts');
    const original = readFileSync(judgeFile, 'utf8');
    cleanup.push(() => writeFileSync(judgeFile, original));
    const doc = parseDocument(readFileSync(path.join(dir, 'math.tune.yaml'), 'utf8'));
    for (const [key, value] of [['train.steps', 1], ['train.tasks_per_step', 1], ['rollout.group_size', 4], ['rollout.parallel', 2]] as const) doc.setIn(key.split('.'), value);
    doc.deleteIn(['tasks', 'test']);
    const config = path.join(dir, 'loop.tune.yaml');
    writeFileSync(config, doc.toString());
    cleanup.push(() => rmSync(config, { force: true }));

    const runs: string[] = [];
    const stops: { session: vscode.DebugSession; threadId: number; reason: string }[] = [];
    const started: vscode.DebugSession[] = [];
    const ended = new Set<string>();
    let continueAll = false;
    disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: { type: string; event?: string; body?: Record<string, unknown> }) => {
            if (m.type === 'event' && m.event === 'agentTune.run') runs.push(m.body!.runDir as string);
            if (m.type === 'event' && m.event === 'stopped') {
              stops.push({ session, threadId: m.body!.threadId as number, reason: String(m.body!.reason) });
              if (continueAll && session.type !== 'agent-tune') void session.customRequest('continue', { threadId: m.body!.threadId }).then(undefined, () => undefined);
            }
          },
        }),
      }),
      vscode.debug.onDidStartDebugSession((s) => started.push(s)),
      vscode.debug.onDidTerminateDebugSession((s) => ended.add(s.id)),
    );
    cleanup.push(() => runs.forEach((r) => rmSync(r, { recursive: true, force: true })));
    const allEnded = (what: string) => waitFor(what, () => (started.length && started.every((s) => ended.has(s.id)) ? true : undefined), 240_000);

    // 1. Edit the judge: a wrong answer now earns 0.25.
    const edited = original.replace('reward: correct ? 1 : 0,', 'reward: correct ? 1 : 0.25,');
    assert.notEqual(edited, original, 'the example judge has the reward line');
    writeFileSync(judgeFile, edited);

    // 2. F5 with a breakpoint in the judge: it stops there, in the child node session.
    const line = edited.split('\n').findIndex((l) => l.includes('const correct ='));
    const bp = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(judgeFile), new vscode.Position(line, 0)));
    vscode.debug.addBreakpoints([bp]);
    assert.ok(await vscode.debug.startDebugging(folder, { type: 'agent-tune', request: 'launch', name: 'Debug loop', config, mode: 'debug', tasks: 1 }));
    const stop = await waitFor('a stop in the judge', () => stops.find((s) => s.session.type !== 'agent-tune'), 180_000);
    const frame = (await stop.session.customRequest('stackTrace', { threadId: stop.threadId, levels: 1 })).stackFrames[0];
    assert.equal(frame.line, line + 1, 'stopped at the breakpoint line');

    // 3. Continue: the debug run finishes, judged by the edited judge.
    vscode.debug.removeBreakpoints([bp]);
    continueAll = true;
    await stop.session.customRequest('continue', { threadId: stop.threadId });
    await allEnded('the debug run to end');
    const debugRun = runs[0];
    assert.ok(rollouts(debugRun).every((r) => r.parts.answer === (r.success ? 1 : 0.25)), 'the debug run was judged by the edited judge');

    // 4. Run, with function breakpoints set: training goes to the end without stopping.
    started.length = 0;
    stops.length = 0;
    vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint('judge'), new vscode.FunctionBreakpoint('reward == 1')]);
    assert.equal(await vscode.commands.executeCommand('agentTune.runConfig', vscode.Uri.file(config)), true);
    await allEnded('the training run to end');
    assert.deepEqual(stops.map((s) => s.reason), [], 'nothing held the run');
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    const trainRun = runs[runs.length - 1];
    assert.notEqual(trainRun, debugRun);
    const before = rollouts(trainRun);
    assert.ok(before.length >= 4 && before.every((r) => r.parts.answer === (r.success ? 1 : 0.25)));

    // 5. Edit the judge again and re-judge the finished run from its viewer.
    writeFileSync(judgeFile, original.replace('reward: correct ? 1 : 0,', 'reward: correct ? 0.9 : 0.5,'));
    const panel = await vscode.commands.executeCommand<RunPanel>('agentTune.openRun', trainRun);
    await waitFor('the viewer to draw the run', () => (panel.lastRendered?.rows === before.length ? true : undefined), 60_000);
    await panel.rejudge();

    // 6. The new rewards are in rollouts.jsonl and in the rows the table holds.
    const after = rollouts(trainRun);
    assert.deepEqual(after.map((r) => r.id), before.map((r) => r.id));
    for (const [i, r] of after.entries()) {
      assert.equal(r.parts.answer, r.success ? 0.9 : 0.5, r.id);
      // Only the judge's part changed: the shaping parts (format, tool errors) are the same.
      assert.ok(Math.abs(r.reward - r.parts.answer - (before[i].reward - before[i].parts.answer)) < 1e-9, r.id);
    }
    await waitFor('the table to hold the new rewards', () => (after.every((r) => panel.source.row(r.id)?.reward === r.reward) ? true : undefined), 30_000);

    // 7. Compare with a second run still in progress: the overlay grows as it writes metrics.
    const live = makeRun(path.join(dir, 'runs'), { name: 'live-peer', steps: 2, tasksPerStep: 1, groupSize: 2, live: true });
    cleanup.push(() => (live.writer.close(), rmSync(live.dir, { recursive: true, force: true })));
    await panel.compareWith(live.dir);
    assert.deepEqual(panel.compared?.train.map((m) => m.step), [1, 2]);
    live.writer.metric({ step: 3, kind: 'train', metrics: { reward_mean: 0.7, success_rate: 0.5 } });
    await waitFor('the overlay to reach step 3', () => (panel.compared?.train.some((m) => m.step === 3) ? true : undefined), 30_000);
  });
});
