import { strict as assert } from 'node:assert';
import { passAtK, meanAtN, majorityAtK } from '../../../trainer/src/train/passk';
import { groupAdvantages, zeroVariance } from '../../../trainer/src/rollout/advantage';
import { answerKey } from '../../../trainer/src/train/evaluate';
import type { RolloutRecord } from '../../../trainer/src/run/events';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) < tol, `${a} ≠ ${b}`);

describe('evaluation estimators', () => {
  it('pass@k equals 1 − C(n−c, k) / C(n, k) computed by hand', () => {
    // n = 5, c = 2, k = 2: 1 − C(3,2)/C(5,2) = 1 − 3/10
    close(passAtK(5, 2, 2), 0.7);
    // n = 4, c = 1, k = 1: 1/4
    close(passAtK(4, 1, 1), 0.25);
    // n = 10, c = 3, k = 4: 1 − C(7,4)/C(10,4) = 1 − 35/210
    close(passAtK(10, 3, 4), 1 - 35 / 210);
    close(passAtK(4, 0, 4), 0);
    close(passAtK(4, 1, 4), 1);
    close(passAtK(8, 6, 3), 1);
    assert.throws(() => passAtK(2, 1, 3), /needs at least 3 samples/);
  });

  it('mean@n and maj@k', () => {
    close(meanAtN([true, false, true, true]), 0.75);
    assert.equal(majorityAtK(['7', '8', '8', '7'], [true, false, false, true], 3), false);
    assert.equal(majorityAtK(['7', '8', '8', '7'], [true, false, false, true], 4), true, 'a tie goes to the answer seen first');
    assert.equal(majorityAtK([null, null, '3'], [false, false, true], 3), true);
    assert.equal(majorityAtK([null, null], [false, false], 2), false);
  });

  it('GRPO and RLOO advantages', () => {
    // Population std of [1, 0, 0, 1] is 0.5, the sample std sqrt(1/3); ε = 1e-4 is added to either.
    const g = groupAdvantages([1, 0, 0, 1], { type: 'grpo', scaleByStd: true });
    g.forEach((a, i) => close(a, (i % 3 === 0 ? 0.5 : -0.5) / (0.5 + 1e-4)));
    const gs = groupAdvantages([1, 0, 0, 1], { type: 'grpo', scaleByStd: true, std: 'sample' });
    gs.forEach((a, i) => close(a, (i % 3 === 0 ? 0.5 : -0.5) / (Math.sqrt(1 / 3) + 1e-4)));
    // Rewards that differ only by rounding stay near 0 instead of becoming ±1.
    const tiny = groupAdvantages([1, 1 + 2e-7, 1, 1 + 2e-7], { type: 'grpo', scaleByStd: true });
    tiny.forEach((a) => assert.ok(Math.abs(a) < 0.01, `${a}`));
    const dr = groupAdvantages([1, 0, 0, 0], { type: 'grpo', scaleByStd: false });
    close(dr[0], 0.75);
    close(dr[1], -0.25);
    // RLOO: r_i − mean of the others
    const rl = groupAdvantages([1, 0, 0, 0], { type: 'rloo', scaleByStd: true });
    close(rl[0], 1);
    close(rl[1], -1 / 3);
    assert.equal(zeroVariance([1, 1, 1]), true);
    assert.equal(zeroVariance([1, 0]), false);
  });
});

describe('answers for majority voting', () => {
  const record = (judge: unknown, final: string | null) => ({ judge, final_answer: final }) as unknown as RolloutRecord;
  it("takes the judge's normalised prediction, then the final answer's last number", () => {
    assert.equal(answerKey(record({ details: { pred: { extracted: '1,060', normalized: '1060' } } }, 'The answer is 1,060.')), '1060');
    assert.equal(answerKey(record({ details: { pred: '42' } }, null)), '42');
    assert.equal(answerKey(record({ details: { pred: null } }, 'so 3/4 of it, the answer is 1,250.')), '1250');
    assert.equal(answerKey(record(undefined, 'no number here')), null);
  });
});
