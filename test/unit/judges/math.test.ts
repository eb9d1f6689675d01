import { strict as assert } from 'node:assert';
import { checkMath, mathJudge } from '../../../trainer/src/judges/math';
import { extractAnswer, lastBoxed } from '../../../trainer/src/judges/math/extract';
import { normalizeAnswer } from '../../../trainer/src/judges/math/normalize';
import type { JudgeInput } from '../../../trainer/src/judges/types';

/** [reference, model output, correct?] */
type Case = [string, string, boolean];

const CASES: Record<string, Case[]> = {
  'extraction: \\boxed{} (last, nested braces)': [
    ['5', 'So we get \\boxed{5}.', true],
    ['5', 'First \\boxed{3}, then correcting: \\boxed{5}', true],
    ['3', 'First \\boxed{3}, then correcting: \\boxed{5}', false],
    ['\\frac{1}{2}', 'The value is $\\boxed{\\frac{1}{2}}$.', true],
    ['\\frac{1}{3}', 'The value is $\\boxed{\\frac{1}{2}}$.', false],
    ['\\frac{\\sqrt{3}}{2}', '$\\boxed{\\dfrac{\\sqrt{3}}{2}}$', true],
    ['x^{2}+1', '\\boxed{x^{2} + 1}', true],
    ['7', '\\fbox{7}', true],
    ['7', 'hence \\boxed 7', true],
    ['12', 'The total is 12 so \\boxed{12} and 40 more words about 99', true],
    ['99', 'The total is 12 so \\boxed{12} and 40 more words about 99', false],
  ],
  'extraction: ####': [
    ['18', 'She sells 9 eggs at $2 each.\n#### 18', true],
    ['18', 'She sells 9 eggs at $2 each.\n#### 19', false],
    ['#### 72', 'Natalia sold 48/2 = 24 clips in May.\n#### 72', true],
    ['#### 72', 'So 48 + 24 = 71\n#### 71', false],
    ['#### 1,000', '#### 1000', true],
  ],
  'extraction: "the answer is"': [
    ['42', 'Adding them gives 42. The answer is 42.', true],
    ['42', 'The answer is 41. Oh wait, 42 was computed above.', false],
    ['2.5', 'The answer is 2.5.', true],
    ['2.5', 'The answer is 2.5 hours.', true],
    ['3', 'Final Answer: The final answer is $3$. I hope it is correct.', true],
    ['4', 'Final Answer: The final answer is $3$. I hope it is correct.', false],
    ['10', 'Answer: 10', true],
    ['10', 'the final answer is: 10 because 5 * 2 = 10', true],
    ['15', 'The answer is 15 since 3 * 5 = 15', true],
    ['8', 'The answer is 15 since 3 * 5 = 15', false],
  ],
  'extraction: the final number': [
    ['8', 'First 3 + 5 = 8', true],
    ['5', 'First 3 + 5 = 8', false],
    ['1250', 'The store made $1,250 in total', true],
    ['0.5', 'so each gets .5', true],
    ['-3', 'the temperature drops to -3 degrees', true],
    ['3', 'the temperature drops to -3 degrees', false],
    ['6', 'Computing <<2*3=6>>6 apples', true],
    ['3/4', 'the fraction is 3/4', true],
    ['5', 'I do not know', false],
    ['5', '', false],
  ],
  'thousands separators': [
    ['1234', '1,234', true],
    ['1234567', '1,234,567', true],
    ['1234567.5', '1,234,567.50', true],
    ['1234', '1,243', false],
    ['12345', '1 2345', false],
    ['1000000', '1 000 000', true],
    ['1000', '1{,}000', true],
    ['1000', '1\\,000', true],
    ['(1, 234)', '(1, 234)', true],
    ['(1, 234)', '1234', false],
  ],
  'currency': [
    ['18', '\\$18', true],
    ['18', '$18', true],
    ['18', '18 dollars', true],
    ['18.50', '$18.50', true],
    ['18.5', '\\$18.05', false],
    ['5', '€5', true],
    ['5', '£6', false],
    ['70000', 'He made a profit of $70,000.', true],
    ['0.25', '25 cents', false],
    ['12', 'USD 12', true],
  ],
  'units': [
    ['5', '5 cm', true],
    ['5', '5cm', true],
    ['5', '5\\text{ cm}', true],
    ['18', '18 square feet', true],
    ['18', '18 \\text{ft}^2', true],
    ['60', '60 mph', true],
    ['3', '3 hours', true],
    ['3', '4 hours', false],
    ['540', '540 meters', true],
    ['7', '7 apples', true],
    ['90', '90^\\circ', true],
    ['90', '90°', true],
    ['45', '90^{\\circ}', false],
  ],
  'percent': [
    ['50', '50\\%', true],
    ['50\\%', '50', true],
    ['0.5', '50%', true],
    ['50%', '0.5', true],
    ['25', '25 percent', true],
    ['25', '52%', false],
    ['0.5', '5%', false],
    ['12.5\\%', '12.5', true],
    ['10', '10%', true],
    ['0.1', '1%', false],
  ],
  'trailing .0 and decimals': [
    ['18', '18.0', true],
    ['18', '18.00', true],
    ['18.0', '18', true],
    ['2.50', '2.5', true],
    ['0.5', '.5', true],
    ['18', '18.01', false],
    ['1.5', '1.50000', true],
    ['100', '100.', true],
    ['3', '3.0001', false],
    ['2.5e3', '2500', true],
  ],
  '\\frac and \\dfrac': [
    ['\\frac{1}{2}', '0.5', true],
    ['\\frac{1}{2}', '1/2', true],
    ['\\dfrac{3}{4}', '\\frac{3}{4}', true],
    ['\\tfrac{3}{4}', '0.75', true],
    ['\\frac12', '\\frac{1}{2}', true],
    ['\\frac{1}{2}', '\\frac{2}{4}', true],
    ['\\frac{1}{2}', '\\frac{1}{3}', false],
    ['\\frac{3}{4}', '0.7', false],
    ['\\frac{x}{2}', '0.5x', true],
    ['\\frac{x+1}{2}', '\\frac{x}{2}+\\frac{1}{2}', true],
    ['\\frac{x+1}{2}', '\\frac{x}{2}+1', false],
    ['-\\frac{2}{3}', '\\frac{-2}{3}', true],
  ],
  '\\sqrt': [
    ['\\sqrt{2}', '\\sqrt2', true],
    ['2\\sqrt{2}', '\\sqrt{8}', true],
    ['\\frac{\\sqrt{2}}{2}', '\\frac{1}{\\sqrt{2}}', true],
    ['\\sqrt{3}', '\\sqrt{2}', false],
    ['\\sqrt[3]{8}', '2', true],
    ['\\sqrt[3]{27}', '9', false],
    ['3\\sqrt{3}', '3 sqrt(3)', true],
    ['\\sqrt{2}', '1.41', false],
    ['\\sqrt{2}', '1.4', false],
    ['\\sqrt{x^2}', 'x', true],
  ],
  '\\text{}': [
    ['\\text{Monday}', 'monday', true],
    ['\\text{Monday}', 'Tuesday', false],
    ['\\textbf{(B)}', 'B', true],
    ['\\text{(C)}', '(B)', false],
    ['5\\text{ apples}', '5', true],
    ['\\mathrm{yes}', 'Yes', true],
    ['\\text{no}', 'yes', false],
  ],
  '\\left( \\right)': [
    ['\\left( 1, 2 \\right)', '(1,2)', true],
    ['\\left( 1, 2 \\right)', '(2,1)', false],
    ['\\left[ 0, 1 \\right]', '[0,1]', true],
    ['\\left(\\frac{1}{2}\\right)^2', '0.25', true],
    ['\\left(\\frac{1}{2}\\right)^2', '0.5', false],
    ['2\\left(x+1\\right)', '2x+2', true],
  ],
  'mixed numbers': [
    ['2\\frac{1}{2}', '2.5', true],
    ['2\\frac{1}{2}', '\\frac{5}{2}', true],
    ['2 1/2', '5/2', true],
    ['-2 1/2', '-2.5', true],
    ['2\\frac{1}{2}', '1', false],
    ['3 3/4', '3.75', true],
    ['3 3/4', '2.25', false],
    ['x\\frac{1}{2}', '0.5x', true],
  ],
  'numeric tolerance': [
    ['0.3333333', '1/3', true],
    ['\\frac{1}{3}', '0.33333333', true],
    ['\\frac{2}{3}', '0.67', false],
    ['\\frac{2}{3}', '0.6', false],
    ['2.345', '2.35', false],
    ['1000001', '1000000', false],
    ['\\pi', '3.14159265', true],
    ['\\pi', '3.14', false],
    ['\\pi', '3.15', false],
    ['1e-7', '0', true],
  ],
  'symbolic equality': [
    ['x^2+2x+1', '(x+1)^2', true],
    ['x^2+2x+1', '(x-1)^2', false],
    ['2x+3', '3+2x', true],
    ['\\frac{x^2-1}{x-1}', 'x+1', true],
    ['\\sin^2 x', '1-\\cos^2 x', true],
    ['a+b', 'b+a', true],
    ['a-b', 'b-a', false],
    ['3\\pi', '\\pi \\cdot 3', true],
    ['2^{10}', '1024', true],
    ['e^{i\\pi}', '-1', true],
    ['y = 2x + 1', 'y=1+2x', true],
    ['y = 2x + 1', 'y = 2x - 1', false],
    ['x^2 + y^2 = 1', 'y^2 + x^2 = 1', true],
    ['\\log_2 8', '3', true],
  ],
  'intervals': [
    ['[1, 3)', '[1,3)', true],
    ['[1, 3)', '(1,3)', false],
    ['[1, 3)', '[1,3]', false],
    ['(-\\infty, 3]', '(-\\infty,3]', true],
    ['(-\\infty, 3]', '(-Infinity, 3]', true],
    ['(-\\infty, 3]', '(-\\infty, 4]', false],
    ['(-\\infty, -1) \\cup (1, \\infty)', '(-\\infty,-1)\\cup(1,\\infty)', true],
    ['(-\\infty, -1) \\cup (1, \\infty)', '(-\\infty,1)\\cup(1,\\infty)', false],
    ['[\\frac{1}{2}, 2]', '[0.5, 2]', true],
    ['[0, 2\\pi)', '[0, 6.2832)', false],
  ],
  'tuples and sets': [
    ['(1, 2)', '(1,2)', true],
    ['(1, 2)', '(2, 1)', false],
    ['(\\frac{1}{2}, 3)', '(0.5, 3)', true],
    ['(1, 2, 3)', '(1, 2)', false],
    ['1, 2', '1,2', true],
    ['\\{1, 2\\}', '\\{2, 1\\}', true],
    ['\\{1, 2\\}', '\\{1, 3\\}', false],
    ['(3, -4)', '\\left(3,-4\\right)', true],
    ['2, -3', '-3, 2', true],
    ['(1,2)', '[1, 2]', false],
  ],
  'answer written as an assignment': [
    ['5', 'x = 5', true],
    ['5', 'x=6', false],
    ['-2', 'k = -2', true],
    ['4', 'n_1 = 4', true],
  ],
  'negatives and signs': [
    ['-5', '−5', true],
    ['-5', '5', false],
    ['-\\frac{1}{2}', '-0.5', true],
    ['-0', '0', true],
  ],
};

