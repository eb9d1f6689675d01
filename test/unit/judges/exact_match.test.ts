import { strict as assert } from 'node:assert';
import { checkExactMatch, exactMatchJudge } from '../../../trainer/src/judges/exact_match';
import { builtinChecker, builtinJudge } from '../../../trainer/src/judges/registry';

describe('builtin:exact_match', () => {
  it('compares trimmed text without case', () => {
    assert.equal(checkExactMatch('Paris', '  paris ').correct, true);
    assert.equal(checkExactMatch('Paris', 'Lyon').correct, false);
  });
  it('collapses whitespace', () => {
    assert.equal(checkExactMatch('New  York', 'new york').correct, true);
  });
  it('takes the answer after "the answer is", \\boxed{} or ####', () => {
    assert.equal(checkExactMatch('Paris', 'I think the answer is Paris.').correct, true);
    assert.equal(checkExactMatch('x+1', 'so \\boxed{x+1}').correct, true);
    assert.equal(checkExactMatch('#### 12', 'work\n#### 12').correct, true);
  });
  it('does no maths: 0.5 is not 1/2', () => {
    assert.equal(checkExactMatch('1/2', '0.5').correct, false);
  });
  it('is case-sensitive on request', () => {
    assert.equal(checkExactMatch('Paris', 'paris', { case_sensitive: true }).correct, false);
    assert.equal(checkExactMatch('Paris', 'Paris', { case_sensitive: true }).correct, true);
  });
  it('compares whole texts when extraction is off', () => {
    assert.equal(checkExactMatch('The answer is 4.', 'the answer is 4.', { extract: false }).correct, true);
    assert.equal(checkExactMatch('4', 'The answer is 4.', { extract: false }).correct, false);
  });
  it('fails a missing answer', () => {
    assert.equal(checkExactMatch('4', null).method, 'no_answer');
  });
  it('judges a rollout through the registry', () => {
    const input = { task: { id: '1', question: 'q', reference: 'Paris', features: {} }, final_answer: 'The answer is paris.', messages: [], turns: [], tool_calls: [], flags: [] };
    assert.deepEqual(builtinJudge('builtin:exact_match')(input).is_success, true);
    assert.deepEqual(exactMatchJudge({ case_sensitive: true })(input).is_success, false);
    assert.equal(builtinChecker('exact_match')('a', 'A').correct, true);
  });
  it('names an unknown built-in judge', () => {
    assert.throws(() => builtinJudge('builtin:nope'), /unknown built-in judge "builtin:nope"; known: builtin:math, builtin:gsm8k, builtin:exact_match/);
  });
});
