import { strict as assert } from 'node:assert';
import type { RunEvent } from '../../../trainer/src/run/events';
import { closeRollouts, foldRollout, foldRun, runStatus, type RolloutState, type RunState } from '../../../trainer/src/run/fold';

let seq = 0;
const ev = (e: Record<string, unknown>) => ({ seq: seq++, t: 1000 + seq, ...e }) as unknown as RunEvent;
const started = ev({ type: 'rollout_started', rollout_id: 'r1', step: 2, phase: 'train', task_id: 't', group_id: 'g', sample: 1, question: 'What is 2 + 3?' });
const call = { id: 'c1', name: 'calculator', arguments: { expression: '2 + 3' } };
const model = (turn: number, content: string, tokens = 4) =>
  ev({ type: 'turn', rollout_id: 'r1', turn, role: 'agent', kind: 'model', message: { role: 'assistant', content }, completion_tokens: tokens, flags: [], duration_ms: 5 });

describe('run event fold', () => {
  it('folds a rollout: turns, tool calls and results, the conversation, then the finish', () => {
    const m = new Map<string, RolloutState>();
    foldRollout(m, started);
    foldRollout(m, model(0, ''));
    foldRollout(m, ev({ type: 'turn', rollout_id: 'r1', turn: 0, role: 'agent', kind: 'tool_call', call }));
    foldRollout(m, ev({ type: 'turn', rollout_id: 'r1', turn: 0, role: 'agent', kind: 'tool_result', call_id: 'c1', name: 'calculator', content: 'error: x', error: true, duration_ms: 2 }));
    foldRollout(m, model(1, 'The answer is 5.', 6));
    foldRollout(m, ev({ type: 'custom', rollout_id: 'r1', name: 'note', data: { a: 1 } }));
    const r = foldRollout(m, ev({ type: 'rollout_finished', rollout_id: 'r1', step: 2, phase: 'train', task_id: 't', group_id: 'g', sample: 1, reward: 1, parts: { answer: 1 }, success: true, flags: ['tool_error'], turns: 2, tool_calls: 1, tokens: { prompt: 30, completion: 10 }, duration_ms: 40 }))!;
    assert.deepEqual(r.messages.map((x) => x.role), ['user', 'assistant', 'tool', 'assistant']);
    assert.deepEqual(r.messages[1].tool_calls, [call]);
    assert.equal(r.turns.length, 2);
    assert.deepEqual(r.turns[0].tools, [{ call, content: 'error: x', error: true, duration_ms: 2 }]);
    assert.equal(r.tool_calls, 1);
    assert.equal(r.completion_tokens, 10);
    assert.deepEqual(r.flags, ['tool_error']);
    assert.deepEqual(r.custom, [{ name: 'note', data: { a: 1 } }]);
    assert.equal(r.finished?.reward, 1);
    assert.equal(foldRollout(m, ev({ type: 'log', level: 'info', message: 'x' })), undefined);
    assert.equal(foldRollout(m, ev({ type: 'custom', rollout_id: 'unknown', name: 'n', data: 0 })), undefined);
  });

  it('a rollout started over by a replaced worker keeps only the turns after the restart', () => {
    const m = new Map<string, RolloutState>();
    foldRollout(m, started);
    foldRollout(m, model(0, 'first try'));
    foldRollout(m, model(1, 'second turn'));
    const r = foldRollout(m, model(0, 'again'))!;
    assert.deepEqual(r.turns.map((t) => t.message.content), ['again']);
  });

  it('folds the run: started, finished, failed, resumed; status from the events and the process', () => {
    const run: RunState = {};
    assert.equal(foldRun(run, ev({ type: 'step_started', step: 1, task_ids: [] })), false);
    foldRun(run, ev({ type: 'run_started', format: 1, run_id: 'x', name: 'job', mode: 'train', config_file: '/c.tune.yaml', pid: 42 }));
    assert.equal(run.config_file, '/c.tune.yaml');
    assert.equal(runStatus(run, () => true), 'running');
    assert.equal(runStatus(run, () => false), 'stopped', 'gone without saying so');
    foldRun(run, ev({ type: 'run_failed', message: 'out of memory' }));
    assert.equal(runStatus(run, () => false), 'failed');
    assert.equal(run.ended?.message, 'out of memory');
    foldRun(run, ev({ type: 'run_started', format: 1, run_id: 'x', name: 'job', mode: 'train', config_file: '/c.tune.yaml', pid: 43, resumed_from_step: 10 }));
    assert.equal(runStatus(run, (pid) => pid === 43), 'running', 'a resumed run runs again');
    foldRun(run, ev({ type: 'run_finished', duration_ms: 5 }));
    assert.equal(runStatus(run, () => false), 'finished');
  });

  it('a user\'s stop is its own state; older runs\' "interrupted by SIGTERM" failures read as stops', () => {
    const run: RunState = {};
    foldRun(run, ev({ type: 'run_started', format: 1, run_id: 'x', name: 'job', mode: 'debug', config_file: '/c.tune.yaml', pid: 42 }));
    assert.equal(foldRun(run, ev({ type: 'run_stopped', signal: 'SIGTERM', duration_ms: 9 })), true);
    assert.equal(runStatus(run, () => false), 'stopped');
    assert.equal(run.ended?.message, 'stopped by the user (SIGTERM)');
    const old: RunState = {};
    foldRun(old, ev({ type: 'run_failed', message: 'interrupted by SIGINT' }));
    assert.deepEqual([old.ended?.status, old.ended?.message], ['stopped', 'stopped by the user (SIGINT)']);
  });

  it('the end of the run cuts off the rollouts that had not finished', () => {
    const m = new Map<string, RolloutState>();
    foldRollout(m, started);
    foldRollout(m, ev({ type: 'rollout_started', rollout_id: 'r2', step: 2, phase: 'train', task_id: 't', group_id: 'g', sample: 2, question: 'q' }));
    foldRollout(m, ev({ type: 'rollout_finished', rollout_id: 'r2', step: 2, phase: 'train', task_id: 't', group_id: 'g', sample: 2, reward: 0, parts: {}, success: false, flags: [], turns: 0, tool_calls: 0, tokens: { prompt: 0, completion: 0 }, duration_ms: 1 }));
    assert.deepEqual(closeRollouts(m, ev({ type: 'log', level: 'info', message: 'x' })), []);
    const closed = closeRollouts(m, ev({ type: 'run_stopped', signal: 'SIGINT', duration_ms: 3 }));
    assert.deepEqual(closed.map((r) => [r.id, r.cut_off]), [['r1', 'stopped']]);
    assert.equal(m.get('r2')!.cut_off, undefined, 'a finished rollout is not cut off');
  });
});
