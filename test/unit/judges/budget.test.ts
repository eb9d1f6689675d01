// builtin:math under hostile answers: each finishes as `undecided` within the per-verdict
// budget, nothing throws, and a timer running alongside keeps firing.
import { strict as assert } from 'node:assert';
import { checkMath, mathJudge } from '../../../trainer/src/judges/math';
import type { JudgeInput } from '../../../trainer/src/judges/types';

const ADVERSARIAL: [name: string, gold: string, pred: string][] = [
  ['a tower of powers 10^{10^{10}}', '1', '10^{10^{10}}'],
  ['a tower of powers against a variable', 'x', '10^{10^{10^{10}}}'],
  ['a huge factorial', '1', '(10^{6})!'],
  ['5,000-deep braces', '1', `${'{'.repeat(5000)}1${'}'.repeat(5000)}`],
  ['5,000-deep parentheses', '1', `${'('.repeat(5000)}1${')'.repeat(5000)}`],
  ['5,000 nested \\frac', '1', `${'\\frac{1}{'.repeat(5000)}2${'}'.repeat(5000)}`],
  ['a chain of 20,000 \\frac', '1', '\\frac{1}{2}'.repeat(20000)],
  ['a 1 MB sum', '1', '1+'.repeat(500_000) + '1'],
  ['a 1 MB answer in a \\boxed{}', '1', `\\boxed{${'x'.repeat(1_000_000)}}`],
  ['a 1 MB solution without markers', '1', 'word '.repeat(200_000)],
];

function input(reference: string, answer: string): JudgeInput {
  return { task: { id: 't', question: 'q', reference, features: {} }, final_answer: answer, messages: [], turns: [], tool_calls: [], flags: [] };
}

describe('builtin:math time budget', function () {
  this.timeout(120_000);
  const judge = mathJudge();

  for (const [name, gold, pred] of ADVERSARIAL) {
    it(`${name}: undecided within the 2 s budget`, () => {
      const t0 = performance.now();
      const r = judge(input(gold, pred));
      const ms = performance.now() - t0;
      const v = r.details as { undecided?: boolean; correct: boolean; why: string };
      assert.equal(r.is_success, false);
      assert.equal(r.reward, 0);
      assert.ok(v.undecided || !v.correct, JSON.stringify(v).slice(0, 300));
      assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
    });
  }

  it('keeps a concurrent timer firing while it judges them all', async () => {
    const lags: number[] = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      lags.push(now - last - 5);
      last = now;
    }, 5);
    try {
      for (let round = 0; round < 3; round++) {
        for (const [, gold, pred] of ADVERSARIAL) {
          judge(input(gold, pred));
          await new Promise((r) => setImmediate(r));
        }
      }
    } finally {
      clearInterval(timer);
    }
    const worst = Math.max(...lags);
    console.log(`      timer: ${lags.length} ticks, worst lag ${worst.toFixed(1)} ms`);
    // No verdict holds the event loop anywhere near its 2 s budget.
    assert.ok(worst < 1000, `worst lag ${worst.toFixed(0)} ms`);
  });

  it('stops at budget_s and says so', () => {
    const long = Array.from({ length: 150 }, (_, k) => `${k + 1}x^{${k % 7}}y`).join('+');
    const v = checkMath(long, `${long}+0`, { budget_s: 0 });
    assert.equal(v.undecided, true, JSON.stringify(v).slice(0, 300));
    assert.match(v.why ?? '', /out of time \(budget 0 s\)/);
  });
});
