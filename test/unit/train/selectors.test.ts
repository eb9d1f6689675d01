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
        const seen = new Map<string, number[]>();
        for (const t of s.select(step, 8)) {
          const p = truth[Number(t.id.slice(1))];
          const outcomes = Array.from({ length: 8 }, () => (rng.next() < p ? 1 : 0));
          seen.set(t.id, outcomes);
          if (step > 30) {
            groups++;
            if (outcomes.some((o) => o !== outcomes[0])) informative++;
          }
        }
        s.observe(seen);
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
    s.observe(new Map([['t0', [1, 1, 0, 1]]]));
    const copy = createSelector(ts, cfg('difficulty_based', { feature_key: 'difficulty', target: 0.9 }), 3);
    copy.load(s.state());
    assert.deepEqual(copy.select(2, 8).map((t) => t.id), s.select(2, 8).map((t) => t.id));
  });

  const bots = (extra: Record<string, unknown>) => cfg('difficulty_based', { feature_key: 'difficulty', prior_strength: 2, ...extra });
  const predicted = (s: unknown, id: string) => (s as { predicted(id: string): number }).predicted(id);

  it('difficulty_based without forgetting or implicit evidence accumulates counts exactly', () => {
    const s = createSelector(tasks(3), bots({ forgetting: 0, implicit_evidence: 0 }), 0);
    s.observe(new Map([['t1', [1, 1, 1, 0]]]));
    // t1's prior is 0.5 with strength 2: Beta(1, 1) + 3 successes, 1 failure.
    assert.deepEqual(s.state().posteriors, { t1: [4, 2] });
  });

  it('difficulty_based forgets: λ pulls a posterior back towards its prior each step', () => {
    const lambda = 0.2;
    const s = createSelector(tasks(3), bots({ forgetting: lambda, implicit_evidence: 0 }), 0);
    s.observe(new Map([['t1', [0, 0, 0, 0, 0, 0, 0, 0]]]));
    // α = 0.8·1 + 0.2·1 + 0 = 1, β = 0.8·1 + 0.2·1 + 8 = 9.
    assert.deepEqual(s.state().posteriors!.t1, [1, 9]);
    for (let i = 0; i < 30; i++) s.observe(new Map([['t0', [1, 0]]]));
    // Thirty steps later the failures of step 1 weigh 0.8^30 of what they did: back near the prior.
    assert.ok(Math.abs(predicted(s, 't1') - 0.5) < 0.01, `t1 predicted ${predicted(s, 't1')}`);
    const keep = createSelector(tasks(3), bots({ forgetting: 0, implicit_evidence: 0 }), 0);
    keep.observe(new Map([['t1', [0, 0, 0, 0, 0, 0, 0, 0]]]));
    for (let i = 0; i < 30; i++) keep.observe(new Map([['t0', [1, 0]]]));
    assert.equal(predicted(keep, 't1'), 0.1);
  });

  it('difficulty_based adds implicit evidence: unseen tasks follow the shift of the seen ones', () => {
    const rho = 0.5;
    // Priors by difficulty rank: t0 0.9, t1 0.5, t2 0.1.
    const s = createSelector(tasks(3), bots({ forgetting: 0, implicit_evidence: rho }), 0);
    s.observe(new Map([['t1', [1, 1, 1, 1]]]));
    const [a1, b1] = s.state().posteriors!.t1;
    // Seen: (1 − ρ)·counts + ρ·(observed rate)·m = the counts themselves.
    assert.deepEqual([a1, b1], [1 + 4, 1 + 0]);
    // Unseen t2: prior 0.1 shifted by +0.5 (t1 passed at 1.0 against a prior of 0.5): p̃ = 0.6, m = 4.
    const [a2, b2] = s.state().posteriors!.t2;
    assert.ok(Math.abs(a2 - (0.2 + rho * 0.6 * 4)) < 1e-12 && Math.abs(b2 - (1.8 + rho * 0.4 * 4)) < 1e-12, `${a2} ${b2}`);
    assert.ok(predicted(s, 't2') > 0.1, 'an easier-than-expected step raises the estimates of unseen tasks');
  });

  it('difficulty_based interpolates implicit evidence from tasks of like difficulty', () => {
    // 41 tasks, priors 0.9 (t0) down to 0.1 (t40) in steps of 0.02. The hardest seen task fails
    // every rollout, the easiest passes every one: unseen hard tasks follow the first, easy ones the second.
    const s = createSelector(tasks(41), bots({ forgetting: 0, implicit_evidence: 0.5 }), 0);
    const before = (id: string) => predicted(s, id);
    const [hardNear, easyNear, middle] = [before('t38'), before('t2'), before('t20')];
    s.observe(new Map([['t40', [0, 0, 0, 0]], ['t0', [1, 1, 1, 1]]]));
    assert.ok(predicted(s, 't38') < hardNear, `a hard task beside a failed one goes down: ${hardNear} → ${predicted(s, 't38')}`);
    assert.ok(predicted(s, 't2') > easyNear, `an easy task beside a solved one goes up: ${easyNear} → ${predicted(s, 't2')}`);
    // Halfway between, the two surprises (−0.1 and +0.1) cancel.
    assert.ok(Math.abs(predicted(s, 't20') - middle) < 1e-9, `${middle} → ${predicted(s, 't20')}`);
  });

  it('difficulty_based keeps λ and ρ in its state, restores it exactly and refuses other settings', () => {
    const s = createSelector(tasks(20), bots({ forgetting: 0.3, implicit_evidence: 0.1 }), 4);
    for (let step = 1; step <= 5; step++) s.observe(new Map(s.select(step, 4).map((t, i) => [t.id, [i % 2, 1, 0, 1]])));
    const st = JSON.parse(JSON.stringify(s.state()));
    assert.equal(st.forgetting, 0.3);
    assert.equal(st.implicit_evidence, 0.1);
    const copy = createSelector(tasks(20), bots({ forgetting: 0.3, implicit_evidence: 0.1 }), 4);
    copy.load(st);
    for (const t of tasks(20)) assert.equal(predicted(copy, t.id), predicted(s, t.id));
    assert.deepEqual(copy.select(6, 4).map((t) => t.id), s.select(6, 4).map((t) => t.id));
    assert.throws(() => createSelector(tasks(20), bots({ forgetting: 0, implicit_evidence: 0.1 }), 4).load(st), /forgetting 0.3/);
  });

  it('difficulty_based with forgetting comes back to a task that has become learnable', () => {
    // t0 fails every rollout for 10 steps, then passes half of them like the other tasks.
    const n = 6;
    const ts = tasks(n, () => 0);
    const truth = (id: string, step: number) => (id === 't0' && step <= 10 ? 0 : 0.5);
    const picksOfT0 = (lambda: number) => {
      const s = createSelector(ts, cfg('difficulty_based', { forgetting: lambda, implicit_evidence: 0 }), 2);
      const rng = new Rng(9);
      let picks = 0;
      for (let step = 1; step <= 40; step++) {
        const seen = new Map<string, number[]>();
        for (const t of s.select(step, 3)) {
          if (step > 10 && t.id === 't0') picks++;
          seen.set(t.id, Array.from({ length: 8 }, () => (rng.next() < truth(t.id, step) ? 1 : 0)));
        }
        s.observe(seen);
      }
      return picks;
    };
    const forgetting = picksOfT0(0.2);
    const accumulating = picksOfT0(0);
    // Uniform choice would pick it in half of the 30 steps.
    assert.ok(forgetting >= 10 && forgetting > 2 * accumulating, `t0 picked ${forgetting} times with forgetting, ${accumulating} without`);
  });
});
