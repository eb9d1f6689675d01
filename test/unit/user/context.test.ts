// The RolloutContext both sides of the worker boundary build (trainer/src/user/context.ts).
import { strict as assert } from 'node:assert';
import { TurnLimitError, type AssistantTurn } from '../../../trainer/src/sdk';
import { rolloutContext } from '../../../trainer/src/user/context';
import type { RolloutInit } from '../../../trainer/src/user/protocol';
import { input } from './fixtures';

const init: RolloutInit = {
  task: input.task,
  rolloutId: 'r1',
  sample: 2,
  systemPrompt: 'Be brief.',
  tools: [],
  maxTurns: 2,
  options: { depth: 1 },
  formatErrorMessage: 'Bad call: {error}. Try again.',
};

describe('rollout context', () => {
  it('passes calls through until max_turns, then refuses the next chat with TurnLimitError', async () => {
    let turns = 0;
    const seen: string[] = [];
    const ctx = rolloutContext(init, {
      turns: () => turns,
      chat: async (messages, options): Promise<AssistantTurn> => {
        turns++;
        seen.push(`chat:${options.role ?? 'agent'}:${messages.length}`);
        return { role: 'assistant', content: 'ok', tool_calls: [], truncated: false };
      },
      callTool: async (call, role) => (seen.push(`tool:${call.name}:${role}`), { role: 'tool', content: '1' }),
      emit: (name, data) => void seen.push(`emit:${name}:${JSON.stringify(data)}`),
    });
    assert.deepEqual([ctx.rolloutId, ctx.sample, ctx.systemPrompt, ctx.maxTurns, ctx.options], ['r1', 2, 'Be brief.', 2, { depth: 1 }]);
    await ctx.chat([{ role: 'user', content: 'q' }]);
    await ctx.chat([], { role: 'solver' });
    assert.equal(ctx.turns, 2);
    await assert.rejects(ctx.chat([]), (e: Error) => e instanceof TurnLimitError && e.message === 'the rollout reached max_turns = 2');
    await ctx.callTool({ id: 'c', name: 'calc', arguments: {} }, { role: 'solver' });
    ctx.emit('note', { a: 1 });
    assert.deepEqual(seen, ['chat:agent:1', 'chat:solver:0', 'tool:calc:solver', 'emit:note:{"a":1}']);
    assert.deepEqual(ctx.formatErrorMessage('no JSON'), { role: 'tool', content: 'Bad call: no JSON. Try again.' });
  });
});