describe('builtin:math', () => {
  let total = 0;
  for (const [group, cases] of Object.entries(CASES)) {
    describe(group, () => {
      for (const [gold, pred, correct] of cases) {
        total++;
        it(`${JSON.stringify(pred)} ${correct ? '=' : '≠'} ${JSON.stringify(gold)}`, () => {
          const v = checkMath(gold, pred);
          assert.equal(v.correct, correct, JSON.stringify(v));
        });
      }
    });
  }

  it('has at least 150 cases with both verdicts in every group', () => {
    assert.ok(total >= 150, `${total} cases`);
    for (const [group, cases] of Object.entries(CASES)) {
      assert.ok(cases.some((c) => c[2]) && cases.some((c) => !c[2]), `${group} needs both verdicts`);
    }
  });

  describe('extraction', () => {
    it('reads nested braces in the last \\boxed{}', () => {
      assert.equal(lastBoxed('\\boxed{1} and \\boxed{\\frac{a^{2}}{\\sqrt{b}}}'), '\\frac{a^{2}}{\\sqrt{b}}');
    });
    it('reports no answer for a cut-off \\boxed{', () => {
      assert.equal(lastBoxed('so \\boxed{\\frac{1}{2'), null);
    });
    it('says which rule found the answer', () => {
      assert.deepEqual(extractAnswer('\\boxed{3}'), { text: '3', method: 'boxed' });
      assert.deepEqual(extractAnswer('x\n#### 4'), { text: '4', method: 'hash' });
      assert.deepEqual(extractAnswer('The answer is 5.'), { text: '5', method: 'answer_is' });
      assert.deepEqual(extractAnswer('a\nA: 6', { answerLines: true }), { text: '6', method: 'answer_line' });
      assert.deepEqual(extractAnswer('so it is 7 apples in all'), { text: '7', method: 'last_number' });
      assert.deepEqual(extractAnswer('x^2 + 1'), { text: 'x^2 + 1', method: 'whole' });
      assert.equal(extractAnswer('no numbers here'), null);
    });
  });

  describe('normalisation', () => {
    const n = (s: string) => normalizeAnswer(s).text;
    it('LaTeX fractions and roots become mathjs syntax', () => {
      assert.equal(n('\\dfrac{\\sqrt{3}}{2}'), '((sqrt(3))/(2))');
      assert.equal(n('\\sqrt[3]{x}'), 'nthRoot(x, 3)');
    });
    it('strips currency, separators, units and trailing zeros', () => {
      assert.equal(n('\\$1,234.50'), '1234.5');
      assert.equal(n('12.00 dollars'), '12');
    });
    it('remembers percent', () => {
      assert.deepEqual(normalizeAnswer('12.5\\%'), { text: '12.5', percent: true });
    });
    it('keeps a tuple intact', () => {
      assert.equal(n('\\left( 1,234 \\right)'), '(1, 234)');
    });
  });

  describe('as a judge', () => {
    const input = (final_answer: string | null, reference: string, lastMessage = ''): JudgeInput => ({
      task: { id: 't', question: 'q', reference, features: {} },
      final_answer,
      messages: lastMessage ? [{ role: 'assistant', content: lastMessage }] : [],
      turns: [],
      tool_calls: [],
      flags: [],
    });
    it('returns reward 1, success and the verdict when right', () => {
      const r = mathJudge()(input('The answer is 42.', '#### 42'));
      assert.equal(r.reward, 1);
      assert.equal(r.is_success, true);
      assert.deepEqual(r.parts, { answer: 1 });
      assert.deepEqual((r.details as { pred: unknown }).pred, { extracted: '42', normalized: '42', from: 'answer_is' });
    });
    it('returns reward 0 when wrong', () => {
      assert.deepEqual(mathJudge()(input('The answer is 41.', '42')).reward, 0);
    });
    it('reads the last assistant message when there is no final answer', () => {
      assert.equal(mathJudge()(input(null, '7', 'The answer is 7.')).is_success, true);
    });
    it('says when there is no answer at all', () => {
      const r = mathJudge()(input(null, '7'));
      assert.equal(r.is_success, false);
      assert.equal((r.details as { method: string }).method, 'no_answer');
    });
    it('uses judge.options.tolerance and round_match', () => {
      assert.equal(mathJudge({ tolerance: 0.01 })(input('3.14', '\\pi')).is_success, true);
      assert.equal(mathJudge({ round_match: true })(input('3.14', '\\pi')).is_success, true);
      assert.equal(mathJudge()(input('3.14', '\\pi')).is_success, false);
    });
    it('scores an undecided verdict with undecided_reward', () => {
      const r = mathJudge({ undecided_reward: 0.25 })(input('0.67', '\\frac{2}{3}'));
      assert.equal((r.details as { undecided?: boolean }).undecided, true);
      assert.equal(r.reward, 0.25);
      assert.equal(r.is_success, false);
    });
  });
});
