import { strict as assert } from 'node:assert';
import { shapeReward, toolResultMatchesReference, type ShapingInput } from '../../../trainer/src/judges/reward';
import { judgeInputOf, lacksToolErrors, toolCallsWithResults } from '../../../trainer/src/rollout/score';
import type { Message, RolloutRecord } from '../../../trainer/src/run/events';
import type { JudgeResult } from '../../../trainer/src/judges/types';
import type { Flag, TurnRecord } from '../../../trainer/src/run/events';

const call = (id: string) => ({ id, name: 'execute_python_code', arguments: { code: 'print(42)' } });

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

  describe("tool errors come from the tool's own report", () => {
    const conversation = (results: { content: string; error?: boolean }[]): Message[] => [
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'calling', tool_calls: results.map((_, k) => call(`c${k}`)) },
      ...results.map((r, k): Message => ({ role: 'tool', content: r.content, tool_call_id: `c${k}`, ...(r.error === undefined ? {} : { error: r.error }) })),
    ];

    it('a traceback the tool reported as failed is a failure; output that starts with "Error" is not', () => {
      const calls = toolCallsWithResults(
        conversation([
          { content: 'Traceback (most recent call last):\n  File "<stdin>", line 1\nZeroDivisionError: division by zero', error: true },
          { content: 'Error bars: 3', error: false },
        ]),
      );
      assert.deepEqual(
        calls.map((c) => c.error),
        [true, false],
      );
      const r = shapeReward(right, input({ tool_calls: calls }), { tool_error: 0.1 });
      assert.equal(r.parts.tool_error, -1);
    });

    it('partial credit reads results the tool did not report as failed, whatever their text', () => {
      const ok = toolCallsWithResults(conversation([{ content: 'Error bars: 42', error: false }]));
      assert.equal(shapeReward(wrong, input({ tool_calls: ok }), { partial_credit: 0.2 }).parts.partial_credit, 1);
      const failed = toolCallsWithResults(conversation([{ content: '42', error: true }]));
      assert.equal(shapeReward(wrong, input({ tool_calls: failed }), { partial_credit: 0.2 }).parts.partial_credit, 0);
    });

    it('records without the report fall back to the rollout flag, and say so', () => {
      const messages = conversation([{ content: 'Traceback ...' }, { content: '7' }]);
      assert.equal(lacksToolErrors(messages), true);
      assert.equal(lacksToolErrors(conversation([{ content: '7', error: false }])), false);
      const calls = toolCallsWithResults(messages);
      assert.deepEqual(
        calls.map((c) => c.error),
        [undefined, undefined],
      );
      assert.equal(shapeReward(right, input({ tool_calls: calls, flags: ['tool_error'] }), { tool_error: 0.1 }).parts.tool_error, -1);
      assert.equal(shapeReward(right, input({ tool_calls: calls, flags: [] }), { tool_error: 0.1 }).parts.tool_error, 0);
    });

    it("a stored rollout's judge input carries the report", () => {
      const r = { task_id: 't', question: 'q', reference: '42', final_answer: '42', messages: conversation([{ content: 'Error bars: 3', error: false }]), turns: [], flags: [] } as unknown as RolloutRecord;
      assert.equal(judgeInputOf(r).tool_calls[0].error, false);
    });
  });
});
