import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import type { RunEvent } from '../../../trainer/src/run/events';
import { foldProgress, newProgress, progressOf, progressText } from '../../../trainer/src/run/progress';
import { createOutput } from '../../../trainer/src/commands/output';

let seq = 0;
const ev = (t: number, e: Record<string, unknown>) => ({ seq: seq++, t, ...e }) as unknown as RunEvent;
const finished = (t: number) => ev(t, { type: 'rollout_finished', rollout_id: `r${seq}`, step: 1, phase: 'train', task_id: 't', group_id: 'g', sample: 0, reward: 1, parts: {}, success: true, flags: [], turns: 1, tool_calls: 0, tokens: { prompt: 1, completion: 1 }, duration_ms: 1000 });

describe('run progress', () => {
  it('step n/N, time per step, time left, rollouts per second and the last eval, from the events', () => {
    const p = newProgress();
    foldProgress(p, ev(0, { type: 'run_started', format: 1, run_id: 'x', name: 'x', mode: 'train', config_file: 'c', pid: 1, steps: 10 }));
    assert.equal(progressText(progressOf(p, 0)), '');
    foldProgress(p, ev(1_000, { type: 'step_started', step: 1, task_ids: [] }));
    for (let i = 0; i < 8; i++) foldProgress(p, finished(2_000 + i * 1000));
    foldProgress(p, ev(11_000, { type: 'step_started', step: 2, task_ids: [] }));
    foldProgress(p, ev(12_000, { type: 'eval_metrics', step: 2, metrics: { 'mean@4': 0.3, 'pass@1': 0.25 }, per_task_file: 'eval/x' }));
    foldProgress(p, ev(21_000, { type: 'step_started', step: 3, task_ids: [] }));
    const now = 26_000;
    const pr = progressOf(p, now);
    assert.equal(pr.step, 3);
    assert.equal(pr.total, 10);
    assert.equal(pr.msPerStep, 10_000);
    // Steps 3 to 10 at 10 s each, 5 s of step 3 spent.
    assert.equal(pr.msLeft, 75_000);
    // 8 rollouts since the first one started (1 s before it finished, at 1 s).
    assert.equal(pr.rolloutsPerS, 8 / 25);
    assert.deepEqual(pr.lastEval, { step: 2, name: 'pass@1', value: 0.25 });
    assert.equal(progressText(pr), 'step 3/10 · 10s/step · 1m15s left · 0.3 rollouts/s · eval pass@1 25.0% at step 2');
    assert.equal(progressText(pr, { live: false }), 'step 3/10 · 10s/step · eval pass@1 25.0% at step 2', 'an ended run has no time left');
  });

  it('a resumed run measures its pace again and keeps its last eval; a tail read starts at the first step it sees', () => {
    const p = newProgress();
    foldProgress(p, ev(0, { type: 'step_started', step: 7, task_ids: [] }));
    assert.equal(progressOf(p, 5).msPerStep, undefined, 'one step says nothing about the pace');
    foldProgress(p, ev(0, { type: 'eval_metrics', step: 6, metrics: { 'pass@1': 0.5 }, per_task_file: 'e' }));
    foldProgress(p, ev(100_000, { type: 'run_started', format: 1, run_id: 'x', name: 'x', mode: 'train', config_file: 'c', pid: 1, steps: 20, resumed_from_step: 7 }));
    foldProgress(p, ev(101_000, { type: 'step_started', step: 8, task_ids: [] }));
    foldProgress(p, ev(103_000, { type: 'step_started', step: 9, task_ids: [] }));
    const pr = progressOf(p, 103_000);
    assert.deepEqual([pr.step, pr.total, pr.msPerStep, pr.msLeft, pr.lastEval?.step], [9, 20, 2000, 24_000, 6]);
  });

  it('the CLI bar on a terminal shows the run\'s progress in place of its own estimate', () => {
    const err = Object.assign(new PassThrough(), { isTTY: true, columns: 200 }) as unknown as NodeJS.WriteStream;
    let text = '';
    (err as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
    const bar = createOutput(false, process.stdout, err).progress(10, 'steps');
    bar.update(3, { reward: 0.5 }, { step: 3, total: 10, msPerStep: 10_000, msLeft: 75_000, rolloutsPerS: 4.25, lastEval: { step: 2, name: 'pass@1', value: 0.25 } });
    assert.match(text, /steps \[[█░]+\] 3\/10 {2}reward 0\.500 {2}10s\/step · 1m15s left · 4\.3 rollouts\/s · eval pass@1 25\.0% at step 2/);
    assert.doesNotMatch(text, /eta/);
  });
});
