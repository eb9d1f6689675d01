import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkGsm8k, gsm8kJudge } from '../../../trainer/src/judges/gsm8k';
import { checkMath } from '../../../trainer/src/judges/math';

// The shared data sits beside the repository, never inside it.
const DATA = join(resolve(__dirname, '../../..'), '..', 'shared', 'datasets', 'gsm8k');
const SOLUTIONS = join(DATA, 'example_model_solutions.jsonl');
const MODELS = ['6b_finetuning', '6b_verification', '175b_finetuning', '175b_verification'] as const;

interface Row {
  question: string;
  ground_truth: string;
  [model: string]: string | { is_correct: boolean; solution: string };
}

/**
 * Solutions whose `is_correct` label is wrong, each with the evidence: the solution's final
 * `A:` line against the ground truth's. Every disagreement of the judge must be listed here.
 * The judge agrees with all 5,276 labels, so none are.
 */
const WRONG_LABELS: { question: number; model: string; evidence: string }[] = [];

function rows(file: string): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Row);
}

describe('builtin:gsm8k', () => {
  describe("agreement with OpenAI's is_correct labels", function () {
    this.timeout(60_000);
    before(function () {
      if (!existsSync(SOLUTIONS)) {
        console.log(`      skipped: ${SOLUTIONS} is not present`);
        this.skip();
      }
    });

    for (const [name, check] of [
      ['builtin:gsm8k', checkGsm8k],
      ['builtin:math', checkMath],
    ] as const) {
      it(`${name} agrees on all 5,276 example solutions`, () => {
        const data = rows(SOLUTIONS);
        let total = 0;
        let agree = 0;
        const disagreements: { question: number; model: string; label: boolean; verdict: unknown; last: string; truth: string }[] = [];
        data.forEach((row, q) => {
          for (const model of MODELS) {
            const sol = row[model] as { is_correct: boolean; solution: string };
            total++;
            const v = check(row.ground_truth, sol.solution);
            if (v.correct === sol.is_correct) agree++;
            else {
              disagreements.push({
                question: q,
                model,
                label: sol.is_correct,
                verdict: v,
                last: sol.solution.trim().split('\n').pop()!,
                truth: row.ground_truth.trim().split('\n').pop()!,
              });
            }
          }
        });
        console.log(`      ${name}: ${agree}/${total} agree (${((100 * agree) / total).toFixed(2)}%)`);
        for (const d of disagreements) console.log(`      disagreement: question ${d.question} ${d.model}: label ${d.label}, solution "${d.last}", truth "${d.truth}"`);
        assert.equal(total, 5276);
        const unexplained = disagreements.filter((d) => !WRONG_LABELS.some((w) => w.question === d.question && w.model === d.model));
        assert.deepEqual(unexplained, []);
      });
    }

    it("the example solutions' ground truths are the test set's answers", function () {
      const test = join(DATA, 'test.jsonl');
      if (!existsSync(test)) this.skip();
      const answers = new Map(rows(test).map((r) => [r.question, r.answer as unknown as string]));
      const data = rows(SOLUTIONS);
      let matched = 0;
      for (const row of data) {
        const answer = answers.get(row.question);
        assert.ok(answer, `question not in test.jsonl: ${row.question.slice(0, 60)}`);
        const v = checkGsm8k(answer, row.ground_truth);
        assert.equal(v.gold.from, 'hash');
        assert.equal(v.pred.from, 'answer_line');
        assert.ok(v.correct, JSON.stringify(v));
        matched++;
      }
      assert.equal(matched, 1319);
    });
  });

  describe('cases', () => {
    const cases: [string, string, boolean][] = [
      ['#### 18', 'She makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18', true],
      ['#### 18', 'She makes 9 * 2 = $<<9*2=18>>18 every day.\nA: 18', true],
      ['#### 18', 'The answer is $18.', true],
      ['#### 18', 'The answer is 18.00 dollars.', true],
      ['#### 18', '\\boxed{18}', true],
      ['#### 18', 'so she makes 18 dollars', true],
      ['#### 18', 'The answer is 19.', false],
      ['#### 70000', 'A: 70,000', true],
      ['#### 70000', 'A: 90,000', false],
      ['#### 266', 'A: 266.6666666666667', false],
      ['#### 20', 'A: 20.0', true],
      ['#### -3', 'The answer is -3.', true],
      ['#### 3', 'The answer is -3.', false],
      ['#### 5', '', false],
      ['#### 5', 'A: 10+John\'s age', false],
      ['#### 1000000', 'A: 1,000,000', true],
      ['#### 0.5', 'A: .5', true],
      ['A: 7', '7', true],
      ['7', 'The answer is 7', true],
      ['#### 64', 'For the thirteenth glass Kylar needs to pay 5 * 1', false],
      // "A:" counts only at the start of a line: "Job A: 2000 hours" is not an answer.
      ['First the salary for Job A: 2000 hours * $15 = $30,000\nA: 8400', 'A: 2000', false],
      ['First the salary for Job A: 2000 hours * $15 = $30,000\nA: 8400', 'Net pay at Job A: 24000.\nA: 8400', true],
    ];
    for (const [gold, pred, correct] of cases) {
      it(`${JSON.stringify(pred)} ${correct ? '=' : '≠'} ${JSON.stringify(gold)}`, () => {
        assert.equal(checkGsm8k(gold, pred).correct, correct, JSON.stringify(checkGsm8k(gold, pred)));
      });
    }
    it('judges a rollout', () => {
      const r = gsm8kJudge()({
        task: { id: '1', question: 'q', reference: 'x\n#### 42', features: {} },
        final_answer: null,
        messages: [{ role: 'assistant', content: 'The answer is 42.' }],
        turns: [],
        tool_calls: [],
        flags: [],
      });
      assert.deepEqual([r.reward, r.is_success, r.parts], [1, true, { answer: 1 }]);
    });
  });
});
