import * as assert from 'node:assert/strict';
import { stopDescription, threadName } from '../../../trainer/src/debug/position';

describe('thread names and stop labels', () => {
  it('names a thread by its rollout first, so a cut name still tells the rollouts apart', () => {
    assert.equal(threadName({ phase: 'debug', step: 0, task_id: 'train-3', sample: 1 }), 'train-3 #1');
    assert.equal(threadName({ phase: 'train', step: 4, task_id: 'train-3', sample: 1 }), 'train-3 #1 · train step 4');
  });

  it('keeps the state short: why it paused and where, or the breakpoints hit', () => {
    assert.equal(stopDescription('pause', { at: 'sampled', turn: 0 } as never), 'pause · turn 0 sampled');
    assert.equal(stopDescription('entry', undefined), 'entry · start');
    assert.equal(stopDescription('step', { at: 'judge' } as never), 'step · judge');
    assert.equal(stopDescription('breakpoint', { at: 'judged' } as never, ['reward == 1', 'judge']), 'reward == 1, judge');
    for (const s of ['pause · turn 0 sampled', 'step · judge']) assert.ok(s.length <= 24);
  });
});
