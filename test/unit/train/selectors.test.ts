import { strict as assert } from 'node:assert';
import { Rng } from '../../../trainer/src/model/sampling';
import { createSelector } from '../../../trainer/src/train/selectors';
import type { Task } from '../../../trainer/src/sdk';

const cfg = (type: string, extra: Record<string, unknown> = {}) =>
  ({ type, target: 0.5, temperature: 0.1, prior_strength: 2, ...extra }) as Parameters<typeof createSelector>[1];

function tasks(n: number, difficulty: (i: number) => number = (i) => i): Task[] {
  return Array.from({ length: n }, (_, i) => ({ id: `t${i}`, question: `q${i}`, reference: String(i), features: { difficulty: difficulty(i) } }));
}

describe('task selectors', () => {
  it('sequential wraps around in file order', () => {
    const s = createSelector(tasks(5), cfg('sequential'), 0);
    assert.deepEqual(s.select(1, 3).map((t) => t.id), ['t0', 't1', 't2']);
    assert.deepEqual(s.select(2, 3).map((t) => t.id), ['t3', 't4', 't0']);
  });

  it('shuffle gives every task once per epoch, differently per epoch, the same for the same seed', () => {
    const s = createSelector(tasks(10), cfg('shuffle'), 7);
    const e1 = [...s.select(1, 5), ...s.select(2, 5)].map((t) => t.id);
    const e2 = [...s.select(3, 5), ...s.select(4, 5)].map((t) => t.id);
    assert.equal(new Set(e1).size, 10);
    assert.equal(new Set(e2).size, 10);
    assert.notDeepEqual(e1, e2);
    const again = createSelector(tasks(10), cfg('shuffle'), 7);
    assert.deepEqual([...again.select(1, 5), ...again.select(2, 5)].map((t) => t.id), e1);
  });

  it('offline_easy2hard orders by the feature', () => {
    const s = createSelector(tasks(6, (i) => (i * 7) % 6), cfg('offline_easy2hard', { feature_key: 'difficulty' }), 0);
    const picked = s.select(1, 6).map((t) => t.features.difficulty);
    assert.deepEqual(picked, [0, 1, 2, 3, 4, 5]);
    assert.throws(() => createSelector([{ id: 'x', question: 'q', reference: '1', features: {} }], cfg('offline_easy2hard', { feature_key: 'difficulty' }), 0), /has no feature "difficulty"/);
  });

  it('random picks distinct tasks per step, reproducibly', () => {
    const a = createSelector(tasks(50), cfg('random'), 1).select(3, 10).map((t) => t.id);
    const b = createSelector(tasks(50), cfg('random'), 1).select(3, 10).map((t) => t.id);
    assert.equal(new Set(a).size, 10);
    assert.deepEqual(a, b);
  });

  it('difficulty_based concentrates on tasks whose true pass rate is near the target', () => {
    // 100 tasks with known pass rates spread over [0, 1]; the prior knows nothing.
    const truth = Array.from({ length: 100 }, (_, i) => i / 99);
    const ts = tasks(100);
    const rng = new Rng(5);
    const run = (type: string) => {
      const s = createSelector(ts, cfg(type), 11);
      let informative = 0;
      let groups = 0;
      for (let step = 1; step <= 60; step++) {
        for (const t of s.select(step, 8)) {
          const p = truth[Number(t.id.slice(1))];
          const outcomes = Array.from({ length: 8 }, () => (rng.next() < p ? 1 : 0));
          s.observe(t.id, outcomes);
          if (step > 30) {
            groups++;
            if (outcomes.some((o) => o !== outcomes[0])) informative++;
          }
        }
      }
      return { s, informative: informative / groups };
    };
    const bots = run('difficulty_based');
    const random = run('random');
    assert.ok(bots.informative > random.informative + 0.1, `informative groups: difficulty_based ${bots.informative.toFixed(2)} vs random ${random.informative.toFixed(2)}`);
    // Its estimates track the truth for tasks it has seen.
    const sel = bots.s as unknown as { predicted(id: string): number };
    const st = bots.s.state();
    for (const id of Object.keys(st.posteriors!).slice(0, 20)) {
      const [a, b] = st.posteriors![id];
      if (a + b > 20) assert.ok(Math.abs(sel.predicted(id) - truth[Number(id.slice(1))]) < 0.25, id);
    }
  });

  it('difficulty_based uses the feature as a prior and restores its state exactly', () => {
    const ts = tasks(40, (i) => i);
    const s = createSelector(ts, cfg('difficulty_based', { feature_key: 'difficulty', target: 0.9 }), 3);
    const easy = s.select(1, 8).map((t) => t.features.difficulty);
    assert.ok(easy.reduce((a, b) => a + b, 0) / 8 < 15, `a high target picks easy tasks first: ${easy}`);
    s.observe('t0', [1, 1, 0, 1]);
    const copy = createSelector(ts, cfg('difficulty_based', { feature_key: 'difficulty', target: 0.9 }), 3);
    copy.load(s.state());
    assert.deepEqual(copy.select(2, 8).map((t) => t.id), s.select(2, 8).map((t) => t.id));
  });
});
