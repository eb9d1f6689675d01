// The viewer's check of a rollouts.jsonl line: essential fields decide whether the line is
// shown; anything else wrong is reported; unknown and missing optional fields are not.
import { strict as assert } from 'node:assert';
import { checkRollout } from '../../../src/viewer/validate';

const minimal = { id: 'r1', step: 0, task_id: 't', sample: 0, reward: 1, success: true, messages: [{ role: 'user', content: 'hi' }] };

describe('viewer rollout check', () => {
  it('shows a line with only the essential fields, and one with fields the format does not define, without problems', () => {
    for (const line of [minimal, { ...minimal, from_a_newer_format: 1, messages: [{ role: 'assistant', content: 'x', reasoning: 'y' }] }]) {
      const { row, problems } = checkRollout(line);
      assert.equal(row?.id, 'r1');
      assert.deepEqual(problems, []);
    }
  });

  it('reports a mistyped field inside a turn and still shows the row', () => {
    const turn = { index: 0, role: 'agent', message_index: 0, prompt_tokens: 1, completion_tokens: 1, flags: 'truncated', duration_ms: 1 };
    const { row, problems } = checkRollout({ ...minimal, turns: [turn] });
    assert.equal(row?.id, 'r1');
    assert.equal(problems.length, 1);
    assert.match(problems[0], /`turns` at 0\.flags/);
  });

  it('skips a line without an essential field, naming it', () => {
    const { reward: _r, ...rest } = minimal;
    const { row, problems } = checkRollout(rest);
    assert.equal(row, null);
    assert.deepEqual(problems, ['field `reward` must be a number (missing)']);
  });
});
