import { strict as assert } from 'node:assert';
import { shapeReward, toolResultMatchesReference, type ShapingInput } from '../../../trainer/src/judges/reward';
import type { JudgeResult } from '../../../trainer/src/judges/types';
import type { Flag, TurnRecord } from '../../../trainer/src/run/events';

function turn(index: number, flags: Flag[] = []): TurnRecord {
  return { index, role: 'agent', message_index: index, prompt_tokens: 10, completion_tokens: 5, flags, duration_ms: 1 };
}

const right: JudgeResult = { reward: 1, is_success: true, parts: { answer: 1 } };
const wrong: JudgeResult = { reward: 0, is_success: false, parts: { answer: 0 } };

function input(over: Partial<ShapingInput> = {}): ShapingInput {
  return { task: { reference: '#### 42' }, turns: [turn(0)], tool_calls: [], flags: [], ...over };
}

describe('reward shaping', () => {
  it('is the answer with the default weights', () => {
    assert.deepEqual(shapeReward(right, input(), { answer: 1, format: 0, tool_error: 0, truncation: 0, partial_credit: 0 }), {
      reward: 1,
      parts: { answer: 1, format: 0, tool_error: 0, truncation: 0, partial_credit: 0 },
    });
    assert.equal(shapeReward(wrong, input()).reward, 0);
  });
  it('weights the answer', () => {
    assert.equal(shapeReward(right, input(), { answer: 2 }).reward, 2);
  });
  it('takes off the format weight for each turn with a malformed call', () => {
    const r = shapeReward(right, input({ turns: [turn(0, ['format_error']), turn(1, ['format_error']), turn(2)] }), { answer: 1, format: 0.1 });
    assert.equal(r.parts.format, -2);
    assert.ok(Math.abs(r.reward - 0.8) < 1e-12);
  });
  it('takes off the tool-error weight for each failed call', () => {
    const calls = [
      { id: 'a', name: 'calculator', arguments: {}, result: 'Error: division by zero', error: true },
      { id: 'b', name: 'calculator', arguments: {}, result: '5', error: false },
      { id: 'c', name: 'calculator', arguments: {}, result: 'Error: empty expression', error: true },
    ];
    const r = shapeReward(right, input({ tool_calls: calls }), { tool_error: 0.05 });
    assert.equal(r.parts.tool_error, -2);
    assert.ok(Math.abs(r.reward - 0.9) < 1e-12);
  });
  it('takes off the truncation weight once when a turn hit max_new_tokens', () => {
    const r = shapeReward(wrong, input({ turns: [turn(0, ['truncated']), turn(1, ['truncated'])] }), { truncation: 0.5 });
    assert.equal(r.parts.truncation, -1);
    assert.equal(r.reward, -0.5);
  });
  it('gives partial credit when a tool result equals the reference but the answer is wrong', () => {
    const calls = [{ id: 'a', name: 'calculator', arguments: { expression: '6*7' }, result: '42', error: false }];
    const r = shapeReward(wrong, input({ tool_calls: calls }), { partial_credit: 0.2 });
    assert.equal(r.parts.partial_credit, 1);
    assert.equal(r.reward, 0.2);
  });
  it('gives no partial credit for a right answer, a wrong tool result or a failed call', () => {
    const ok = [{ id: 'a', name: 'calculator', arguments: {}, result: '42', error: false }];
    assert.equal(shapeReward(right, input({ tool_calls: ok }), { partial_credit: 0.2 }).reward, 1);
    const other = [{ id: 'a', name: 'calculator', arguments: {}, result: '41', error: false }];
    assert.equal(shapeReward(wrong, input({ tool_calls: other }), { partial_credit: 0.2 }).reward, 0);
    const failed = [{ id: 'a', name: 'execute_python_code', arguments: {}, result: 'Error: 42 is not defined', error: true }];
    assert.equal(shapeReward(wrong, input({ tool_calls: failed }), { partial_credit: 0.2 }).reward, 0);
  });
  it('reads answers in python output for partial credit', () => {
    const calls = [{ id: 'a', name: 'execute_python_code', arguments: {}, result: 'total = 42.0', error: false }];
    assert.equal(toolResultMatchesReference(input({ tool_calls: calls })), true);
  });
  it("keeps the judge's own parts", () => {
    const r = shapeReward({ reward: 0.7, is_success: true, parts: { style: 0.4 } }, input());
    assert.equal(r.parts.style, 0.4);
    assert.equal(r.parts.answer, 0.7);
    assert.equal(r.reward, 0.7);
  });
});
