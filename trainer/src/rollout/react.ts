// builtin:react — the ReAct loop: think, call tools, read their results, answer.
import { REACT_SYSTEM_PROMPT } from '../agent/prompts';
import type { Message } from '../run/events';
import { defineWorkflow, type AssistantTurn } from '../sdk';

/** The assistant message as it goes back into the conversation. */
export function asMessage(turn: AssistantTurn): Message {
  return { role: 'assistant', content: turn.content, ...(turn.tool_calls.length ? { tool_calls: turn.tool_calls } : {}) };
}

export const react = defineWorkflow(
  async (ctx) => {
    const messages: Message[] = [
      { role: 'system', content: ctx.systemPrompt ?? REACT_SYSTEM_PROMPT },
      { role: 'user', content: ctx.task.question },
    ];
    while (ctx.turns < ctx.maxTurns) {
      const turn = await ctx.chat(messages);
      messages.push(asMessage(turn));
      if (turn.format_error) {
        messages.push(ctx.formatErrorMessage(turn.format_error));
        continue;
      }
      if (turn.tool_calls.length === 0 || turn.truncated) break;
      for (const call of turn.tool_calls) messages.push(await ctx.callTool(call));
    }
    return { messages };
  },
  { name: 'react' },
);
